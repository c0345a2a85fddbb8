"""Hydra multiruns of the real `custsim` command: status files, resume, aggregation, report."""

import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from custsim.experiments.sweeps.aggregate import mean_ci
from custsim.experiments.sweeps.job import is_complete, write_status
from custsim.sim.compose import compose_config
from custsim.sim.faults import FAIL_ON_SEED_ENV
from custsim.sim.runner import simulate

VENV_BIN = Path(sys.executable).parent
SMALL = ["population.size=500", "steps=20", "plots=false"]


def run(
    exe: str, *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    cmd = [str(VENV_BIN / exe), *args]
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def sweep(
    sweep_dir: Path,
    *args: str,
    base: list[str] = SMALL,
    status: int = 0,
    fail_on_seed: int | None = None,
) -> subprocess.CompletedProcess:
    """`custsim -m ARGS BASE`; with `fail_on_seed`, that seed's job fails (the test hook)."""
    args = (*args, *base, f"hydra.sweep.dir={sweep_dir}")
    env = None if fail_on_seed is None else {**os.environ, FAIL_ON_SEED_ENV: str(fail_on_seed)}
    proc = run("custsim", "-m", *args, cwd=sweep_dir.parent, env=env)
    assert proc.returncode == status, proc.stderr
    return proc


def job_dir(sweep_dir: Path, seed: int) -> Path:
    (found,) = [p for p in sweep_dir.iterdir() if p.is_dir() and f"seed={seed}," in p.name]
    return found


def test_multirun_writes_status_aggregates_and_report_rebuilds(tmp_path):
    sweep_dir = tmp_path / "sweep"
    proc = sweep(sweep_dir, "policy=none,hi_lo", "seed=0,1")
    assert "[sweep] 1/4 done, 0 failed" in proc.stderr
    assert "[sweep] 4/4 done, 0 failed" in proc.stderr

    res = pd.read_parquet(sweep_dir / "results.parquet")
    assert len(res) == 4
    assert list(res.columns[:6]) == ["job", "status", "error", "seed", "wall_seconds", "job_num"]
    assert {"policy", "population.size", "steps", "plots", "focal_firm"} <= set(res.columns)
    assert {"firm.A.revenue", "firm.C.margin", "customers.mean_clv"} <= set(res.columns)
    assert (res.status == "ok").all() and res.error.isna().all()
    assert sorted(res.seed) == [0, 0, 1, 1]
    assert sorted(res.policy) == ["hi_lo", "hi_lo", "none", "none"]
    assert res["firm.A.revenue"].gt(0).all()
    for row in res.itertuples():
        status = json.loads((sweep_dir / row.job / "status.json").read_text())
        assert status["status"] == "ok" and status["error"] is None
        assert status["seed"] == row.seed and f"seed={row.seed}" in status["overrides"]
        kpis = json.loads((sweep_dir / row.job / "kpis.json").read_text())
        assert kpis["firms"]["B"]["units"] == res.loc[res.job == row.job, "firm.B.units"].item()

    summary = pd.read_csv(sweep_dir / "summary.csv")
    assert sorted(summary.policy) == ["hi_lo", "none"]
    assert (summary.n_ok == 2).all() and (summary.n_jobs == 2).all()
    lo, mean, hi = (summary[f"firm.A.revenue.{s}"] for s in ("ci_low", "mean", "ci_high"))
    assert (lo < mean).all() and (mean < hi).all()
    hi_lo = res[res.policy == "hi_lo"]["firm.A.units"]
    expected = mean_ci(hi_lo)
    got = summary.loc[summary.policy == "hi_lo", ["firm.A.units.mean", "firm.A.units.ci_low"]]
    assert got.iloc[0].tolist() == pytest.approx(expected[:2])

    ts = pd.read_parquet(sweep_dir / "timeseries.parquet")
    assert len(ts) == 4 * 20 * 3 and ts.columns[0] == "job"
    assert set(ts.job) == set(res.job)
    assert (sweep_dir / "failed.csv").read_text().strip() == "job,status,error,seed,overrides"
    assert (sweep_dir / "plots" / "summary.png").read_bytes()[:4] == b"\x89PNG"

    # custsim-report rebuilds the same tables from the stored job results
    before = {n: (sweep_dir / n).read_bytes() for n in ("summary.csv", "failed.csv")}
    results_before = pd.read_parquet(sweep_dir / "results.parquet")
    for name in ("results.parquet", "summary.csv", "failed.csv", "timeseries.parquet"):
        (sweep_dir / name).unlink()
    proc = run("custsim-report", str(sweep_dir), cwd=sweep_dir.parent)
    assert proc.returncode == 0, proc.stderr
    pd.testing.assert_frame_equal(pd.read_parquet(sweep_dir / "results.parquet"), results_before)
    assert {n: (sweep_dir / n).read_bytes() for n in before} == before
    assert len(pd.read_parquet(sweep_dir / "timeseries.parquet")) == 4 * 20 * 3
    assert "policy=hi_lo" in proc.stdout and "policy=none" in proc.stdout
    assert "4 jobs, 4 ok, 0 failed" in proc.stdout

    missing = run("custsim-report", str(sweep_dir / "nope"), cwd=sweep_dir.parent)
    assert missing.returncode == 2 and "not a directory" in missing.stderr


def test_failed_job_is_recorded_and_rerun_on_resume(tmp_path):
    sweep_dir = tmp_path / "sweep"
    proc = sweep(sweep_dir, "seed=0,1,2", status=1, fail_on_seed=1)  # a job failed: exit 1
    assert "[sweep] 3/3 done, 1 failed" in proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == (
        f"custsim: 1 of 3 jobs failed: {sweep_dir / 'failed.csv'}"
    )
    res = pd.read_parquet(sweep_dir / "results.parquet")
    assert sorted(res.status) == ["failed", "ok", "ok"]
    bad = res[res.status == "failed"].iloc[0]
    assert bad.seed == 1 and bad.error.startswith("RuntimeError: CUSTSIM_FAIL_ON_SEED=1")
    assert math.isnan(bad["firm.A.revenue"])
    assert res[res.status == "ok"]["firm.A.revenue"].notna().all()
    failed = pd.read_csv(sweep_dir / "failed.csv")
    assert failed.seed.tolist() == [1] and "injected failure" in failed.error[0]
    assert not (job_dir(sweep_dir, 1) / "kpis.json").exists()
    assert (job_dir(sweep_dir, 1) / "error.txt").read_text().startswith("Traceback")
    ok_mtimes = {s: (job_dir(sweep_dir, s) / "kpis.json").stat().st_mtime_ns for s in (0, 2)}

    proc = sweep(sweep_dir, "seed=0,1,2")  # same sweep, failure hook off
    assert proc.stdout.count("skipped (complete)") == 2
    assert {s: (job_dir(sweep_dir, s) / "kpis.json").stat().st_mtime_ns for s in (0, 2)} == (
        ok_mtimes
    )
    assert json.loads((job_dir(sweep_dir, 1) / "status.json").read_text())["status"] == "ok"
    assert len(list(sweep_dir.glob("*seed=*"))) == 3  # the rerun reused the job directories
    res = pd.read_parquet(sweep_dir / "results.parquet")
    assert (res.status == "ok").sum() == 3 and len(res) == 3
    summary = pd.read_csv(sweep_dir / "summary.csv")
    assert summary.n_ok.tolist() == [3]
    assert len(pd.read_csv(sweep_dir / "failed.csv")) == 0


def test_bad_config_value_in_a_sweep_is_a_failed_job(tmp_path):
    sweep_dir = tmp_path / "sweep"
    base = ["population.size=500", "plots=false"]
    proc = sweep(sweep_dir, "steps=20,0", base=base, status=1)
    assert "[sweep] 2/2 done, 1 failed" in proc.stderr
    res = pd.read_parquet(sweep_dir / "results.parquet").set_index("steps")
    assert res.loc["20", "status"] == "ok"
    assert res.loc["0", "status"] == "failed"
    assert res.loc["0", "error"] == "ConfigError: steps=0: must be >= 1"
    assert len(pd.read_csv(sweep_dir / "failed.csv")) == 1


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory) -> Path:
    """A real tiny run's result files (no status.json)."""
    out = tmp_path_factory.mktemp("run")
    simulate(compose_config(["population.size=50", "steps=5", "plots=false"]), out)
    return out


