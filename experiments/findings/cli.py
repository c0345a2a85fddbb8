"""`custsim-findings`: run the named experiments and write the findings report.

custsim-findings                          # every finding, full size
custsim-findings --fast goal_gradient     # one finding at its fast-test size
custsim-findings --set population.size=5000 reference_asymmetry

For each finding it writes `<out>/<name>/`: `checks.csv` (published vs custsim
values, 95% CIs, pass/fail), `details.parquet` (the numbers behind the figure)
and `figure.png`; then `<out>/report.md` with the table and every figure.
Exits 1 when a check fails, 2 on bad input.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from tqdm import tqdm

from experiments.findings import finding_modules
from sim import results
from sim.config import ConfigError
from sim.findings import Experiment, FindingResult

PROG = "custsim-findings"


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*", help="findings to run (default: all)")
    parser.add_argument("--fast", action="store_true", help="the fast-test size (seconds each)")
    parser.add_argument("--out", type=Path, default=Path("findings"), help="report directory")
    parser.add_argument("--jobs", type=int, default=2, help="local processes (default 2)")
    parser.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="config override"
    )
    return parser.parse_args(argv)


def run_finding(
    name: str, fast: bool = False, overrides: Sequence[str] = (), n_jobs: int = 1
) -> FindingResult:
    """Run one named experiment and return what it found."""
    module = finding_modules()[name]
    start = time.perf_counter()
    result = module.run(Experiment(name, fast, tuple(overrides), n_jobs))
    result.seconds = time.perf_counter() - start
    return result


def write_finding(result: FindingResult, out: Path) -> Path | None:
    """checks.csv, details.parquet and figure.png of one finding; the figure's path."""
    folder = out / result.name
    results.write_text(result.checks_frame().to_csv(index=False), folder / "checks.csv")
    results.write_parquet(result.table, folder / "details.parquet")
    return result.plot(folder / "figure.png") if result.plot is not None else None


def _number(value: float) -> str:
    return "n/a" if pd.isna(value) else f"{value:.3g}"


def report_markdown(found: Sequence[FindingResult], fast: bool) -> str:
    """report.md: the table of every check, then each finding's figure."""
    size = "fast-test size" if fast else "full size"
    lines = [
        "# custsim findings report",
        "",
        f"{sum(r.passed for r in found)} of {len(found)} findings reproduced ({size}).",
        "",
        "| finding | metric | published | custsim (95% CI) | criterion | result |",
        "|---|---|---|---|---|---|",
    ]
    for r in found:
        for c in r.checks:
            ci = f"{_number(c.value)} [{_number(c.ci_low)}, {_number(c.ci_high)}]"
            verdict = "pass" if c.passed else "**fail**"
            cells = (r.title, c.metric, c.published, ci, c.criterion, verdict)
            lines.append("| " + " | ".join(cells) + " |")
    for r in found:
        lines += ["", f"## {r.title}", "", r.citation, ""]
        lines += [f"- {note}" for note in r.notes]
        lines += ["", f"![{r.title}]({r.name}/figure.png)", f"({r.seconds:.0f} s)"]
    return "\n".join(lines) + "\n"


def format_table(found: Sequence[FindingResult]) -> str:
    """The checks on screen: finding, metric, custsim value [CI], published, pass/fail."""
    rows = []
    for r in found:
        for c in r.checks:
            ci = f"{_number(c.value)} [{_number(c.ci_low)}, {_number(c.ci_high)}]"
            rows.append((r.name, c.metric, ci, c.published, "pass" if c.passed else "FAIL"))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row[:4], widths, strict=True)) + "  " + row[4]
        for row in rows
    )


def bad_input(message: str) -> None:
    """One line on stderr, exit status 2."""
    print(f"{PROG}: {message}", file=sys.stderr)
    sys.exit(2)


def main(argv: Sequence[str] | None = None) -> None:
    """Run the findings, write the report, print the table; exit 1 if a check failed."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    modules = finding_modules()
    unknown = [n for n in args.names if n not in modules]
    if unknown:
        allowed = ", ".join(modules)
        bad_input(f"unknown finding {unknown[0]!r}: must be one of: {allowed}")
    found = []
    for name in tqdm(args.names or list(modules), desc="findings", unit="finding"):
        try:
            result = run_finding(name, args.fast, args.set, args.jobs)
        except ConfigError as err:
            bad_input(f"{name}: config error: {str(err).splitlines()[0]}")
        write_finding(result, args.out)
        found.append(result)
    results.write_text(report_markdown(found, args.fast), args.out / "report.md")
    print(format_table(found))
    print(f"report: {args.out / 'report.md'}")
    sys.exit(0 if all(r.passed for r in found) else 1)


if __name__ == "__main__":
    main()
