"""Findings 1-4 (pricing): the price_change policy, the arm helpers, and each finding.

Each finding runs at its fast-test size (`finding.fast` in its
conf/experiment/*.yaml) and asserts the published sign and size within the
tolerance stated in its analysis module; the same assertions run at full size
under `-m slow`. Synthetic inputs show that every check can fail.
"""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from custsim.experiments.findings import (
    arms,
    elasticities,
    hilo_vs_edlp,
    promotion_erosion,
    reference_asymmetry,
)
from custsim.experiments.findings.framework import FindingResult
from custsim.experiments.findings.records import run_finding
from custsim.policies.check import check_policy
from custsim.policies.price_change import PriceChange, PriceChangeConfig
from custsim.sim.market import FirmSpec
from custsim.sim.testing import compose_config
from custsim.sim.traits import population_spec

FIRM = FirmSpec(name="A", index=0, regular_price=8.0, unit_cost=5.0, market=("A", "B"))


# -- the price_change policy -----------------------------------------------------------


@pytest.mark.parametrize("change,after", [(0.1, 8.8), (-0.25, 6.0), (0.0, 8.0)])
def test_price_change_steps_the_price_on_its_day_and_keeps_it(change, after):
    policy = PriceChange(FIRM, PriceChangeConfig(change=change, day=5))
    prices = [policy.price(day) for day in (1, 4, 5, 6, 365)]
    assert prices == pytest.approx([8.0, 8.0, after, after, after])


def test_price_change_is_not_advertised_as_a_deal():
    offer = PriceChange(FIRM, PriceChangeConfig(change=-0.1, day=1)).offers(
        SimpleNamespace(day=3), np.random.default_rng(0)
    )
    assert (offer.price, offer.promoted, offer.list_price, offer.frame) == (
        7.2,
        False,
        None,
        "none",
    )


@pytest.mark.parametrize("kwargs", [{"change": -1.0}, {"change": -1.5}, {"day": 0}])
def test_price_change_rejects_impossible_parameters(kwargs):
    with pytest.raises(ValueError, match="must be"):
        PriceChange(FIRM, PriceChangeConfig(**kwargs))


def test_price_change_passes_check_policy_across_its_step():
    offers = check_policy(["policy=price_change", "policy.day=10", "policy.change=-0.2"], days=20)
    assert [o.price for o in offers[8:10]] == pytest.approx([8.0, 6.4])


# -- arm helpers ---------------------------------------------------------------------


def test_zero_crossing_interpolates_the_first_sign_change():
    assert arms.zero_crossing([0.5, 1.0, 2.0], [0.2, 0.1, -0.1]) == pytest.approx(1.5)
    assert arms.zero_crossing([1.0, 2.0], [-1.0, 1.0]) == pytest.approx(1.5)
    assert np.isnan(arms.zero_crossing([1.0, 2.0], [0.1, 0.2]))


def test_log_response_and_window_sum():
    assert arms.log_response([np.e, 1.0], [1.0, 0.0]) == pytest.approx([1.0, np.nan], nan_ok=True)
    daily = np.arange(1.0, 11.0)  # day d sells d units
    assert arms.window_sum(daily, 3, 2) == 3 + 4


def test_with_trait_sets_every_segment_and_validates():
    cfg = arms.with_trait(compose_config("population.size=100"), "loss_aversion", 1.0)
    spec = {t.name: t for t in population_spec(cfg.population).traits}
    assert spec["loss_aversion"].moments == ((1.0, 0.0),) * len(cfg.population.segments)
    assert spec["memory"].moments[1] == (0.3, 0.08)  # the other traits keep the segments' values
    with pytest.raises(ValueError, match="must be >= 0"):
        arms.with_trait(cfg, "loss_aversion", -1.0)


# -- the checks can fail (synthetic inputs, no simulation) -----------------------------


