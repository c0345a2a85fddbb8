"""Reaching customers costs money: channels, contacts, fatigue, opt-outs, campaigns.

The kernels against their closed forms; every contact paid for and in the one
ledger (firm = sum over customers = daily series = the contact ledger); a free,
certain, inert channel is the world without channels, byte for byte; an unopened
message leaves its offer unknown; an opted-out customer is never contacted again
through that channel; bad channel values fail before the run with one line.
"""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custsim.agents import reach as rc
from custsim.sim.config import ConfigError
from custsim.sim.runner import simulate
from custsim.sim.testing import compose_config

CENT = 0.005
SMALL = ("population.size=1500", "steps=120", "progress=off", "plots=false")
#: a channel that reaches everyone, for free, and changes nothing by itself
INERT = "+channels={inert: {cost: 0, delivery: 1, open: 1, response: 0, opt_out: 0}}"


def run(*overrides, out=None):
    return simulate(compose_config(*SMALL, *overrides), out)


# -- kernels ---------------------------------------------------------------------------
def test_fatigue_halves_every_half_life():
    f = rc.decayed_fatigue(np.array([4.0, 4.0, 4.0]), np.array([0.0, 14.0, 28.0]), 14.0)
    np.testing.assert_allclose(f, [4.0, 2.0, 1.0])


def test_response_and_opt_out_at_rest_are_the_channel_values():
    assert rc.response_probability(0.06, 0.3, 0.0) == pytest.approx(0.06)
    assert rc.response_probability(0.06, 0.3, 2.0) == pytest.approx(0.06 * np.exp(-0.6))
    assert rc.opt_out_probability(0.01, 0.5, 0.0) == pytest.approx(1 - np.exp(-0.01))
    assert rc.opt_out_probability(0.01, 0.5, 4.0) == pytest.approx(1 - np.exp(-0.03))


@settings(max_examples=50, deadline=None)
@given(every=st.floats(0.5, 60), half_life=st.floats(1, 60), contacts=st.integers(60, 200))
def test_fatigue_of_regular_contacts_converges_to_its_closed_form(every, half_life, contacts):
    f = 0.0
    for _ in range(contacts):  # the engine's update: decay since the last contact, then + 1
        met = float(rc.decayed_fatigue(np.array(f), np.array(every), half_life))
        f = met + 1.0
    x = 2.0 ** (-every / half_life)
    if x**contacts < 1e-9:
        assert met == pytest.approx(rc.steady_fatigue(every, half_life), rel=1e-6)


def test_steady_response_rises_then_falls_with_frequency():
    every = np.array([1, 2, 3, 5, 7, 10, 14, 21, 28, 56], dtype=float)
    rate = np.array([rc.steady_response_rate(e, 14, 0.06, 0.3, 0.168) for e in every])
    peak = int(rate.argmax())
    assert 0 < peak < len(every) - 1  # an interior optimum: wear-out
    assert np.all(np.diff(rate[: peak + 1]) > 0) and np.all(np.diff(rate[peak:]) < 0)
    assert rc.steady_response_rate(7, 14, 0.06, 0.0, 1.0) == pytest.approx(0.06 / 7)


# -- the engine -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def campaign():
    return run("policy=campaign", "policy.channel=sms", "policy.every=7", "policy.depth=0.1",
               "record_purchases=true")  # fmt: skip


def test_every_contact_is_paid_for_in_the_margin_to_the_cent(campaign):
    r = campaign
    firm = r.firm_kpis.set_index("firm")
    reach = r.reach["firm"].set_index("firm")
    cust = r.customers
    ts = r.timeseries
    for name in firm.index:
        paid = cust[f"contact_cost_{name}"].sum()
        assert abs(reach.loc[name, "contact_cost"] - paid) < CENT
        assert abs(ts.loc[ts.firm == name, "contact_cost"].sum() - paid) < CENT
        assert abs(firm.loc[name, "margin"] - cust[f"margin_{name}"].sum()) < CENT
        # margin = revenue - cost of goods - rewards - liability - contact cost
        units = firm.loc[name, "units"]
        cost = r.model.unit_costs[list(firm.index).index(name)]
        expected = (
            firm.loc[name, "revenue"] - cost * units - firm.loc[name, "rewards_paid"]
            - firm.loc[name, "points_liability"] - paid
        )  # fmt: skip
        assert abs(firm.loc[name, "margin"] - expected) < CENT
    sms = r.model.cfg.channels["sms"].cost
    assert reach.loc["A", "contact_cost"] == pytest.approx(sms * reach.loc["A", "contacts"])
    assert reach.loc["A", "contacts"] > 0 and reach.loc[["B", "C"], "contacts"].sum() == 0


