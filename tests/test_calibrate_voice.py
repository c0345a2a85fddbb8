"""custsim-calibrate's stage 3, what the firm hears: recovery, the files, bad records.

The recovery test is the proof of the stage: a simulated store with a known complaint
propensity k and survey midpoint m writes its transactions, complaints and survey
answers as a firm keeps them; stage 3 finds both within three of its standard errors.
Without complaints or surveys the command writes what it wrote before stage 3 existed
(every file but config.yaml, which lists the new keys as null).
"""

import json
import os
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from custsim.experiments.batch import Base
from custsim.experiments.calibrate import job
from custsim.experiments.calibrate.fit import Simulator
from custsim.experiments.calibrate.report import format_summary
from custsim.experiments.calibrate.statistics import summarise_split
from custsim.experiments.calibrate.store import PurchaseProcess
from custsim.experiments.calibrate.voice import firm_records, fit_voice
from custsim.sim.config import ConfigError
from custsim.sim.runner import simulate

TRUTH = PurchaseProcess(rate_mean=0.03, rate_sd=0.03, dropout_mean=0.15, dropout_sd=0.1)
K, M, FAILURES = 0.3, 6.5, 0.1  # the store's complaint propensity, survey midpoint, failure rate
ORIGIN = pd.Timestamp("2020-01-01")
UNTIL = "2020-08-31"
FAST = ["calibrate.trials=4", "calibrate.scale=1", "calibrate.replications=2", "progress=off"]


def _dates(day: np.ndarray) -> pd.Series:
    return ORIGIN + pd.to_timedelta(day - 1, unit="D")  # simulated day 1 is the first date


@pytest.fixture(scope="module")
def firm(tmp_path_factory):
    """A store of 2,400 customers with the chain on: its log, complaints and fortnightly surveys."""
    tmp = tmp_path_factory.mktemp("firm")
    sim = Simulator(Base(["data=cdnow_sample"], "calibrate").composed, 30.0, 0.3, [40] * 60, 1)
    keys = {
        "market.firms.A.service.failure_rate": FAILURES,
        "population.experience.complaint_propensity": K,
        "population.experience.survey_midpoint": M,
        "market.firms.A.survey.every": 14,
        "market.firms.A.survey.sample": 300,
    }
    model = simulate(sim.config(TRUTH, 7, 300, keys=keys), None).model
    log = model.purchase_log.frame()
    customer = log["customer"].to_numpy() + 1000
    pd.DataFrame(
        {"customer": customer, "date": _dates(log["day"].to_numpy()), "amount": log["spend"]}
    ).to_csv(tmp / "store.csv", index=False)
    incidents = model.service_log.incident_frame()
    voiced = incidents[incidents["complained"]]
    pd.DataFrame(
        {"customer": voiced["customer"].to_numpy() + 1000, "date": _dates(voiced["day"].to_numpy())}
    ).to_csv(tmp / "complaints.csv", index=False)
    answers = model.service_log.survey_frame()
    pd.DataFrame(
        {
            "customer": answers["customer"].to_numpy() + 1000,
            "date": _dates(answers["day"].to_numpy()),
            "score": answers["score"].to_numpy(),
        }
    ).to_csv(tmp / "surveys.csv", index=False)
    until_day = (pd.Timestamp(UNTIL) - ORIGIN).days + 1  # simulated days up to calibrate.until
    failed = incidents["failed"].to_numpy() & (incidents["day"].to_numpy() <= until_day)
    rate = failed.sum() / (log["day"].to_numpy() <= until_day).sum()  # the firm's service records
    return tmp, [
        f"data={tmp / 'store.csv'}",
        f"calibrate.until={UNTIL}",
        f"calibrate.complaints={tmp / 'complaints.csv'}",
        f"calibrate.surveys={tmp / 'surveys.csv'}",
        f"calibrate.failure_rate={rate:.6f}",
    ]


