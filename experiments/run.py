"""`custsim`: run one simulation (or a Hydra multirun) from the command line.

custsim                                   # the default experiment
custsim seed=3 steps=180 policy=hi_lo     # any key can be overridden
python -m custsim.experiments.run network=none    # the same entry point
custsim --help                            # options, config groups, examples

The engine (sim.runner, sim.sweep: Mesa, pandas, SciPy) is imported when a run
starts, not with this module, so that `--help` answers at once.
"""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from custsim.experiments.cli import (
    exit_on_help,
    fail,
    format_help,
    preflight,
    root_defaults,
    run_hydra,
)

if TYPE_CHECKING:
    from omegaconf import DictConfig

    from custsim.sim.config import CustsimConfig
    from custsim.sim.runner import RunResult


def simulate(cfg: CustsimConfig, out_dir: Path | None = None) -> RunResult:
    """Run `cfg`; write its results and figures into `out_dir` if given (`custsim.simulate`).

    The engine's `custsim.sim.runner.simulate` with the run's figures
    (`custsim.experiments.plots.draw_run_figures`, drawn unless `plots=false`).
    """
    from custsim.sim import runner  # the engine: imported on running, not for --help

    if out_dir is None:
        return runner.simulate(cfg)
    from custsim.experiments.plots import draw_run_figures  # matplotlib: only when drawing

    return runner.simulate(cfg, out_dir, figures=draw_run_figures)


def app() -> None:
    """The Hydra app of `custsim`: compose the command line, then `run_job` (once per job)."""
    run_hydra("config", run_job)


def run_job(cfg: DictConfig) -> None:
    """Validate the composed config, simulate, write results and print the KPIs.

    Every job writes status.json. In a multirun a complete job directory is skipped
    (resume) and a failing job is recorded and returns, so the sweep goes on.
    """
    from hydra.core.hydra_config import HydraConfig  # the engine: on running, not for --help
    from hydra.types import RunMode

    from custsim.experiments.run_summary import format_summary
    from custsim.experiments.sweeps import job as sweep_job
    from custsim.experiments.sweeps.progress import record_job
    from custsim.sim.config import ConfigError
    from custsim.sim.validation import validate

    hc = HydraConfig.get()
    out = Path(hc.runtime.output_dir)
    multirun = hc.mode == RunMode.MULTIRUN
    overrides = list(hc.overrides.task)
    if multirun:
        sweep_job.remove_partial_files(out)  # an interrupted attempt's temporary files
    if multirun and sweep_job.is_complete(out, overrides):
        print(f"skipped (complete): {out}")
        record_job(Path(hc.sweep.dir), hc.sweep.subdir, "skipped", 0.0)
        return
    if multirun:
        sweep_job.clear_job(out)
    status = {"overrides": overrides, "seed": cfg.get("seed"), "job_num": hc.job.get("num")}
    start = time.perf_counter()
    try:
        typed = validate(cfg)
        if multirun and typed.plots is None:  # a sweep plots its summary, not every job
            typed = replace(typed, plots=False)
        run = simulate(typed, out)
        analysed = run_analyses(typed.analysis, out)  # a failed analysis fails the job
    except Exception as err:
        seconds = time.perf_counter() - start
        sweep_job.write_status(out, error=err, wall_seconds=seconds, **status)
        if multirun:
            print(f"custsim: job failed: {sweep_job.describe_error(err)} ({out})", file=sys.stderr)
            record_job(Path(hc.sweep.dir), hc.sweep.subdir, "failed", seconds)
            return
        if isinstance(err, ConfigError):
            fail(err)
        raise
    seconds = time.perf_counter() - start
    sweep_job.write_status(out, error=None, wall_seconds=seconds, **status)
    if multirun:  # the sweep's progress and summary stand in for each job's table
        record_job(Path(hc.sweep.dir), hc.sweep.subdir, "ok", seconds)
        return
    print(format_summary(run))
    for summary in analysed:
        print(f"\n{summary}")


def run_analyses(analyses: list[str], out: Path) -> list[str]:
    """Run the analyses `analysis=[...]` asks for on the run's files; their console summaries.

    crm: `custsim-crm out` (the focal firm at the last day), its files in `out/crm/<FIRM>/`;
    in a sweep every job runs it and the summaries are not printed.
    """
    summaries = []
    if "crm" in analyses:
        from custsim.experiments.crm import job as crm

        report = crm.crm_report(out)
        written = crm.write_report(report, crm.default_out(out, report.firm))
        summaries.append(f"{crm.format_summary(report)}\ncrm results: {written}")
    return summaries


