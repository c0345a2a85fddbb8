"""Satisfaction, dropout and inventory kernels against their closed forms."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from custsim.agents.churn import dropout_probability, experience, update_satisfaction
from custsim.agents.inventory import current_stock, outside_utility, purchase_quantity


def test_experience_is_prospect_value_of_relative_gain():
    assert experience(10.0, 8.0, 0.88, 0.88, 2.25) == pytest.approx(0.2**0.88)
    assert experience(10.0, 12.0, 0.88, 0.88, 2.25) == pytest.approx(-2.25 * 0.2**0.88)
    assert experience(10.0, 10.0, 0.88, 0.88, 2.25) == 0.0


def test_satisfaction_is_exponential_average():
    assert update_satisfaction(0.5, -1.0, 0.3) == pytest.approx(0.7 * 0.5 + 0.3 * -1.0)


def test_dropout_without_dissatisfaction_is_bg_nbd_p():
    p = np.array([0.01, 0.2])
    np.testing.assert_array_equal(dropout_probability(p, np.array([0.0, 0.4]), 5.0), p)
    np.testing.assert_array_equal(dropout_probability(p, np.array([-0.5, -0.5]), 0.0), p)


def test_dissatisfaction_raises_hazard_linearly_and_caps_at_one():
    assert dropout_probability(0.01, -0.5, 2.0) == pytest.approx(0.01 * (1 + 2.0 * 0.5))
    assert dropout_probability(0.9, -10.0, 2.0) == 1.0


def test_stock_depletes_at_consumption_rate_and_floors_at_zero():
    np.testing.assert_allclose(current_stock([2.0, 1.0], [0.1, 0.5], [5, 5]), [1.5, 0.0])


def test_outside_utility_is_weight_times_weeks_of_supply():
    assert outside_utility(1.4, 0.1, 0.5) == pytest.approx(0.5 * 1.4 / 0.7)


def test_no_deal_buys_one_unit():
    q = purchase_quantity(np.zeros(4), np.full(4, 0.9), np.zeros(4), 4.0, np.full(4, 0.99))
    np.testing.assert_array_equal(q, 1)


def test_deep_deal_fills_spare_storage():
    # depth 0.25, sigma = 1: fill the spare S - stock - 1 = 3 units
    q = purchase_quantity(np.array([0.25]), np.array([1.0]), np.array([0.0]), 4.0, np.array([0.0]))
    assert q[0] == 4


def test_stochastic_rounding_is_unbiased():
    rng = np.random.default_rng(1)
    n = 100_000
    # fill = 0.5 * 0.1 / 0.25 = 0.2 of spare 3 -> 0.6 extra units on average
    q = purchase_quantity(np.full(n, 0.1), np.full(n, 0.5), np.zeros(n), 4.0, rng.random(n))
    assert q.mean() == pytest.approx(1.6, abs=0.01)


@given(
    depth=st.floats(0, 1),
    sigma=st.floats(0, 1),
    stock=st.floats(0, 10),
    limit=st.floats(1, 10),
    u=st.floats(0, 1, exclude_max=True),
)
def test_quantity_respects_storage(depth, sigma, stock, limit, u):
    q = purchase_quantity(
        np.array([depth]), np.array([sigma]), np.array([stock]), limit, np.array([u])
    )[0]
    assert q >= 1
    assert stock + q <= max(limit, stock + 1) + 1e-9
