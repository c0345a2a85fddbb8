"""Firm policies as units: hand-made observations in, offers and settle feedback checked by hand."""

import numpy as np
import pytest
from omegaconf import OmegaConf

from custsim.policies.composed import ComposedConfig, ComposedPolicy, merge_loyalty, merge_targets
from custsim.policies.hi_lo import HiLoConfig, HiLoPromotion
from custsim.policies.limited_offer import LimitedOfferConfig, TimeLimitedOffer
from custsim.policies.loyalty_points import LoyaltyPoints, LoyaltyPointsConfig
from custsim.policies.reactive import ReactiveCompetitor, ReactiveConfig
from custsim.policies.retention import RetentionConfig, RetentionOffer
from custsim.policies.stamp_card import StampCard, StampCardConfig
from custsim.policies.tiers import Tiers, TiersConfig
from custsim.sim.market import FirmSpec, LoyaltyTerms, MarketObs, Offer, Offers, StepOutcome

NAMES = ("A", "B", "C")
REGULAR = np.array([8.0, 10.0, 12.0])
FIRM = FirmSpec(name="A", index=0, regular_price=8.0, unit_cost=5.0, market=NAMES)
RIVAL = FirmSpec(name="B", index=1, regular_price=10.0, unit_cost=6.0, market=NAMES)


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def obs(day: int = 0, n: int = 6, firm: int = 0, shelf=None, **customers) -> MarketObs:
    """A MarketObs for `day`, every field filled; n customers who never bought unless given."""
    if customers:
        n = len(next(iter(customers.values())))
    per_customer = {
        "first_purchase_day": np.full(n, np.inf),
        "last_purchase_day": np.full(n, -np.inf),
        "purchase_count": np.zeros(n, dtype=np.int32),
        "spend": np.zeros(n),
        "points": np.zeros(n),
    }
    per_customer |= {k: np.asarray(v) for k, v in customers.items()}
    history = max(day - 1, 0)
    return MarketObs(
        day=day,
        firm=firm,
        firm_names=NAMES,
        regular_prices=REGULAR,
        shelf_prices=REGULAR.copy() if shelf is None else np.asarray(shelf, dtype=float),
        units_sold=np.zeros(history),
        revenue=np.zeros(history),
        **per_customer,
    )


def outcome(day: int, buyers=(), paid=None, quantities=None, firm: int = 0) -> StepOutcome:
    """One firm's day: `buyers` bought `quantities` (default 1 each) at `paid` (default 8)."""
    buyers = np.asarray(buyers, dtype=np.int64)
    q = np.ones(len(buyers), dtype=np.int64) if quantities is None else np.asarray(quantities)
    p = np.full(len(buyers), 8.0) if paid is None else np.asarray(paid, dtype=float)
    revenue = float((q * p).sum())
    return StepOutcome(day, firm, int(q.sum()), revenue, revenue - 5.0 * q.sum(), buyers, q, p)


def sold(day: int, units: int, price: float = 6.4) -> StepOutcome:
    return outcome(day, np.arange(units), np.full(units, price))


def run(policy, days, make_obs=obs) -> dict[int, Offer]:
    """Each day's offer, no sales."""
    offers = {}
    for day in days:
        offers[day] = policy.offers(make_obs(day), rng(day))
        policy.settle(outcome(day))
    return offers


def ids(offer: Offer) -> list[int]:
    return offer.targeted_ids.tolist()


PLAIN_FIELDS = ("price", "list_price", "frame", "deadline", "countdown", "days_running")
PLAIN_FIELDS += ("stock_limit", "promoted", "loyalty")


def is_plain(offer: Offer, price: float) -> bool:
    """Whether `offer` is only a shelf price: no deal, anchor, deadline, stock, points, targets."""
    plain = Offer(price=price)
    return (
        all(getattr(offer, f) == getattr(plain, f) for f in PLAIN_FIELDS)
        and len(offer.targeted_ids) == 0
    )


# -- hi-lo ----------------------------------------------------------------------------------------


def test_hi_lo_calendar_over_two_cycles():
    offers = run(
        HiLoPromotion(FIRM, HiLoConfig(depth=0.25, every=28, duration=7, start=14)), range(60)
    )
    promo = {d for d, o in offers.items() if o.promoted}
    assert promo == set(range(14, 21)) | set(range(42, 49))
    for day in promo:
        o = offers[day]
        assert (o.price, o.list_price, o.frame) == (6.0, 8.0, "percent_off")
        assert o.deadline == 6 - (day - 14) % 28  # 6 on the first day, 0 on the last
    assert all(is_plain(offers[day], 8.0) for day in set(offers) - promo)


