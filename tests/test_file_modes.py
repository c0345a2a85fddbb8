"""Result files get the permissions the umask gives (as Hydra's own files do), not 0600."""

import os
import stat
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from custsim.sim import results

VENV_BIN = Path(sys.executable).parent


@pytest.fixture
def umask():
    """`umask(mask)` sets the process umask for the test; the previous one comes back after."""
    saved = os.umask(0o022)
    yield os.umask
    os.umask(saved)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("mask", [0o022, 0o027, 0o002])
def test_atomic_writes_honour_the_umask(tmp_path, umask, mask):
    umask(mask)
    written = [
        results.write_text("x\n", tmp_path / "a.txt"),
        results.write_json({"a": 1}, tmp_path / "kpis.json"),
        results.write_parquet(pd.DataFrame({"a": [1, 2]}), tmp_path / "sub" / "t.parquet"),
    ]
    for path in written:
        assert mode(path) == 0o666 & ~mask, path
    assert not list(tmp_path.rglob("*.tmp"))


def test_a_failed_write_leaves_no_temporary_file(tmp_path):
    def boom(tmp: Path) -> None:
        tmp.write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        results.write_atomic(tmp_path / "x.parquet", boom)
    assert list(tmp_path.iterdir()) == []


def test_a_run_writes_its_results_like_hydra_writes_its_files(tmp_path):
    out = tmp_path / "run"
    cmd = [str(VENV_BIN / "custsim"), "population.size=300", "steps=5", f"hydra.run.dir={out}"]
    proc = subprocess.run(
        cmd,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=lambda: os.umask(0o022),
    )
    assert proc.returncode == 0, proc.stderr
    assert mode(out / ".hydra" / "config.yaml") == 0o644  # Hydra's
    for name in ("config.yaml", "kpis.json", "timeseries.parquet", "customers.parquet"):
        assert mode(out / name) == 0o644, name
    assert all(mode(p) == 0o644 for p in (out / "plots").glob("*.png"))
