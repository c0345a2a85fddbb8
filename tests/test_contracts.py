"""Contract renewals (regular occasions) and the shifted-beta-geometric closed forms."""

import numpy as np
import pytest
from scipy.special import beta as beta_fn

from custsim.agents.churn import sbg_retention, sbg_survival
from custsim.agents.population import draw_beta
from custsim.sim.compose import compose_config
from custsim.sim.config import Dist
from custsim.sim.runner import simulate

REGULAR, HIGH_END = (0.704, 1.182), (0.668, 3.806)


@pytest.mark.parametrize(
    ("ab", "published"), [(REGULAR, [627, 474, 388, 332]), (HIGH_END, [851, 747, 670, 610])]
)
def test_sbg_survival_matches_the_beta_function_and_fader_hardie(ab, published):
    a, b = ab
    t = np.arange(5)
    np.testing.assert_allclose(sbg_survival(a, b, 4), beta_fn(a, b + t) / beta_fn(a, b))
    np.testing.assert_allclose(1000 * sbg_survival(a, b, 4)[1:], published, atol=0.5)


def test_sbg_retention_rises_and_is_the_ratio_of_survivals():
    a, b = REGULAR
    s = sbg_survival(a, b, 6)
    np.testing.assert_allclose(sbg_retention(a, b, 6), s[1:] / s[:-1])
    assert np.all(np.diff(sbg_retention(a, b, 6)) > 0)


def test_subscribers_preset_draws_the_published_beta_by_moments():
    cfg = compose_config(["population=subscribers"])
    for name, (a, b) in (("regular", REGULAR), ("high_end", HIGH_END)):
        d = cfg.population.segments[name].dropout
        concentration = d.mean * (1 - d.mean) / d.sd**2 - 1
        assert d.mean * concentration == pytest.approx(a, abs=1e-6)
        assert (1 - d.mean) * concentration == pytest.approx(b, abs=1e-6)
    a, b = REGULAR
    draws = draw_beta(Dist(0.3732767762, 0.2847116355), 200_000, np.random.default_rng(0))
    assert draws.mean() == pytest.approx(a / (a + b), abs=0.003)
    assert draws.var() == pytest.approx(a * b / ((a + b) ** 2 * (a + b + 1)), rel=0.02)


def contract_run(*overrides):
    cfg = compose_config(
        ["population=subscribers", "population.size=4000", "steps=1095", "network=none",
         "progress=off", *overrides]
    )  # fmt: skip
    return simulate(cfg)


def test_regular_occasions_give_every_customer_exactly_one_renewal_a_year():
    run = contract_run()
    daily = run.timeseries.groupby("day")[["occasions", "active_customers"]].first()
    occasions = daily["occasions"].to_numpy()
    active = np.concatenate(([4000], daily["active_customers"].to_numpy()))
    for year in range(3):
        renewals = occasions[365 * year : 365 * (year + 1)].sum()
        assert renewals == active[365 * year]  # everyone active at the start renews once


def test_poisson_occasions_are_still_the_default():
    cfg = compose_config(["population.size=100"])
    assert cfg.population.occasion_timing == "poisson"
    run = contract_run("population.occasion_timing=poisson")
    occasions = run.timeseries.groupby("day")["occasions"].first().to_numpy()
    assert occasions[:365].sum() != 4000  # exponential gaps: a Poisson number per year
