"""Targeting by firm-side CRM scores: retention's `rank` and `segments`, the value allocation.

Hand-made observations check the orders and the segment filter; small runs check that
the default is today's retention byte for byte, that no offer leaves its segment, and
that each ABC tier's budget is charged as documented.
"""

import numpy as np
import pytest

from custsim.policies.check import check_policy
from custsim.policies.crm.abc import abc_tiers
from custsim.policies.crm.records import FirmRecords
from custsim.policies.crm.warning import lapse_risk
from custsim.policies.retention import RetentionConfig, RetentionOffer, in_segments
from custsim.policies.value_allocation import ValueAllocation, ValueAllocationConfig
from custsim.sim.config import ConfigError
from custsim.sim.market import FirmSpec, MarketObs, StepOutcome
from custsim.sim.runner import build_model, simulate
from custsim.sim.testing import compose_config

NAMES = ("A", "B", "C")
FIRM = FirmSpec(name="A", index=0, regular_price=8.0, unit_cost=5.0, market=NAMES)
RUN = ["population.size=1500", "steps=120", "progress=off", "plots=false"]

# day 100: silences 60, 40, 31, 5, 50 days; own mean gaps 20, 15, none, 31.7, 5
LAST = [40.0, 60.0, 69.0, 95.0, 50.0]
FIRST = [0.0, 0.0, 69.0, 0.0, 0.0]
COUNT = [3, 5, 1, 4, 11]
SPEND = [10.0, 50.0, 30.0, 100.0, 20.0]


def obs(day: int = 100, **customers) -> MarketObs:
    c = {
        "last_purchase_day": LAST,
        "first_purchase_day": FIRST,
        "purchase_count": COUNT,
        "spend": SPEND,
    } | customers
    n = len(c["spend"])
    return MarketObs(
        day=day,
        firm=0,
        firm_names=NAMES,
        regular_prices=np.array([8.0, 10.0, 12.0]),
        shelf_prices=np.array([8.0, 10.0, 12.0]),
        units_sold=np.zeros(day - 1),
        revenue=np.zeros(day - 1),
        first_purchase_day=np.asarray(c["first_purchase_day"], dtype=float),
        last_purchase_day=np.asarray(c["last_purchase_day"], dtype=float),
        purchase_count=np.asarray(c["purchase_count"], dtype=np.int32),
        spend=np.asarray(c["spend"], dtype=float),
        points=np.zeros(n),
    )


def retention(**kwargs) -> RetentionOffer:
    return RetentionOffer(FIRM, RetentionConfig(**kwargs))


# -- rank -----------------------------------------------------------------------------------------


def test_lapse_risk_is_one_minus_exp_of_silence_over_own_gap():
    risk = lapse_risk(FirmRecords.from_obs(obs()), typical_gap=30.0)
    # customer 2 bought once: the typical gap (30 days) stands in for its own
    expected = 1 - np.exp(-np.array([60 / 20, 40 / 15, 31 / 30, 5 / (95 / 3), 50 / 5]))
    np.testing.assert_allclose(risk, expected)
    never = lapse_risk(FirmRecords.from_obs(obs(purchase_count=[0] * 5)), 30.0)
    assert never.tolist() == [0.0] * 5


@pytest.mark.parametrize(
    ("rank", "order"),
    [
        ("overdue", [0, 4, 1, 2]),  # silence 60, 50, 40, 31
        ("value", [1, 2, 4, 0]),  # spend 50, 30, 20, 10
        ("risk", [4, 0, 1, 2]),  # silence / own gap 10, 3, 2.7, 1.03
        ("value_risk", [1, 4, 2, 0]),  # 46.5, 20.0, 19.3, 9.5
    ],
)
def test_rank_orders_the_at_risk_customers(rank, order):
    assert retention(rank=rank).at_risk(obs()).tolist() == order


def test_rank_value_offers_the_highest_spenders_first():
    policy = retention(rank="value", daily_cap=2)
    assert policy.offers(obs(), np.random.default_rng(0)).targeted_ids.tolist() == [1, 2]
    assert retention(daily_cap=2).offers(obs(), np.random.default_rng(0)).targeted_ids.tolist() == [
        0,
        4,
    ]


def test_rank_overdue_is_todays_retention_byte_for_byte():
    default = simulate(compose_config(*RUN, "policy=retention"))
    for extra in (["policy.rank=overdue"], ["policy.segments=[A,B,C]"]):  # A+B+C: everyone
        run = simulate(compose_config(*RUN, "policy=retention", *extra))
        assert run.firm_kpis.equals(default.firm_kpis), extra
        assert run.timeseries.equals(default.timeseries), extra
        assert run.customers.equals(default.customers), extra


# -- segments -------------------------------------------------------------------------------------


def test_segments_filter_by_abc_tier_and_rfm_class():
    records = FirmRecords.from_obs(obs())
    tier = abc_tiers(records.spend, records.customer)  # spend 100, 50, 30 make A
    assert tier.tolist() == [2, 0, 0, 0, 1]
    assert in_segments(records, ["A"]).tolist() == [False, True, True, True, False]
    assert retention(segments=["A"]).at_risk(obs()).tolist() == [1, 2]
    assert retention(segments=["B", "C"], rank="value").at_risk(obs()).tolist() == [4, 0]
    # every customer is in exactly one of the four classes and one of the eight cells
    four = ["high_value", "important_to_retain", "new", "low_value"]
    assert in_segments(records, four).all()
    assert sum(in_segments(records, [c]).astype(int) for c in four).tolist() == [1] * 5


