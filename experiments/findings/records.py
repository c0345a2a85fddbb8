"""A finding's run and its record: the files of `<out>/<name>/` and the report built from them.

`run_finding` runs one analysis; `write_finding` writes its folder: `checks.csv`
(published vs custsim values, 95% CIs, pass/fail), `details.parquet` (the
numbers behind the figure), `figure.png` and `finding.json` (its section of the
report: title, citation, notes, size, time, checks). `report_markdown` builds
`report.md` from the records of every finding in `<out>` (`recorded_findings`),
so the report accumulates finding by finding and a rerun replaces only that
finding's section.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from custsim.experiments.findings import finding_modules
from custsim.experiments.findings.framework import Check, Experiment, FindingResult
from custsim.sim import results

RECORD = "finding.json"  # a finding's section of the report, in its folder


def run_finding(
    name: str, fast: bool = False, overrides: Sequence[str] = (), n_jobs: int = 1
) -> FindingResult:
    """Run one named experiment and return what it found."""
    module = finding_modules()[name]
    start = time.perf_counter()
    result = module.run(Experiment(name, fast, tuple(overrides), n_jobs))
    result.seconds = time.perf_counter() - start
    result.fast = fast
    return result


def write_finding(result: FindingResult, out: Path) -> Path | None:
    """checks.csv, details.parquet, figure.png and finding.json of one finding; the figure."""
    folder = out / result.name
    results.write_text(result.checks_frame().to_csv(index=False), folder / "checks.csv")
    results.write_parquet(result.table, folder / "details.parquet")
    results.write_json(record(result), folder / RECORD)
    return result.plot(folder / "figure.png") if result.plot is not None else None


def _finite(value: float) -> float | None:
    return None if math.isnan(value) else value


def record(result: FindingResult) -> dict[str, Any]:
    """What the report shows of a finding (finding.json; NaN written as null)."""
    checks = [
        {**c.as_row(), **{k: _finite(getattr(c, k)) for k in ("value", "ci_low", "ci_high")}}
        for c in result.checks
    ]
    keys = ("name", "title", "citation", "notes", "seconds", "fast")
    return {**{k: getattr(result, k) for k in keys}, "checks": checks}


def from_record(data: dict[str, Any]) -> FindingResult:
    """The finding a finding.json describes (no table, no figure function)."""
    nan = {k: math.nan for k in ("value", "ci_low", "ci_high")}
    checks = [
        Check(**{**c, **{k: v for k, v in nan.items() if c[k] is None}}) for c in data["checks"]
    ]
    keys = ("name", "title", "citation", "notes", "seconds", "fast")
    return FindingResult(**{k: data[k] for k in keys}, checks=checks, table=pd.DataFrame())


def recorded_findings(out: Path, names: Sequence[str]) -> list[FindingResult]:
    """The findings among `names` recorded in `out` (their finding.json), in that order."""
    paths = [out / name / RECORD for name in names]
    return [from_record(json.loads(p.read_text())) for p in paths if p.is_file()]


def _number(value: float) -> str:
    return "n/a" if pd.isna(value) else f"{value:.3g}"


def sizes(found: Sequence[FindingResult]) -> str:
    """'fast-test size', 'full size', or how many findings ran at each."""
    fast = sum(r.fast for r in found)
    if fast in (0, len(found)):
        return "fast-test size" if fast else "full size"
    return f"{len(found) - fast} at full size, {fast} at the fast-test size"


def report_markdown(found: Sequence[FindingResult]) -> str:
    """report.md: the table of every check, then each finding's section and figure."""
    lines = [
        "# custsim findings report",
        "",
        f"{sum(r.passed for r in found)} of {len(found)} findings reproduced ({sizes(found)}).",
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
        size = "fast-test size" if r.fast else "full size"
        lines += ["", f"![{r.title}]({r.name}/figure.png)", f"({size}, {r.seconds:.0f} s)"]
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