def test_stage_3_recovers_a_known_propensity_and_midpoint(firm):
    _, args = firm
    base = Base([*args, "progress=off"], "calibrate")
    split = job.read_split(base.config)
    records = firm_records(base.config, split)
    summary = summarise_split(split)
    daily = np.bincount(summary.first_day, minlength=int(summary.first_day.max()) + 1)
    price = float(split.calibration()["amount"].mean())
    sim = Simulator(base.composed, price, 0.3, [int(c) for c in daily], 4)
    fit = fit_voice(records, sim, TRUTH, split.until_day, 2, 0)  # at the store's own process
    k, m = fit.propensity, fit.midpoint
    assert k.reached and m.reached and fit.runs <= 24
    assert 0 < k.std_error < 0.15 * K and 0 < m.std_error < 0.05  # informative, not vacuous
    assert abs(k.estimate - K) < 3 * k.std_error, (k.estimate, k.std_error)
    assert abs(m.estimate - M) < 3 * m.std_error, (m.estimate, m.std_error)
    assert abs(k.achieved - k.target) < 0.25 * k.target_se  # the bisection hit its targets
    assert abs(m.achieved - m.target) < 0.25 * m.target_se
    assert abs(fit.failure_share - FAILURES) < 0.01  # the simulated store fails as the firm does


@pytest.fixture(scope="module")
def command(firm, tmp_path_factory):
    """The whole command on the firm's files (a 4-trial stage 2), its files written."""
    _, args = firm
    base = Base([*args, *FAST, "plots=false"], "calibrate")
    cal = job.calibrate(base.config, base.composed)
    out = tmp_path_factory.mktemp("with")
    cfg = replace(base.config, calibrate=replace(base.config.calibrate, config_dir=str(out)))
    written = job.write_calibration(cal, cfg, out, "none")
    return cal, cfg, out, written


@pytest.mark.slow  # the whole command: stage 2 and the forecasts too (about 15 s)
def test_the_command_writes_the_calibrated_voice_into_the_population(command):
    cal, cfg, out, written = command
    population = written[1].read_text()
    assert "experience:\n  complaint_propensity: " in population
    stored = pd.json_normalize(json.loads((out / "calibration.json").read_text())["voice"])
    k = stored["experience.complaint_propensity"].iloc[0]
    m = stored["experience.survey_midpoint"].iloc[0]
    assert abs(k - K) < 0.25 * K and abs(m - M) < 0.15  # at a 4-trial process, not the truth's
    assert f"complaint_propensity: {k}" in population and f"survey_midpoint: {m}" in population
    summary = format_summary(cal, cfg, written)
    assert "complaints per purchase  complaint_propensity" in summary
    rate = cfg.calibrate.failure_rate
    use = f"custsim population=store market.firms.A.service.failure_rate={rate:g}"
    assert use + " market.firms.A.survey.every=7" in summary
    report = (out / "report.md").read_text()
    assert "## What the firm hears" in report and "| NPS | (not fitted) |" in report
    voice = pd.read_csv(out / "voice.csv")
    assert voice["parameter"].tolist() == ["complaint_propensity", "survey_midpoint"]
    assert voice["reached"].all()


def test_without_complaints_or_surveys_there_is_no_stage_3(firm):
    _, args = firm
    cfg = Base(args[:2], "calibrate").config
    assert firm_records(cfg, job.read_split(cfg)) is None


@pytest.mark.slow
def test_without_complaints_or_surveys_nothing_of_stage_3_is_written(command, tmp_path):
    cal, cfg, out, written = command
    plain = replace(cal, voice=None)
    cfg = replace(cfg, calibrate=replace(cfg.calibrate, config_dir=str(tmp_path)))
    again = job.write_calibration(plain, cfg, tmp_path, "none")
    population = again[1].read_text().replace(str(tmp_path), str(out))
    with_voice = written[1].read_text()
    assert "experience" not in population
    assert population == with_voice[: with_voice.index("experience:")]  # the block is last
    market = again[0].read_text().replace(str(tmp_path), str(out))
    assert market == written[0].read_text()  # the market is the same
    assert not (tmp_path / "voice.csv").exists()
    assert "voice" not in json.loads((tmp_path / "calibration.json").read_text())
    assert "What the firm hears" not in (tmp_path / "report.md").read_text()
    summary = format_summary(plain, cfg, again)
    assert "what the firm hears" not in summary and "failure_rate" not in summary


