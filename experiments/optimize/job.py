"""`custsim-optimize`'s job: the trials' simulations, the study, the files and the report.

Each trial sets its values on the command's composed config (`custsim.experiments.batch`)
and runs `optimize.replications` simulations (seeds seed, ..., seed + R - 1) on
`optimize.n_jobs` warm workers; its objective is the mean focal KPI
(`custsim.experiments.optimize.search`). With `optimize.objective=roi` the
baseline arm, the same overrides with the focal policy replaced by
`policy=<optimize.baseline>` (as custsim-compare's), runs once per seed before the
first trial, and every trial's margin is paired with it seed by seed. Writes
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

from custsim.experiments.batch import Base, Failed, hydra_set_aside, run_batch
from custsim.experiments.cli import (
    fail,
    results_line,
    run_header,
    seeds_text,
    tool_job,
    write_config,
)
from custsim.experiments.optimize.cli import PROG
from custsim.experiments.optimize.config import CONFIG_NAME, OptimizeRun
from custsim.experiments.optimize.search import (
    ROI,
    Evaluate,
    Param,
    Value,
    best_summary,
    format_report,
    mean_focal_kpis,
    plot_history,
    roi_kpis,
    run_study,
    search_space,
    trials_frame,
    uses_reach,
)
from custsim.sim import results
from custsim.sim.compose import compose_config
from custsim.sim.config import ConfigError
from custsim.sim.kpis import format_value
from custsim.sim.runner import RunResult, make_policies, show_progress

COMPLETE_MARKER = "best.json"  # written last: a directory holding it is complete


def firm_kpis(run: RunResult) -> pd.DataFrame:
    """A reducer: every firm's KPIs (`run.firm_kpis`)."""
    return run.firm_kpis


def firm_kpis_and_costs(run: RunResult) -> tuple[pd.DataFrame, dict[str, float]]:
    """A reducer: every firm's KPIs and contact cost ({} when no policy names a channel)."""
    if run.reach is None:
        return run.firm_kpis, {}
    return run.firm_kpis, run.reach["firm"].set_index("firm")["contact_cost"].to_dict()


def make_evaluator(
    base: Base,
    replications: int,
    n_jobs: int,
    reach: bool = False,
    baseline: Sequence[float] | None = None,
) -> Evaluate:
    """A trial evaluator: the base config with the trial's values, R seeds, mean focal KPIs.

    The trial's config is derived from the composed base (`custsim.experiments.batch`)
    and its replications (seeds seed, ..., seed + R - 1) run on `n_jobs` warm workers.
    With `reach`, also the focal contact cost and, given the `baseline` arm's focal
    margin per seed, the return on it (`search.roi_kpis`).

    Raises (from the evaluator):
        ConfigError: when the config or its policies reject the values.
        RuntimeError: when a replication failed.

    """

    def evaluate(values: dict[str, Value]) -> dict[str, float]:
        cfg = base.derive(values)
        make_policies(cfg)  # a policy's own checks: a ConfigError fails the trial
        seeds = [replace(cfg, seed=cfg.seed + r) for r in range(replications)]
        if not reach:
            runs = run_batch(seeds, firm_kpis, n_jobs)
            failed = [r for r in runs if isinstance(r, Failed)]
            if failed:
                raise RuntimeError(failed[0].error)
            return mean_focal_kpis(runs, cfg.market.focal)
        focal = cfg.market.focal
        frames, costs = _run_with_costs(seeds, n_jobs)
        margins = [float(f.set_index("firm").loc[focal, "margin"]) for f in frames]
        spent = [c.get(focal, 0.0) for c in costs]
        return mean_focal_kpis(frames, focal) | roi_kpis(margins, spent, baseline)

    return evaluate


def _run_with_costs(
    configs: Sequence[OptimizeRun], n_jobs: int
) -> tuple[list[pd.DataFrame], list[dict[str, float]]]:
    """Run `configs`: their firm KPIs and contact costs (RuntimeError if a run failed)."""
    runs = run_batch(configs, firm_kpis_and_costs, n_jobs)
    failed = [r for r in runs if isinstance(r, Failed)]
    if failed:
        raise RuntimeError(failed[0].error)
    return [r[0] for r in runs], [r[1] for r in runs]


