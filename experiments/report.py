"""`custsim-report`: rebuild a multirun's tables and plots from its stored job results.

custsim-report multirun/2026-11-23/12-00-00    # results.parquet, summary.csv, ... again

Nothing is rerun: the sweep's plan.json and every job directory's status.json,
kpis.json and timeseries.parquet are read and the sweep's results.parquet,
timeseries.parquet, summary.csv, failed.csv and plots/summary.png are written
again (see sim.sweep); a planned job that never ran is listed as `missing`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from custsim.experiments.cli import exit_on_help, fail, format_help

PROG = "custsim-report"


def help_text() -> str:
    """`custsim-report --help`: what it does, its argument, examples."""
    return format_help(
        usage=f"{PROG} SWEEP_DIR",
        description="""
        Rebuild a custsim multirun's tables and plot from its stored job results; nothing
        is rerun. Every job directory's status.json, kpis.json and timeseries.parquet are
        read and the sweep's results.parquet, timeseries.parquet, summary.csv, failed.csv
        and plots/summary.png are written again, then the summary table is printed.
        """,
        options=[
            ("SWEEP_DIR", "a multirun's hydra.sweep.dir (default multirun/<date>/<time>)"),
            ("-h, --help", "this help"),
        ],
        examples=[
            (f"{PROG} multirun/2026-11-23/12-00-00", "the tables of that sweep, again"),
            (f"{PROG} $(ls -d multirun/*/* | tail -1)", "the latest sweep"),
            (f"custsim -m seed=0,1 hydra.sweep.dir=sw && {PROG} sw", "a sweep, then its report"),
        ],
        notes=[
            "Exit status: 0 when every job of the sweep is ok, 1 when a job failed or did not "
            "finish (the last line names failed.csv, as the sweep's own), 2 when SWEEP_DIR is "
            "not a directory or holds no custsim jobs."
        ],
        groups=False,
        hydra=False,
    )


def main(argv: list[str] | None = None) -> int:
    """Aggregate the sweep directory given on the command line and print its summary."""
    argv = sys.argv[1:] if argv is None else argv
    exit_on_help(argv, help_text)
    from custsim.experiments.sweeps.aggregate import (  # after --help: SciPy, pandas
        aggregate_sweep,
        format_report,
        job_names,
    )
    from custsim.experiments.sweeps.plan import read_plan

    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("sweep_dir", type=Path, help="a custsim multirun's hydra.sweep.dir")
    args = parser.parse_args(argv)
    sweep_dir: Path = args.sweep_dir
    if not sweep_dir.is_dir():
        fail(f"{sweep_dir}: not a directory", PROG, "error")
    if not job_names(sweep_dir, read_plan(sweep_dir)):  # neither planned nor found
        fail(f"{sweep_dir}: no custsim job directories", PROG, "error")
    agg = aggregate_sweep(sweep_dir)
    print(format_report(agg, sweep_dir, PROG))  # a failed job's last line names failed.csv
    return 1 if len(agg["failed"]) else 0


def cli() -> None:
    """Console-script entry point."""
    sys.exit(main())


if __name__ == "__main__":
    cli()