def test_the_ledger_per_channel_sums_to_the_firm_and_the_funnel_narrows(campaign):
    by_channel = campaign.reach["channels"].groupby("firm", sort=False).sum(numeric_only=True)
    firm = campaign.reach["firm"].set_index("firm")
    for col in ("contacts", "delivered", "opened", "opt_outs", "conversions", "contact_cost"):
        np.testing.assert_allclose(by_channel[col], firm[col])
    a = firm.loc["A"]
    assert a.contacts >= a.delivered >= a.opened > 0
    assert a.opt_outs <= a.delivered and a.prompted <= a.opened


def test_conversions_are_purchases_at_the_firm_after_an_opened_message(campaign):
    a = campaign.reach["firm"].set_index("firm").loc["A"]
    log = campaign.model.purchase_log.frame()
    at_a = log[log.firm == "A"]
    assert 0 < a.conversions <= min(a.opened, len(at_a))
    assert a.attributed_revenue <= (at_a.quantity * at_a.price).sum() + CENT


def test_an_inert_free_channel_is_the_world_without_channels_byte_for_byte(tmp_path):
    plain = run("policy=retention", out=tmp_path / "plain")
    inert = run("policy=retention", INERT, "policy.channel=inert", out=tmp_path / "inert")
    shared = plain.timeseries.columns
    pd.testing.assert_frame_equal(inert.timeseries[shared], plain.timeseries)
    pd.testing.assert_frame_equal(inert.firm_kpis, plain.firm_kpis)
    columns = plain.customers.columns
    pd.testing.assert_frame_equal(inert.customers[columns], plain.customers)
    assert inert.reach["firm"].contacts.sum() == plain.firm_kpis.offers_sent.sum() > 0


def test_an_unopened_message_leaves_its_offer_unknown():
    never = "+channels={void: {cost: 0.1, delivery: 1, open: 0}}"
    r = run("policy=retention", never, "policy.channel=void")
    a = r.firm_kpis.set_index("firm").loc["A"]
    reach = r.reach["firm"].set_index("firm").loc["A"]
    assert reach.contacts > 0 and reach.opened == 0
    assert a.offers_redeemed == 0 and a.offers_sent == 0  # nobody learnt of an offer
    assert reach.contact_cost == pytest.approx(0.1 * reach.contacts)  # yet each was paid for


def test_an_opted_out_customer_is_never_contacted_again_through_that_channel():
    # every delivered message makes its customer opt out: each customer is contacted once
    quit = "+channels={quit: {cost: 0.01, delivery: 1, open: 1, opt_out: 100}}"
    r = run("policy=campaign", quit, "policy.channel=quit", "policy.every=7")
    reach = r.reach["firm"].set_index("firm").loc["A"]
    opted = r.customers["opted_out_A"]
    assert reach.opt_outs == reach.contacts == opted.sum() > 0
    assert opted.max() == 1


def test_a_costlier_channel_with_the_same_response_costs_more_and_nothing_else(tmp_path):
    cheap = "+channels={cheap: {cost: 0.01, delivery: 1, open: 1, response: 0.1}}"
    dear = "+channels={dear: {cost: 1.0, delivery: 1, open: 1, response: 0.1}}"
    a = run("policy=campaign", cheap, "policy.channel=cheap")
    b = run("policy=campaign", dear, "policy.channel=dear")
    ka, kb = a.firm_kpis.set_index("firm"), b.firm_kpis.set_index("firm")
    assert ka.loc["A", "units"] == kb.loc["A", "units"]  # the same draws, the same customers
    cost_a = a.reach["firm"].contact_cost[0]
    cost_b = b.reach["firm"].contact_cost[0]
    assert cost_b == pytest.approx(100 * cost_a)
    assert ka.loc["A", "margin"] - kb.loc["A", "margin"] == pytest.approx(cost_b - cost_a)


def test_reminders_bring_customers_to_the_shelf():
    loud = "+channels={loud: {cost: 0, delivery: 1, open: 1, response: 0.5}}"
    quiet = "+channels={quiet: {cost: 0, delivery: 1, open: 1, response: 0}}"
    more = run("policy=campaign", loud, "policy.channel=loud", "policy.every=7")
    base = run("policy=campaign", quiet, "policy.channel=quiet", "policy.every=7")
    assert more.reach["firm"].prompted[0] > 0 and base.reach["firm"].prompted[0] == 0
    assert more.firm_kpis.units[0] > base.firm_kpis.units[0]
    assert more.timeseries.occasions.sum() > base.timeseries.occasions.sum()


def test_two_runs_with_a_campaign_write_the_same_bytes(tmp_path):
    ov = ("policy=campaign", "policy.channel=email", "policy.depth=0.2", "record_purchases=true")
    for name in ("a", "b"):
        run(*ov, out=tmp_path / name)
    for f in [*sorted((tmp_path / "a").glob("*.parquet")), tmp_path / "a" / "kpis.json"]:
        assert f.read_bytes() == (tmp_path / "b" / f.name).read_bytes(), f.name