def test_hi_lo_options():
    policy = HiLoPromotion(
        FIRM, HiLoConfig(depth=0.5, start=1, frame="amount_off", show_list_price=False)
    )
    o = policy.offers(obs(1), rng())
    assert (o.price, o.list_price, o.frame, o.deadline) == (4.0, None, "amount_off", 6)


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"depth": 0.0}, "depth"),
        ({"depth": 1.0}, "depth"),
        ({"duration": 29}, "duration"),
        ({"frame": "bogus"}, "frame"),
    ],
)
def test_hi_lo_rejects_bad_parameters(kwargs, key):
    with pytest.raises(ValueError, match=rf"^{key}="):
        HiLoPromotion(FIRM, HiLoConfig(**kwargs))


# -- loyalty points, stamp card, tiers ------------------------------------------------------------


def test_points_bonus_days_double_the_multiplier():
    policy = LoyaltyPoints(
        FIRM, LoyaltyPointsConfig(bonus_multiplier=2.0, bonus_every=7, bonus_days=2, bonus_start=6)
    )
    offers = run(policy, range(30))
    bonus = {d for d, o in offers.items() if o.loyalty.multiplier == 2.0}
    assert bonus == {6, 7, 13, 14, 20, 21, 27, 28}
    assert all(o.loyalty.multiplier == 1.0 for d, o in offers.items() if d not in bonus)
    assert all(o.price == 8.0 and not o.promoted for o in offers.values())


def test_points_terms_and_no_bonus_by_default():
    policy = LoyaltyPoints(
        FIRM, LoyaltyPointsConfig(earn_rate=2.0, threshold=50.0, reward_value=2.5, expiry_days=90)
    )
    terms = {o.loyalty for o in run(policy, range(40)).values()}
    assert terms == {
        LoyaltyTerms(threshold=50.0, reward_value=2.5, points_per_currency=2.0, expiry_days=90)
    }
    assert terms.pop().point_value == 0.05


def test_points_rejects_bad_parameters():
    with pytest.raises(ValueError, match=r"^bonus_days="):
        LoyaltyPoints(FIRM, LoyaltyPointsConfig(bonus_every=3, bonus_days=4))
    with pytest.raises(ValueError, match=r"^earn_rate=-1.0: must be >= 0"):
        LoyaltyPoints(FIRM, LoyaltyPointsConfig(earn_rate=-1.0))
    with pytest.raises(ValueError, match=r"^message="):
        LoyaltyPoints(FIRM, LoyaltyPointsConfig(message="whisper"))


def test_stamp_card_terms():
    o = StampCard(FIRM, StampCardConfig(slots=10, free_stamps=2, expiry_days=30)).offers(
        obs(5), rng()
    )
    assert o.price == 8.0 and not o.promoted
    t = o.loyalty
    assert (t.threshold, t.reward_value, t.points_per_purchase, t.points_per_currency) == (
        10.0,
        8.0,
        1.0,
        0.0,
    )
    assert (t.initial_points, t.expiry_days) == (2.0, 30)
    with pytest.raises(ValueError, match=r"^free_stamps="):
        StampCard(FIRM, StampCardConfig(slots=8, free_stamps=8))


def test_tiers_terms_earn_no_points():
    t = Tiers(FIRM, TiersConfig(thresholds=[60, 150], discounts=[0.05, 0.1], window_days=30)).terms
    assert (t.tier_thresholds, t.tier_discounts, t.tier_window_days) == ((60, 150), (0.05, 0.1), 30)
    assert not t.earns_points and t.reward_value == 0.0
    policy = Tiers(FIRM)
    assert all(o.price == 8.0 and o.loyalty == policy.terms for o in run(policy, range(3)).values())


@pytest.mark.parametrize(
    ("thresholds", "discounts", "key"),
    [
        ((150, 60), (0.05, 0.1), "thresholds"),
        ((0, 60), (0.05, 0.1), "thresholds"),
        ((60, 150), (0.05,), "discounts"),
        ((60,), (1.5,), "discounts"),
    ],
)
def test_tiers_reject_bad_parameters(thresholds, discounts, key):
    with pytest.raises(ValueError, match=rf"^{key}="):
        Tiers(FIRM, TiersConfig(thresholds=thresholds, discounts=discounts))


# -- time-limited offers --------------------------------------------------------------------------


