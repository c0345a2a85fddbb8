"""One money ledger: per customer and firm, margin = spend - cost x units - rewards - liability.

The firm's margin and CLV are the sums over its customers, to the cent, on
every shipped policy; personal offers are counted where they are sent and
redeemed; the run header names every firm's policy; a day without shoppers
keeps the last mean reference price.
"""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from custsim.experiments.run_summary import format_summary
from custsim.policies.registry import policy_options
from custsim.sim.market import Offer, Offers
from custsim.sim.runner import simulate
from custsim.sim.stages.arrival import receive_offers
from custsim.sim.testing import compose_config

CENT = 0.005
POLICIES = policy_options(with_aliases=False)  # every registered policy and conf/policy variant
# 130 days: retention offers (at risk after 30 days) and the composed policy's
# day-120 limited offer both happen
SMALL = ("population.size=600", "steps=130", "progress=off")


@pytest.fixture(scope="module", params=POLICIES)
def run(request):
    # a reactive competitor watches firm A, so it runs on firm B against A's hi-lo
    rival = ["market.focal=B", "+policy@market.firms.A.policy=hi_lo"]
    return simulate(
        compose_config(*SMALL, f"policy={request.param}", *rival * (request.param == "reactive"))
    )


def test_every_policy_file_is_covered():
    assert {"edlp", "loyalty_points", "points_2x_weekend", "retention", "composed"} <= set(POLICIES)


def test_firm_margin_and_clv_are_the_sums_over_customers(run):
    kpis, cust = run.firm_kpis.set_index("firm"), run.customers
    for firm, row in kpis.iterrows():
        assert abs(row.revenue - cust[f"spend_{firm}"].sum()) < CENT
        assert abs(row.margin - cust[f"margin_{firm}"].sum()) < CENT, firm
        assert abs(row.clv_per_customer * len(cust) - cust[f"clv_{firm}"].sum()) < CENT, firm
    assert abs(run.customer_kpis["mean_clv"] * len(cust) - cust["clv"].sum()) < CENT


def test_totals_are_the_sums_of_the_per_firm_columns_exactly(run):
    cust, firms = run.customers, list(run.firm_kpis.firm)
    for total in ("spend", "margin", "clv"):
        by_firm = cust[f"{total}_{firms[0]}"].to_numpy().copy()
        for firm in firms[1:]:
            by_firm += cust[f"{total}_{firm}"].to_numpy()
        np.testing.assert_array_equal(cust[total].to_numpy(), by_firm)
    last = np.max([cust[f"last_purchase_day_{f}"] for f in firms], axis=0)
    np.testing.assert_array_equal(cust["last_purchase_day"].to_numpy(), last)


def test_each_customer_carries_own_rewards_and_points_liability():
    """Loyalty points: the liability is charged by each customer's own balance x point value."""
    run = simulate(compose_config(*SMALL, "policy=points_2x_weekend"))
    model, st = run.model, run.model.state
    value = 2.5 / 50  # reward_value / threshold of conf/policy/points_2x_weekend.yaml
    a = run.firm_kpis.set_index("firm").loc["A"]
    assert a.rewards_paid > 0 and a.points_liability > 0
    assert abs(st.rewards[0].sum() - a.rewards_paid) < CENT
    liability = model.ledger.balance[0] * value
    np.testing.assert_allclose(st.liability[0], liability, rtol=0, atol=1e-12)
    units_cost = model.unit_costs[0] * st.units[0]
    expected = st.spend[0] - units_cost - st.rewards[0] - liability
    np.testing.assert_allclose(run.customers["margin_A"], expected, rtol=0, atol=1e-9)
    # CLV: the liability is discounted from the last day, and the customers who hold
    # points are worth less than their discounted purchase margin
    d_end = 1.10 ** (-130 / 365)
    clv = st.discounted_margin[0] - d_end * liability
    np.testing.assert_allclose(run.customers["clv_A"], clv, rtol=0, atol=1e-9)
    assert (run.customers["clv_A"] < st.discounted_margin[0])[liability > 0].all()


def test_personal_offers_are_counted_and_their_discount_is_the_policy_budget():
    run = simulate(compose_config(*SMALL, "policy=retention"))
    a = run.firm_kpis.set_index("firm").loc["A"]
    cust = run.customers
    assert a.offers_sent > 0 and 0 < a.offers_redeemed <= a.offers_sent
    assert cust["offers_received"].sum() == a.offers_sent
    assert cust["offers_redeemed"].sum() == a.offers_redeemed
    # a retention offer is used up when redeemed
    assert (cust["offers_redeemed"] <= cust["offers_received"]).all()
    # the engine's discount cost is what the policy charged to its own budget
    policy = run.model.firms[0].policy
    assert abs(a.discount_cost - policy.spent) < CENT and a.discount_cost > 0
    others = run.firm_kpis.set_index("firm").loc[["B", "C"]]
    assert (others[["offers_sent", "offers_redeemed", "discount_cost"]] == 0).all().all()


def test_an_offer_is_received_once_however_many_days_it_is_posted():
    # a stand-in for CustomerState with the two arrays receive_offers writes
    state = SimpleNamespace(
        offers_received=np.zeros(6, dtype=np.int32), firm_offers_sent=np.zeros(2, dtype=np.int64)
    )

    def day(ids: list[int]) -> Offers:
        ids_ = np.array(ids, dtype=np.int64)
        personal = Offer(7.0, targeted_ids=ids_, targeted_prices=np.full(len(ids), 6.0))
        return Offers.collect([personal, Offer(7.5)])

    first, second, third = day([1, 2]), day([2, 3]), day([1])
    receive_offers(state, None, first)
    receive_offers(state, first, second)
    receive_offers(state, second, third)
    assert state.offers_received.tolist() == [0, 2, 1, 1, 0, 0]
    assert state.firm_offers_sent.tolist() == [4, 0]


def test_run_header_names_every_firms_policy():
    cfg = compose_config(
        "population.size=300", "steps=20", "policy=hi_lo", "+policy@market.firms.C.policy=retention"
    )
    header = format_summary(simulate(cfg)).splitlines()[0]
    assert "policies: A HiLoPromotion, B EverydayPrice, C RetentionOffer" in header


def test_console_table_shows_offers_only_when_some_were_sent():
    plain = format_summary(simulate(compose_config(*SMALL)))
    assert "offers" not in plain.splitlines()[2]
    targeted = format_summary(simulate(compose_config(*SMALL, "policy=retention")))
    head, row_a = targeted.splitlines()[2:4]
    assert head.split()[-3:] == ["offers", "redeemed", "discount"]
    assert row_a.startswith("A") and row_a.split()[-3] != "0"


def test_a_day_without_shoppers_keeps_the_last_mean_reference_price():
    run = simulate(
        compose_config("population.size=4", "network.mean_degree=2", "steps=60", "progress=off")
    )
    ts = run.timeseries
    quiet = sorted(set(ts.loc[ts.occasions == 0, "day"]))
    assert quiet, "a tiny population has days without shoppers"
    assert np.isfinite(ts["mean_reference_price"]).all()
    wide = ts.pivot(index="day", columns="firm", values="mean_reference_price")
    regular = ts[ts.day == 1].set_index("firm")["regular_price"]
    for d in quiet:
        before = wide.loc[d - 1] if d > 1 else regular
        pd.testing.assert_series_equal(wide.loc[d], before, check_names=False)
