"""Prospect-theory kernels against Tversky & Kahneman (1992)."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from custsim.agents.prospect import value, weight, weighted_prospect


def test_value_matches_tk92_closed_form():
    # v(100) = 100^0.88, v(-100) = -2.25 * 100^0.88
    assert value(100.0, 0.88, 0.88, 2.25) == pytest.approx(100**0.88)
    assert value(-100.0, 0.88, 0.88, 2.25) == pytest.approx(-2.25 * 100**0.88)
    assert value(0.0, 0.88, 0.88, 2.25) == 0.0


def test_losses_loom_larger_by_lambda_for_equal_curvature():
    x = np.array([0.5, 1.0, 7.0])
    ratio = -value(-x, 0.88, 0.88, 2.25) / value(x, 0.88, 0.88, 2.25)
    np.testing.assert_allclose(ratio, 2.25)


def test_linear_symmetric_value_is_identity():
    x = np.linspace(-5, 5, 101)
    np.testing.assert_array_equal(value(x, 1.0, 1.0, 1.0), x)


def test_value_broadcasts_per_customer_parameters():
    x = np.array([[1.0, -1.0], [2.0, -2.0]])  # (J=2 firms, m=2 customers)
    lam = np.array([1.0, 3.0])
    got = value(x, 1.0, 1.0, lam)
    np.testing.assert_allclose(got, [[1.0, -3.0], [2.0, -6.0]])


def test_weighting_endpoints_and_identity():
    p = np.linspace(0, 1, 11)
    assert weight(0.0, 0.61) == 0.0
    assert weight(1.0, 0.61) == pytest.approx(1.0)
    np.testing.assert_allclose(weight(p, 1.0), p)


def test_weighting_inverse_s_shape_tk92():
    # Small probabilities overweighted, large ones underweighted (gamma = 0.61).
    assert weight(0.01, 0.61) == pytest.approx(0.01**0.61 / (0.01**0.61 + 0.99**0.61) ** (1 / 0.61))
    assert weight(0.01, 0.61) > 0.01
    assert weight(0.9, 0.61) < 0.9
    # w(p) = p near p = 0.34 for gamma = 0.61 (fixed point of the TK92 curve)
    grid = np.linspace(0.2, 0.5, 3001)
    cross = grid[np.argmin(np.abs(weight(grid, 0.61) - grid))]
    assert 0.3 < cross < 0.4


def test_weighted_prospect_is_weight_times_value():
    assert weighted_prospect(0.5, 10.0, 0.88, 0.61) == pytest.approx(weight(0.5, 0.61) * 10**0.88)


@given(
    # away from denormals, where lambda * x underflows to 0 in any arithmetic
    x=st.floats(-1e3, 1e3).filter(lambda v: v == 0 or abs(v) > 1e-9),
    alpha=st.floats(0.05, 1.0),
    beta=st.floats(0.05, 1.0),
    lam=st.just(0.0) | st.floats(1e-6, 10.0),
)
def test_value_is_finite_sign_preserving_and_monotone(x, alpha, beta, lam):
    v = value(x, alpha, beta, lam)
    assert np.isfinite(v)
    if x > 0:
        assert v > 0
    if x < 0 and lam > 0:
        assert v < 0
    assert value(x + 1.0, alpha, beta, lam) >= v


@given(p=st.floats(0.0, 1.0), g=st.floats(0.3, 1.0))
def test_weighting_is_a_probability_and_monotone(p, g):
    w = weight(p, g)
    assert 0.0 <= w <= 1.0 + 1e-12
    assert weight(min(p + 0.01, 1.0), g) >= w - 1e-12