def test_limited_offer_window_countdown_and_novelty():
    offers = run(
        TimeLimitedOffer(FIRM, LimitedOfferConfig(depth=0.2, start=30, duration=14)), range(60)
    )
    window = range(30, 44)
    for day in window:
        o = offers[day]
        assert (o.price, o.list_price, o.promoted, o.countdown) == (6.4, 8.0, True, True)
        assert (o.days_running, o.deadline) == (day - 30, 43 - day)
    assert all(is_plain(offers[d], 8.0) for d in set(range(60)) - set(window))


def test_limited_offer_repeats_every_period():
    offers = run(
        TimeLimitedOffer(FIRM, LimitedOfferConfig(start=10, duration=5, every=20)), range(80)
    )
    assert {d for d, o in offers.items() if o.promoted} == {
        d for s in (10, 30, 50, 70) for d in range(s, s + 5)
    }
    assert [offers[d].days_running for d in range(50, 55)] == [0, 1, 2, 3, 4]


def test_limited_offer_hidden_countdown_shows_no_deadline():
    o = TimeLimitedOffer(FIRM, LimitedOfferConfig(start=1, countdown=False)).offers(obs(1), rng())
    assert o.deadline == 13 and not o.countdown
    assert Offers.collect([o]).deadline[0] == np.inf
    assert Offers.collect([o]).days_running[0] == 0.0


def test_limited_stock_counts_down_through_settle_and_resets_on_repeat():
    policy = TimeLimitedOffer(FIRM, LimitedOfferConfig(start=10, duration=5, every=20, stock=100))
    limits, prices = [], []
    for day, units in [(9, 7), (10, 30), (11, 45), (12, 40), (13, 3), (14, 0), (20, 9), (30, 2)]:
        offer = policy.offers(obs(day), rng())
        limits.append(offer.stock_limit)
        prices.append(offer.price)
        policy.settle(sold(day, units))
    # sold out on day 12: the offer is over, back to the regular price
    assert limits == [None, 100, 70, 25, None, None, None, 100]
    assert prices == [8.0, 6.4, 6.4, 6.4, 8.0, 8.0, 8.0, 6.4]


def test_limited_offer_targets_a_share_of_past_buyers():
    counts = np.tile([0, 1, 3, 0, 2, 5, 1, 0, 0, 4], 30)
    past = np.flatnonzero(counts > 0)
    policy = TimeLimitedOffer(
        FIRM, LimitedOfferConfig(depth=0.25, start=5, duration=3, every=10, target_share=0.5)
    )
    o = policy.offers(obs(5, purchase_count=counts), rng(7))
    expected = past[rng(7).random(len(past)) < 0.5]
    assert ids(o) == expected.tolist()
    assert 0.3 * len(past) < len(expected) < 0.7 * len(past)
    assert (o.price, o.list_price, o.promoted, o.stock_limit) == (8.0, None, False, None)
    np.testing.assert_array_equal(o.targeted_prices, np.full(len(expected), 6.0))
    # the same targets for the rest of the window, whatever the rng and history
    later = policy.offers(obs(7, purchase_count=np.ones(300, dtype=np.int32)), rng(99))
    assert ids(later) == ids(o) and later.deadline == 0
    # a new draw at the next repeat
    again = policy.offers(obs(15, purchase_count=counts), rng(8))
    assert ids(again) == past[rng(8).random(len(past)) < 0.5].tolist() != ids(o)


def test_limited_offer_full_share_targets_every_past_buyer():
    counts = np.array([0, 2, 0, 1, 1], dtype=np.int32)
    o = TimeLimitedOffer(FIRM, LimitedOfferConfig(start=1, target_share=1.0)).offers(
        obs(1, purchase_count=counts), rng()
    )
    assert ids(o) == [1, 3, 4]


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"depth": 1.0}, "depth"),
        ({"every": 13}, "every"),
        ({"stock": 5, "target_share": 0.5}, "stock"),
        ({"target_share": 0.0}, "target_share"),
        ({"target_share": 1.5}, "target_share"),
    ],
)
def test_limited_offer_rejects_bad_parameters(kwargs, key):
    with pytest.raises(ValueError, match=rf"^{key}="):
        TimeLimitedOffer(FIRM, LimitedOfferConfig(**kwargs))


# -- retention ------------------------------------------------------------------------------------

# day 100: customer gaps are never, 5, 40, 60, 31, 30 (not > 30), 50 days
LAST = np.array([-np.inf, 95, 60, 40, 69, 70, 50])


