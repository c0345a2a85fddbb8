"""Hypothesis properties of offers: any valid policy parameters give valid offers every day."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from custsim.policies.composed import ComposedConfig, ComposedPolicy
from custsim.policies.hi_lo import HiLoConfig, HiLoPromotion
from custsim.policies.limited_offer import LimitedOfferConfig, TimeLimitedOffer
from custsim.policies.retention import RetentionConfig, RetentionOffer
from custsim.sim.market import FirmSpec, MarketObs, Offer, Offers, StepOutcome

FIRM = FirmSpec("A", 0, 8.0, 5.0, ("A", "B"))
N = 60


def observation(day: int, rng: np.random.Generator) -> MarketObs:
    last = np.where(rng.random(N) < 0.7, rng.integers(0, max(day, 1), N), -np.inf)
    count = np.where(np.isfinite(last), rng.integers(1, 6, N), 0).astype(np.int32)
    return MarketObs(
        day=day,
        firm=0,
        firm_names=("A", "B"),
        regular_prices=np.array([8.0, 7.5]),
        shelf_prices=np.array([8.0, 7.5]),
        units_sold=np.zeros(day),
        revenue=np.zeros(day),
        first_purchase_day=np.where(np.isfinite(last), 0.0, np.inf),
        last_purchase_day=last,
        purchase_count=count,
        spend=count * 8.0,
        points=np.zeros(N),
    )


def assert_valid(offer: Offer) -> None:
    assert isinstance(offer, Offer)
    assert 0 <= offer.price <= FIRM.regular_price
    ids = offer.targeted_ids
    assert np.all(np.diff(ids) > 0) and (len(ids) == 0 or (ids.min() >= 0 and ids.max() < N))
    assert np.all((offer.targeted_prices >= 0) & (offer.targeted_prices <= FIRM.regular_price))
    assert offer.deadline is None or offer.deadline >= 0


def run_days(policy, seed: int, days: int = 50) -> None:
    rng = np.random.default_rng(seed)
    for day in range(1, days + 1):
        offer = policy.offers(observation(day, rng), rng)
        assert_valid(offer)
        buyers = np.sort(rng.choice(N, 5, replace=False))
        paid = np.where(np.isin(buyers, offer.targeted_ids), 6.0, offer.price)
        policy.settle(
            StepOutcome(day, 0, 5, float(paid.sum()), 0.0, buyers, np.ones(5, dtype=np.int64), paid)
        )


@given(
    depth=st.floats(0.01, 0.99),
    every=st.integers(1, 40),
    duration=st.integers(1, 40),
    start=st.integers(1, 30),
    seed=st.integers(0, 2**16),
)
def test_hi_lo_offers_are_valid(depth, every, duration, start, seed):
    run_days(
        HiLoPromotion(
            FIRM,
            HiLoConfig(depth=depth, every=max(every, duration), duration=duration, start=start),
        ),
        seed,
    )


@given(
    depth=st.floats(0.01, 0.99),
    start=st.integers(1, 30),
    duration=st.integers(1, 20),
    stock=st.none() | st.integers(0, 50),
    share=st.none() | st.floats(0.01, 1.0),
    countdown=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_limited_offers_are_valid(depth, start, duration, stock, share, countdown, seed):
    stock = None if share is not None else stock
    run_days(
        TimeLimitedOffer(
            FIRM,
            LimitedOfferConfig(
                depth=depth,
                start=start,
                duration=duration,
                countdown=countdown,
                stock=stock,
                target_share=share,
            ),
        ),
        seed,
    )


@given(
    recency=st.floats(1, 40),
    depth=st.floats(0.01, 0.99),
    cap=st.integers(0, 30),
    budget=st.floats(0, 200),
    seed=st.integers(0, 2**16),
)
def test_retention_offers_are_valid_and_respect_the_cap(recency, depth, cap, budget, seed):
    policy = RetentionOffer(
        FIRM, RetentionConfig(recency_days=recency, depth=depth, daily_cap=cap, budget=budget)
    )
    rng = np.random.default_rng(seed)
    issued = 0
    for day in range(1, 40):
        before = len(policy.last_offered)
        assert_valid(policy.offers(observation(day, rng), rng))
        assert len(policy.last_offered) - before <= cap
        issued += len(policy.last_offered) - before
    assert issued == len(policy.last_offered)


@given(depth=st.floats(0.01, 0.99), share=st.floats(0.05, 1.0), seed=st.integers(0, 2**16))
def test_composed_offers_are_valid(depth, share, seed):
    parts = [
        {"_target_": "custsim.policies.hi_lo.HiLoPromotion", "depth": depth, "start": 2},
        {
            "_target_": "custsim.policies.limited_offer.TimeLimitedOffer",
            "start": 5,
            "target_share": share,
        },
        {"_target_": "custsim.policies.retention.RetentionOffer", "recency_days": 5},
    ]
    run_days(ComposedPolicy(FIRM, ComposedConfig(parts=parts)), seed)


@given(shelf=st.floats(0.5, 20), seed=st.integers(0, 2**16))
def test_prices_for_is_the_lower_of_shelf_and_personal(shelf, seed):
    rng = np.random.default_rng(seed)
    ids = np.flatnonzero(rng.random(N) < 0.3)
    personal = rng.uniform(0, 25, len(ids))
    offers = Offers.collect(
        [Offer(price=shelf, targeted_ids=ids, targeted_prices=personal), Offer(price=7.0)]
    )
    shoppers = np.flatnonzero(rng.random(N) < 0.5)
    prices = offers.prices_for(shoppers)
    expected = np.full(len(shoppers), shelf)
    hit = np.isin(shoppers, ids)
    expected[hit] = np.minimum(shelf, personal[np.searchsorted(ids, shoppers[hit])])
    np.testing.assert_allclose(prices[0], expected)
    np.testing.assert_allclose(prices[1], 7.0)
