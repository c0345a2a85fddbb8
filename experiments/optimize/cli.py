"""`custsim-optimize`: search the focal firm's policy parameters for an objective.

custsim-optimize policy=hi_lo optimize.objective=margin optimize.min_retention=0.85 \
    optimize.trials=30 optimize.replications=2 \
    'optimize.params={policy.depth:[0.05,0.5],policy.every:[7,56]}'
python -m custsim.experiments.optimize policy=hi_lo    # the same entry point

Each trial sets its values on the command's composed config (`custsim.experiments.batch`)
and runs `optimize.replications` simulations (seeds seed, ..., seed + R - 1) on
`optimize.n_jobs` warm workers; its objective is the mean focal KPI
(`custsim.experiments.optimize.search`). Writes
config.yaml, trials.parquet, plots/history.png and, last, best.json into the
Hydra run directory.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import hydra
import optuna
import pandas as pd
from omegaconf import DictConfig

from custsim.experiments.batch import Base, Failed, run_batch
from custsim.experiments.cli import (
    format_help,
    results_line,
    run_header,
    seeds_text,
    tool_job,
    tool_main,
    write_config,
)
from custsim.experiments.optimize.config import (
    CONFIG_NAME,
    DEFAULT_OPTIMIZE_PARAMS,
    OptimizeConfig,
    OptimizeRun,
)
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
from custsim.sim.config import register_configs
from custsim.sim.kpis import FOCAL_KPIS, format_value
from custsim.sim.runner import RunResult, make_policies, show_progress

PROG = "custsim-optimize"
COMPLETE_MARKER = "best.json"  # written last: a directory holding it is complete
register_configs()


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


@hydra.main(version_base="1.3", config_path="pkg://custsim.conf", config_name=CONFIG_NAME)
def app(cfg: DictConfig) -> None:
    """Validate the search, run the study, write the results and print the best trials."""
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


def help_text() -> str:
    """`custsim-optimize --help`: what it does, main options, config groups, examples."""
    d = OptimizeConfig()
    space = ", ".join(f"{k}:[{lo},{hi}]" for k, (lo, hi) in DEFAULT_OPTIMIZE_PARAMS.items())
    return format_help(
        usage=f"{PROG} [KEY=VALUE ...] [GROUP=OPTION ...]",
        description="""
        Search config keys for the focal firm's best value of a KPI with Optuna (seeded
        TPE). Each trial adds its values to the command's overrides and runs
        optimize.replications simulations (seeds seed, seed + 1, ...); its objective is the
        mean focal KPI, maximised subject to focal retention >= optimize.min_retention.
        """,
        options=[
            ("optimize.params={KEY:[LOW,HIGH],...}", f"the search space (default {space})"),
            ("optimize.objective=KPI", f"one of {', '.join(FOCAL_KPIS)} (default {d.objective})"),
            ("optimize.min_retention=X", "a floor on focal retention (default none)"),
            ("optimize.trials=INT", f"trials (default {d.trials})"),
            ("optimize.replications=INT", f"seeds per trial (default {d.replications})"),
            ("optimize.sampler_seed=INT", f"the TPE sampler's seed (default {d.sampler_seed})"),
            ("optimize.n_jobs=INT", f"local workers for a trial's seeds (default {d.n_jobs})"),
            ("KEY=VALUE", "any custsim key, for every trial (custsim --help)"),
            ("hydra.run.dir=DIR", "the output directory (default outputs/<date>/<time>)"),
        ],
        examples=[
            (f"{PROG} optimize.trials=20", "the focal firm's best everyday price"),
            (
                f"{PROG} policy=hi_lo 'optimize.params={{policy.depth:[0.05,0.5],"
                "policy.every:[7,56]}' optimize.min_retention=0.6",
                "the best hi-lo calendar that keeps 60% of customers",
            ),
            (
                f"{PROG} policy=loyalty_points 'optimize.params={{policy.earn_rate:[0.5,3]}}' "
                "optimize.objective=clv_per_customer",
                "the points earn rate that maximises CLV",
            ),
        ],
        notes=[
            """Outputs: config.yaml, trials.parquet, plots/history.png and, last, best.json
            (the best feasible trial and a custsim command that reruns it) in hydra.run.dir.""",
        ],
    )


def main() -> None:
    """Console-script entry point: help, one-line config errors (search space too), Hydra."""
    tool_main(PROG, "optimize", help_text, app, CONFIG_NAME, check=search_space)


if __name__ == "__main__":
    main()