def baseline_overrides(overrides: Sequence[str], baseline: str) -> list[str]:
    """`overrides` less the root `policy`'s (option or keys), plus `policy=<baseline>`.

    As custsim-compare's baseline arm: competitors' policies
    (`+policy@market.firms.B.policy=...`) and every other key are kept.
    """
    kept = [o for o in overrides if o.lstrip("+~").split("=")[0].split(".")[0] != "policy"]
    return [*kept, f"policy={baseline}"]


def baseline_config(cfg: OptimizeRun, overrides: Sequence[str]) -> OptimizeRun:
    """The `roi` baseline arm's validated config, its policies instantiated (and so checked).

    Raises:
        ConfigError: for an unknown `optimize.baseline` (naming the options), a
            baseline that names a channel, or a baseline config that fails validation.

    """
    from custsim.policies.registry import policy_options

    name, options = cfg.optimize.baseline, policy_options()
    if name not in options:
        raise ConfigError(f"optimize.baseline={name!r}: must be one of: {', '.join(options)}")
    with hydra_set_aside():
        base = compose_config(baseline_overrides(overrides, name), CONFIG_NAME)
    make_policies(base)
    channel = getattr(base.policy, "channel", None)
    if channel:
        raise ConfigError(
            f"optimize.baseline={name}: sends messages (policy.channel={channel}); "
            "roi needs a baseline without messages"
        )
    return base


def baseline_margins(cfg: OptimizeRun, overrides: Sequence[str]) -> list[float]:
    """The baseline arm's focal margin for each seed seed, ..., seed + R - 1 (one run each).

    Raises:
        ConfigError: when the baseline's focal firm spent on contacts after all.
        RuntimeError: when a baseline run failed.

    """
    base, opt = baseline_config(cfg, overrides), cfg.optimize
    seeds = [replace(base, seed=base.seed + r) for r in range(opt.replications)]
    frames, costs = _run_with_costs(seeds, opt.n_jobs)
    focal = base.market.focal
    if any(c.get(focal, 0.0) > 0 for c in costs):
        raise ConfigError(f"optimize.baseline={opt.baseline}: its focal firm {focal} sent messages")
    return [float(f.set_index("firm").loc[focal, "margin"]) for f in frames]


def check(cfg: OptimizeRun, overrides: Sequence[str]) -> list[Param]:
    """The command's own checks: the search space and, for `roi`, the baseline arm."""
    space = search_space(cfg, overrides)
    if cfg.optimize.objective == ROI:
        baseline_config(cfg, overrides)
    return space


def header(cfg: OptimizeRun, space: Sequence[Param], seconds: float) -> str:
    """What was searched, for what, under which constraint, and how long it took."""
    opt, reps = cfg.optimize, cfg.optimize.replications
    retention = "" if opt.min_retention is None else format_value("retention", opt.min_retention)
    floor = retention and f" subject to retention >= {retention}"
    if opt.max_contact_cost is not None:
        ceiling = f"contact cost <= {format_value('contact_cost', opt.max_contact_cost)}"
        floor = f"{floor} and {ceiling}" if floor else f" subject to {ceiling}"
    objective = opt.objective
    if objective == ROI:
        objective = f"return on contact spend (roi, against policy={opt.baseline})"
    what = (
        f"maximise firm {cfg.market.focal}'s {objective} over "
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
    job = tool_job(cfg, PROG, check=check)
    base, overrides = job.cfg, job.overrides
    space = search_space(base, overrides)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    start = time.perf_counter()
    opt = base.optimize
    trials_base = Base(overrides, CONFIG_NAME, job.composed)
    baseline = None
    if opt.objective == ROI:  # once per seed, before the trials, which all reuse it
        try:
            baseline = baseline_margins(base, overrides)
        except ConfigError as err:
            fail(err, PROG)
    reach = uses_reach(opt)
    evaluate = make_evaluator(trials_base, opt.replications, opt.n_jobs, reach, baseline)
    study = run_study(space, evaluate, opt, show_progress(base.progress))
    table = trials_frame(study, space)
    summary = best_summary(study, space, opt, base.market.focal, overrides, base.seed)
    if baseline is not None:
        summary["baseline_margins"] = baseline
    write_optimization(table, summary, base, job.out)
    print(header(base, space, time.perf_counter() - start), "", sep="\n")
    print(format_report(table, summary, space))
    print(results_line(job.out))