# -- bad input ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "override,line",
    [
        ("channels.email.delivery=1.5", "channels.email.delivery=1.5: must be in [0, 1]"),
        ("channels.sms.half_life=0", "channels.sms.half_life=0.0: must be > 0"),
        ("channels.phone.cost=-1", "channels.phone.cost=-1.0: must be >= 0"),
        ("policy.channel=fax", "policy.channel='fax': no such channel; channels are: app_push"),
        ("+channels={flyer: {delivery: 0.5}}", "channels.flyer.cost: missing; a channel needs"),
        ("+channels.flyer.cost=0.3", "+channels.flyer.cost=0.3: a new entry of channels is"),
    ],
)
def test_bad_channel_values_fail_before_the_run_with_one_line(override, line):
    with pytest.raises(ConfigError) as err:
        compose_config(*SMALL, "policy=campaign", override)
    text = str(err.value)
    assert len(text.splitlines()) == 1 and text.startswith(line), text


def test_a_competitor_naming_an_unknown_channel_is_named_by_its_key():
    with pytest.raises(ConfigError, match=r"^market\.firms\.B\.policy\.channel='fax'"):
        compose_config(*SMALL, "+policy@market.firms.B.policy=campaign",
                       "market.firms.B.policy.channel=fax")  # fmt: skip


# -- acquisition ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def acquiring():
    return run("policy=acquisition", "population.prospects=0.4", "policy.daily=20000",
               "policy.budget=400")  # fmt: skip


def test_prospects_enter_only_when_acquired_and_cac_is_spend_over_acquired(acquiring):
    r = acquiring
    cust = r.customers
    table = r.acquisition.set_index("firm")
    a = table.loc["A"]
    prospects = 600  # 0.4 x 1,500, the last rows
    outside = cust.arrival_day.iloc[-prospects:]
    assert (cust.arrival_day.iloc[:-prospects] == 0).all()
    assert a.acquired == (outside > 0).sum() == (cust.acquired_by == "A").sum() > 0
    assert (outside == -1).sum() == prospects - a.acquired  # the others never came
    assert a.acquisition_cost <= 400 + 20000 * 0.0155  # the budget stops the next day's buying
    assert a.cac == pytest.approx(a.acquisition_cost / a.acquired)
    assert a.acquired_buyers <= a.acquired
    assert table.loc[["B", "C"], "acquired"].sum() == 0


def test_acquisition_is_paid_for_in_the_margin_to_the_cent(acquiring):
    r = acquiring
    firm, cust, ts = r.firm_kpis.set_index("firm"), r.customers, r.timeseries
    paid = cust["acquisition_cost_A"].sum()
    assert paid == pytest.approx(r.acquisition.acquisition_cost[0], abs=CENT)
    assert abs(ts.loc[ts.firm == "A", "acquisition_cost"].sum() - paid) < CENT
    for name in firm.index:
        assert abs(firm.loc[name, "margin"] - cust[f"margin_{name}"].sum()) < CENT
    expected = firm.loc["A", "revenue"] - r.model.unit_costs[0] * firm.loc["A", "units"] - paid
    assert abs(firm.loc["A", "margin"] - expected) < CENT


def test_the_paid_social_defaults_reproduce_the_benchmarks_cost_per_acquisition():
    # WordStream (2017): 1.72 a click, 0.90% of impressions clicked, 9.21% of clicks convert,
    # a cost per acquisition of 18.68
    r = run("policy=acquisition", "population.prospects=0.5", "population.size=20000",
            "steps=60", "policy.budget=100000")  # fmt: skip
    a = r.acquisition.iloc[0]
    assert a.acquired > 150
    half_width = 1.96 * a.cac / np.sqrt(a.acquired)  # acquisitions are close to Poisson
    assert abs(a.cac - 18.68) < half_width, (a.cac, a.acquired)


def test_prospects_beside_arrivals_fail_with_one_line():
    with pytest.raises(ConfigError, match=r"^population\.prospects=0\.3: prospects enter only"):
        compose_config(*SMALL, "population.prospects=0.3", "population.arrivals.kind=poisson",
                       "population.arrivals.rate=5")  # fmt: skip


def test_the_reach_figure_is_drawn_only_when_a_firm_sent_messages(campaign, tmp_path):
    from custsim.experiments.plots import plot_reach

    path = plot_reach(campaign.timeseries, tmp_path)
    assert path == tmp_path / "reach.png" and path.stat().st_size > 10_000
    silent = run("policy=retention", "+channels={mute: {cost: 1}}", "policy.channel=mute",
                 "policy.budget=0")  # fmt: skip
    assert silent.reach["firm"].contacts.sum() == 0
    assert plot_reach(silent.timeseries, tmp_path / "none") is None