def test_reference_asymmetry_checks_fail_without_asymmetry():
    p = reference_asymmetry.Params()
    summary = pd.DataFrame(
        {
            "setting": ["default", "lambda_1"],
            "measure": ["buyers", "buyers"],
            "ratio": [1.0, 1.3],
            "ci_low": [0.95, 1.2],
            "ci_high": [1.05, 1.4],
        }
    )
    assert [c.passed for c in reference_asymmetry.checks(summary, p)] == [False, False]
    fast = reference_asymmetry.checks(summary, p, reference_asymmetry.FAST_SYMMETRY_BAND)
    assert [c.passed for c in fast] == [False, False]  # the fast-size band still rejects 1.3


def test_reference_asymmetry_fast_band_is_wider_but_still_a_band():
    p = reference_asymmetry.Params()
    summary = pd.DataFrame(
        {
            "setting": ["default", "lambda_1"],
            "measure": ["buyers", "buyers"],
            "ratio": [1.3, 1.05],
            "ci_low": [1.2, 0.95],
            "ci_high": [1.4, 1.15],
        }
    )
    full = reference_asymmetry.checks(summary, p)
    fast = reference_asymmetry.checks(summary, p, reference_asymmetry.FAST_SYMMETRY_BAND)
    assert [c.passed for c in full] == [True, False]  # 1.15 is outside +-10% ...
    assert [c.passed for c in fast] == [True, True]  # ... and inside the fast size's +-20%
    assert fast[1].criterion == "95% CI inside [0.8, 1.2]"


def test_hilo_checks_fail_when_hilo_always_wins():
    seeds, lams = range(4), [0.5, 1.0, 3.0]
    paired = pd.DataFrame(
        [
            {"world": "reference_only", "lam": lam, "seed": s, "revenue_diff": 0.05 + 0.001 * s}
            for lam in lams
            for s in seeds
        ]
    )
    p = hilo_vs_edlp.Params(lambdas=lams)
    for extrapolate in (False, True):  # full size (grid crossing), fast size (fitted line)
        passed = [c.passed for c in hilo_vs_edlp.checks(paired, p, extrapolate)]
        assert passed == [True, False, False, False]


def test_hilo_fast_crossing_extrapolates_a_seed_that_does_not_cross():
    lams = [0.5, 3.0]
    diffs = {0: (0.04, -0.02), 1: (0.05, 0.005), 2: (0.045, -0.025), 3: (0.04, -0.015)}
    paired = pd.DataFrame(
        [
            {"world": "reference_only", "lam": lam, "seed": s, "revenue_diff": d[i]}
            for s, d in diffs.items()
            for i, lam in enumerate(lams)
        ]
    )
    p = hilo_vs_edlp.Params(lambdas=lams)
    full, fast = (hilo_vs_edlp.checks(paired, p, extrapolate) for extrapolate in (False, True))
    assert np.isnan(full[3].value) and not full[3].passed  # seed 1 never crosses on the grid
    # its line crosses at 0.5 + 2.5 * 0.05 / 0.045 = 3.28; the others at 2.17, 2.11, 2.32
    assert fast[3].value == pytest.approx((2.1667 + 3.2778 + 2.1071 + 2.3182) / 4, abs=1e-3)


def test_elasticity_checks_fail_outside_the_published_ranges():
    n = 5
    values = {k: np.full(n, 0.3) + 0.01 * np.arange(n) for k in arms_shares()}
    values |= {"regular": np.full(n, -0.8), "promotional": np.full(n, -6.0)}
    values["promo_minus_regular"] = values["promotional"] - values["regular"]
    assert [c.passed for c in elasticities.checks(values)] == [False, False, True, True, True, True]


def arms_shares() -> list[str]:
    return [f"{k}_share" for k in elasticities.SOURCES]


