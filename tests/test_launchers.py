"""Sweep launchers and job planning: same bytes on every launcher, plans that never abort."""

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from custsim.experiments.sweeps.plan import plan_jobs
from custsim.experiments.sweeps.progress import PROGRESS_FILE, read_records, record_job
from custsim.sim.compose import compose_raw
from custsim.sim.config import ConfigError

VENV_BIN = Path(sys.executable).parent
SMALL = ["population.size=400", "steps=15", "plots=false"]
TIMING = ["wall_seconds", "job_num"]  # differ between launchers by nature
RATES, SEEDS = (0.5, 2.0), (0, 1)


def custsim(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    cmd = [str(VENV_BIN / "custsim"), *args]
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=600)


def launch(sweep_dir: Path, launcher: str, *args: str) -> subprocess.CompletedProcess:
    args = ("-m", f"hydra/launcher={launcher}", *args, *SMALL, f"hydra.sweep.dir={sweep_dir}")
    proc = custsim(*args, cwd=sweep_dir.parent)
    assert proc.returncode == 0, proc.stderr
    return proc


def assert_same_results(first: Path, second: Path) -> None:
    """Every job's files and the sweep tables hold the same contents (timings aside)."""
    jobs = sorted(p.name for p in first.iterdir() if (p / "status.json").is_file())
    assert jobs == sorted(p.name for p in second.iterdir() if (p / "status.json").is_file())
    for job in jobs:
        for name in ("timeseries.parquet", "customers.parquet"):
            pd.testing.assert_frame_equal(
                pd.read_parquet(first / job / name), pd.read_parquet(second / job / name)
            )
        kpis = [json.loads((d / job / "kpis.json").read_text()) for d in (first, second)]
        for k in kpis:
            k.pop("seconds", None)
        assert kpis[0] == kpis[1]
    tables = [pd.read_parquet(d / "results.parquet").drop(columns=TIMING) for d in (first, second)]
    pd.testing.assert_frame_equal(tables[0], tables[1])
    pd.testing.assert_frame_equal(
        pd.read_parquet(first / "timeseries.parquet"),
        pd.read_parquet(second / "timeseries.parquet"),
    )


@pytest.fixture(scope="module")
def basic_sweep(tmp_path_factory) -> Path:
    sweep_dir = tmp_path_factory.mktemp("basic") / "sweep"
    launch(sweep_dir, "basic", "policy=none,hi_lo", "seed=0,1")
    return sweep_dir


def test_local_joblib_and_basic_launchers_give_identical_results(basic_sweep, tmp_path):
    local = tmp_path / "local"
    proc = launch(local, "local", "policy=none,hi_lo", "seed=0,1")
    assert re.search(r"custsim launcher: 4 jobs on \d+ forked workers", proc.stdout)
    assert_same_results(basic_sweep, local)
    joblib = tmp_path / "joblib"
    proc = launch(joblib, "joblib", "policy=none,hi_lo", "seed=0,1")
    assert "Joblib.Parallel(n_jobs=-1" in proc.stdout
    assert_same_results(basic_sweep, joblib)


def test_the_default_launcher_forks_workers_on_local_cores(tmp_path):
    proc = custsim("-m", "seed=0,1,2", *SMALL, f"hydra.sweep.dir={tmp_path / 's'}", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"custsim launcher: 3 jobs on \d+ forked workers", proc.stdout)


def test_a_bad_worker_count_is_one_line(tmp_path):
    proc = custsim(
        "-m",
        "seed=0,1",
        "hydra.launcher.n_jobs=0",
        *SMALL,
        f"hydra.sweep.dir={tmp_path / 's'}",
        cwd=tmp_path,
    )
    assert proc.returncode == 1
    assert "hydra.launcher.n_jobs=0: must be -1 (one per core) or >= 1" in proc.stderr


@pytest.mark.skipif(
    importlib.util.find_spec("hydra_plugins.hydra_ray_launcher") is None,
    reason='Ray launcher not installed (pip install "custsim[ray]")',
)
def test_ray_on_a_local_instance_gives_identical_results(basic_sweep, tmp_path):
    ray_dir = tmp_path / "ray"
    launch(ray_dir, "ray_cluster", "policy=none,hi_lo", "seed=0,1")
    assert_same_results(basic_sweep, ray_dir)


# ---------------------------------------------------------------- planning


