"""Brand launch (advertising + word of mouth awareness) against the Bass closed forms."""

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from custsim.agents import diffusion
from custsim.sim.config import ConfigError
from custsim.sim.runner import simulate
from custsim.sim.testing import small_config

P, Q = 0.03, 0.38


def test_awareness_probability_is_one_minus_exp_of_the_daily_bass_hazard():
    share = np.array([0.0, 0.25, 1.0])
    expected = 1.0 - np.exp(-(P + Q * share) / 365.0)
    np.testing.assert_allclose(diffusion.awareness_probability(P, Q, share, 365.0), expected)
    np.testing.assert_allclose(diffusion.advertising_share(P, Q, share), P / (P + Q * share))
    assert diffusion.advertising_share(0.0, Q, np.array([0.0]))[0] == 1.0


def test_bass_cumulative_solves_the_bass_equation():
    t = np.linspace(0.0, 20.0, 201)
    ode = solve_ivp(
        lambda _, f: (P + Q * f) * (1 - f), (0, 20), [0.0], t_eval=t, rtol=1e-10, atol=1e-12
    )
    np.testing.assert_allclose(diffusion.bass_cumulative(t, P, Q), ode.y[0], atol=1e-7)
    rate = np.gradient(diffusion.bass_cumulative(t, P, Q), t)
    np.testing.assert_allclose(diffusion.bass_adoption_rate(t, P, Q)[1:-1], rate[1:-1], atol=2e-4)


def test_bass_innovator_share_integrates_the_innovation_flow():
    t = np.linspace(0.0, 12.0, 120_001)
    share = diffusion.bass_cumulative(t, P, Q)
    innovators = np.sum(P * (1 - share[:-1]) * np.diff(t))  # int p (1 - F) dt
    assert diffusion.bass_innovator_share(share[-1], P, Q) == pytest.approx(
        innovators / share[-1], rel=1e-4
    )
    assert diffusion.bass_innovator_share(1.0, P, Q) == pytest.approx(0.2064, abs=1e-4)


def test_bass_peak_time_is_where_adoptions_peak():
    t = np.linspace(0.0, 20.0, 200_001)
    assert diffusion.bass_peak_time(P, Q) == pytest.approx(np.log(Q / P) / (P + Q))
    assert diffusion.bass_peak_time(P, Q) == pytest.approx(6.1926, abs=1e-4)
    peak = t[np.argmax(diffusion.bass_adoption_rate(t, P, Q))]
    assert peak == pytest.approx(diffusion.bass_peak_time(P, Q), abs=1e-3)
    assert diffusion.bass_peak_time(0.4, 0.1) == 0.0  # q <= p: adoptions fall from the start


def launch_config(*overrides):
    return small_config(  # brand B of the coffee market plays the new brand
        "market.launch.brand=B",
        "market.launch.period_days=30",
        *overrides,
    )


def test_launch_is_off_by_default():
    run = simulate(small_config("steps=5"))
    assert run.model.launch is None


def test_unknown_launch_brand_is_a_config_error():
    with pytest.raises(ConfigError, match=r"market\.launch\.brand=.Z."):
        small_config("market.launch.brand=Z")


def test_nobody_buys_the_brand_before_hearing_of_it():
    run = simulate(launch_config("network=erdos_renyi", "market.launch.innovation=0.1"))
    model = run.model
    first = model.state.first_buy_day[model.launch.brand]
    bought = np.isfinite(first)
    assert bought.sum() > 50
    assert np.all(first[bought] > model.launch.aware_day[bought])  # heard at the end of a day
    assert np.array_equal(bought, model.launch.adopted)


def test_advertising_alone_makes_awareness_one_minus_exp_of_p_t():
    run = simulate(launch_config("network=none", "market.launch.innovation=0.3"))
    launch, days = run.model.launch, run.model.cfg.steps
    expected = -np.expm1(-0.3 * days / 30.0)
    n = len(launch.aware)
    assert launch.aware.mean() == pytest.approx(expected, abs=4 * np.sqrt(expected / n))
    assert launch.by_advertising[launch.aware].all()


def test_word_of_mouth_needs_adopting_neighbours_and_counts_them_exactly():
    run = simulate(launch_config("network=erdos_renyi", "market.launch.imitation=3.0"))
    model, launch = run.model, run.model.launch
    heard_by_mouth = launch.aware & ~launch.by_advertising
    assert heard_by_mouth.sum() > 20
    assert np.all(launch.adopted_neighbours[heard_by_mouth] > 0)
    counts = model.graph.to_scipy() @ launch.adopted.astype(np.float32)
    np.testing.assert_array_equal(launch.adopted_neighbours, counts.astype(np.int32))
