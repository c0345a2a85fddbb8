"""`custsim-calibrate` as a user runs it: the README's example, reproducibility, bad input."""

import os
import subprocess
import sys
from importlib.util import find_spec

import pandas as pd
import pytest

FAST = ["calibrate.trials=6", "calibrate.scale=1", "calibrate.replications=2", "progress=off"]


def calibrate(tmp_path, *args, config_dir=None, out="run"):
    env = {**os.environ, "CUSTSIM_CONFIG_DIR": str(config_dir or tmp_path / "conf")}
    cmd = [sys.executable, "-m", "custsim.experiments.calibrate", *args]
    cmd.append(f"hydra.run.dir={tmp_path / out}")
    return subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600)


def custsim(tmp_path, *args):
    env = {**os.environ, "CUSTSIM_CONFIG_DIR": str(tmp_path / "conf")}
    cmd = [sys.executable, "-m", "custsim.experiments.run", *args, "plots=false"]
    cmd.append(f"hydra.run.dir={tmp_path / 'use'}")
    return subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600)


@pytest.fixture(scope="module")
def cdnow(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("calibrate")
    first = calibrate(tmp, "data=cdnow_sample", "calibrate.name=cdnow_test", *FAST)
    again = calibrate(tmp, "data=cdnow_sample", "calibrate.name=cdnow_test", *FAST, out="again")
    return tmp, first, again


def test_the_readme_example_writes_a_population_every_command_finds(cdnow):
    tmp, first, _ = cdnow
    assert first.returncode == 0, first.stderr
    assert "calibration 1997-01-01 to 1997-09-30 (39 weeks), holdout to 1998-06-30" in first.stdout
    assert "use it: custsim population=cdnow_test policy=loyalty_points" in first.stdout
    run = tmp / "run"
    for name in ("report.md", "calibration.json", "tracking.csv", "groups.csv", "errors.csv"):
        assert (run / name).stat().st_size > 0
    for png in ("tracking", "frequency", "conditional", "spend", "trials"):
        assert (run / "plots" / f"{png}.png").stat().st_size > 10_000
    population = (tmp / "conf" / "population" / "cdnow_test.yaml").read_text()
    assert "override /market@_global_.market: cdnow_test" in population
    assert "size: 2357" in population and "first_purchase: true" in population
    used = custsim(tmp, "population=cdnow_test", "steps=60", "policy=loyalty_points")
    assert used.returncode == 0, used.stderr
    assert "2,357 customers, 1 firms" in used.stdout  # the store alone, its whole cohort


def test_the_holdout_is_scored_for_both_forecasts(cdnow):
    tmp, _, _ = cdnow
    errors = pd.read_csv(tmp / "run" / "errors.csv")
    assert errors["model"].tolist() == ["custsim", "BG/NBD"]
    assert (errors["holdout_actual"] == 1882).all()  # CDNOW weeks 40-78 (FHL 2005a's split)
    tracking = pd.read_csv(tmp / "run" / "tracking.csv")
    assert len(tracking) == 78 and tracking["actual_weekly"].sum() == 2457 + 1882


def test_a_calibration_is_reproducible_to_the_byte(cdnow):
    tmp, _, again = cdnow
    assert again.returncode == 0, again.stderr
    for name in ("trials.parquet", "tracking.csv", "groups.csv", "errors.csv", "moments.csv"):
        assert (tmp / "run" / name).read_bytes() == (tmp / "again" / name).read_bytes(), name


def _log(tmp_path, **changes):
    frame = pd.DataFrame(
        {
            "customer": [1, 1, 2, 2],
            "date": ["2024-01-01", "2024-02-01", "2024-01-03", "2024-05-01"],
            "amount": [10.0, 12.0, 8.0, 9.0],
        }
    )
    for column, value in changes.items():
        if value is None:
            frame = frame.drop(columns=column)
        else:
            frame[column] = value
    frame.to_csv(tmp_path / "log.csv", index=False)
    return f"data={tmp_path / 'log.csv'}"


@pytest.mark.parametrize(
    ("args", "line"),
    [
        ((), "data: missing; a transaction log"),
        (("data=nowhere.csv",), "data=nowhere.csv: no such file"),
        (("data=cdnow_sample", "calibrate.until=1990-01-01"), "the calibration period is empty"),
        (("data=cdnow_sample", "calibrate.until=1999-01-01"), "no holdout: the log ends on"),
        (("data=cdnow_sample", "calibrate.end=1999-01-01"), "calibrate.end=1999-01-01: after"),
        (("data=cdnow_sample", "calibrate.until=someday"), "calibrate.until=someday: not a date"),
        (("data=cdnow_sample", "calibrate.name=grocery"), "calibrate.name=grocery: a shipped"),
        (("data=cdnow_sample", "calibrate.name=my store"), "must start with a letter"),
        pytest.param(
            ("data=cdnow_sample", "calibrate.sampler=cmaes"),
            "calibrate.sampler=cmaes: needs the",
            marks=pytest.mark.skipif(find_spec("cmaes") is not None, reason="cmaes is installed"),
        ),
        (("LOG",), "calibrate.until: missing"),
        (("LOG", "calibrate.until=2024-03-01", {"amount": [1.0, -2.0, 3.0, 4.0]}), "are negative"),
        (("LOG", "calibrate.until=2024-03-01", {"amount": None}), "no column 'amount'"),
        (
            ("LOG", "calibrate.until=2024-03-01", {"date": ["2024-01-01", "x", "y", "2024-05-01"]}),
            "2 dates in column 'date' cannot be read, first 'x' (row 2)",
        ),
    ],
)
def test_bad_input_fails_before_the_run_in_one_line_and_writes_nothing(tmp_path, args, line):
    changes = next((a for a in args if isinstance(a, dict)), {})
    args = [_log(tmp_path, **changes) if a == "LOG" else a for a in args if not isinstance(a, dict)]
    done = calibrate(tmp_path, *args, *FAST)
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and line in lines[0], done.stderr
    assert not (tmp_path / "conf").exists() and not (tmp_path / "run").exists()


def test_a_parquet_log_with_its_own_column_names(tmp_path):
    from custsim.experiments.crm.datasets import load_cdnow_sample

    log = load_cdnow_sample().rename(columns={"customer": "client", "amount": "total"})
    log["date"] = log["date"].dt.strftime("%Y%m%d").astype(int)  # yyyymmdd, as the original file
    log.drop(columns="quantity").to_parquet(tmp_path / "store.parquet")
    columns = ["calibrate.columns.customer=client", "calibrate.columns.amount=total"]
    done = calibrate(
        tmp_path,
        f"data={tmp_path / 'store.parquet'}",
        "calibrate.until=1997-09-30",
        *columns,
        *FAST,
    )
    assert done.returncode == 0, done.stderr
    assert "6,919 transactions (223 on a day already counted merged" in done.stdout
    assert (tmp_path / "conf" / "population" / "store.yaml").exists()  # named after the file
