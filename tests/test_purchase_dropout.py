"""`population.occasions.dropout = purchase`: customers leave only after a repeat purchase."""

import numpy as np
import pytest

from custsim.sim.runner import simulate
from custsim.sim.testing import small_config

SEGMENTS = ("balanced", "price_sensitive", "deal_seeker", "brand_loyal")


def _run(*overrides, size=4000, steps=365):
    every = [
        f"population.segments.{s}.{k}"
        for s in SEGMENTS
        for k in (
            "dropout.mean=0.2",
            "dropout.sd=0",
            "occasion_rate.mean=0.5",
            "occasion_rate.sd=0",
        )
    ]
    cfg = small_config(
        f"population.size={size}", f"steps={steps}", "network=none", *every, *overrides
    )
    return simulate(cfg, None)


def test_customers_leave_only_right_after_a_repeat_purchase():
    c = _run("population.occasions.dropout=purchase").customers
    gone = c[c.churned]
    assert len(gone) > 1000
    assert (gone.purchases >= 2).all()  # never at the first purchase
    assert (gone.churn_day == gone.last_purchase_day).all()  # never after an occasion without one


def test_repeat_purchases_before_leaving_are_geometric():
    # leaving with p at each repeat purchase: repeats until leaving ~ Geometric(p), mean 1 / p
    c = _run("population.occasions.dropout=purchase").customers
    gone = c[c.churned]
    assert len(gone) / len(c) > 0.97  # a year of 0.5 occasions a day: nearly all have left
    repeats = gone.purchases - 1
    # the sd of the mean of ~3,900 geometric counts with p = 0.2 is 4.5 / 62 = 0.07
    assert repeats.mean() == pytest.approx(1 / 0.2, abs=0.25)


def test_after_every_occasion_is_the_default_and_differs():
    default, per_purchase = (
        _run(size=1000, steps=60),
        _run("population.occasions.dropout=purchase", size=1000, steps=60),
    )
    assert (default.customers.churned & (default.customers.purchases < 2)).any()
    assert not np.array_equal(default.customers.churned, per_purchase.customers.churned)