def help_text() -> str:
    """`custsim --help`: what it does, main options, config groups, examples, outputs."""
    d = root_defaults()  # conf/config.yaml's root values (read as YAML: help must be fast)
    return format_help(
        usage="custsim [-m] [KEY=VALUE ...] [GROUP=OPTION ...] [+experiment=NAME] [sweep=NAME]",
        description="""
        Simulate customers (prospect-theory choice, reference prices, stockpiling, loyalty
        points, social influence) facing each firm's policy for `steps` days, write the
        results and print every firm's KPIs. Any config key is overridden as KEY=VALUE; a
        bad value stops the run before anything is written, with one line and exit 2.

        With -m (a Hydra multirun) comma-separated values and range(a,b) sweep every
        combination: one job per configuration, in parallel on the local cores, then the
        sweep's tables (results.parquet, summary.csv, failed.csv). sweep=NAME runs a named
        sweep of conf/sweep/; +experiment=NAME sets up a published finding (conf/experiment/).
        """,
        options=[
            ("seed=INT", f"root seed of every random stream (default {d['seed']})"),
            ("steps=INT", f"days to simulate (default {d['steps']})"),
            ("population.size=INT", "number of customers"),
            ("policy=OPTION", "the focal firm's policy (a policy option below)"),
            ("policy.KEY=VALUE", "a policy parameter, e.g. policy.depth=0.3"),
            ("market.firms.NAME.price=X", "a firm's regular price (also .cost, .quality)"),
            ("+policy@market.firms.NAME.policy=OPTION", "a competitor's policy"),
            ("network=OPTION", "the social network; network=none turns social influence off"),
            ("precision=float64|float32", "float32: a third less memory (money stays float64)"),
            ("progress=auto|on|off", "progress bar (auto: on a terminal, runs over 2 s)"),
            ("plots=true|false", "figures (default: for a single run, not per sweep job)"),
            ("write_customers=true|false", "write customers.parquet (default true)"),
            ("-m, --multirun", "sweep comma-separated values and range(a,b) of any keys"),
            ("sweep=NAME", "a named sweep of conf/sweep/ (no -m needed)"),
            ("+experiment=NAME", "a published finding's setting of conf/experiment/"),
            ("hydra/launcher=OPTION", "where sweep jobs run: local cores, slurm, ray_cluster"),
            ("hydra.run.dir=DIR", "a single run's output directory"),
            ("hydra.sweep.dir=DIR", "a multirun's output directory (rerun into it to resume)"),
        ],
        examples=[
            ("custsim policy=hi_lo policy.depth=0.3", "firm A runs a deeper hi-lo promotion"),
            ("custsim seed=3 steps=180 population.size=50000 network=none", "bigger, shorter"),
            ("custsim -m policy=edlp,hi_lo seed=0,1,2", "a multirun: 6 jobs and their table"),
            ("custsim sweep=promo_depth steps=180", "a named sweep (conf/sweep/promo_depth)"),
            ("custsim +experiment=framing", "a published finding's setting"),
        ],
        notes=[
            """Outputs: a single run writes outputs/<date>/<time>/ (hydra.run.dir): config.yaml,
            timeseries.parquet, customers.parquet, plots/, run.log and, last, kpis.json (a
            directory holding it is complete). A multirun writes multirun/<date>/<time>/
            (hydra.sweep.dir), one subdirectory per job named by its overrides, each with
            status.json, and the sweep's tables at the top; custsim-report rebuilds them.""",
            "Related commands: custsim-compare, custsim-optimize, custsim-sensitivity, "
            "custsim-report, custsim-findings, custsim-dashboard, custsim-crm, "
            "custsim-calibrate (each has --help).",
        ],
    )


def main() -> None:
    """Console-script entry point: help, then one-line config errors, then Hydra."""
    exit_on_help(sys.argv[1:], help_text)
    preflight(sys.argv[1:])
    from custsim.experiments.sweeps.plan import (
        one_value_sweeps,  # a multirun plans one-value overrides per job
    )

    sys.argv[1:] = one_value_sweeps(sys.argv[1:])
    app()


if __name__ == "__main__":
    main()
