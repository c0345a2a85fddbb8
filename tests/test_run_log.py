"""run.log, Hydra's job log: what ran, timings, warnings and where the results are."""

import logging
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from custsim.sim import runner
from custsim.sim.testing import small_config

VENV_BIN = Path(sys.executable).parent
TINY = ["population.size=300", "steps=5", "plots=false"]


def custsim(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    cmd = [str(VENV_BIN / "custsim"), *args]
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=300)


def messages(log: Path) -> list[str]:
    """The messages of a Hydra log file: `[time][logger][LEVEL] - message`."""
    return [line.split("] - ", 1)[1] for line in log.read_text().splitlines() if "] - " in line]


def test_a_run_logs_what_ran_timings_and_results_to_run_log(tmp_path):
    out = tmp_path / "run"
    proc = custsim(*TINY, "policy=hi_lo", "seed=4", f"hydra.run.dir={out}", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = messages(out / "run.log")
    assert lines[0] == "overrides: population.size=300 steps=5 plots=false policy=hi_lo seed=4"
    assert (
        lines[1]
        == "config: market=coffee, network=watts_strogatz, policy=hi_lo, population=grocery"
    )
    assert lines[2] == "channels: app_push, direct_mail, email, in_store, paid_social, phone, sms"
    assert lines[3].startswith("run: seed 4, 5 days, 300 customers in 4 segments")
    assert "A price 8 cost 5 policy HiLoPromotion; B price 7.5" in lines[3]
    assert [line.split(":")[0] for line in lines[4:]] == ["build", "simulate", "write", "results"]
    assert lines[5].startswith("simulate: 5 days, ")
    assert lines[-1] == f"results: {out}"
    # the console shows what it showed before: the table, no log lines
    assert "custsim.sim.runner" not in proc.stdout + proc.stderr
    assert proc.stdout.startswith("custsim: 5 days, 300 customers")


def test_every_sweep_job_has_its_run_log(tmp_path):
    sweep = tmp_path / "sweep"
    proc = custsim(
        "-m", *TINY, "seed=0,1", "hydra/launcher=basic", f"hydra.sweep.dir={sweep}", cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    logs = sorted(sweep.glob("*/run.log"))
    assert len(logs) == 2
    for seed, log in enumerate(logs):
        lines = messages(log)
        assert f"seed={seed}" in lines[0].split()
        assert lines[-1] == f"results: {log.parent}"


def test_warnings_are_logged_and_still_shown(monkeypatch, caplog):
    step = runner.CustsimModel.step

    def noisy_step(model):
        if model.steps == 2:
            warnings.warn("an odd shelf", UserWarning, stacklevel=1)
        step(model)

    monkeypatch.setattr(runner.CustsimModel, "step", noisy_step)
    with (
        caplog.at_level(logging.INFO, logger="custsim.sim.runner"),
        pytest.warns(UserWarning, match="odd"),
    ):
        runner.simulate(small_config("steps=5"))
    warned = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warned) == 1 and warned[0].getMessage().startswith("UserWarning: an odd shelf (")


def test_a_failing_run_logs_why(monkeypatch, caplog):
    def broken(cfg, policies=None):
        raise ValueError("no shelf")

    monkeypatch.setattr(runner, "build_model", broken)
    with caplog.at_level(logging.INFO, logger="custsim.sim.runner"), pytest.raises(ValueError):
        runner.simulate(small_config())
    assert caplog.records[-1].levelno == logging.ERROR
    assert caplog.records[-1].getMessage().endswith("s: ValueError: no shelf")