def at_risk_obs(day: int = 100) -> MarketObs:
    first = np.where(np.isfinite(LAST), 0.0, np.inf)
    counts = np.where(np.isfinite(LAST), 2, 0).astype(np.int32)
    return obs(day, last_purchase_day=LAST, first_purchase_day=first, purchase_count=counts)


def retention(**kwargs) -> RetentionOffer:
    return RetentionOffer(FIRM, RetentionConfig(**({"depth": 0.2, "duration": 14} | kwargs)))


def test_at_risk_most_overdue_first():
    assert retention().at_risk(at_risk_obs()).tolist() == [3, 6, 2, 4]
    assert retention(recency_days=45).at_risk(at_risk_obs()).tolist() == [3, 6]


def test_frequency_drop_flags_customers_slower_than_their_own_pace():
    # mean gap = (last - first) / (count - 1); customer 3 never bought twice
    o = obs(
        100,
        first_purchase_day=[0.0, 40.0, 60.0, 90.0],
        last_purchase_day=[80.0, 80.0, 80.0, 90.0],
        purchase_count=[9, 5, 2, 1],
    )
    # gaps 20, 20, 20, 10 against own means 10, 10, 20, inf
    assert retention(frequency_drop=1.5).at_risk(o).tolist() == [0, 1]
    assert retention().at_risk(o).tolist() == []
    with pytest.raises(ValueError, match=r"^frequency_drop="):
        retention(frequency_drop=1.0)


def test_retention_offer_prices_and_daily_cap():
    policy = retention(daily_cap=2)
    first = policy.offers(at_risk_obs(100), rng())
    assert ids(first) == [3, 6]
    assert (first.price, first.frame) == (8.0, "amount_off")
    np.testing.assert_allclose(first.targeted_prices, [6.4, 6.4])
    assert ids(policy.offers(at_risk_obs(101), rng())) == [2, 3, 4, 6]
    assert ids(retention(daily_cap=0).offers(at_risk_obs(), rng())) == []


def test_retention_offer_is_valid_for_its_duration():
    policy = retention(duration=3, cooldown=60)
    held = [3 in ids(policy.offers(at_risk_obs(day), rng())) for day in range(100, 106)]
    assert held == [True, True, True, False, False, False]


def test_retention_cooldown_before_offering_again():
    policy = retention(duration=2, cooldown=10, daily_cap=1)
    held = {day: ids(policy.offers(at_risk_obs(day), rng())) for day in range(100, 112)}
    assert 3 in held[100] and 3 in held[101]
    assert all(3 not in held[day] for day in range(102, 110))
    assert 3 in held[111]


def test_redeemed_offers_are_used_up_and_charged_to_the_budget():
    policy = retention(daily_cap=2, budget=100.0)
    policy.offers(at_risk_obs(100), rng())
    policy.settle(outcome(100, buyers=[3], paid=[6.4], quantities=[2]))
    assert policy.spent == pytest.approx(2 * 1.6)
    held = ids(policy.offers(at_risk_obs(101), rng()))
    assert 3 not in held and 6 in held


def test_spent_budget_stops_new_offers_but_keeps_open_ones():
    policy = retention(daily_cap=2, budget=1.0)
    policy.offers(at_risk_obs(100), rng())
    policy.settle(outcome(100, buyers=[3], paid=[6.4]))
    assert policy.spent >= policy.budget
    assert ids(policy.offers(at_risk_obs(101), rng())) == [6]  # 2 and 4 get nothing


def test_buyers_at_the_regular_price_cost_nothing():
    policy = retention()
    policy.offers(at_risk_obs(100), rng())
    policy.settle(outcome(100, buyers=[1, 3], paid=[8.0, 8.0]))
    assert policy.spent == 0.0 and 3 in ids(policy.offers(at_risk_obs(101), rng()))


def test_composed_promotion_sales_are_not_charged_to_the_retention_budget():
    hi_lo = {"_target_": "custsim.policies.hi_lo.HiLoPromotion", "start": 1}
    policy = ComposedPolicy(
        FIRM,
        ComposedConfig(parts=[hi_lo, {"_target_": "custsim.policies.retention.RetentionOffer"}]),
    )
    o = policy.offers(obs(1, n=4, last_purchase_day=np.zeros(4)), rng())  # nobody at risk
    assert o.price == 6.0 and ids(o) == []
    policy.settle(outcome(1, buyers=[0, 2], paid=[6.0, 6.0], quantities=[1, 3]))
    assert policy.parts[1].spent == 0.0


