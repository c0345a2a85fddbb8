"""custsim-calibrate: parameter recovery, the holdout kept out of the fit, the store's files.

The recovery test is the proof of the estimator: simulate a store with a known purchase
process, write its transaction log, calibrate on it, and find every parameter within
three of its reported standard errors.
"""

import numpy as np
import pandas as pd
import pytest

from custsim.experiments.batch import Base
from custsim.experiments.calibrate import job
from custsim.experiments.calibrate.fit import Simulator
from custsim.experiments.calibrate.store import PurchaseProcess
from custsim.sim.runner import simulate

TRUTH = PurchaseProcess(rate_mean=0.03, rate_sd=0.03, dropout_mean=0.15, dropout_sd=0.1)
ORIGIN = pd.Timestamp("2020-01-01")


def store_log(process: PurchaseProcess, path, seed=7, customers_a_day=40, days=60, steps=500):
    """A simulated store's transaction log as a user would have it (CSV: customer, date, amount)."""
    base = Base(["data=cdnow_sample"], "calibrate")
    sim = Simulator(base.composed, 30.0, 0.3, [customers_a_day] * days, 1)
    log = simulate(sim.config(process, seed, steps), None).model.purchase_log.frame()
    frame = pd.DataFrame(
        {
            "customer": log["customer"].to_numpy() + 1000,
            "date": ORIGIN + pd.to_timedelta(log["day"].to_numpy() - 1, unit="D"),
            "amount": log["spend"].to_numpy(),
        }
    )
    frame.to_csv(path, index=False)
    return frame


def calibrated(*overrides):
    base = Base(["plots=false", "progress=off", *overrides], "calibrate")
    return job.calibrate(base.config, base.composed)


@pytest.fixture(scope="module")
def recovered(tmp_path_factory):
    path = tmp_path_factory.mktemp("recovery") / "store.csv"
    store_log(TRUTH, path)
    return calibrated(f"data={path}", "calibrate.until=2020-08-31")


def test_the_parameters_of_a_simulated_store_are_recovered_within_their_uncertainty(recovered):
    cal = recovered
    estimate, se = cal.fit.process.as_array(), cal.fit.std_errors.as_array()
    assert np.all(se > 0) and np.all(se < 0.5 * estimate)  # informative, not vacuous
    gap = np.abs(estimate - TRUTH.as_array()) / se
    assert np.all(gap < 3), dict(zip(PurchaseProcess.NAMES, gap.round(2), strict=True))
    assert cal.fit.objective < 0.5  # BG/NBD on the simulated store matches BG/NBD on the log
    assert abs(cal.errors["custsim"].total_error) < 0.10  # and the store's own holdout


def test_the_holdout_never_enters_the_fit(tmp_path):
    frame = store_log(TRUTH, tmp_path / "a.csv", steps=300)
    until = pd.Timestamp("2020-06-30")
    later = frame["date"] > until
    changed = frame.copy()
    changed.loc[later, "amount"] *= 3  # another holdout: tripled spend, half its rows gone
    changed = changed.drop(changed.index[later.to_numpy() & (np.arange(len(frame)) % 2 == 0)])
    changed.to_csv(tmp_path / "b.csv", index=False)
    small = ["calibrate.until=2020-06-30", "calibrate.trials=6", "calibrate.scale=1"]
    small += ["calibrate.replications=2", "calibrate.end=2020-10-26"]
    a, b = (calibrated(f"data={tmp_path / n}.csv", *small) for n in ("a", "b"))
    assert a.fit.trials.equals(b.fit.trials)
    assert a.fit.process == b.fit.process and a.price == b.price
    assert a.fit.moments.equals(b.fit.moments)
    assert a.summary.holdout_x.sum() != b.summary.holdout_x.sum()  # the holdouts do differ
