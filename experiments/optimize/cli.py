"""`custsim-optimize`: search the focal firm's policy parameters for an objective.

custsim-optimize policy=hi_lo optimize.objective=margin optimize.min_retention=0.85 \
    optimize.trials=30 optimize.replications=2 \
    'optimize.params={policy.depth:[0.05,0.5],policy.every:[7,56]}'
python -m custsim.experiments.optimize policy=hi_lo    # the same entry point

Each trial composes the config with the trial's values added to the command's
overrides and runs `optimize.replications` simulations (seeds seed, ...,
seed + R - 1); its objective is the mean focal KPI (`custsim.experiments.optimize.search`). Writes
config.yaml, trials.parquet, plots/history.png and, last, best.json into the
Hydra run directory.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import hydra
import optuna
import pandas as pd
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from custsim.experiments.cli import (
    exit_on_help,
    fail,
    format_help,
    name_the_job,
    preflight,
    write_config,
)
from custsim.experiments.compare.cli import app_hydra_set_aside
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
    trial_overrides,
    trials_frame,
)
from custsim.sim import results
from custsim.sim.compose import compose_config
from custsim.sim.config import ConfigError, register_configs
from custsim.sim.kpis import FOCAL_KPIS, format_value
from custsim.sim.runner import show_progress, simulate
from custsim.sim.validation import validate

PROG = "custsim-optimize"
COMPLETE_MARKER = "best.json"  # written last: a directory holding it is complete
register_configs()


def make_evaluator(base: Sequence[str], replications: int) -> Evaluate:
    """A trial evaluator: compose `base` plus the values, simulate R seeds, mean focal KPIs.

    Raises (from the evaluator):
        ConfigError: when the composed config or its policies reject the values.

    """

    def evaluate(values: dict[str, Value]) -> dict[str, float]:
        with app_hydra_set_aside():
            cfg = compose_config(trial_overrides(base, values), CONFIG_NAME)
        runs = [
            simulate(replace(cfg, seed=cfg.seed + r, progress="off"), None)
            for r in range(replications)
        ]
        return mean_focal_kpis([run.firm_kpis for run in runs], cfg.market.focal)

    return evaluate


def header(cfg: OptimizeRun, space: Sequence[Param], seconds: float) -> str:
    """What was searched, for what, under which constraint, and how long it took."""
    opt, reps = cfg.optimize, cfg.optimize.replications
    retention = "" if opt.min_retention is None else format_value("retention", opt.min_retention)
    floor = retention and f" subject to retention >= {retention}"
    return (
        f"{PROG}: maximise firm {cfg.market.focal}'s {opt.objective} over "
        f"{', '.join(p.describe() for p in space)}{floor}; {opt.trials} trials x {reps} "
        f"replications (seeds {cfg.seed}-{cfg.seed + reps - 1}), sampler seed {opt.sampler_seed}; "
        f"{cfg.population.size:,} customers; {cfg.steps} days ({seconds:.1f} s)"
    )


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
    hc = HydraConfig.get()
    overrides = list(hc.overrides.task)
    try:
        base = validate(cfg)
        space = search_space(base, overrides)
    except ConfigError as err:
        fail(err, PROG)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    start = time.perf_counter()
    evaluate = make_evaluator(overrides, base.optimize.replications)
    study = run_study(space, evaluate, base.optimize, show_progress(base.progress))
    table = trials_frame(study, space)
    summary = best_summary(study, space, base.optimize, base.market.focal, overrides, base.seed)
    out = Path(hc.runtime.output_dir)
    write_optimization(table, summary, base, out)
    print(header(base, space, time.perf_counter() - start), "", sep="\n")
    print(format_report(table, summary, space))
    print(f"results: {out}")


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
    exit_on_help(sys.argv[1:], help_text)
    preflight(sys.argv[1:], prog=PROG, check=search_space, config_name=CONFIG_NAME)
    name_the_job(sys.argv, "optimize")
    app()


if __name__ == "__main__":
    main()
