"""Sweeps that say when they failed: exit status, dead workers, interrupts, plan, resume checks."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from omegaconf import OmegaConf

from custsim.experiments import report
from custsim.experiments.sweeps.aggregate import aggregate_sweep
from custsim.experiments.sweeps.callback import SweepCallback
from custsim.experiments.sweeps.job import (
    is_complete,
    remove_partial_files,
    write_status,
)
from custsim.experiments.sweeps.plan import PLAN_FILE, one_value_sweeps, tidy_float, write_plan
from custsim.sim.compose import compose_config
from custsim.sim.faults import FAIL_MODE_ENV, FAIL_ON_SEED_ENV
from custsim.sim.runner import simulate

VENV_BIN = Path(sys.executable).parent
TINY = ["population.size=50", "steps=5", "plots=false", "write_customers=false"]
BASIC = "hydra/launcher=basic"  # jobs in the sweep's process: no workers to start


def custsim(
    sweep_dir: Path, *args: str, fail_mode: str | None = None, fail_on_seed: int | None = None
) -> subprocess.Popen:
    """`custsim -m ARGS TINY hydra.sweep.dir=...` started in the background (TINY keys in
    ARGS replace TINY's); with `fail_on_seed`, that seed's job fails the `fail_mode` way."""
    env = None
    if fail_on_seed is not None:
        hook = {FAIL_ON_SEED_ENV: str(fail_on_seed), FAIL_MODE_ENV: fail_mode or "raise"}
        env = {**os.environ, **hook}
    keys = {a.split("=", 1)[0] for a in args}
    base = [o for o in TINY if o.split("=", 1)[0] not in keys]
    cmd = [str(VENV_BIN / "custsim"), "-m", *args, *base, f"hydra.sweep.dir={sweep_dir}"]
    pipe = subprocess.PIPE
    return subprocess.Popen(cmd, cwd=sweep_dir.parent, env=env, text=True, stdout=pipe, stderr=pipe)


def sweep(
    sweep_dir: Path, *args: str, fail_mode: str | None = None, fail_on_seed: int | None = None
) -> subprocess.CompletedProcess:
    """Run the sweep to the end; its exit status, stdout and stderr."""
    proc = custsim(sweep_dir, *args, fail_mode=fail_mode, fail_on_seed=fail_on_seed)
    out, err = proc.communicate(timeout=600)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def job(sweep_dir: Path, **values: object) -> Path:
    """The job directory Hydra names from the sorted overrides (TINY updated by `values`)."""
    items = dict(o.replace("false", "False").split("=", 1) for o in TINY)
    items.update({k: str(v) for k, v in values.items()})
    return sweep_dir / ",".join(sorted(f"{k}={v}" for k, v in items.items()))


def results_by_seed(sweep_dir: Path) -> pd.DataFrame:
    return pd.read_parquet(sweep_dir / "results.parquet").set_index("seed")


# ---------------------------------------------------------------- exit status


def test_a_killed_worker_fails_its_job_only_and_the_sweep_exits_1(tmp_path):
    sweep_dir = tmp_path / "sweep"
    proc = sweep(sweep_dir, "seed=0,1", fail_mode="kill", fail_on_seed=1)  # SIGKILL in seed 1
    assert proc.returncode == 1, proc.stderr
    last = proc.stdout.strip().splitlines()[-1]
    assert last == f"custsim: 1 of 2 jobs failed: {sweep_dir / 'failed.csv'}"
    res = results_by_seed(sweep_dir)
    assert res.loc[0, "status"] == "ok" and res.loc[0, "firm.A.revenue"] > 0
    assert res.loc[1, "status"] == "failed"
    assert res.loc[1, "error"].startswith("worker died") and "SIGKILL" in res.loc[1, "error"]
    assert pd.read_csv(sweep_dir / "failed.csv").seed.tolist() == [1]
    assert pd.read_csv(sweep_dir / "summary.csv").n_ok.tolist() == [1]
    assert len(pd.read_parquet(sweep_dir / "timeseries.parquet")) == 5 * 3  # seed 0's days x firms


def test_an_empty_sweep_exits_1_and_creates_nothing(tmp_path):
    sweep_dir = tmp_path / "sweep"
    proc = sweep(sweep_dir, "seed=range(0,0)")
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == ["custsim: sweep failed: the sweep has no jobs"]
    assert not sweep_dir.exists()


def test_a_failed_aggregation_exits_1(tmp_path, capsys):
    sweep_dir = tmp_path / "sweep"
    out = sweep_dir / "seed=0"
    simulate(compose_config(TINY), out)
    write_status(out, error=None, overrides=["seed=0"], seed=0, wall_seconds=1.0, job_num=0)
    (sweep_dir / "summary.csv").mkdir()  # a directory where the table goes
    config = OmegaConf.create({"hydra": {"sweep": {"dir": str(sweep_dir)}}})
    with pytest.raises(SystemExit) as stop:
        SweepCallback().on_multirun_end(config)
    assert stop.value.code == 1
    assert capsys.readouterr().err.startswith("custsim: sweep failed: aggregation failed: ")


# ---------------------------------------------------------------- planning


def test_one_value_overrides_are_planned_like_swept_ones_and_float_ranges_tidied(tmp_path):
    """policy.earn_rate=2.0 beside policy=none: the baseline runs; range(0.1,...) gives 0.3."""
    sweep_dir = tmp_path / "sweep"
    grid = ["policy=none,loyalty_points", "policy.earn_rate=2.0"]
    proc = sweep(sweep_dir, *grid, "policy.reward_value=range(0.1,0.35,0.1)", "seed=0", BASIC)
    assert proc.returncode == 0, proc.stderr
    res = pd.read_parquet(sweep_dir / "results.parquet")
    assert len(res) == 4 and (res.status == "ok").all()  # 1 baseline + 3 reward values
    points = res[res.policy == "loyalty_points"]
    assert (points["policy.earn_rate"] == "2.0").all()
    assert sorted(points["policy.reward_value"]) == ["0.1", "0.2", "0.3"]
    assert res.loc[res.policy == "none", "policy.earn_rate"].isna().all()
    assert "policy.reward_value=0.3" in proc.stdout  # the printed configuration labels
    assert any("policy.reward_value=0.3," in p.name for p in sweep_dir.iterdir())
    assert "0.30000000000000004" not in (sweep_dir / "summary.csv").read_text()
    assert "0.30000000000000004" not in proc.stdout + " ".join(os.listdir(sweep_dir))


@pytest.mark.parametrize(
    ("typo", "line"),
    [
        ("populaton.size=5", "populaton.size: no job's config has this key (misspelt?)"),
        (
            "policy=hi_low",
            "policy=hi_low: must be one of: acquisition, campaign, complaint_handling, composed, ",
        ),
    ],
)
def test_an_unswept_typo_is_one_line_exit_2_and_nothing_is_created(tmp_path, typo, line):
    sweep_dir = tmp_path / "sweep"
    proc = sweep(sweep_dir, "seed=0,1", typo)
    assert proc.returncode == 2
    (only,) = proc.stderr.strip().splitlines()
    assert only.startswith(f"custsim: config error: {line}")
    assert not sweep_dir.exists()


def test_one_value_overrides_become_sweeps_only_where_the_defaults_lack_them():
    composes = ["-m", "policy=loyalty_points", "policy.earn_rate=2.0", "seed=0,1", "progress=off"]
    assert one_value_sweeps(composes) == composes
    baseline = ["-m", "policy=none,loyalty_points", "policy.earn_rate=2.0", "progress=off"]
    assert one_value_sweeps(baseline)[2:] == ["policy.earn_rate=choice(2.0)", "progress=off"]
    assert one_value_sweeps(["policy.earn_rate=2.0"]) == ["policy.earn_rate=2.0"]  # no -m


def test_tidy_float_rounds_to_twelve_significant_digits():
    assert tidy_float("0.30000000000000004") == "0.3"
    assert tidy_float("0.1234567890123456") == "0.123456789012"
    assert [tidy_float(v) for v in ("3", "1e-20", "lots", "inf")] == ["3", "1e-20", "lots", "inf"]


def test_mixed_seeds_aggregate_and_an_uncreatable_job_directory_fails_that_job(tmp_path):
    """The README's population.size=300,lots seed=0,1 (smaller), one job's directory blocked."""
    sweep_dir = tmp_path / "sweep"
    sweep_dir.mkdir()
    blocked = job(sweep_dir, **{"population.size": 50, "seed": 1})
    blocked.write_text("a file where the job's directory goes")
    proc = sweep(sweep_dir, "population.size=50,lots", "seed=0,1", BASIC)
    assert proc.returncode == 1, proc.stderr
    res = pd.read_parquet(sweep_dir / "results.parquet")
    assert pd.api.types.is_integer_dtype(res.seed) and sorted(res.seed) == [0, 0, 1, 1]
    by_job = res.set_index(["population.size", "seed"])
    assert by_job.loc[("50", 0), "status"] == "ok"
    assert by_job.loc[("50", 1), "status"] == "failed"
    assert by_job.loc[("50", 1), "error"].startswith("cannot create the job directory")
    assert (by_job.loc[("lots", 0), "status"], by_job.loc[("lots", 1), "status"]) == (
        "failed",
        "failed",
    )
    assert blocked.read_text().startswith("a file")
    assert "custsim: 3 of 4 jobs failed" in proc.stdout.strip().splitlines()[-1]


# ---------------------------------------------------------------- interrupts and resume


def children(pid: int) -> list[int]:
    """Every descendant of `pid`, from /proc."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
    found, frontier = [], [pid]
    while frontier:
        frontier = [p for p, parent in parents.items() if parent in frontier]
        found += frontier
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_for(condition, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_sigterm_stops_every_worker_and_the_sweep_resumes(tmp_path):
    sweep_dir = tmp_path / "sweep"
    # batches of 3 on 2 workers: seeds 0 and 2 finish, seed 1 hangs, seed 3 waits for batch 2
    grid = ["seed=0,1,2,3", "hydra.sweeper.max_batch_size=3"]
    grid.append("hydra.launcher.n_jobs=2")
    proc = custsim(sweep_dir, *grid, fail_mode="hang", fail_on_seed=1)
    try:
        done = [job(sweep_dir, seed=s) / "status.json" for s in (0, 2)]
        hanging = job(sweep_dir, seed=1) / ".hydra"
        wait_for(lambda: all(p.is_file() for p in done) and hanging.is_dir(), timeout=300)
        time.sleep(1.0)  # the hanging job is inside its sleep
        workers = children(proc.pid)
        assert workers, "the sweep runs its jobs in child processes"
        proc.send_signal(signal.SIGTERM)
        start = time.monotonic()
        _, err = proc.communicate(timeout=30)
        stopped = time.monotonic() - start
    finally:
        proc.kill()
    assert proc.returncode == 128 + signal.SIGTERM and stopped < 10
    assert "custsim: sweep interrupted (SIGTERM)" in err and "to resume" in err
    time.sleep(0.5)
    assert [p for p in workers if alive(p)] == []  # no orphaned worker

    # the tables list every planned job: the interrupted one and the one never started
    assert (sweep_dir / PLAN_FILE).is_file() and not (sweep_dir / "results.parquet").exists()
    status = aggregate_sweep(sweep_dir)["results"].set_index("seed")["status"]
    assert status.to_dict() == {0: "ok", 1: "incomplete", 2: "ok", 3: "missing"}

    # resume: seed 0's files damaged and a partial file left: rerun; seed 2 skipped
    (job(sweep_dir, seed=0) / "timeseries.parquet").write_bytes(b"PAR1 truncated")
    partial = job(sweep_dir, seed=2) / ".timeseries.parquet.x1y2.tmp"
    partial.write_bytes(b"half a file")
    again = sweep(sweep_dir, "seed=0,1,2,3", BASIC)  # the same sweep, the hook off
    assert again.returncode == 0, again.stderr
    assert again.stdout.count("skipped (complete)") == 1 and not partial.exists()
    res = results_by_seed(sweep_dir)
    assert (res.status == "ok").all() and len(res) == 4
    assert len(pd.read_parquet(job(sweep_dir, seed=0) / "timeseries.parquet")) == 5 * 3


def test_report_lists_planned_jobs_that_never_ran(tmp_path, capsys):
    write_plan(tmp_path, [{"job": f"seed={s}", "overrides": [f"seed={s}"]} for s in (0, 1)])
    assert report.main([str(tmp_path)]) == 1  # like the sweep: a job not ok is exit 1
    lines = capsys.readouterr().out.strip().splitlines()
    assert "2 jobs, 0 ok, 0 failed, 2 missing" in lines
    failed_csv = tmp_path / "failed.csv"
    assert lines[-1] == f"custsim-report: 2 of 2 jobs failed or did not finish: {failed_csv}"
    res = pd.read_parquet(tmp_path / "results.parquet")
    assert res.status.tolist() == ["missing", "missing"] and res.seed.tolist() == [0, 1]
    assert pd.read_csv(tmp_path / "failed.csv").status.tolist() == ["missing", "missing"]


# ---------------------------------------------------------------- resume checks


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> Path:
    """A complete job directory of a tiny run (customers written)."""
    out = tmp_path_factory.mktemp("job")
    simulate(compose_config(["population.size=50", "steps=5", "plots=false"]), out)
    write_status(out, error=None, overrides=["seed=0"], seed=0, wall_seconds=1.0, job_num=0)
    return out


@pytest.mark.parametrize(
    "damage",
    [
        "timeseries truncated",
        "timeseries short",
        "customers short",
        "customers missing",
        "kpis unreadable",
    ],
)
def test_resume_does_not_skip_a_job_whose_files_are_damaged(finished, tmp_path, damage):
    job_dir = tmp_path / "job"
    shutil.copytree(finished, job_dir)
    assert is_complete(job_dir, ["seed=0"])
    what, how = damage.split()
    path = job_dir / (f"{what}.parquet" if what != "kpis" else "kpis.json")
    if how == "truncated":
        path.write_bytes(path.read_bytes()[:100])
    elif how == "short":
        pd.read_parquet(path).head(3).to_parquet(path)
    elif how == "missing":
        path.unlink()
    else:
        path.write_text("{not json")
    assert not is_complete(job_dir, ["seed=0"])


def test_leftover_temporary_files_are_removed(tmp_path):
    (tmp_path / "plots").mkdir()
    leftovers = [tmp_path / ".kpis.json.abc.tmp", tmp_path / "plots" / ".sales.png.q.tmp"]
    for path in leftovers:
        path.write_text("partial")
    (tmp_path / "kept.tmp").write_text("not ours")
    assert sorted(remove_partial_files(tmp_path)) == sorted(leftovers)
    assert [p.name for p in tmp_path.iterdir() if p.is_file()] == ["kept.tmp"]


def test_a_status_seed_is_an_int(tmp_path):
    write_status(tmp_path, error="x", overrides=["seed=3"], seed="3", wall_seconds=0, job_num=None)
    assert json.loads((tmp_path / "status.json").read_text())["seed"] == 3
