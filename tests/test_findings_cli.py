"""`custsim-findings`: the real command writes checks, details, figures and the report."""

import math
import subprocess
import sys
from pathlib import Path

import pandas as pd

from custsim.experiments.findings import finding_modules
from custsim.experiments.findings.framework import Check, FindingResult
from custsim.experiments.findings.records import recorded_findings, report_markdown, write_finding

VENV_BIN = Path(sys.executable).parent


def findings_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    exe = str(VENV_BIN / "custsim-findings")
    return subprocess.run([exe, *args], cwd=cwd, capture_output=True, text=True, timeout=600)


def test_every_experiment_config_has_its_analysis():
    configs = Path(__file__).resolve().parent.parent / "conf" / "experiment"
    # a classroom exercise is a setting with no published finding to check
    classroom = {"crm_classroom"}
    names = sorted(p.stem for p in configs.glob("*.yaml") if p.stem not in classroom)
    modules = finding_modules()
    assert sorted(modules) == names
    assert [m.NUMBER for m in modules.values()] == list(range(1, len(names) + 1))


def test_fast_run_writes_the_report(tmp_path):
    proc = findings_cli("--fast", "--jobs", "1", "coupon_expiry", "--out", "report", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "report"
    checks = pd.read_csv(out / "coupon_expiry" / "checks.csv")
    assert list(checks.columns) == [
        "finding", "metric", "published", "value", "ci_low", "ci_high", "criterion", "passed",
    ]  # fmt: skip
    assert checks["passed"].all() and len(checks) >= 2
    assert len(pd.read_parquet(out / "coupon_expiry" / "details.parquet")) > 0
    assert (out / "coupon_expiry" / "figure.png").read_bytes()[:4] == b"\x89PNG"
    report = (out / "report.md").read_text()
    assert "1 of 1 findings reproduced (fast-test size)" in report
    assert "](coupon_expiry/figure.png)" in report
    assert proc.stdout.strip().splitlines()[-1] == "report: report/report.md"
    # a second call adds its finding to the report and keeps the first one's
    proc = findings_cli(
        "--fast", "--jobs", "1", "churn_heterogeneity", "--out", "report", cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split()[0] == "churn_heterogeneity"  # the screen: this call's findings
    report = (out / "report.md").read_text()
    assert "2 of 2 findings reproduced (fast-test size)" in report
    assert "](coupon_expiry/figure.png)" in report and "](churn_heterogeneity/figure.png)" in report
    assert report.index("## Coupon expiry") < report.index("## Heterogeneous churn")


def test_unknown_finding_names_the_choices(tmp_path):
    proc = findings_cli("goal_gradiant", cwd=tmp_path)
    assert proc.returncode == 2
    assert "unknown finding 'goal_gradiant': must be one of: reference_asymmetry" in proc.stderr
    assert not (tmp_path / "findings").exists()


def test_help_says_what_it_does_and_lists_the_findings(tmp_path):
    proc = findings_cli("--help", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    assert text.startswith("usage: custsim-findings ")
    assert "reproduce published findings" in text
    for option in ("--fast", "--out DIR", "--jobs N", "--set KEY=VALUE"):
        assert f"\n  {option} " in text, option
    listed = text.split("Findings (NAME), in report order:\n")[1].split("\n\n")[0].splitlines()
    modules = finding_modules()
    assert [line.split()[0] for line in listed] == list(modules)
    for line, module in zip(listed, modules.values(), strict=True):
        assert line.endswith(module.TITLE)
    examples = text.split("Examples:\n")[1].split("\n\n")[0]
    assert examples.count("\n  custsim-findings ") + examples.startswith("  custsim-") >= 3
    assert "_schema" not in text and "defaults:" not in text and "_target_" not in text
    assert len(text.splitlines()) < 60
    assert not (tmp_path / "findings").exists()


def test_help_imports_no_engine():
    code = "import sys, experiments.findings.cli; print('custsim.sim.runner' in sys.modules)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.stdout.strip() == "False", proc.stderr


def fake_finding(name: str, value: float, passed: bool = True) -> FindingResult:
    check = Check("a metric", "1 (someone 2001)", value, math.nan, value + 1, "above 0", passed)
    table = pd.DataFrame({"x": [1.0]})
    return FindingResult(
        name, f"Title of {name}", "A citation", [check], table, notes=[f"v{value}"]
    )


def test_the_report_accumulates_finding_by_finding(tmp_path):
    names = list(finding_modules())
    for result in (fake_finding(names[7], 1.5), fake_finding(names[4], 2.5, passed=False)):
        write_finding(result, tmp_path)
    first = report_markdown(recorded_findings(tmp_path, names))
    assert "1 of 2 findings reproduced (full size)" in first
    assert first.index(f"## Title of {names[4]}") < first.index(f"## Title of {names[7]}")
    assert "| 1.5 [n/a, 2.5] |" in first  # a NaN bound survives the record
    rerun = fake_finding(names[7], 9.5)
    rerun.fast = True
    write_finding(rerun, tmp_path)
    second = report_markdown(recorded_findings(tmp_path, names))
    assert "1 of 2 findings reproduced (1 at full size, 1 at the fast-test size)" in second
    assert second.count(f"## Title of {names[7]}") == 1 and "- v9.5" in second
    assert "- v1.5" not in second and "| 1.5 [" not in second

    def kept(report: str) -> str:  # the other finding's section and its row
        section = report.split(f"## Title of {names[4]}")[1].split("## ")[0]
        return section + next(row for row in report.splitlines() if f"{names[4]} |" in row)

    assert kept(second) == kept(first)
    stale = tmp_path / "not_a_finding"
    write_finding(fake_finding("not_a_finding", 3.0), tmp_path)
    assert stale.exists() and "not_a_finding" not in report_markdown(
        recorded_findings(tmp_path, names)
    )