def test_plan_leaves_out_overrides_a_job_lacks_and_runs_duplicates_once():
    batch = [
        [f"policy={p}", f"policy.earn_rate={r}", f"seed={s}"]
        for p in ("none", "loyalty_points")
        for r in RATES
        for s in SEEDS
    ]
    plan = plan_jobs(batch, compose_raw)
    assert plan.jobs == [
        ["policy=none", "seed=0"],
        ["policy=none", "seed=1"],
        *[
            ["policy=loyalty_points", f"policy.earn_rate={r}", f"seed={s}"]
            for r in RATES
            for s in SEEDS
        ],
    ]
    assert plan.dropped == {"policy.earn_rate": 4} and plan.duplicates == 2 and not plan.failed


def test_plan_records_uncomposable_jobs_and_keeps_the_rest():
    batch = [["population.size=300"], ["population.size=lots"]]
    plan = plan_jobs(batch, compose_raw)
    assert plan.jobs == [["population.size=300"]]
    ((overrides, error),) = plan.failed
    assert overrides == ["population.size=lots"] and "population.size" in error


def test_plan_rejects_a_key_no_job_has():
    with pytest.raises(ConfigError, match=r"policy\.ern_rate: no job's config has this key"):
        plan_jobs([["policy=loyalty_points", "policy.ern_rate=1"]], compose_raw)


def test_the_issue_sweep_runs_with_a_baseline_that_lacks_the_swept_key(tmp_path):
    """policy=none,loyalty_points policy.earn_rate=...: 2 baseline + 4 points jobs, none failed."""
    sweep_dir = tmp_path / "sweep"
    grid = ["policy=none,loyalty_points", "policy.earn_rate=0.5,2.0", "seed=0,1"]
    proc = custsim("-m", *grid, *SMALL, f"hydra.sweep.dir={sweep_dir}", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "[sweep] policy.earn_rate: not in the config of 4 jobs, left out" in proc.stderr
    assert "[sweep] 6/6 done, 0 failed, 0 skipped" in proc.stderr
    res = pd.read_parquet(sweep_dir / "results.parquet")
    assert len(res) == 6 and (res.status == "ok").all()
    assert res.loc[res.policy == "none", "policy.earn_rate"].isna().all()
    summary = pd.read_csv(sweep_dir / "summary.csv")
    assert sorted(summary.config) == [
        "policy=loyalty_points,policy.earn_rate=0.5",
        "policy=loyalty_points,policy.earn_rate=2.0",
        "policy=none",
    ]


def test_a_job_that_cannot_be_composed_is_recorded_and_the_others_run(tmp_path):
    sweep_dir = tmp_path / "sweep"
    proc = custsim(
        "-m", "population.size=300,lots", "steps=10", f"hydra.sweep.dir={sweep_dir}", cwd=tmp_path
    )
    assert proc.returncode == 1, proc.stderr  # a job failed
    res = pd.read_parquet(sweep_dir / "results.parquet").set_index("population.size")
    assert res.loc["300", "status"] == "ok"
    assert res.loc["lots", "status"] == "failed" and "population.size" in res.loc["lots", "error"]
    assert "1 failed" in proc.stdout


def test_a_misspelt_sweep_key_stops_before_any_job(tmp_path):
    sweep_dir = tmp_path / "sweep"
    grid = ["policy=loyalty_points", "policy.ern_rate=1,2"]
    proc = custsim("-m", *grid, f"hydra.sweep.dir={sweep_dir}", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1] == (
        "custsim: config error: policy.ern_rate: no job's config has this key (misspelt?)"
    )
    assert not any(sweep_dir.rglob("status.json"))


def test_named_sweep_runs_its_grid(tmp_path):
    sweep_dir = tmp_path / "sweep"
    grid = ["sweep=promo_depth", "policy.depth=0.2,0.4", "seed=0"]
    proc = custsim(*grid, *SMALL, f"hydra.sweep.dir={sweep_dir}", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    res = pd.read_parquet(sweep_dir / "results.parquet")
    grid = res[["policy", "policy.depth"]].fillna("-").apply(tuple, axis=1)
    assert sorted(grid) == [("edlp", "-"), ("hi_lo", "0.2"), ("hi_lo", "0.4")]
    assert all(job.startswith("plots=") and "sweep" not in job for job in res.job)
    assert "sweep" not in res.columns  # naming the sweep does not change a job's results


# ---------------------------------------------------------------- progress


def test_progress_records_survive_concurrent_appends(tmp_path):
    from joblib import Parallel, delayed

    Parallel(n_jobs=2)(delayed(record_job)(tmp_path, f"job{i}", "ok", 0.1) for i in range(200))
    records, offset = read_records(tmp_path / PROGRESS_FILE, 0)
    assert sorted(r["job"] for r in records) == sorted(f"job{i}" for i in range(200))
    assert offset == (tmp_path / PROGRESS_FILE).stat().st_size
    assert read_records(tmp_path / PROGRESS_FILE, offset) == ([], offset)