def test_promotion_checks_fail_for_a_lasting_lift():
    base = compose_config("+experiment=promotion_erosion", "population.size=100")
    p = promotion_erosion.Params()
    ones = np.ones(5)
    values = {
        "erosion_frequent_deep": 0.01 * ones,  # inside the latitude band: unnoticed
        "frequency_effect": 0.02 * ones + 0.001 * np.arange(5),
        "depth_effect": -0.02 * ones + 0.001 * np.arange(5),
        "dip": 0.01 * ones + 0.001 * np.arange(5),
        "lasting": 0.1 * ones + 0.001 * np.arange(5),
    }
    passed = [c.passed for c in promotion_erosion.checks(values, base, p)]
    assert passed == [False, True, False, False, False]
    fast = promotion_erosion.checks(values, base, p, promotion_erosion.FAST_MARGIN)
    assert not fast[-1].passed  # a lasting lift of 10% fails the fast size's +-5% too
    values["lasting"] = 0.04 * ones + 0.001 * np.arange(5)  # outside +-3%, inside +-5%
    assert not promotion_erosion.checks(values, base, p)[-1].passed
    assert promotion_erosion.checks(values, base, p, promotion_erosion.FAST_MARGIN)[-1].passed


# -- the findings: the same assertions at the fast-test size and at full size -------------


def assert_reference_asymmetry(result: FindingResult) -> None:
    asymmetry, no_loss_aversion = result.checks
    assert asymmetry.ci_low > 1  # a rise loses more purchases than an equal cut gains
    assert asymmetry.ci_high < 2.5  # total response: below the reference-only 2.5 (Putler)
    # lambda = 1: gone, within 10% (within 20% at the fast-test size, where the CI is about +-5%)
    band = 0.2 if result.fast else 0.1
    assert 1 - band <= no_loss_aversion.ci_low and no_loss_aversion.ci_high <= 1 + band


def assert_promotion_erosion(result: FindingResult) -> None:
    erosion, frequency, depth, dip, lasting = result.checks
    assert erosion.ci_low > 0.02  # reference below regular, beyond the 2% latitude band
    assert frequency.ci_low > 0 and depth.ci_low > 0  # more often / deeper: lower references
    assert dip.ci_high < 0  # post-promotion dip
    margin = 0.05 if result.fast else 0.03  # back to baseline (fast size: CI +-1% to +-2.5%)
    assert -margin <= lasting.ci_low and lasting.ci_high <= margin


def assert_hilo_vs_edlp(result: FindingResult) -> None:
    gain_seeking, loss_averse, slope, crossing = result.checks
    assert gain_seeking.ci_low > 0  # lambda = 0.5: hi-lo earns more
    assert loss_averse.ci_high < 0  # lambda = 3: the constant price earns more
    assert slope.ci_high < 0  # loss aversion penalises hi-lo
    assert 1 <= crossing.ci_low and crossing.ci_high <= 3


def assert_elasticities(result: FindingResult) -> None:
    regular, promo, gap, *shares = result.checks
    assert -4 <= regular.ci_low and regular.ci_high <= -1.5  # meta-analytic mean -2.62
    assert -5 <= promo.ci_low and promo.ci_high <= -2  # short-term promotional mean -3.63
    assert gap.ci_high < 0  # promotions more elastic than regular price changes
    assert all(0.1 <= s.ci_low and s.ci_high <= 0.6 for s in shares)  # about a third each


ASSERTIONS = {
    "reference_asymmetry": assert_reference_asymmetry,
    "promotion_erosion": assert_promotion_erosion,
    "hilo_vs_edlp": assert_hilo_vs_edlp,
    "elasticities": assert_elasticities,
}


@pytest.mark.parametrize("name", list(ASSERTIONS))
def test_pricing_finding_fast(name):
    result = run_finding(name, fast=True, n_jobs=2)
    ASSERTIONS[name](result)
    assert result.passed  # the finding's own checks agree


@pytest.mark.slow
@pytest.mark.parametrize("name", list(ASSERTIONS))
def test_pricing_finding_full_size(name):
    result = run_finding(name, fast=False, n_jobs=2)
    ASSERTIONS[name](result)
    assert result.passed