def _records(tmp_path, name, **columns):
    path = tmp_path / name
    pd.DataFrame(columns).to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    ("given", "line"),
    [
        (["complaints=C"], "calibrate.failure_rate: missing; with calibrate.complaints"),
        (["failure_rate=0.1"], "calibrate.failure_rate=0.1: needs calibrate.complaints or"),
        (["complaints=C", "failure_rate=0"], "calibrate.failure_rate=0.0: must be in (0, 1]"),
        (["complaints=C", "failure_rate=1.5"], "calibrate.failure_rate=1.5: must be in (0, 1]"),
        (["complaints=nowhere.csv", "failure_rate=0.1"], "complaints=nowhere.csv: no such file"),
        (["surveys=answers.txt"], "surveys=answers.txt: unknown file type '.txt' (allowed: .csv"),
        (["complaints=NODATE", "failure_rate=0.1"], "no column 'date' (set calibrate.columns.date"),
        (["surveys=NOSCORE"], "no column 'score' (set calibrate.columns.score=<name>"),
        (["surveys=S11"], "1 scores in column 'score' are not whole numbers 0..10, first 11"),
        (["surveys=LATE"], "no answers by the log's customers on or before calibrate.until="),
        (["complaints=STRANGERS", "failure_rate=0.1"], "none of its 2 complaints up to calibrate"),
        (["complaints=BADDATE", "failure_rate=0.1"], "1 dates in column 'date' cannot be read"),
        (
            ["complaints=C", "failure_rate=0.1", "policy"],
            "policy: a policy that answers complaints",
        ),
    ],
)
def test_bad_records_fail_before_any_run_in_one_line(firm, tmp_path, given, line):
    _, args = firm
    files = {
        "C": _records(tmp_path, "c.csv", customer=[1000, 1001], date=["2020-02-01", "2020-03-01"]),
        "NODATE": _records(tmp_path, "d.csv", customer=[1000], day=["2020-02-01"]),
        "NOSCORE": _records(tmp_path, "e.csv", customer=[1000], date=["2020-02-01"], nps=[7]),
        "S11": _records(tmp_path, "f.csv", customer=[1000, 1001], date=[UNTIL] * 2, score=[3, 11]),
        "LATE": _records(tmp_path, "g.csv", customer=[1000], date=["2020-12-01"], score=[7]),
        "STRANGERS": _records(tmp_path, "h.csv", customer=[1, 2], date=["2020-02-01"] * 2),
        "BADDATE": _records(tmp_path, "i.csv", customer=[1000, 1001], date=["2020-02-01", "soon"]),
    }
    keys = []
    for g in given:
        if g == "policy":  # answered complaints change behaviour: stage 3 refuses them
            keys.append("policy=complaint_handling")
            continue
        key, value = g.split("=")
        keys.append(f"calibrate.{key}={files.get(value, value)}")
    with pytest.raises(ConfigError) as err:
        job.check_calibration(Base([*args[:2], *keys], "calibrate").config, [])
    message = str(err.value)
    assert len(message.splitlines()) == 1 and line in message, message


def test_the_command_stops_on_bad_records_with_one_line_and_writes_nothing(firm, tmp_path):
    _, args = firm
    env = {**os.environ, "CUSTSIM_CONFIG_DIR": str(tmp_path / "conf")}
    cmd = [sys.executable, "-m", "custsim.experiments.calibrate", *args[:2]]
    cmd += [f"calibrate.complaints={tmp_path / 'none.csv'}", "calibrate.failure_rate=0.05"]
    cmd.append(f"hydra.run.dir={tmp_path / 'run'}")
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("custsim-calibrate: config error: calibrate.complaints=")
    assert lines[0].endswith(": no such file") and "none.c" in lines[0]  # a long path is cut
    assert not (tmp_path / "conf").exists() and not (tmp_path / "run").exists()
