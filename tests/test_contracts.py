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
    assert compose_config([]).population.occasions.timing == "poisson"
    # nobody drops out: each customer's occasions on [0, T) are Poisson(mu_i T) with poisson
    # timing, exactly mu_i T = 3 with regular timing (one renewal a year)
    stay = [
        f"population.segments.{s}.dropout={{mean: 1e-9, sd: 0.0}}" for s in ("regular", "high_end")
    ]
    poisson = contract_run(*stay, "population.occasions.timing=poisson")
    regular = contract_run(*stay)  # the subscribers preset renews regularly
    counts = {}
    for name, run in (("poisson", poisson), ("regular", regular)):
        daily = run.timeseries.groupby("day")["occasions"].first().to_numpy()
        counts[name] = daily.sum()
    expected = 1095 * poisson.model.traits["occasion_rate"].sum()
    assert expected == pytest.approx(12_000, rel=1e-6)
    assert counts["regular"] == 12_000
    assert counts["poisson"] != 12_000
    assert abs(counts["poisson"] - expected) < 4 * np.sqrt(expected)  # Poisson: sd = sqrt(mean)
