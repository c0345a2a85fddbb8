"""`custsim-optimize optimize.objective=roi`: the return on the contact spend against a baseline.

The return is paired seed by seed with a baseline policy without messages (common
random numbers), and the contact cost can be a constraint.
"""

import json
import math
import subprocess
import sys
from pathlib import Path

import optuna
import pandas as pd
import pytest

from custsim.experiments.optimize.job import check
from custsim.experiments.optimize.search import (
    Param,
    best_summary,
    roi_kpis,
    run_study,
    run_trial,
    trial_columns,
    trials_frame,
)
from custsim.experiments.optimize.settings import OptimizeConfig
from custsim.sim.config import ConfigError
from custsim.sim.kpis import FOCAL_KPIS
from custsim.sim.runner import simulate
from custsim.sim.testing import compose_config

VENV_BIN = Path(sys.executable).parent
TINY = ["population.size=500", "steps=40"]
#: a channel whose messages are delivered and never opened: they cost and change nothing
DUD = "+channels={dud: {cost: 0.1, delivery: 1.0, open: 0.0, response: 0.0}}"

optuna.logging.set_verbosity(optuna.logging.WARNING)


def optimize_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    exe = str(VENV_BIN / "custsim-optimize")
    return subprocess.run([exe, *args], cwd=cwd, capture_output=True, text=True, timeout=300)


# ---------------------------------------------------------------- the definition


def test_roi_is_the_paired_margin_gained_per_unit_of_contact_spend():
    got = roi_kpis(margins=[10.0, 14.0], costs=[1.0, 3.0], baseline=[8.0, 8.0])
    assert got == {
        "contact_cost": 2.0,
        "baseline_margin": 8.0,
        "incremental_margin": 4.0,
        "roi": 2.0,  # (2 + 6) / (1 + 3): a ratio of sums, not the mean of 2 and 2
    }
    assert roi_kpis([10.0, 14.0], [1.0, 3.0], [9.0, 13.0])["roi"] == pytest.approx(0.5)
    assert math.isnan(roi_kpis([10.0], [0.0], [10.0])["roi"])  # nothing spent
    assert roi_kpis([10.0], [2.0], None) == {"contact_cost": 2.0}


# ---------------------------------------------------------------- the study on closed forms


def spend(values: dict) -> dict:
    """x messages: contact cost 10 x; roi peaks at x = 0.7; retention 0.9 throughout."""
    x = values["x"]
    kpis = dict.fromkeys(FOCAL_KPIS, 0.0) | {"retention": 0.9}
    return kpis | {"contact_cost": 10 * x, "roi": -((x - 0.7) ** 2) if x > 0.01 else math.nan}


SPACE = [Param("x", 0.0, 1.0, integer=False)]


def test_a_contact_cost_ceiling_makes_the_best_trial_cheap_enough():
    settings = OptimizeConfig(objective="roi", trials=40, max_contact_cost=4.0, sampler_seed=2)
    study = run_study(SPACE, spend, settings)
    table = trials_frame(study, SPACE)
    done = table[table["state"] == "complete"]
    assert (done["feasible"] == (done["mean_contact_cost"] <= 4.0)).all()
    assert (done["constraint_max_contact_cost"] == done["mean_contact_cost"] - 4.0).all()
    assert study.best_trial.params["x"] <= 0.4 + 1e-12
    assert study.best_trial.params["x"] == pytest.approx(0.4, abs=0.05)
    summary = best_summary(study, SPACE, settings, "A", [], 0)
    assert summary["baseline"] == "edlp" and summary["max_contact_cost"] == 4.0


def test_no_spend_fails_the_roi_trial_and_the_study_goes_on():
    settings = OptimizeConfig(objective="roi", trials=3, sampler_seed=0)
    study = optuna.create_study(direction="maximize")
    study.enqueue_trial({"x": 0.0})
    for _ in range(settings.trials):
        run_trial(study, SPACE, spend, settings)
    table = trials_frame(study, SPACE)
    assert list(table["state"]) == ["fail", "complete", "complete"]
    assert table.loc[0, "error"].startswith("no contact sent")


def test_other_objectives_keep_their_columns_and_best_json():
    def plain(values: dict) -> dict:
        return dict.fromkeys(FOCAL_KPIS, values["x"])

    settings = OptimizeConfig(trials=3)
    study = run_study(SPACE, plain, settings)
    kpis = [f"mean_{k}" for k in FOCAL_KPIS]
    expected = ["number", "state", "x", "value", *kpis, "constraint", "feasible", "error"]
    assert list(trials_frame(study, SPACE).columns) == expected == trial_columns(SPACE)
    summary = best_summary(study, SPACE, settings, "A", [], 0)
    assert "baseline" not in summary and "max_contact_cost" not in summary


# ---------------------------------------------------------------- the real command


def test_messages_nobody_opens_return_minus_one_on_their_spend(tmp_path):
    """Unopened messages change no customer: margin = baseline - cost, exactly, on every seed."""
    out = tmp_path / "run"
    proc = optimize_cli(
        *TINY,
        "policy=campaign",
        "policy.channel=dud",
        DUD,
        "optimize.objective=roi",
        "optimize.params={policy.every:[3,20]}",
        "optimize.trials=3",
        "optimize.replications=2",
        f"hydra.run.dir={out}",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    table = pd.read_parquet(out / "trials.parquet")
    assert (table["state"] == "complete").all()
    for _, row in table.iterrows():
        assert row["value"] == row["mean_roi"] == pytest.approx(-1.0, abs=1e-9)
        assert row["mean_incremental_margin"] == pytest.approx(-row["mean_contact_cost"])
    assert table["mean_contact_cost"].gt(0).all() and table["mean_contact_cost"].nunique() > 1
    best = json.loads((out / "best.json").read_text())
    assert best["objective"] == "roi" and best["baseline"] == "edlp"
    # the baseline arm: one run of policy=edlp per seed, the same for every trial
    margins = [
        simulate(compose_config(*TINY, "policy=edlp", DUD, f"seed={s}", "progress=off"))
        .firm_kpis.set_index("firm")
        .loc["A", "margin"]
        for s in (0, 1)
    ]
    assert best["baseline_margins"] == margins
    assert (table["mean_baseline_margin"] == sum(margins) / 2).all()
    assert "return on contact spend (roi, against policy=edlp)" in proc.stdout.splitlines()[0]
    assert "A roi -1.00" in proc.stdout


def test_a_baseline_that_sends_messages_is_one_line_and_no_results(tmp_path):
    args = [*TINY, "policy=campaign", "optimize.objective=roi", "optimize.baseline=campaign"]
    proc = optimize_cli(*args, cwd=tmp_path)
    assert proc.returncode == 2
    (line,) = proc.stderr.strip().splitlines()
    assert "optimize.baseline=campaign: sends messages (policy.channel=email)" in line
    assert not (tmp_path / "outputs").exists()


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("optimize.baseline=nope", "optimize.baseline='nope': must be one of: "),
        ("optimize.max_contact_cost=-1", "optimize.max_contact_cost=-1"),
    ],
)
def test_bad_roi_settings_are_config_errors(override, message):
    overrides = [*TINY, "policy=campaign", "optimize.objective=roi", override]
    with pytest.raises(ConfigError, match=message):
        cfg = compose_config(*overrides, config_name="optimize")
        check(cfg, overrides)