# -- reactive competitor --------------------------------------------------------------------------


def reactive_depths(policy: ReactiveCompetitor, cut_days: range, depth: float = 0.25) -> dict:
    """Firm B's cut by day when A posts `depth` off on `cut_days` (seen a day later)."""
    out = {}
    for day in range(40):
        yesterday = 8.0 * (1 - depth) if day - 1 in cut_days else 8.0
        o = policy.offers(obs(day, firm=1, shelf=[yesterday, 10.0, 12.0]), rng())
        out[day] = 1 - o.price / 10.0
        if o.price < 10.0:
            assert (o.list_price, o.frame, o.promoted) == (10.0, "percent_off", True)
        else:
            assert is_plain(o, 10.0)
    return out


def cut_days(depths: dict) -> list[int]:
    return [d for d, x in depths.items() if x > 1e-12]


def test_reactive_copies_the_cut_for_as_long_as_it_lasted():
    depths = reactive_depths(
        ReactiveCompetitor(RIVAL, ReactiveConfig(watch="A", lag=3)), range(10, 17)
    )
    days = cut_days(depths)
    assert len(days) == 7 and days == list(range(days[0], days[0] + 7))
    assert days[0] > 10
    assert all(depths[d] == pytest.approx(0.25) for d in days)


def test_reactive_lag_shifts_the_response():
    early = cut_days(
        reactive_depths(ReactiveCompetitor(RIVAL, ReactiveConfig(lag=2)), range(10, 17))
    )
    late = cut_days(
        reactive_depths(ReactiveCompetitor(RIVAL, ReactiveConfig(lag=7)), range(10, 17))
    )
    assert late[0] - early[0] == 5


@pytest.mark.parametrize("lag", [1, 3])
def test_reactive_responds_lag_days_after_the_rivals_cut(lag):
    depths = reactive_depths(ReactiveCompetitor(RIVAL, ReactiveConfig(lag=lag)), range(10, 17))
    assert cut_days(depths) == list(range(10 + lag, 17 + lag))


def test_reactive_match_and_max_depth():
    deeper = reactive_depths(
        ReactiveCompetitor(RIVAL, ReactiveConfig(match=1.5, max_depth=0.5)), range(5, 8)
    )
    assert max(deeper.values()) == pytest.approx(0.375)
    capped = reactive_depths(
        ReactiveCompetitor(RIVAL, ReactiveConfig(match=1.5, max_depth=0.3)), range(5, 8)
    )
    assert max(capped.values()) == pytest.approx(0.3)
    assert (
        cut_days(reactive_depths(ReactiveCompetitor(RIVAL, ReactiveConfig(match=0.0)), range(5, 8)))
        == []
    )


@pytest.mark.parametrize("watch", ["Z", "B"])
def test_reactive_rejects_a_bad_watch_name(watch):
    with pytest.raises(ValueError, match=r"^watch='.': must be one of: A, C$"):
        ReactiveCompetitor(RIVAL, ReactiveConfig(watch=watch))


# -- composition ----------------------------------------------------------------------------------


class Fixed:
    """A stand-in part: posts a fixed offer and records what it hears."""

    def __init__(self, offer: Offer) -> None:
        self.offer, self.heard = offer, []

    def offers(self, obs: MarketObs, rng: np.random.Generator) -> Offer:
        return self.offer

    def settle(self, outcome: StepOutcome) -> None:
        self.heard.append(outcome)


def composed(*offers: Offer) -> ComposedPolicy:
    policy = ComposedPolicy(
        FIRM, ComposedConfig(parts=[{"_target_": "custsim.policies.edlp.EverydayPrice"}])
    )
    policy.parts = [Fixed(o) for o in offers]
    return policy


POINTS = LoyaltyTerms(threshold=100.0, reward_value=5.0, points_per_currency=1.0)
STAMPS = LoyaltyTerms(threshold=10.0, reward_value=8.0, points_per_purchase=1.0)
TIERS = LoyaltyTerms(1.0, 0.0, tier_thresholds=(60.0,), tier_discounts=(0.05,))


def test_merge_loyalty_first_points_and_first_tiers():
    assert merge_loyalty([None, None]) is None
    assert merge_loyalty([None, TIERS]) == TIERS
    assert merge_loyalty([POINTS, STAMPS]) == POINTS
    merged = merge_loyalty([TIERS, None, STAMPS, POINTS])
    assert merged.points_per_purchase == 1.0 and merged.threshold == 10.0
    assert (merged.tier_thresholds, merged.tier_discounts) == ((60.0,), (0.05,))


