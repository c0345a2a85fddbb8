"""`custsim-abtest`: an in-market A/B test of a campaign, against the true total effect.

custsim-abtest abtest.replications=20
python -m custsim.experiments.abtest network.wom_strength=2   # the same entry point

The worlds, the estimates and the files are the job's
(`custsim.experiments.abtest.job`: pandas and the engine), imported when the
command runs, not with this module, so that `--help` answers at once.
"""

from __future__ import annotations

from custsim.experiments.abtest.settings import CONFIG_NAME, DESIGNS, AbtestConfig
from custsim.experiments.cli import format_help, tool_main

PROG = "custsim-abtest"


def help_text() -> str:
    """`custsim-abtest --help`: what it does, main options, config groups, examples."""
    d = AbtestConfig()
    return format_help(
        usage=f"{PROG} [KEY=VALUE ...] [GROUP=OPTION ...]",
        description="""
        An A/B test inside one market. The focal firm runs a campaign (policy=campaign)
        and keeps a holdout of its customers (policy.holdout), drawn per customer or
        per cluster of its customers' social graph; it measures the lift per customer
        of its base (its buyers before policy.start) over the test window from its
        own records: treated minus holdout, with a 95% interval. With the same seed
        (common random numbers) the worlds everyone treated and nobody treated give
        the true total effect. Word of mouth through the network reaches the holdout
        (interference); network=none is the reference without it.
        """,
        options=[
            ("policy.KEY=VALUE", "the campaign: depth, every, start, channel, holdout"),
            ("abtest.replications=INT", f"seeds, >= 2 (default {d.replications})"),
            ("abtest.designs=[...]", f"of {', '.join(DESIGNS)} (default both)"),
            ("abtest.no_network=BOOL", f"also run with network=none (default {d.no_network})"),
            ("abtest.cluster_size=INT", f"customers per cluster at most ({d.cluster_size})"),
            ("abtest.n_jobs=INT", f"local workers for the runs (default {d.n_jobs})"),
            ("KEY=VALUE", "any custsim key, for every world (custsim --help)"),
            ("hydra.run.dir=DIR", "the output directory (default outputs/<date>/<time>)"),
        ],
        examples=[
            (PROG, "a 20% weekly email offer, half held out, 10 seeds"),
            (f"{PROG} network.wom_strength=2", "strong word of mouth: the bias grows"),
            (f"{PROG} abtest.designs=[cluster] abtest.cluster_size=200", "bigger clusters"),
        ],
        notes=[
            """Outputs: abtest.parquet (written last: the directory is complete),
            replications.parquet, clusters/seed_<s>.parquet (the firm's clusters),
            config.yaml and plots/ in hydra.run.dir.""",
        ],
    )


def main() -> None:
    """Console-script entry point: help, one-line config errors, then Hydra."""
    tool_main(PROG, help_text, CONFIG_NAME, "custsim.experiments.abtest.job", "check")


if __name__ == "__main__":
    main()