# -- the campaign's triggers, on hand-made observations -----------------------------------------
def _firm():
    from custsim.sim.market import FirmSpec

    return FirmSpec("A", 0, 8.0, 5.0, ("A", "B"), (("email", 0.01),))


def _obs(day, last, first=None, points=None, loyalty=None):
    from custsim.sim.market import MarketObs

    last = np.asarray(last, dtype=float)
    n = len(last)
    bought = np.isfinite(last)
    return MarketObs(
        day=day, firm=0, firm_names=("A", "B"), regular_prices=np.array([8.0, 7.0]),
        shelf_prices=np.array([8.0, 7.0]), units_sold=np.zeros(max(day - 1, 0)),
        revenue=np.zeros(max(day - 1, 0)),
        first_purchase_day=np.where(bought, last if first is None else first, np.inf),
        last_purchase_day=last, purchase_count=bought.astype(np.int32),
        spend=bought * 8.0, points=np.zeros(n) if points is None else np.asarray(points, float),
        channel_names=("email",), opted_out=np.array([[False, True, False, False, False]]),
        loyalty=loyalty,
    )  # fmt: skip


def _contacted(cfg, obs):
    from custsim.policies.campaign import Campaign

    offer = Campaign(_firm(), cfg).offers(obs, np.random.default_rng(0))
    return [] if not offer.contacts else offer.contacts[0].ids.tolist()


def test_a_calendar_wave_reaches_every_known_reachable_customer_on_its_days():
    from custsim.policies.campaign import CampaignConfig

    cfg = CampaignConfig(every=7, start=3)
    last = [1, 1, -np.inf, 2, 2]  # customer 2 never bought; customer 1 opted out
    assert _contacted(cfg, _obs(10, last)) == [0, 3, 4]
    assert _contacted(cfg, _obs(11, last)) == []
    assert _contacted(CampaignConfig(every=7, start=3, audience=2), _obs(10, last)) == [0, 3]


def test_lapse_anniversary_and_points_expiry_triggers_pick_their_day():
    from custsim.policies.campaign import CampaignConfig
    from custsim.sim.market import LoyaltyTerms

    last = [70, 40, 40, 39, 69]
    assert _contacted(CampaignConfig(trigger="lapse", lapse_days=30), _obs(70, last)) == [2, 3][:1]
    first = [5, 5, 6, 5, 5]
    cfg = CampaignConfig(trigger="anniversary")
    assert _contacted(cfg, _obs(370, last, first=first)) == [0, 3, 4]
    terms = LoyaltyTerms(threshold=100, reward_value=8, points_per_currency=1, expiry_days=20)
    cfg = CampaignConfig(trigger="points_expiry", warn_days=7)
    # points earned on day 40 lapse on day 61 (idle for more than 20 days): warned on day 54
    held = [5, 5, 5, 5, 0]
    assert _contacted(cfg, _obs(54, [40, 40, 40, 41, 40], points=held, loyalty=terms)) == [0, 2]
    assert _contacted(cfg, _obs(54, [40] * 5, points=held, loyalty=None)) == []


def test_a_till_message_reaches_only_customers_who_buy_and_is_paid_for_then():
    till = "+channels={till: {cost: 0.5, delivery: 1, open: 1, response: 1, at_till: true}}"
    r = run("policy=campaign", till, "policy.channel=till", "policy.every=7", "policy.depth=0.3",
            "record_purchases=true")  # fmt: skip
    reach = r.reach["firm"].set_index("firm").loc["A"]
    log = r.model.purchase_log.frame()
    buyers_at_a = log.loc[log.firm == "A", "customer"].nunique()
    assert 0 < reach.contacts <= (log.firm == "A").sum()  # one per purchase at A at most
    assert r.customers.loc[r.customers.purchases_A == 0, "contact_cost_A"].eq(0).all()
    assert (r.customers.contact_cost_A > 0).sum() <= buyers_at_a
    assert reach.contact_cost == pytest.approx(0.5 * reach.contacts)
    assert reach.prompted > 0  # answered: back the next day
    offers = r.firm_kpis.set_index("firm").loc["A"]
    assert offers.offers_redeemed > 0  # the offer on the receipt is known after the purchase


def test_points_expiry_warnings_go_to_members_whose_points_are_about_to_lapse():
    parts = ("policy.parts=[{_target_: custsim.policies.loyalty_points.LoyaltyPoints, "
             "expiry_days: 30}, {_target_: custsim.policies.campaign.Campaign, "
             "trigger: points_expiry, warn_days: 5, channel: email}]")  # fmt: skip
    r = run("policy=composed", parts)
    reach = r.reach["firm"].set_index("firm").loc["A"]
    assert reach.contacts > 0
    warned = r.customers.contact_cost_A > 0
    assert (r.customers.loc[warned, "purchases_A"] > 0).all()  # members only
