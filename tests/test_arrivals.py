"""Customers who arrive over the run (`population.arrivals`): schedules, the engine, the records."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custsim.agents.arrivals import empirical_times, poisson_times
from custsim.sim.config import ConfigError
from custsim.sim.runner import build_model, simulate
from custsim.sim.testing import small_config

COHORT = "population.arrivals.kind=empirical"


@given(
    st.lists(st.integers(0, 40), min_size=1, max_size=30).filter(lambda w: sum(w) > 0),
    st.integers(0, 2**32 - 1),
)
@settings(max_examples=60, deadline=None)
def test_an_empirical_schedule_reproduces_the_daily_counts_when_sizes_match(weights, seed):
    times = empirical_times(weights, sum(weights), np.random.default_rng(seed))
    days = np.floor(times).astype(int)
    assert np.array_equal(np.bincount(days, minlength=len(weights)), weights)
    assert np.all(times - days == 0.5)  # the midpoint of the day


def test_an_empirical_schedule_scales_by_largest_remainder():
    times = empirical_times([1, 1, 2], 10, np.random.default_rng(0))
    assert np.bincount(np.floor(times).astype(int)).tolist() == [3, 2, 5]  # 2.5, 2.5, 5


def test_poisson_arrivals_come_at_the_rate():
    rate, n = 4.0, 40_000
    times = poisson_times(rate, 1_000, n, np.random.default_rng(1))
    assert np.count_nonzero(times == 0) == 1_000
    later = np.sort(times[times > 0])
    gaps = np.diff(np.concatenate([[0.0], later]))
    # mean gap 1 / rate; the sd of the mean of 39,000 exponential gaps is 0.5% of it
    assert np.mean(gaps) == pytest.approx(1 / rate, rel=0.02)
    assert later[-1] == pytest.approx((n - 1_000) / rate, rel=0.02)


def _run(*overrides):
    return simulate(small_config("population.size=800", "steps=40", *overrides), None)


def test_a_cohort_buys_first_on_its_arrival_day_and_never_before():
    run = _run(
        COHORT, "population.arrivals.daily=[3,0,2,5,1]", "population.arrivals.first_purchase=true"
    )
    c = run.customers
    assert np.bincount(c.arrival_day, minlength=6)[1:].tolist() == [218, 0, 145, 364, 73]
    assert (c.arrival_day >= 1).all() and (c.arrival_day <= 5).all()
    assert (c.first_purchase_day == c.arrival_day).all()  # the outside option was closed that day
    assert run.customer_kpis["customers"] == 800


def test_customers_still_to_arrive_are_neither_active_nor_churned():
    model = build_model(
        small_config(
            "population.size=500",
            "population.arrivals.kind=poisson",
            "population.arrivals.rate=5",
            "population.arrivals.present=0.2",
        )
    )
    st_ = model.state
    assert model.n_active == 100 and st_.n_arrived == 100
    for _ in range(10):
        model.step()
    arrived = st_.arrived()
    waiting = ~arrived
    assert waiting.any() and arrived.sum() > 100
    assert not st_.active[waiting].any() and (st_.churn_day[waiting] == -1).all()
    assert np.isinf(st_.next_occasion[waiting]).all()
    assert (st_.purchases[:, waiting] == 0).all()
    # about 100 + 5 a day for 10 days have arrived
    assert 120 <= arrived.sum() <= 180


def test_kpis_count_the_arrived_customers():
    run = _run("population.arrivals.kind=poisson", "population.arrivals.rate=3")
    c = run.customers
    came = c.arrival_day != -1
    assert run.customer_kpis["customers"] == came.sum() < 800
    assert not c.churned[~came].any()
    assert run.customer_kpis["retention"] == pytest.approx((came & ~c.churned).sum() / came.sum())


def test_arrivals_are_reproducible_to_the_byte(tmp_path):
    cfg = small_config(
        "population.size=600", "steps=30", COHORT, "population.arrivals.daily=[1,2,3]"
    )
    for name in ("a", "b"):
        simulate(cfg, tmp_path / name)
    for f in ("customers.parquet", "timeseries.parquet", "kpis.json"):
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes()


@pytest.mark.parametrize(
    ("overrides", "line"),
    [
        ((COHORT,), "population.arrivals.daily=[]: needs weights >= 0"),
        (
            (COHORT, "population.arrivals.daily=[1,-2]"),
            "population.arrivals.daily=[1.0, -2.0]: needs",
        ),
        (("population.arrivals.daily=[1]",), "used only with population.arrivals.kind=empirical"),
        (("population.arrivals.kind=poisson",), "population.arrivals.rate=0.0: must be > 0"),
        (("population.arrivals.present=0.5",), "population.arrivals.present=0.5: used only with"),
        (("population.arrivals.first_purchase=true",), "first_purchase=true: needs arrivals"),
        (
            ("population.arrivals.kind=weekly",),
            "population.arrivals.kind='weekly': must be one of: none, empirical",
        ),
    ],
)
def test_bad_arrivals_fail_before_the_run_in_one_line(overrides, line):
    with pytest.raises(ConfigError) as err:
        small_config(*overrides)
    assert line in str(err.value) and "\n" not in str(err.value)
