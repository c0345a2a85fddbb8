"""`custsim-sensitivity`: global sensitivity of focal-firm KPIs to config parameters (SALib).

custsim-sensitivity policy=hi_lo sensitivity.method=sobol sensitivity.samples=64
python -m custsim.experiments.sensitivity policy=hi_lo sensitivity.method=morris  # the same

The sampled runs, the indices and the files are the job's
(`custsim.experiments.sensitivity.job`: SALib, pandas and the engine), imported
when the command runs, not with this module, so that `--help` answers at once.
"""

from __future__ import annotations

from custsim.experiments.cli import format_help, tool_main
from custsim.experiments.sensitivity.settings import (
    CONFIG_NAME,
    DEFAULT_SENSITIVITY_PARAMS,
    SensitivityConfig,
)

PROG = "custsim-sensitivity"


def help_text() -> str:
    """`custsim-sensitivity --help`: what it does, main options, config groups, examples."""
    d = SensitivityConfig()
    space = ", ".join(f"{k}:[{lo},{hi}]" for k, (lo, hi) in DEFAULT_SENSITIVITY_PARAMS.items())
    return format_help(
        usage=f"{PROG} [KEY=VALUE ...] [GROUP=OPTION ...]",
        description="""
        Global sensitivity of focal-firm KPIs to config keys with SALib: each key of
        sensitivity.params is sampled over its [low, high] range (Sobol: Saltelli sampling,
        N (D + 2) runs, first-order and total indices; Morris: N trajectories, N (D + 1)
        runs, mu* and sigma). Every run has the same seed (common random numbers) and runs
        on local cores; the results do not depend on sensitivity.n_jobs.
        """,
        options=[
            ("sensitivity.params={KEY:[LOW,HIGH],...}", f"the ranges (default {space})"),
            ("sensitivity.method=sobol|morris", f"the method (default {d.method})"),
            ("sensitivity.samples=INT", f"N, base samples or trajectories (default {d.samples})"),
            ("sensitivity.outputs=[KPI,...]", f"focal KPIs (default [{','.join(d.outputs)}])"),
            ("sensitivity.n_jobs=INT", f"local processes (default {d.n_jobs})"),
            ("sensitivity.sample_seed=INT", f"the sampler's seed (default {d.sample_seed})"),
            ("KEY=VALUE", "any custsim key, for every run (custsim --help)"),
            ("hydra.run.dir=DIR", "the output directory (default outputs/<date>/<time>)"),
        ],
        examples=[
            (f"{PROG} sensitivity.samples=16", "the default keys, Sobol, 80 runs"),
            (f"{PROG} policy=hi_lo sensitivity.method=morris", "Morris screening under hi-lo"),
            (
                f"{PROG} policy=hi_lo 'sensitivity.params={{policy.depth:[0.05,0.5],"
                "population.traits.loss_aversion.mean:[1,3]}'",
                "promotion depth against loss aversion",
            ),
        ],
        notes=[
            """Outputs: config.yaml, samples.parquet, plots/indices.png and, last,
            indices.parquet in hydra.run.dir. Exit 1 when a run failed (no indices).""",
        ],
    )


def main() -> None:
    """Console-script entry point: help, one-line config errors, then Hydra."""
    job = "custsim.experiments.sensitivity.job"
    tool_main(PROG, help_text, CONFIG_NAME, job, check="check_sensitivity")


if __name__ == "__main__":
    main()
