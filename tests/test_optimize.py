"""`custsim-optimize`: search-space checks, the seeded study on closed forms, the real CLI."""

import json
import math
import subprocess
import sys
from pathlib import Path

import optuna
import pandas as pd
import pytest

from custsim.experiments.optimize.search import (
    Param,
    best_summary,
    run_study,
    search_space,
    trial_overrides,
    trials_frame,
)
from custsim.experiments.optimize.settings import OptimizeConfig
from custsim.sim.config import ConfigError
from custsim.sim.testing import compose_config

VENV_BIN = Path(sys.executable).parent
TINY = ["population.size=600", "steps=40", "optimize.trials=4"]

optuna.logging.set_verbosity(optuna.logging.WARNING)


def optimize_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    exe = str(VENV_BIN / "custsim-optimize")
    return subprocess.run([exe, *args], cwd=cwd, capture_output=True, text=True, timeout=300)


# ---------------------------------------------------------------- search space


def test_search_space_keeps_integer_keys_integer():
    overrides = ["policy=hi_lo", "optimize.params={policy.depth:[0.05,0.5],policy.every:[7,56]}"]
    space = search_space(compose_config(*overrides, config_name="optimize"), overrides)
    assert space == [
        Param("policy.depth", 0.05, 0.5, integer=False),
        Param("policy.every", 7, 56, integer=True),
    ]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ("{policy.dept:[0.1,0.2]}", "optimize.params.policy.dept=[0.1, 0.2]: no such key"),
        ("{policy.frame:[0,1]}", "policy.frame is not a number"),
        ("{policy.depth:[0.5,0.1]}", "policy.depth=[0.5, 0.1]: low must be below high"),
        ("{policy.depth:[0.5]}", "must be [low, high], two numbers"),
        ("{policy.every:[7.5,20]}", "policy.every is an integer, so the bounds must be whole"),
    ],
)
def test_bad_search_space_names_key_and_rule(params, message):
    overrides = ["policy=hi_lo", f"optimize.params={params}"]
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        search_space(compose_config(*overrides, config_name="optimize"), overrides)


def test_trial_overrides_replace_searched_keys_and_keep_the_rest():
    base = ["policy=hi_lo", "policy.depth=0.3", "seed=4"]
    assert trial_overrides(base, {"policy.depth": 0.25, "policy.every": 14}) == [
        "policy=hi_lo",
        "seed=4",
        "policy.depth=0.25",
        "policy.every=14",
    ]


# ---------------------------------------------------------------- the study on closed forms


def quadratic(values: dict) -> dict:
    """Objective peaked at x = 0.3; 'retention' falls with x (1 - x)."""
    x = values["x"]
    kpis = dict.fromkeys(("revenue", "units", "unit_share", "repeat_rate", "clv_per_customer"), 0.0)
    return kpis | {"margin": -((x - 0.3) ** 2), "retention": 1 - x}


SPACE = [Param("x", 0.0, 1.0, integer=False)]


def test_study_finds_the_closed_form_optimum():
    settings = OptimizeConfig(params={"x": [0.0, 1.0]}, trials=40, sampler_seed=1)
    study = run_study(SPACE, quadratic, settings)
    assert study.best_trial.params["x"] == pytest.approx(0.3, abs=0.05)


def test_same_sampler_seed_same_trials():
    settings = OptimizeConfig(params={"x": [0.0, 1.0]}, trials=12, sampler_seed=7)
    first = trials_frame(run_study(SPACE, quadratic, settings), SPACE)
    second = trials_frame(run_study(SPACE, quadratic, settings), SPACE)
    pd.testing.assert_frame_equal(first, second)
    other = OptimizeConfig(params={"x": [0.0, 1.0]}, trials=12, sampler_seed=8)
    assert not first["x"].equals(trials_frame(run_study(SPACE, quadratic, other), SPACE)["x"])


def test_retention_floor_makes_the_best_trial_feasible():
    # the unconstrained optimum x = 0.3 has retention 0.7 < 0.8: the best feasible x is <= 0.2
    settings = OptimizeConfig(params={"x": [0.0, 1.0]}, trials=40, min_retention=0.8)
    study = run_study(SPACE, quadratic, settings)
    table = trials_frame(study, SPACE)
    assert (table["feasible"] == (table["mean_retention"] >= 0.8)).all()
    best = study.best_trial
    assert best.params["x"] <= 0.2 + 1e-12
    assert best.params["x"] == pytest.approx(0.2, abs=0.05)


