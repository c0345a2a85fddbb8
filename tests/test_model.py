"""The engine's behaviour: switches, closed forms of the customer processes, policy effects."""

import math
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from custsim.sim.customer import Customer
from custsim.sim.firm import Firm
from custsim.sim.runner import build_model, simulate
from custsim.sim.stages.terms import brand_utility
from custsim.sim.testing import small_config

SEGMENTS = ("balanced", "price_sensitive", "deal_seeker", "brand_loyal")


def _for_all_segments(**values: float) -> list[str]:
    return [f"population.segments.{s}.{k}={v}" for s in SEGMENTS for k, v in values.items()]


def _utility_at(model, reference_shift: float):
    who = np.arange(200)
    view = model.shelf_view(who, model.offers, model.offer_pull(model.offers))
    view = replace(view, reference=view.reference + reference_shift)
    return brand_utility(view, model.terms)


def _stepped(*overrides: str):
    model = build_model(small_config("population.size=400", *overrides))
    model.step()
    return model


def test_eta_zero_switches_reference_dependence_off_exactly():
    model = _stepped(
        *_for_all_segments(**{"reference_weight.mean": 0.0, "reference_weight.sd": 0.0})
    )
    np.testing.assert_array_equal(_utility_at(model, 0.0), _utility_at(model, 1.7))
    np.testing.assert_array_equal(_utility_at(model, 0.0), _utility_at(model, -2.3))


def test_lambda_one_linear_value_makes_gains_and_losses_symmetric():
    model = _stepped(
        *_for_all_segments(
            **{
                "loss_aversion.mean": 1.0,
                "loss_aversion.sd": 0.0,
                "gain_curvature": 1.0,
                "loss_curvature": 1.0,
                "latitude": 0.0,
            }
        )
    )
    base, up, down = (_utility_at(model, d) for d in (0.0, 1.0, -1.0))
    b_eta = (model.traits["price_sensitivity"] * model.traits["reference_weight"])[:200]
    np.testing.assert_allclose(up - base, np.broadcast_to(b_eta, base.shape), rtol=1e-12)
    np.testing.assert_allclose(base - down, up - base, rtol=1e-12)


def test_loss_aversion_makes_losses_loom_larger_in_utility():
    model = _stepped()
    base, up, down = (_utility_at(model, d) for d in (0.0, 1.0, -1.0))
    assert np.all(base - down > up - base)  # a price above the reference hurts more


def test_bg_nbd_survival_matches_closed_form():
    """Constant occasion rate mu and dropout p per occasion: P(active at T) = exp(-mu p T)."""
    mu, p, days = 0.2, 0.01, 300
    model = build_model(
        small_config(
            "population.size=20000",
            f"steps={days}",
            "network=none",
            *_for_all_segments(
                **{
                    "occasion_rate.mean": mu,
                    "occasion_rate.sd": 0.0,
                    "dropout.mean": p,
                    "dropout.sd": 0.0,
                    "dissatisfaction_churn": 0.0,
                }
            ),
        )
    )
    occasions = 0
    for _ in range(days):
        model.step()
        occasions += model.recorder.market["occasions"][model.steps - 1]
    assert model.state.active.mean() == pytest.approx(math.exp(-mu * p * days), abs=0.015)
    # occasions per active customer-day is mu (at most one a day: mu(1 - mu/2) to 2nd order)
    active_days = np.nansum(model.recorder.market["active_customers"])
    assert occasions / active_days == pytest.approx(mu, rel=0.06)


def test_hi_lo_promotions_lift_units_erode_references_and_leave_a_dip():
    promo = simulate(small_config("policy=hi_lo", "steps=112", "seed=4"))
    edlp = simulate(small_config("policy=none", "steps=112", "seed=4"))
    a_promo = promo.timeseries[promo.timeseries.firm == "A"].reset_index(drop=True)
    a_edlp = edlp.timeseries[edlp.timeseries.firm == "A"].reset_index(drop=True)
    on = a_promo.promo.to_numpy()
    # promotion days sell far more than the same days at the regular price
    assert a_promo.units[on].sum() > 1.5 * a_edlp.units[on].sum()
    # the reference price held by shoppers falls below the regular price and recovers slowly
    assert a_promo.mean_reference_price[on].min() < 0.95 * 8.0
    # the week after each promotion sells less than the same week without promotions
    after = np.zeros_like(on)
    after[1:] = on[:-1] & ~on[1:]
    week_after = np.convolve(after, np.ones(7), mode="full")[: len(on)] > 0
    assert a_promo.units[week_after].sum() < a_edlp.units[week_after].sum()


def test_stockpiling_buys_more_units_per_buyer_on_deals():
    run = simulate(small_config("policy=hi_lo", "steps=60"))
    a = run.timeseries[run.timeseries.firm == "A"]
    per_buyer = a.units / a.buyers.clip(lower=1)
    # without a deal nobody stockpiles: exactly one unit per purchase
    assert (per_buyer[~a.promo & (a.buyers > 0)] == 1.0).all()
    assert per_buyer[a.promo].mean() > 1.15


def test_customer_agents_are_live_views_and_agentset_queries_work():
    model = build_model(small_config("population.size=300", "steps=30"))
    for _ in range(30):
        model.step()
    customers = model.materialise_customers()
    assert len(customers) == 300
    assert len(model.agents_by_type[Firm]) == 3
    churned = customers.select(lambda c: c.churned)
    assert len(churned) == int((~model.state.active).sum())
    c = model.customer(7)
    assert c is customers.select(lambda a: a.row == 7).to_list()[0]
    assert c.purchases == {n: int(model.state.purchases[j, 7]) for j, n in enumerate("ABC")}
    assert c.segment in SEGMENTS and isinstance(c, Customer)
    assert c.points == {n: float(model.ledger.balance[j, 7]) for j, n in enumerate("ABC")}


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=15)
@given(
    lam=st.floats(0.0, 6.0),
    b=st.floats(0.02, 2.0),
    eta=st.floats(0.0, 4.0),
    theta=st.floats(0.0, 0.99),
    social=st.floats(0.0, 3.0),
    curvature=st.floats(0.1, 1.0),
    churn=st.floats(0.0, 20.0),
    depth=st.floats(0.01, 0.95),
)
def test_no_nan_and_valid_outputs_across_parameter_ranges(
    lam, b, eta, theta, social, curvature, churn, depth
):
    cfg = small_config(
        "population.size=300",
        "steps=30",
        "policy=hi_lo",
        "policy.start=3",
        f"policy.depth={depth}",
        *_for_all_segments(
            **{
                "loss_aversion.mean": lam,
                "loss_aversion.sd": 0.0,
                "price_sensitivity.mean": b,
                "price_sensitivity.sd": 0.0,
                "reference_weight.mean": eta,
                "reference_weight.sd": 0.0,
                "memory.mean": theta,
                "memory.sd": 0.0,
                "social_weight.mean": social,
                "social_weight.sd": 0.0,
                "gain_curvature": curvature,
                "loss_curvature": curvature,
                "dissatisfaction_churn": churn,
            }
        ),
    )
    run = simulate(cfg)
    ts = run.timeseries
    numeric = ts.drop(columns=["firm"]).to_numpy(dtype=float)
    assert np.isfinite(numeric).all()  # mean_reference_price too: carried over quiet days
    assert (ts.units >= 0).all() and ts.unit_share.between(0, 1).all()
    assert np.isfinite(run.model.state.reference).all()
    assert np.isfinite(run.model.state.taste).all()
    assert ((ts.occasions - ts.outside_choices) == ts.groupby("day").buyers.transform("sum")).all()
