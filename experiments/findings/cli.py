"""`custsim-findings`: run the named experiments and write the findings report.

custsim-findings                          # every finding, full size
custsim-findings --fast goal_gradient     # one finding at its fast-test size
custsim-findings --set population.size=5000 reference_asymmetry
custsim-findings --help                   # options, the findings, examples

For each finding it writes `<out>/<name>/` (`records.write_finding`), then
`<out>/report.md` from every finding recorded in `<out>`, in report order: the
report accumulates, and running a finding again replaces only its section.
Exits 1 when a check of a finding run by this call fails, 2 on bad input.

The analyses (and the engine they run) are imported when a run starts, not with
this module, so that `--help` answers at once.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from custsim.experiments.cli import exit_on_help, fail, format_help
from custsim.experiments.findings import finding_titles

PROG = "custsim-findings"
DESCRIPTION = """
Run the named experiments that reproduce published findings of pricing, loyalty and social
influence research (each a setting, conf/experiment/<name>.yaml, its analysis settings,
conf/finding/<name>.yaml, and its analysis module), compare custsim's numbers,
with 95% confidence intervals across seeds, with the published ones, and write the findings
report.
"""
OPTIONS = (
    ("NAME ...", "the findings to run (default: all, in report order; listed below)"),
    (
        "--fast",
        "each finding's fast-test size (its finding.fast overrides: fewer customers and "
        "seeds, seconds each); its checks are the ones that hold at that size",
    ),
    ("--out DIR", "the report directory (default: findings)"),
    ("--jobs N", "local processes (default: 2)"),
    ("--set KEY=VALUE", "a custsim config override for every arm; repeatable"),
    ("-h, --help", "this help"),
)
EXAMPLES = (
    ("custsim-findings --fast goal_gradient", "one finding at its fast-test size (seconds)"),
    ("custsim-findings framing goal_gradient", "two findings at full size, added to the report"),
    (
        "custsim-findings --set population.size=5000 --jobs 4 reference_asymmetry",
        "a finding with fewer customers, on 4 processes",
    ),
)
NOTES = (
    "Outputs, per finding, in DIR/<name>/: checks.csv (published vs custsim, 95% CI, pass or "
    "fail), details.parquet (the numbers behind the figure), figure.png and finding.json (its "
    "section of the report). DIR/report.md lists every finding recorded in DIR: a run adds or "
    "replaces the sections of the findings it ran and keeps the others.",
    "Exit status: 0 when every check of the findings run passed, 1 when one failed, 2 on bad "
    "input (an unknown finding or config override).",
)


def help_text() -> str:
    """What the command does, its options, the findings (name: title), examples and outputs."""
    text = format_help(
        f"{PROG} [--fast] [--out DIR] [--jobs N] [--set KEY=VALUE ...] [NAME ...]",
        DESCRIPTION,
        OPTIONS,
        EXAMPLES,
        NOTES,
        groups=False,
        hydra=False,
    )
    titles = finding_titles()
    width = max(map(len, titles))
    rows = [f"  {name.ljust(width)}  {title}" for name, title in titles.items()]
    findings = "\n".join(["Findings (NAME), in report order:", *rows, "", "Examples:"])
    return text.replace("Examples:", findings, 1)


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """The command line (`--help` prints `help_text` and exits)."""
    exit_on_help(argv, help_text)
    parser = argparse.ArgumentParser(prog=PROG, add_help=False)
    parser.add_argument("names", nargs="*")
    parser.add_argument("--fast", action="store_true")
    parser.add_argument("--out", type=Path, default=Path("findings"))
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    """Run the findings, write the report, print the table; exit 1 if a check failed."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    titles = finding_titles()
    unknown = [n for n in args.names if n not in titles]
    if unknown:
        fail(f"unknown finding {unknown[0]!r}: must be one of: {', '.join(titles)}", PROG, "")
    from tqdm import tqdm  # the engine and the analyses: imported on running, not for --help

    from custsim.experiments.findings import records
    from custsim.sim import results
    from custsim.sim.config import ConfigError

    found = []
    for name in tqdm(args.names or list(titles), desc="findings", unit="finding"):
        try:
            result = records.run_finding(name, args.fast, args.set, args.jobs)
        except ConfigError as err:
            fail(err, f"{PROG}: {name}")
        records.write_finding(result, args.out)
        found.append(result)
    recorded = records.recorded_findings(args.out, list(titles))
    results.write_text(records.report_markdown(recorded), args.out / "report.md")
    print(records.format_table(found))
    print(f"report: {args.out / 'report.md'}")
    sys.exit(0 if all(r.passed for r in found) else 1)


if __name__ == "__main__":
    main()