def issued_outside(policy_name: str, segments: list[str]) -> tuple[int, int]:
    """Offers a small run issues, and how many went to customers outside `segments`.

    Membership is computed from the observation on the day of the offer (the engine
    updates the arrays a `MarketObs` views afterwards).
    """
    model = build_model(
        compose_config(
            *RUN,
            f"policy={policy_name}",
            "policy.rank=value_risk",
            f"policy.segments=[{','.join(segments)}]",
        )
    )
    policy = model.firms[0].policy
    offers, counts, held = policy.offers, [0, 0], set()

    def check(o, rng):
        nonlocal held
        offer = offers(o, rng)
        new = sorted(set(offer.targeted_ids.tolist()) - held)
        inside = in_segments(FirmRecords.from_obs(o), segments)
        counts[0] += len(new)
        counts[1] += int((~inside[new]).sum())
        held = set(offer.targeted_ids.tolist())
        return offer

    policy.offers = check
    while model.running:
        model.step()
    return counts[0], counts[1]


@pytest.mark.parametrize("policy", ["retention", "value_allocation"])
def test_no_offer_goes_to_a_customer_outside_the_segments(policy):
    issued, outside = issued_outside(policy, ["important_to_retain", "C"])
    assert issued > 0 and outside == 0


# -- value allocation -----------------------------------------------------------------------------


def test_vip_customers_come_first_and_get_the_deeper_discount():
    policy = ValueAllocation(FIRM, ValueAllocationConfig(daily_cap=3))
    offer = policy.offers(obs(), np.random.default_rng(0))
    # A (1, 2) first by value x risk, then B (4); C (0) is left out by the cap
    assert offer.targeted_ids.tolist() == [1, 2, 4]
    np.testing.assert_allclose(offer.targeted_prices, [8 * 0.7, 8 * 0.7, 8 * 0.8])


def test_a_spent_tier_withdraws_its_offers_and_issues_no_more():
    policy = ValueAllocation(FIRM, ValueAllocationConfig(budget=10.0, cooldown=0))
    policy.offers(obs(), np.random.default_rng(0))  # A: 1, 2; B: 4; C: 0
    policy.settle(StepOutcome(100, 0, 3, 16.8, 1.8, np.array([1]), np.array([3]), np.array([5.6])))
    assert policy.spent_by_tier.tolist() == pytest.approx([7.2, 0.0, 0.0])  # A's budget: 6
    offer = policy.offers(obs(101), np.random.default_rng(0))
    assert offer.targeted_ids.tolist() == [0, 4]  # 2's offer withdrawn, 1 not offered again


def test_each_tier_is_charged_its_redeemed_discounts_within_its_share():
    model = build_model(compose_config(*RUN, "policy=value_allocation", "policy.budget=600"))
    policy, charged = model.firms[0].policy, []
    assert policy.budgets.tolist() == pytest.approx([360.0, 180.0, 60.0])
    settle = policy.settle

    def keep(outcome):
        before = policy.spent_by_tier.copy()
        settle(outcome)
        charged.append((before, policy.spent_by_tier - before))

    policy.settle = keep
    while model.running:
        model.step()
    for before, today in charged:
        # a tier that had spent its share held no offers, so nothing more is charged to it
        assert (today[before >= policy.budgets] == 0).all()
    worst_day = np.max([today for _, today in charged], axis=0)
    assert (policy.spent_by_tier <= policy.budgets + worst_day).all()
    assert (policy.spent_by_tier >= policy.budgets).any()  # some tier did run out
    assert policy.spent == pytest.approx(policy.spent_by_tier.sum())


def test_the_engine_charges_what_the_tiers_charged():
    run = simulate(compose_config(*RUN, "policy=value_allocation", "policy.budget=600"))
    a = run.firm_kpis.set_index("firm").loc["A"]
    policy = run.model.firms[0].policy
    assert a.discount_cost == pytest.approx(policy.spent_by_tier.sum()) and a.discount_cost > 0


# -- contracts and bad input ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides",
    [
        ["policy=retention", "policy.rank=value_risk", "policy.segments=[A,new,loyal_at_risk]"],
        ["policy=value_allocation", "policy.segments=[A,B]"],
    ],
)
def test_targeting_policies_read_market_obs_only(overrides):
    assert len(check_policy(overrides, days=40, customers=300)) == 40


@pytest.mark.parametrize(
    ("overrides", "line"),
    [
        (
            ["policy=retention", "policy.rank=best"],
            "policy.rank='best': must be one of: overdue, value, risk, value_risk",
        ),
        (
            ["policy=retention", "policy.segments=[A,vip]"],
            "policy.segments=['A', 'vip']: must be names from: A, B, C, high_value, ",
        ),
        (
            ["policy=value_allocation", "policy.shares=[0.5,0.3]"],
            "policy.shares=[0.5, 0.3]: must be three shares >= 0 (tiers A, B, C) summing to 1",
        ),
        (
            ["policy=value_allocation", "policy.cuts=[0.8,0.3,-0.1]"],
            "policy.cuts=[0.8, 0.3, -0.1]: must be three shares >= 0 (tiers A, B, C) summing to 1",
        ),
        (
            ["policy=value_allocation", "policy.vip_depth=1"],
            "policy.vip_depth=1.0: must be in (0, 1)",
        ),
    ],
)
def test_bad_targeting_parameters_fail_with_one_line(overrides, line):
    with pytest.raises(ConfigError) as err:
        compose_config(*overrides)
    lines = str(err.value).splitlines()
    assert len(lines) == 1 and lines[0].startswith(line), lines
