"""The real `custsim` command: outputs on disk, printed summary, bad input, installed package."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

VENV_BIN = Path(sys.executable).parent
SMALL = ["population.size=1500", "steps=40"]


def custsim(*args: str, cwd: Path, exe: str | None = None) -> subprocess.CompletedProcess:
    cmd = [exe or str(VENV_BIN / "custsim"), *args]
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=300)


def test_default_run_writes_every_result(tmp_path):
    out = tmp_path / "run"
    proc = custsim(*SMALL, "policy=hi_lo", f"hydra.run.dir={out}", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "firm" in proc.stdout and "retention" in proc.stdout
    assert f"results: {out}" in proc.stdout
    for name in ("config.yaml", "kpis.json", "timeseries.parquet", "customers.parquet"):
        assert (out / name).is_file(), name
    assert sorted(p.name for p in (out / "plots").glob("*.png")) == [
        "active_customers.png",
        "reference_price.png",
        "sales_share.png",
    ]

    kpis = json.loads((out / "kpis.json").read_text())
    assert set(kpis["firms"]) == {"A", "B", "C"}
    assert {
        "revenue",
        "margin",
        "units",
        "unit_share",
        "repeat_rate",
        "retention",
        "clv_per_customer",
    } <= set(kpis["firms"]["A"])
    assert {"active_at_end", "retention", "repeat_purchase_rate", "mean_clv"} <= set(
        kpis["customers"]
    )

    ts = pd.read_parquet(out / "timeseries.parquet")
    assert len(ts) == 40 * 3
    assert ts.loc[ts.firm == "A", "promo"].any() and not ts.loc[ts.firm == "B", "promo"].any()
    cust = pd.read_parquet(out / "customers.parquet")
    assert len(cust) == 1500
    assert {
        "segment",
        "first_purchase_day",
        "last_purchase_day",
        "purchases",
        "spend",
        "churned",
        "reference_price_A",
    } <= set(cust.columns)
    assert set(cust.segment.unique()) == {
        "balanced",
        "price_sensitive",
        "deal_seeker",
        "brand_loyal",
    }
    # the KPI table's units equal the timeseries' units
    assert kpis["firms"]["A"]["units"] == ts.loc[ts.firm == "A", "units"].sum()


def test_python_dash_m_entry_point(tmp_path):
    out = tmp_path / "run"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "custsim.experiments.run",
            *SMALL,
            "plots=false",
            f"hydra.run.dir={out}",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert (out / "kpis.json").is_file() and not (out / "plots").exists()


@pytest.mark.parametrize(
    "override,key",
    [
        ("population.size=-3", "population.size=-3"),
        ("population.size=abc", "population.size=abc"),
        ("steps=0", "steps=0"),
        ("network=lattice", "network=lattice"),
        ("network.kind=lattice", "network.kind='lattice'"),
        ("populaton.size=5", "populaton.size=5"),
        ("population.segments.balanced.loss_aversion.mean=-1", "loss_aversion.mean=-1.0"),
        ("population.segments.deal_seeker.dropout.mean=1.2", "dropout.mean=1.2"),
    ],
)
def test_bad_input_fails_before_running_with_one_line(tmp_path, override, key):
    out = tmp_path / "run"
    proc = custsim(override, f"hydra.run.dir={out}", cwd=tmp_path)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("custsim: config error: ") and key in lines[0]
    assert not out.exists()  # nothing written that could pass for results


def test_installed_package_ships_its_configs(tmp_path):
    """A regular (non-editable) install runs from any directory: conf/ is package data."""
    repo = Path(__file__).resolve().parent.parent
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(target),
            str(repo),
        ],
        check=True,
        timeout=300,
        capture_output=True,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target)}
    code = (
        "import custsim.conf as conf, sys;"
        "assert conf.__file__.startswith(sys.argv[1]), conf.__file__;"
        "sys.argv = ['custsim'] + sys.argv[2:];"
        "from custsim.experiments.run import main; main()"
    )
    out = tmp_path / "run"
    proc = subprocess.run(
        [sys.executable, "-c", code, str(target), *SMALL, "plots=false", f"hydra.run.dir={out}"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert (out / "kpis.json").is_file()
