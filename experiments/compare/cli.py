"""`custsim-compare`: the lift of the focal firm's policy over a baseline policy.

custsim-compare policy=hi_lo compare.baseline=edlp compare.replications=10
python -m custsim.experiments.compare policy=hi_lo population.size=50000   # the same entry point

The paired replications, their lift and the files are the job's
(`custsim.experiments.compare.job`: pandas, SciPy and the engine), imported when
the command runs, not with this module, so that `--help` answers at once.
"""

from __future__ import annotations

from custsim.experiments.cli import format_help, tool_main
from custsim.experiments.compare.settings import CONFIG_NAME, CompareConfig

PROG = "custsim-compare"


def help_text() -> str:
    """`custsim-compare --help`: what it does, main options, config groups, examples."""
    d = CompareConfig()
    return format_help(
        usage=f"{PROG} [KEY=VALUE ...] [GROUP=OPTION ...]",
        description="""
        The lift of the focal firm's policy over a baseline policy. Each of
        compare.replications pairs runs both arms with seed `seed + r` (common random
        numbers: the same population, network and draws); every KPI, per firm, for the
        market and per segment, is the mean paired difference with a paired-t 95%
        interval. The baseline arm takes the same overrides with the policy replaced.
        """,
        options=[
            ("policy=OPTION", "the focal firm's policy under test (a policy option below)"),
            ("policy.KEY=VALUE", "its parameters, e.g. policy.depth=0.3"),
            ("compare.baseline=OPTION", f"the policy to beat (default {d.baseline})"),
            ("compare.replications=INT", f"paired replications, >= 2 (default {d.replications})"),
            ("compare.n_jobs=INT", f"local workers for the paired runs (default {d.n_jobs})"),
            ("KEY=VALUE", "any custsim key, for both arms (custsim --help)"),
            ("hydra.run.dir=DIR", "the output directory (default outputs/<date>/<time>)"),
        ],
        examples=[
            (f"{PROG} policy=hi_lo", "hi-lo promotions against everyday pricing"),
            (f"{PROG} policy=hi_lo compare.baseline=edlp compare.replications=5", "5 pairs"),
            (f"{PROG} policy=loyalty_points population.size=50000", "a points programme"),
        ],
        notes=[
            """Outputs: comparison.parquet (written last: the directory is complete),
            replications.parquet, config.yaml and plots/ in hydra.run.dir.""",
        ],
    )


def main() -> None:
    """Console-script entry point: help, one-line config errors (baseline too), then Hydra."""
    tool_main(PROG, help_text, CONFIG_NAME, "custsim.experiments.compare.job", "baseline_config")


if __name__ == "__main__":
    main()
