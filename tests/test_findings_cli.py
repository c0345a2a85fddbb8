"""`custsim-findings`: the real command writes checks, details, figures and the report."""

import subprocess
import sys
from pathlib import Path

import pandas as pd

from experiments.findings import finding_modules

VENV_BIN = Path(sys.executable).parent


def findings_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    exe = str(VENV_BIN / "custsim-findings")
    return subprocess.run([exe, *args], cwd=cwd, capture_output=True, text=True, timeout=600)


def test_every_experiment_config_has_its_analysis():
    configs = Path(__file__).resolve().parent.parent / "conf" / "experiment"
    names = sorted(p.stem for p in configs.glob("*.yaml"))
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


def test_unknown_finding_names_the_choices(tmp_path):
    proc = findings_cli("goal_gradiant", cwd=tmp_path)
    assert proc.returncode == 2
    assert "unknown finding 'goal_gradiant': must be one of: reference_asymmetry" in proc.stderr
    assert not (tmp_path / "findings").exists()
