"""`custsim-crm`: one firm's customer base as its own records show it, scored against the truth.

custsim-crm RUN_DIR                       # the focal firm at the end of the run
custsim-crm RUN_DIR --firm B --as-of 270  # firm B at day 270, days 271.. as the future
custsim-crm --help                        # options, outputs, examples

The analysis (`custsim.experiments.crm.job`: pandas, SciPy, scikit-learn, matplotlib)
is imported when it runs, not with this module, so that `--help` answers at once.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from custsim.experiments.cli import exit_on_help, fail, format_help, results_line

PROG = "custsim-crm"
DESCRIPTION = """
The customer base as one firm sees it, from its own purchase records only (purchase days,
counts, spend, points; never latent traits or true churn), at an as-of day: RFM scores, the
four named classes and the eight R x F x M cells; ABC tiers and the Pareto curve; BG/NBD and
Gamma-Gamma fitted by maximum likelihood (P(alive), predicted purchases and spend over the
rest of the run); early warning (30-day recency, frequency drop, 1 - P(alive), a learned
classifier); lifecycle stages; k-means profiles. Then the simulation's truth scores them: true
churn and personas per class, realised future spend, precision, recall, AUC and offers wasted.

RUN_DIR is a run that recorded its purchases (custsim record_purchases=true, or
analysis=[crm]): it holds purchases.parquet.
"""
OPTIONS = (
    ("RUN_DIR", "a complete run directory with purchases.parquet"),
    ("--firm NAME", "the firm whose records are analysed (default: the run's focal firm)"),
    (
        "--as-of DAY",
        "the view at the end of day DAY, 1..steps (default: the last day); the days after it "
        "are the future the predictions are scored on",
    ),
    ("--budget N", "retention offers for 'offers wasted' (default: 10% of the firm's customers)"),
    ("--out DIR", "where to write (default: RUN_DIR/crm/<FIRM>)"),
    ("-h, --help", "this help"),
)
EXAMPLES = (
    ("custsim record_purchases=true hydra.run.dir=runs/base", "a run that records its purchases"),
    ("custsim-crm runs/base", "the focal firm at the end of the run, into runs/base/crm/A/"),
    (
        "custsim-crm runs/base --firm B --as-of 270 --budget 500",
        "firm B at day 270: CLV scored on days 271.., 500 offers",
    ),
)
NOTES = (
    "Outputs in DIR (default RUN_DIR/crm/<FIRM>/, one folder per firm): rfm.parquet, "
    "clv.parquet and lifecycle.parquet (per customer of the firm; columns true_* are the "
    "simulation's truth), segments.csv, abc.csv, warning.csv, gains.csv, stage_sizes.csv, "
    "profiles.csv, plots/*.png and report.md (written last). From Python: "
    "custsim.crm_report(run_dir, firm, as_of, budget).",
    "Exit status: 0 on success, 2 on bad input (no purchases.parquet, an unknown firm, an "
    "as-of day outside the run, a negative budget).",
)


def help_text() -> str:
    """What the command does, its options, examples and outputs."""
    return format_help(
        f"{PROG} RUN_DIR [--firm NAME] [--as-of DAY] [--budget N] [--out DIR]",
        DESCRIPTION,
        OPTIONS,
        EXAMPLES,
        NOTES,
        groups=False,
        hydra=False,
    )


class _Parser(argparse.ArgumentParser):
    """argparse whose usage errors are one line and exit 2, like the rest of custsim."""

    def error(self, message: str) -> None:  # type: ignore[override]
        fail(f"{message} (see {PROG} --help)", PROG, "")


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """The command line (`--help` prints `help_text` and exits)."""
    exit_on_help(argv, help_text)
    parser = _Parser(prog=PROG, add_help=False)
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--firm", default=None)
    parser.add_argument("--as-of", dest="as_of", type=int, default=None)
    parser.add_argument("--budget", type=int, default=None)
    parser.add_argument("--out", type=Path, default=None)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    """Analyse, write the files, print the summary and `results: <dir>`; exit 2 on bad input."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    from custsim.experiments.crm import job  # the analysis: imported on running, not for --help

    try:
        report = job.crm_report(args.run_dir, args.firm, args.as_of, args.budget)
    except job.CRMInputError as err:
        fail(err, PROG, "")
    out = job.write_report(report, args.out or job.default_out(args.run_dir, report.firm))
    print(job.format_summary(report))
    print(results_line(out))


if __name__ == "__main__":
    main()
