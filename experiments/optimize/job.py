"""`custsim-optimize`'s job: the trials' simulations, the study, the files and the report.

Each trial sets its values on the command's composed config (`custsim.experiments.batch`)
and runs `optimize.replications` simulations (seeds seed, ..., seed + R - 1) on
`optimize.n_jobs` warm workers; its objective is the mean focal KPI
(`custsim.experiments.optimize.search`). Writes
config.yaml, trials.parquet, plots/history.png and, last, best.json into the
Hydra run directory.

The command (`custsim.experiments.optimize.cli`) imports this module when it runs,
not for `--help`: it imports Optuna, pandas and the engine.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import optuna
import pandas as pd
from omegaconf import DictConfig

from custsim.experiments.batch import Base, Failed, run_batch
from custsim.experiments.cli import (
    results_line,
    run_header,
    seeds_text,
    tool_job,
    write_config,
)
from custsim.experiments.optimize.cli import PROG
from custsim.experiments.optimize.config import CONFIG_NAME, OptimizeRun
from custsim.experiments.optimize.search import (
    Evaluate,
    Param,
    Value,
    best_summary,
    format_report,
    mean_focal_kpis,
    plot_history,
    run_study,
    search_space,
    trials_frame,
)
from custsim.sim import results
from custsim.sim.kpis import format_value
from custsim.sim.runner import RunResult, make_policies, show_progress

COMPLETE_MARKER = "best.json"  # written last: a directory holding it is complete


def firm_kpis(run: RunResult) -> pd.DataFrame:
    """A reducer: every firm's KPIs (`run.firm_kpis`)."""
    return run.firm_kpis


def make_evaluator(base: Base, replications: int, n_jobs: int) -> Evaluate:
    """A trial evaluator: the base config with the trial's values, R seeds, mean focal KPIs.

    The trial's config is derived from the composed base (`custsim.experiments.batch`)
    and its replications (seeds seed, ..., seed + R - 1) run on `n_jobs` warm workers.

    Raises (from the evaluator):
        ConfigError: when the config or its policies reject the values.
        RuntimeError: when a replication failed.

    """

    def evaluate(values: dict[str, Value]) -> dict[str, float]:
        cfg = base.derive(values)
        make_policies(cfg)  # a policy's own checks: a ConfigError fails the trial
        seeds = [replace(cfg, seed=cfg.seed + r) for r in range(replications)]
        runs = run_batch(seeds, firm_kpis, n_jobs)
        failed = [r for r in runs if isinstance(r, Failed)]
        if failed:
            raise RuntimeError(failed[0].error)
        return mean_focal_kpis(runs, cfg.market.focal)

    return evaluate


def header(cfg: OptimizeRun, space: Sequence[Param], seconds: float) -> str:
    """What was searched, for what, under which constraint, and how long it took."""
    opt, reps = cfg.optimize, cfg.optimize.replications
    retention = "" if opt.min_retention is None else format_value("retention", opt.min_retention)
    floor = retention and f" subject to retention >= {retention}"
    what = (
        f"maximise firm {cfg.market.focal}'s {opt.objective} over "
        f"{', '.join(p.describe() for p in space)}{floor}; {opt.trials} trials x {reps} "
        f"replications ({seeds_text(cfg.seed, reps)}), sampler seed {opt.sampler_seed}"
    )
    return run_header(PROG, what, cfg, seconds)


def write_optimization(table: pd.DataFrame, summary: dict, cfg: OptimizeRun, out: Path) -> None:
    """config.yaml, trials.parquet, plots/history.png and (last) best.json."""
    write_config(cfg, out)
    results.write_parquet(table, out / "trials.parquet")
    if cfg.plots is not False:
        plot_history(table, cfg.optimize.objective, cfg.market.focal, out / "plots" / "history.png")
    results.write_json(summary, out / COMPLETE_MARKER)


def run(cfg: DictConfig) -> None:
    """Inside the Hydra app: validate the search, run the study, write and print the best trials.

    Reads the composed `cfg` and Hydra's run directory; writes config.yaml,
    trials.parquet, plots/history.png and (last) best.json there.
    """
    job = tool_job(cfg, PROG, check=search_space)
    base, overrides = job.cfg, job.overrides
    space = search_space(base, overrides)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    start = time.perf_counter()
    opt = base.optimize
    trials_base = Base(overrides, CONFIG_NAME, job.composed)
    evaluate = make_evaluator(trials_base, opt.replications, opt.n_jobs)
    study = run_study(space, evaluate, opt, show_progress(base.progress))
    table = trials_frame(study, space)
    summary = best_summary(study, space, opt, base.market.focal, overrides, base.seed)
    write_optimization(table, summary, base, job.out)
    print(header(base, space, time.perf_counter() - start), "", sep="\n")
    print(format_report(table, summary, space))
    print(results_line(job.out))