def test_merge_targets_union_with_the_lowest_price():
    a = Offer(8.0, targeted_ids=np.array([1, 4, 9]), targeted_prices=np.array([6.0, 7.0, 5.0]))
    b = Offer(8.0, targeted_ids=np.array([2, 4, 9]), targeted_prices=np.array([6.5, 6.0, 5.5]))
    got_ids, got_prices = merge_targets([a, Offer(8.0), b])
    assert got_ids.tolist() == [1, 2, 4, 9]
    assert got_prices.tolist() == [6.0, 6.5, 6.0, 5.0]
    assert [len(x) for x in merge_targets([Offer(8.0)])] == [0, 0]


def test_composed_offer_takes_the_lowest_price_with_its_deal_details():
    cut = Offer(6.0, list_price=8.0, frame="amount_off", deadline=2, countdown=True, stock_limit=9)
    rest = Offer(7.0, list_price=9.0, frame="percent_off", days_running=1, promoted=True)
    policy = composed(Offer(8.0, loyalty=POINTS), rest, cut, Offer(8.0, loyalty=TIERS))
    o = policy.offers(obs(3), rng())
    assert (o.price, o.frame, o.deadline, o.countdown, o.stock_limit) == (
        6.0,
        "amount_off",
        2,
        True,
        9,
    )
    assert o.days_running is None  # the cheapest part's, not another part's
    assert o.list_price == 9.0 and o.promoted
    assert o.loyalty == merge_loyalty([POINTS, TIERS])


def test_composed_offer_without_deals():
    o = composed(Offer(8.0), Offer(8.0)).offers(obs(3), rng())
    assert (o.price, o.list_price, o.promoted, o.loyalty) == (8.0, None, False, None)


def test_composed_settle_reaches_every_part():
    policy = composed(Offer(8.0), Offer(7.0), Offer(9.0))
    day = outcome(4, buyers=[1, 2], paid=[7.0, 7.0])
    policy.settle(day)
    assert all(part.heard == [day] for part in policy.parts)


def test_composed_built_from_dict_parts():
    parts = [
        {
            "_target_": "custsim.policies.hi_lo.HiLoPromotion",
            "depth": 0.25,
            "start": 10,
            "every": 28,
        },
        OmegaConf.create(
            {"_target_": "custsim.policies.loyalty_points.LoyaltyPoints", "threshold": 50}
        ),
        {"_target_": "custsim.policies.limited_offer.TimeLimitedOffer", "start": 12, "stock": 50},
    ]
    policy = ComposedPolicy(FIRM, ComposedConfig(parts=parts))
    hi_lo, points, limited = policy.parts
    assert isinstance(hi_lo, HiLoPromotion) and hi_lo.depth == 0.25
    assert isinstance(points, LoyaltyPoints) and points.terms.threshold == 50.0
    assert all(part.firm is FIRM for part in policy.parts)
    # day 12: hi-lo (6.0, 4 days left) beats the limited offer (6.4)
    o = policy.offers(obs(12), rng())
    assert (o.price, o.deadline, o.countdown, o.stock_limit, o.promoted) == (
        6.0,
        4,
        False,
        None,
        True,
    )
    assert o.loyalty == points.terms
    policy.settle(sold(12, 20, 6.0))
    assert limited.stock_left == 30  # settle reached the limited offer
    # day 20: hi-lo is over, the limited offer is the deal
    o = policy.offers(obs(20), rng())
    assert (o.price, o.days_running, o.deadline, o.countdown, o.stock_limit) == (
        6.4,
        8,
        5,
        True,
        30,
    )


def test_composed_errors_name_the_part():
    with pytest.raises(ValueError, match=r"^parts=\[\]"):
        ComposedPolicy(FIRM, ComposedConfig(parts=[]))
    bad_depth = [
        {"_target_": "custsim.policies.edlp.EverydayPrice"},
        {"_target_": "custsim.policies.hi_lo.HiLoPromotion", "depth": 1.5},
    ]
    with pytest.raises(ValueError, match=r"^parts\.1\.depth=1\.5"):
        ComposedPolicy(FIRM, ComposedConfig(parts=bad_depth))
    with pytest.raises(ValueError, match=r"^parts\.0\.dept=0\.2: no such key"):
        ComposedPolicy(
            FIRM,
            ComposedConfig(
                parts=[{"_target_": "custsim.policies.hi_lo.HiLoPromotion", "dept": 0.2}]
            ),
        )