def test_rejected_values_fail_the_trial_and_the_study_goes_on():
    def picky(values: dict) -> dict:
        if values["x"] > 0.5:
            raise ConfigError(f"x={values['x']}: must be <= 0.5")
        return quadratic(values)

    settings = OptimizeConfig(params={"x": [0.0, 1.0]}, trials=20, sampler_seed=3)
    study = run_study(SPACE, picky, settings)
    table = trials_frame(study, SPACE)
    failed = table[table["state"] == "fail"]
    assert len(failed) > 0 and (failed["x"] > 0.5).all()
    assert failed["error"].str.contains("must be <= 0.5").all()
    assert failed["value"].isna().all()
    summary = best_summary(study, SPACE, settings, "A", ["policy=hi_lo"], 0)
    assert summary["failed"] == len(failed) and summary["trials"] == 20
    assert summary["best"]["params"]["x"] <= 0.5


# ---------------------------------------------------------------- the real command


@pytest.fixture(scope="module")
def price_search(tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path]:
    """The default search (focal everyday price), one replication per trial."""
    cwd = tmp_path_factory.mktemp("optimize")
    out = cwd / "run"
    proc = optimize_cli(*TINY, "optimize.replications=1", f"hydra.run.dir={out}", cwd=cwd)
    return proc, out


def test_cli_writes_trials_best_and_history(price_search):
    proc, out = price_search
    assert proc.returncode == 0, proc.stderr
    table = pd.read_parquet(out / "trials.parquet")
    assert len(table) == 4 and list(table["number"]) == [0, 1, 2, 3]
    assert table["market.firms.A.price"].between(6.0, 10.0).all()
    assert (table["state"] == "complete").all() and table["feasible"].all()
    best = json.loads((out / "best.json").read_text())
    assert best["best"]["value"] == table["value"].max()
    assert (out / "plots" / "history.png").stat().st_size > 10_000
    assert proc.stdout.splitlines()[0].startswith("custsim-optimize: maximise firm A's margin")
    assert f"results: {out}" in proc.stdout


def test_best_command_reproduces_the_best_trial(price_search, tmp_path):
    """Rerunning best.json's command with `custsim` gives exactly the best trial's margin."""
    _, out = price_search
    best = json.loads((out / "best.json").read_text())["best"]
    args = best["command"].split()[1:]
    assert "optimize.trials=4" not in args and "population.size=600" in args
    run_dir = tmp_path / "best"
    exe = str(VENV_BIN / "custsim")
    cmd = [exe, *args, "plots=false", f"hydra.run.dir={run_dir}"]
    proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    kpis = json.loads((run_dir / "kpis.json").read_text())
    assert math.isclose(kpis["firms"]["A"]["margin"], best["value"], rel_tol=1e-12)


def test_retention_floor_no_feasible_trial_is_reported(tmp_path):
    out = tmp_path / "run"
    floor = ["optimize.trials=2", "optimize.min_retention=1.0"]
    proc = optimize_cli(*TINY, *floor, f"hydra.run.dir={out}", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "no feasible trial" in proc.stdout
    assert json.loads((out / "best.json").read_text())["best"] is None


@pytest.mark.parametrize(
    ("override", "message"),
    [
        (
            "optimize.params={policy.depth:[0.1,0.3]}",
            "optimize.params.policy.depth=[0.1, 0.3]: no such key",
        ),
        ("optimize.objective=profit", "optimize.objective='profit': must be one of"),
        ("optimize.min_retention=1.5", "optimize.min_retention=1.5: must be in [0, 1]"),
        ("optimize.trials=0", "optimize.trials=0: must be >= 1"),
    ],
)
def test_cli_bad_input_one_line_and_no_results(override, message, tmp_path):
    proc = optimize_cli(*TINY, override, cwd=tmp_path)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], proc.stderr
    assert not (tmp_path / "outputs").exists()