def test_resume_needs_ok_status_kpis_and_the_same_overrides(finished_run, tmp_path):
    overrides = ["seed=1", "steps=5", "progress=off"]
    assert not is_complete(tmp_path, overrides)
    write_status(tmp_path, error=None, overrides=overrides, seed=1, wall_seconds=1.0, job_num=0)
    assert not is_complete(tmp_path, overrides)  # no kpis.json
    (tmp_path / "kpis.json").write_text("{}")
    assert not is_complete(tmp_path, overrides)  # no result files that read back
    for name in ("kpis.json", "config.yaml", "timeseries.parquet", "customers.parquet"):
        shutil.copy(finished_run / name, tmp_path / name)
    assert is_complete(tmp_path, overrides)
    assert is_complete(tmp_path, ["steps=5", "seed=1"])  # testing/display keys do not count
    assert not is_complete(tmp_path, ["seed=1", "steps=30"])
    write_status(
        tmp_path, error=RuntimeError("x"), overrides=overrides, seed=1, wall_seconds=1, job_num=0
    )
    assert not is_complete(tmp_path, overrides)
    assert json.loads((tmp_path / "status.json").read_text())["error"] == "RuntimeError: x"


def test_mean_ci_is_a_t_interval():
    mean, lo, hi = mean_ci(pd.Series([1.0, 2.0, 3.0, float("nan")]))
    assert mean == 2.0
    assert hi - mean == mean - lo == pytest.approx(4.302652729911275 / math.sqrt(3))
    assert math.isnan(mean_ci(pd.Series([5.0]))[1])


def test_each_jobs_config_is_composed_once_and_handed_out_as_copies():
    from omegaconf import OmegaConf

    from custsim.experiments.sweeps.launch import ComposeOnce

    calls = []

    def load(master, overrides):
        calls.append(tuple(overrides))
        return OmegaConf.create({"seed": int(overrides[0].split("=")[1]), "hydra": {"job": {}}})

    master = OmegaConf.create({})
    cached = ComposeOnce(load)
    first = cached(master, ["seed=1"])
    first.hydra.job.num = 7  # a launcher writes its bookkeeping into what it gets
    second = cached(master, ["seed=1"])
    assert calls == [("seed=1",)] and second.seed == 1 and "num" not in second.hydra.job
    assert cached(master, ["seed=2"]).seed == 2 and calls == [("seed=1",), ("seed=2",)]


def test_the_keys_that_do_not_change_results_are_the_same_for_naming_and_tables():
    import yaml

    from custsim.experiments.sweeps.job import IGNORED_KEYS

    root = yaml.safe_load((Path(__file__).parent.parent / "conf" / "config.yaml").read_text())
    naming = root["hydra"]["job"]["config"]["override_dirname"]["exclude_keys"]
    assert sorted(naming) == sorted(IGNORED_KEYS) == ["progress", "sweep", "threads"]
