"""`custsim-optimize`: search the focal firm's policy parameters for an objective.

custsim-optimize policy=hi_lo optimize.objective=margin optimize.min_retention=0.85 \
    optimize.trials=30 optimize.replications=2 \
    'optimize.params={policy.depth:[0.05,0.5],policy.every:[7,56]}'
python -m custsim.experiments.optimize policy=hi_lo    # the same entry point

The trials, the study and the files are the job's (`custsim.experiments.optimize.job`:
Optuna, pandas and the engine), imported when the command runs, not with this
module, so that `--help` answers at once.
"""

from __future__ import annotations

from custsim.experiments.cli import format_help, tool_main
from custsim.experiments.optimize.settings import (
    CONFIG_NAME,
    DEFAULT_OPTIMIZE_PARAMS,
    OptimizeConfig,
)
from custsim.sim.kpis import FOCAL_KPIS

PROG = "custsim-optimize"


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
        mean focal KPI, maximised subject to focal retention >= optimize.min_retention
        (and focal contact cost <= optimize.max_contact_cost).
        """,
        options=[
            ("optimize.params={KEY:[LOW,HIGH],...}", f"the search space (default {space})"),
            (
                "optimize.objective=KPI",
                f"one of {', '.join(FOCAL_KPIS)}, roi (default {d.objective}); roi: the focal "
                "margin gained over optimize.baseline, seed by seed, per unit of contact cost",
            ),
            ("optimize.min_retention=X", "a floor on focal retention (default none)"),
            ("optimize.max_contact_cost=X", "a ceiling on focal contact cost (default none)"),
            (
                "optimize.baseline=OPTION",
                f"roi's policy without messages, run once per seed (default {d.baseline})",
            ),
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
            (
                f"{PROG} policy=campaign policy.channel=sms "
                "'optimize.params={policy.every:[2,28]}' optimize.objective=roi",
                "the sms interval with the best return on its cost, against EDLP",
            ),
        ],
        notes=[
            """Outputs: config.yaml, trials.parquet, plots/history.png and, last, best.json
            (the best feasible trial and a custsim command that reruns it) in hydra.run.dir.""",
        ],
    )


def main() -> None:
    """Console-script entry point: help, one-line config errors (search space too), Hydra."""
    tool_main(PROG, help_text, CONFIG_NAME, "custsim.experiments.optimize.job", "check")


if __name__ == "__main__":
    main()
