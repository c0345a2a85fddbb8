"""Reference-price update and latitude of acceptance, against closed forms."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from custsim.agents.reference_price import perceived_gain, relative_deal_depth, update


def test_update_is_exponential_smoothing():
    assert update(10.0, 8.0, 0.25) == pytest.approx(0.75 * 10 + 0.25 * 8)


def test_repeated_updates_converge_geometrically():
    # r_t = p + (1 - theta)^t (r_0 - p)
    r, p, theta = 10.0, 7.0, 0.2
    for _ in range(15):
        r = update(r, p, theta)
    assert r == pytest.approx(7.0 + 0.8**15 * 3.0)


def test_theta_extremes():
    assert update(10.0, 7.0, 0.0) == 10.0
    assert update(10.0, 7.0, 1.0) == 7.0


def test_latitude_band_is_neutral_and_only_excess_counts():
    r = 10.0
    assert perceived_gain(r, 9.9, 0.02) == 0.0  # 1% cut inside a 2% band
    assert perceived_gain(r, 10.1, 0.02) == 0.0
    assert perceived_gain(r, 8.0, 0.02) == pytest.approx(2.0 - 0.2)
    assert perceived_gain(r, 12.0, 0.02) == pytest.approx(-(2.0 - 0.2))
    assert perceived_gain(r, 8.0, 0.0) == pytest.approx(2.0)


def test_deal_depth():
    np.testing.assert_allclose(relative_deal_depth([10.0, 10.0], [7.5, 11.0]), [0.25, 0.0])


@given(r=st.floats(0.1, 100), p=st.floats(0.0, 100), theta=st.floats(0, 1), lat=st.floats(0, 0.5))
def test_update_stays_between_reference_and_price(r, p, theta, lat):
    new = update(r, p, theta)
    assert min(r, p) - 1e-9 <= new <= max(r, p) + 1e-9
    g = perceived_gain(r, p, lat)
    assert abs(g) <= abs(r - p) + 1e-12
    assert np.sign(g) in (0.0, np.sign(r - p))
