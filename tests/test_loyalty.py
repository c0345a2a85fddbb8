"""Loyalty kernels (agents.loyalty) and the points ledger (sim.ledger) against closed forms."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from custsim.agents import loyalty
from custsim.agents.churn import reactivation_probability
from custsim.agents.prospect import weight
from custsim.sim.ledger import PointsLedger
from custsim.sim.market import LoyaltyTerms


def tk_weight(p: float, gamma: float = 0.61) -> float:
    """Tversky-Kahneman (1992) weighting, written out independently of the package."""
    return p**gamma / (p**gamma + (1 - p) ** gamma) ** (1 / gamma)


def traits(n: int = 1, **overrides: float) -> dict[str, np.ndarray]:
    """Per-customer points traits, every customer alike."""
    base = dict(
        price_sensitivity=0.5,
        points_value=0.8,
        present_bias=0.7,
        occasion_rate=0.2,
        dropout=0.01,
        loss_aversion=2.0,
    )
    base.update(overrides)
    base["log_survival"] = np.log1p(-base.pop("dropout"))  # the model derives it once per customer
    return {k: np.full(n, v) for k, v in base.items()}


def utility(earn, balance, *, expiry=180, reward=5.0, loss=False, delta=0.999, **trait_values):
    n = np.size(balance)
    return loyalty.points_utility(
        np.broadcast_to(np.asarray(earn, dtype=float), (n,)),
        np.asarray(balance, dtype=float).reshape(n),
        100.0,
        reward,
        expiry,
        traits(n, **trait_values),
        delta,
        loss,
    )


def ids(*values: int) -> np.ndarray:
    return np.array(values, dtype=np.int64)


# -- points_earned, redeem, expired, purchases_to_reward ------------------------------------------


def test_points_earned_formula():
    # (rate * p * q + per_purchase) * multiplier
    got = loyalty.points_earned(np.array([8.0, 6.0]), np.array([1, 3]), 1.5, 2.0, 2.0)
    np.testing.assert_allclose(got, [(1.5 * 8 + 2) * 2, (1.5 * 18 + 2) * 2])
    assert loyalty.points_earned(8.0, 2, 0.0, 1.0, 1.0) == 1.0  # a stamp per purchase, not unit


@pytest.mark.parametrize(
    ("balance", "rewards", "left"),
    [(0.0, 0, 0.0), (99.5, 0, 99.5), (100.0, 1, 0.0), (130.0, 1, 30.0), (250.0, 2, 50.0)],
)
def test_redeem_below_at_and_above_several_thresholds(balance, rewards, left):
    got_rewards, got_left = loyalty.redeem(np.array([balance]), 100.0)
    assert got_rewards[0] == rewards
    assert got_left[0] == pytest.approx(left)


def test_expiry_lapses_strictly_after_expiry_days_idle():
    balance, last = np.array([5.0, 5.0, 0.0]), np.array([10.0, 11.0, 0.0])
    np.testing.assert_array_equal(loyalty.expired(balance, last, 15, 5), [False, False, False])
    np.testing.assert_array_equal(loyalty.expired(balance, last, 16, 5), [True, False, False])
    np.testing.assert_array_equal(loyalty.expired(balance, last, 17, 5), [True, True, False])
    assert not loyalty.expired(balance, last, 10**6, None).any()


@pytest.mark.parametrize(
    ("balance", "earn", "needed"),
    [
        (0.0, 10.0, 9),
        (90.0, 10.0, 0),
        (95.0, 10.0, 0),
        (85.0, 10.0, 1),
        (0.0, 8.0, 12),
        (3.0, 1.0, 6),
    ],
)
def test_purchases_to_reward_after_this_one(balance, earn, needed):
    assert loyalty.purchases_to_reward(balance, earn, 100.0 if earn > 1 else 10.0) == needed


# -- points_utility -------------------------------------------------------------------------------


@pytest.mark.parametrize("expiry", [180, None])
def test_points_utility_hand_computed(expiry):
    # earn 8 at balance 20 of T = 100: k = (100 - 20 - 8) / 8 = 9 purchases, tau = 9 / 0.2 = 45 days
    reach = 0.99**9 * (math.exp(-45 / 180) if expiry else 1.0)
    expected = 0.5 * 0.8 * 8 * (5.0 / 100) * tk_weight(reach) * 0.7 * 0.999**45
    assert utility(8.0, [20.0], expiry=expiry)[0] == pytest.approx(expected, rel=1e-12)
    assert expected == pytest.approx(0.0579646 if expiry else 0.0782216, rel=1e-5)


def test_points_utility_zero_without_reward_value():
    assert np.all(utility(8.0, [0.0, 20.0, 95.0], reward=0.0) == 0.0)


def test_completing_the_reward_now_has_no_present_bias_or_risk():
    # balance 92 + earn 8 = T: k = 0, so V = b m e R / T, whatever beta, p and expiry
    got = utility(8.0, [92.0], present_bias=0.1, dropout=0.5, expiry=1)
    assert got[0] == pytest.approx(0.5 * 0.8 * 8 * 0.05, rel=1e-12)
    # one purchase short: k = 1 and the present-bias factor applies
    assert utility(8.0, [84.0], present_bias=0.1)[0] < 0.15 * got[0]


def test_loss_framing_scales_by_lambda_only_for_holders():
    balance = np.array([0.0, 20.0, 60.0])
    gain, loss = utility(8.0, balance), utility(8.0, balance, loss=True)
    np.testing.assert_allclose(loss / gain, [1.0, 2.0, 2.0])


def test_points_utility_rises_with_the_balance():
    value = utility(8.0, np.linspace(0.0, 92.0, 47))
    assert np.all(np.diff(value) >= 0)
    assert value[-1] > 2 * value[0]


def test_points_utility_falls_as_expiry_tightens():
    values = [utility(8.0, [20.0], expiry=e)[0] for e in (None, 365, 90, 30, 7, 1)]
    assert np.all(np.diff(values) < 0)


def test_weight_used_by_points_utility_matches_tk92():
    for p in (0.05, 0.4, 0.9):
        assert weight(p, 0.61) == pytest.approx(tk_weight(p))


# -- goal gradient, switching cost, win-back ------------------------------------------------------


def test_goal_gradient_rate_endpoints_and_clipping():
    got = loyalty.goal_gradient_rate(0.2, np.array([-0.5, 0.0, 0.5, 1.0, 3.0]), 0.25)
    np.testing.assert_allclose(got, [0.2, 0.2, 0.2 * 1.125, 0.25, 0.25])


def test_goal_gradient_shortens_inter_purchase_time_by_a_fifth():
    # Kivetz, Urminsky & Zheng (2006): about 20% shorter at the last stamp for gamma = 0.25
    slow, fast = 1 / loyalty.goal_gradient_rate(0.15, np.array([0.0, 1.0]), 0.25)
    assert fast / slow == pytest.approx(0.8)


def test_switching_cost_factor_formula():
    got = loyalty.switching_cost_factor(np.array([0.0, 4.0]), np.array([2.0, 2.5]), 0.5, 8.0)
    np.testing.assert_allclose(got, [1.0, 1 + 0.5 * 2.5 * 4.0 / 8.0])


def test_reactivation_probability_closed_form():
    got = reactivation_probability(np.array([0.0, 0.2, 1.0]), 0.5)
    np.testing.assert_allclose(got, [0.0, 1 - math.exp(-0.1), 1 - math.exp(-0.5)])


# -- tiers ----------------------------------------------------------------------------------------


def test_tier_of_counts_thresholds_reached():
    spend = np.array([0.0, 59.99, 60.0, 149.0, 150.0, 1e6])
    np.testing.assert_array_equal(loyalty.tier_of(spend, (60.0, 150.0)), [0, 0, 1, 1, 2, 2])
    np.testing.assert_array_equal(loyalty.tier_of(spend, ()), np.zeros(6))


def test_decay_rolling_is_exponential_in_the_window():
    got = loyalty.decay_rolling(np.array([100.0, 100.0]), np.array([0, 90]), 90.0)
    np.testing.assert_allclose(got, [100.0, 100 * math.exp(-1)])


def test_ledger_tiers_promote_decay_and_demote():
    ledger, tiers = PointsLedger(1, 3), (60.0, 150.0)
    up = ledger.update_tiers(0, 0, ids(0, 1, 2), np.array([70.0, 200.0, 59.99]), 90.0, tiers)
    np.testing.assert_array_equal(up, [1, 2, 0])
    # 45 days on: 200 e^-0.5 = 121.3 -> tier 1; 70 e^-0.5 + 20 = 62.5 stays tier 1
    down = ledger.update_tiers(45, 0, ids(0, 1), np.array([20.0, 0.0]), 90.0, tiers)
    np.testing.assert_array_equal(down, [0, -1])
    np.testing.assert_allclose(
        ledger.rolling_spend[0, :2], [70 * math.exp(-0.5) + 20, 200 * math.exp(-0.5)]
    )
    np.testing.assert_array_equal(ledger.tier[0], [1, 1, 0])
    # a long absence: everyone falls back to the base tier
    gone = ledger.update_tiers(400, 0, ids(0, 1, 2), 0.0, 90.0, tiers)
    np.testing.assert_array_equal(gone, [-1, -1, 0])


# -- LoyaltyTerms ---------------------------------------------------------------------------------


def test_loyalty_terms_point_value_and_earns_points():
    assert LoyaltyTerms(threshold=50.0, reward_value=2.5).point_value == 0.05
    assert not LoyaltyTerms(threshold=1.0, reward_value=0.0).earns_points
    assert LoyaltyTerms(threshold=10.0, reward_value=8.0, points_per_purchase=1.0).earns_points
    assert LoyaltyTerms(threshold=10.0, reward_value=8.0, points_per_currency=0.5).earns_points


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"threshold": 0.0}, "threshold"),
        ({"reward_value": -1.0}, "reward_value"),
        ({"points_per_purchase": -1.0}, "points_per_purchase"),
        ({"multiplier": -1.0}, "multiplier"),
        ({"expiry_days": 0}, "expiry_days"),
        ({"initial_points": 10.0}, "initial_points"),
        ({"initial_points": -1.0}, "initial_points"),
        ({"message": "shout"}, "message"),
        ({"tier_thresholds": (60.0,), "tier_discounts": ()}, "tier_discounts"),
        ({"tier_thresholds": (60.0,), "tier_discounts": (1.0,)}, "tier_discounts"),
    ],
)
def test_loyalty_terms_validation_names_the_field(kwargs, key):
    base = {"threshold": 10.0, "reward_value": 8.0}
    with pytest.raises(ValueError, match=rf"^{key}="):
        LoyaltyTerms(**(base | kwargs))


# -- the ledger -----------------------------------------------------------------------------------


def test_ledger_settle_pays_rewards_and_keeps_the_remainder():
    ledger, terms = PointsLedger(2, 4), LoyaltyTerms(100.0, 5.0, points_per_currency=10.0)
    paid, flows = ledger.settle(3, 1, ids(0, 2, 3), np.array([8.0, 25.0, 9.0]), terms)
    np.testing.assert_allclose(paid, [0.0, 10.0, 0.0])  # 250 points: 2 rewards of 5
    np.testing.assert_allclose(ledger.balance[1], [80.0, 0.0, 50.0, 90.0])
    assert ledger.balance[0].sum() == 0.0  # the other firm is untouched
    assert (flows.earned, flows.redeemed, flows.rewards_paid) == (420.0, 200.0, 10.0)
    assert ledger.rewards_paid[1] == 10.0 and ledger.outstanding[1] == 220.0
    assert ledger.check() == 0.0


def test_ledger_expiry_lapses_idle_balances_into_breakage():
    ledger, terms = (
        PointsLedger(1, 2),
        LoyaltyTerms(100.0, 5.0, points_per_currency=1.0, expiry_days=5),
    )
    ledger.settle(10, 0, ids(0, 1), np.array([8.0, 8.0]), terms)
    ledger.settle(12, 0, ids(1), np.array([8.0]), terms)
    assert ledger.expire(15, 0, terms) == 0.0
    assert ledger.expire(16, 0, terms) == 8.0  # customer 0: idle since day 10
    assert ledger.expire(17, 0, terms) == 0.0
    assert ledger.expire(18, 0, terms) == 16.0  # customer 1: idle since day 12
    assert ledger.expired[0] == 24.0 and ledger.outstanding[0] == 0.0 and ledger.check() == 0.0


def test_ledger_never_expires_without_expiry():
    ledger, terms = PointsLedger(1, 1), LoyaltyTerms(100.0, 5.0, points_per_currency=1.0)
    ledger.settle(0, 0, ids(0), np.array([8.0]), terms)
    assert ledger.expire(10**6, 0, terms) == 0.0 and ledger.balance[0, 0] == 8.0


def test_endowed_points_are_earned_once_at_enrolment():
    ledger = PointsLedger(1, 3)
    terms = LoyaltyTerms(10.0, 8.0, points_per_purchase=1.0, initial_points=2.0, expiry_days=3)
    np.testing.assert_array_equal(ledger.effective_balance(0, ids(0, 1), terms), [2.0, 2.0])
    _, flows = ledger.settle(0, 0, ids(0, 1), np.zeros(2), terms)
    assert flows.earned == 2 * (2.0 + 1.0)
    _, flows = ledger.settle(1, 0, ids(0), np.zeros(1), terms)
    assert flows.earned == 1.0  # no second endowment
    ledger.expire(10, 0, terms)
    _, flows = ledger.settle(11, 0, ids(0), np.zeros(1), terms)
    assert flows.earned == 1.0 and ledger.balance[0, 0] == 1.0  # not re-endowed after lapsing
    np.testing.assert_array_equal(ledger.effective_balance(0, ids(0, 2), terms), [1.0, 2.0])
    assert ledger.earned[0] == 2 * 2.0 + 4 * 1.0 and ledger.check() == 0.0


@pytest.mark.parametrize(("slots", "free"), [(8, 0), (10, 2)])
def test_stamp_cards_with_the_same_distance_need_the_same_purchases(slots, free):
    # Nunes & Dreze (2006): a 10-slot card with 2 free stamps needs 8 purchases, like a plain 8-slot
    ledger = PointsLedger(1, 1)
    terms = LoyaltyTerms(float(slots), 8.0, points_per_purchase=1.0, initial_points=float(free))
    paid = [ledger.settle(day, 0, ids(0), np.array([8.0]), terms)[0][0] for day in range(9)]
    assert paid == [0.0] * 7 + [8.0, 0.0]


@st.composite
def ledger_runs(draw):
    n = 5
    threshold = draw(st.floats(1.0, 500.0))
    terms = LoyaltyTerms(
        threshold=threshold,
        reward_value=draw(st.floats(0.0, 20.0)),
        points_per_currency=draw(st.floats(0.0, 30.0)),
        points_per_purchase=draw(st.floats(0.0, 50.0)),
        multiplier=draw(st.floats(0.0, 3.0)),
        expiry_days=draw(st.none() | st.integers(1, 6)),
        initial_points=draw(st.floats(0.0, 0.999)) * threshold,
    )
    ops = draw(
        st.lists(
            st.tuples(
                st.integers(0, 4),  # days elapsed
                st.integers(0, 1),  # firm
                st.booleans(),  # settle (else expire)
                st.lists(st.booleans(), min_size=n, max_size=n),  # who buys
                st.lists(st.floats(0.0, 60.0), min_size=n, max_size=n),  # their spend
            ),
            max_size=25,
        )
    )
    return n, terms, ops


@given(ledger_runs())
def test_ledger_accounting_identity_holds_after_every_call(run):
    n, terms, ops = run
    ledger, day = PointsLedger(2, n), 0
    gained = np.zeros(2)
    for elapsed, j, is_settle, mask, spend in ops:
        day += elapsed
        if is_settle:
            buyers = np.flatnonzero(mask)
            new = (~ledger.enrolled[j, buyers]).sum()
            pay = np.asarray(spend)[buyers]
            paid, flows = ledger.settle(day, j, buyers, pay, terms)
            gained[j] += (
                new * terms.initial_points
                + loyalty.points_earned(
                    pay, 1.0, terms.points_per_currency, terms.points_per_purchase, terms.multiplier
                ).sum()
            )
            assert paid.sum() == pytest.approx(flows.rewards_paid)
        else:
            ledger.expire(day, j, terms)
        assert ledger.check() < 1e-6
        assert np.all((ledger.balance >= 0) & (ledger.balance < terms.threshold))
    np.testing.assert_allclose(ledger.earned, gained, rtol=1e-12, atol=1e-9)
    rewards = ledger.redeemed / terms.threshold
    np.testing.assert_allclose(rewards, np.round(rewards), atol=1e-9)
    np.testing.assert_allclose(
        ledger.rewards_paid, rewards * terms.reward_value, rtol=1e-12, atol=1e-9
    )
    assert np.all(ledger.expired >= 0)


# -- goal pull, abandonment, renewing endowment ----------------------------------------------------


def test_goal_pull_is_gradient_times_progress_times_reward_utility():
    got = loyalty.goal_pull(np.array([-0.2, 0.0, 0.4, 1.0, 1.5]), 0.25, 2.88)
    np.testing.assert_allclose(got, [0.0, 0.0, 0.25 * 0.4 * 2.88, 0.25 * 2.88, 0.25 * 2.88])


def test_abandonment_falls_with_progress_in_proportion_to_the_distance_left():
    got = loyalty.abandonment_probability(np.array([0.0, 0.3, 1.0]), 0.4)
    np.testing.assert_allclose(got, [0.4, 0.28, 0.0])
    # Nunes & Dreze (2006): after k purchases the endowed card (2 of 10 stamped) has 8 - k of
    # 10 slots left, the plain card 8 - k of 8: 20% less likely to be given up at every stage
    k = np.arange(8)
    endowed = loyalty.abandonment_probability((2 + k) / 10, 0.4)
    plain = loyalty.abandonment_probability(k / 8, 0.4)
    np.testing.assert_allclose(endowed / plain, 0.8)


def test_forfeit_lapses_points_into_breakage_and_keeps_the_identity():
    ledger, terms = PointsLedger(1, 3), LoyaltyTerms(10.0, 8.0, points_per_purchase=1.0)
    ledger.settle(0, 0, ids(0, 1, 2), np.zeros(3), terms)
    assert ledger.forfeit(0, ids(0, 2), terms) == 2.0
    np.testing.assert_array_equal(ledger.balance[0], [0.0, 1.0, 0.0])
    assert ledger.expired[0] == 2.0 and ledger.check() == 0.0
    assert ledger.enrolled[0].all()  # a non-renewing programme keeps its members


def test_renewing_card_comes_endowed_after_a_reward_and_after_giving_up():
    ledger = PointsLedger(1, 2)
    terms = LoyaltyTerms(
        10.0, 8.0, points_per_purchase=1.0, initial_points=2.0, renew_endowment=True
    )
    assert terms.points_to_earn == 8.0
    paid = [ledger.settle(d, 0, ids(0), np.zeros(1), terms)[0][0] for d in range(10)]
    assert paid == [0.0] * 7 + [8.0, 0.0, 0.0]  # every card needs 8 purchases, not only the first
    assert ledger.balance[0, 0] == 4.0  # the second card came with 2 stamps, then 2 purchases
    ledger.settle(0, 0, ids(1), np.zeros(1), terms)
    ledger.forfeit(0, ids(1), terms)
    assert not ledger.enrolled[0, 1] and ledger.effective_balance(0, ids(1), terms)[0] == 2.0
    _, flows = ledger.settle(1, 0, ids(1), np.zeros(1), terms)
    assert flows.earned == 3.0 and ledger.balance[0, 1] == 3.0  # a new card, endowed again
    # customer 0: endowment, 10 stamps, renewal; customer 1: two cards of endowment + 1 stamp
    assert ledger.earned[0] == (2 + 10 + 2) + (3 + 3) and ledger.check() == 0.0


def test_renewing_card_is_re_endowed_after_its_stamps_lapse():
    ledger = PointsLedger(1, 1)
    terms = LoyaltyTerms(
        10.0, 8.0, points_per_purchase=1.0, initial_points=2.0, renew_endowment=True, expiry_days=5
    )
    ledger.settle(0, 0, ids(0), np.zeros(1), terms)
    assert ledger.expire(6, 0, terms) == 3.0 and not ledger.enrolled[0, 0]
    ledger.settle(7, 0, ids(0), np.zeros(1), terms)
    assert ledger.balance[0, 0] == 3.0 and ledger.check() == 0.0
