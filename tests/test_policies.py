"""Every shipped policy passes the conformance check; policies change the market as designed."""

import dataclasses
from dataclasses import fields
from pathlib import Path

import numpy as np
import pytest

from custsim.policies.check import PolicyCheckError, check_policy
from custsim.policies.registry import (
    alias_notices,
    declared_options,
    policy_schemas,
    register_policy,
    registered,
)
from custsim.sim.compose import compose_config
from custsim.sim.config import ConfigError
from custsim.sim.market import MarketObs, Offer
from custsim.sim.runner import build_model, simulate
from custsim.sim.testing import small_config

VARIANTS = sorted(p.stem for p in (Path(__file__).parent.parent / "conf" / "policy").glob("*.yaml"))
#: every policy option: the registered schemas (policy=hi_lo) and the conf/policy/ variants
POLICIES = sorted({*registered(), *VARIANTS})


def _overrides(name: str) -> list[str]:
    # a reactive competitor watches firm A, so it is checked on firm B
    return [f"policy={name}", "market.focal=B"] if name == "reactive" else [f"policy={name}"]


@pytest.mark.parametrize("name", POLICIES)
def test_every_policy_passes_check_policy(name):
    offers = check_policy(_overrides(name), days=40, customers=300)
    assert len(offers) == 40


def test_the_policy_options_are_the_registry_and_the_variants():
    assert set(registered()) == {
        "acquisition", "campaign", "complaint_handling", "composed", "edlp", "hi_lo",
        "limited_offer",
        "loyalty_points", "price_change", "reactive", "retention", "stamp_card", "tiers",
        "value_allocation",
    }  # fmt: skip
    assert VARIANTS == ["endowed_stamp_card", "points_2x_weekend"]
    # what --help lists without importing a policy is exactly what the imports register
    assert declared_options() == tuple(policy_schemas())


@pytest.mark.parametrize("name", sorted(registered()))
def test_a_plain_option_is_its_schema_with_its_defaults(name):
    entry = registered()[name]
    cfg = compose_config(_overrides(name))
    assert cfg.policy == entry.schema()  # every default comes from the dataclass, none from YAML
    assert type(build_model(small_config(*_overrides(name), "population.size=50")).firms[
        1 if name == "reactive" else 0
    ].policy) is entry.policy  # fmt: skip


@pytest.mark.parametrize("name", VARIANTS)
def test_a_variant_sets_only_values_its_schema_does_not_default_to(name):
    import yaml

    text = (Path(__file__).parent.parent / "conf" / "policy" / f"{name}.yaml").read_text()
    values = {k: v for k, v in yaml.safe_load(text).items() if k != "defaults"}
    defaults = dataclasses.asdict(type(compose_config([f"policy={name}"]).policy)())
    assert values and all(defaults[k] != v for k, v in values.items())


def test_none_is_an_alias_of_edlp():
    assert compose_config(["policy=none"]) == compose_config(["policy=edlp"])
    assert compose_config([]).policy == compose_config(["policy=edlp"]).policy  # the default
    assert alias_notices(["policy=none,hi_lo", "seed=1", "compare.baseline=none"]) == [
        "policy=none is an alias of policy=edlp",
        "compare.baseline=none is an alias of compare.baseline=edlp",
    ]
    assert alias_notices(["+policy@market.firms.B.policy=none"]) == [
        "policy@market.firms.B.policy=none is an alias of policy@market.firms.B.policy=edlp"
    ]
    assert alias_notices(["policy=edlp", "network=none"]) == []


@pytest.mark.parametrize("option", ["hi_lo_schema", "none_schema", "edlp_schema"])
def test_schema_names_are_not_options(option):
    expected = rf"^policy={option}: must be one of: acquisition, campaign, complaint_handling, "
    with pytest.raises(ConfigError, match=expected):
        compose_config([f"policy={option}"])


def test_register_policy_refuses_a_target_that_is_not_the_class():
    @dataclasses.dataclass
    class WrongConfig:
        _target_: str = "custsim.policies.hi_lo.HiLoPromotion"

    with pytest.raises(TypeError, match=r"WrongConfig\._target_ is"):

        @register_policy("wrong", WrongConfig)
        class Wrong:
            pass

    assert "wrong" not in registered()


def test_check_policy_catches_a_policy_that_peeks_at_the_model(monkeypatch):
    from custsim.policies import edlp

    original = edlp.EverydayPrice.offers

    def peeking(self, obs, rng):
        import gc

        from custsim.sim.model import CustsimModel

        self.model = next(o for o in gc.get_objects() if isinstance(o, CustsimModel))
        return original(self, obs, rng)

    monkeypatch.setattr(edlp.EverydayPrice, "offers", peeking)
    with pytest.raises(PolicyCheckError, match="holds a CustsimModel"):
        check_policy(["policy=edlp"], days=3, customers=50)


def test_check_policy_catches_nondeterminism(monkeypatch):
    from custsim.policies import edlp

    draws = iter(np.linspace(7.0, 8.0, 100))
    monkeypatch.setattr(edlp.EverydayPrice, "offers", lambda self, obs, rng: Offer(next(draws)))
    with pytest.raises(PolicyCheckError, match="different offers"):
        check_policy(["policy=edlp"], days=3, customers=50)


FIRM_OBSERVABLE = {
    "complaint_day",  # the complaints made to the firm (experience chain)
    "survey_ids",  # its survey's customers and answers (experience chain)
    "survey_scores",
    "channel_names",  # the run's channels, and who opted out of the firm's messages in each
    "opted_out",
    "loyalty",  # the firm's own programme as it posted it
    "day",
    "firm",
    "firm_names",
    "regular_prices",
    "shelf_prices",
    "units_sold",
    "revenue",
    "first_purchase_day",
    "last_purchase_day",
    "purchase_count",
    "spend",
    "points",
}


def test_market_obs_holds_no_latent_trait():
    # the fields are exactly what a firm can see: public prices, its own sales and its
    # customers' history with it (a new field must be added here, on purpose)
    assert {f.name for f in fields(MarketObs)} == FIRM_OBSERVABLE
    # and what it holds is a function of that history alone: scrambling every latent trait
    # and every hidden state array leaves the observation bit for bit unchanged
    model = build_model(small_config("population.size=300", "policy=stamp_card"))
    for _ in range(15):
        model.step()
    shelf = model.offers.price
    observed = [model.observe(16, j, shelf) for j in range(len(model.firms))]
    before = [{k: np.copy(getattr(o, k)) for k in FIRM_OBSERVABLE} for o in observed]
    rng = np.random.default_rng(0)
    for values in model.traits.values.values():
        values[:] = rng.permutation(values)
    state = model.state
    for hidden in (state.reference, state.taste, state.satisfaction, state.next_occasion):
        hidden[...] = rng.permutation(hidden, axis=-1)
    state.active[:] = rng.random(state.size) < 0.5
    for j, obs in enumerate(before):
        after = model.observe(16, j, shelf)
        for name, value in obs.items():
            np.testing.assert_array_equal(getattr(after, name), value, err_msg=name)


@pytest.mark.parametrize(
    "override,needle",
    [
        ("policy=loyalty_points policy.earn_rate=-1", "policy.earn_rate=-1.0: must be >= 0"),
        ("policy=loyalty_points policy.threshold=0", "policy.threshold=0.0: must be > 0"),
        ("policy=loyalty_points policy.expiry_days=0", "policy.expiry_days=0: must be >= 1 day"),
        ("policy=limited_offer policy.depth=1.5", "policy.depth=1.5: must be in (0, 1)"),
        ("policy=hi_lo policy.depth=1.0", "policy.depth=1.0: must be in (0, 1)"),
        ("policy=stamp_card policy.free_stamps=10", "policy.free_stamps=10: must be < slots=10"),
        ("policy=retention policy.depth=-0.1", "policy.depth=-0.1: must be in (0, 1)"),
        ("policy=reactive", "policy.watch='A': must be one of: B, C"),
    ],
)
def test_bad_policy_parameters_fail_before_the_run(override, needle):
    from custsim.sim.config import ConfigError

    with pytest.raises(ConfigError) as err:
        build_model(small_config(*override.split(), "population.size=50"))
    assert needle in str(err.value) and len(str(err.value).splitlines()) == 1


def _focal(run, firm="A"):
    ts = run.timeseries
    return ts[ts.firm == firm].reset_index(drop=True)


def test_points_ledger_balances_every_day():
    model = build_model(
        small_config(
            "policy=points_2x_weekend", "population.size=1500", "policy.expiry_days=20", "steps=120"
        )
    )
    earned = redeemed = expired = 0.0
    rec = model.recorder.firm
    while model.running:
        model.step()
        d = model.steps - 1
        earned += rec["points_earned"][d, 0]
        redeemed += rec["points_redeemed"][d, 0]
        expired += rec["points_expired"][d, 0]
        assert earned == pytest.approx(
            redeemed + expired + rec["points_outstanding"][d, 0], abs=1e-6
        )
        assert model.ledger.check() < 1e-6
    assert redeemed > 0 and expired > 0  # rewards were paid and points lapsed


def test_double_points_days_earn_twice_the_rate():
    run = simulate(small_config("policy=points_2x_weekend", "steps=28"))
    a = _focal(run)
    per_money = a.points_earned / a.revenue
    bonus = ((a.day - 6) % 7 < 2) & (a.day >= 6)
    np.testing.assert_allclose(per_money[bonus], 2.0)
    np.testing.assert_allclose(per_money[~bonus & (a.revenue > 0)], 1.0)


def test_margin_is_net_of_rewards_and_points_liability():
    run = simulate(small_config("policy=loyalty_points", "steps=150"))
    a = _focal(run)
    k = run.firm_kpis.set_index("firm").loc["A"]
    gross = (a.revenue - 5.0 * a.units).sum()
    assert k.rewards_paid > 0 and k.points_liability > 0
    assert k.margin == pytest.approx(gross - k.rewards_paid - k.points_liability)
    assert k.points_liability == pytest.approx(a.points_outstanding.iloc[-1] * 2.5 / 50)


def test_loyalty_programme_raises_focal_share_retention_and_repeat_buying():
    over = ["steps=180", "seed=3", "population.size=8000"]
    base = simulate(small_config("policy=edlp", *over))
    points = simulate(small_config("policy=loyalty_points", *over))
    kpi = lambda r, k: r.firm_kpis.set_index("firm")[k]["A"]  # noqa: E731
    assert kpi(points, "unit_share") > kpi(base, "unit_share")
    assert kpi(points, "retention") > kpi(base, "retention")
    assert kpi(points, "repeat_rate") > kpi(base, "repeat_rate")


def test_loss_framed_points_messages_beat_gain_framed():
    gain = simulate(small_config("policy=loyalty_points", "policy.message=gain", "steps=120"))
    loss = simulate(small_config("policy=loyalty_points", "policy.message=loss", "steps=120"))
    assert _focal(loss).units.sum() > _focal(gain).units.sum()


def test_limited_offer_peaks_at_the_drop_and_before_the_deadline_and_pulls_forward():
    over = [
        "policy=limited_offer",
        "population.size=6000",
        "steps=70",
        "policy.start=30",
        "policy.duration=14",
    ]
    run = simulate(small_config(*over))
    base = simulate(small_config("policy=edlp", *over[1:3]))
    a, b = _focal(run), _focal(base)
    offer = a.units[29:43].to_numpy()
    middle = offer[4:10].mean()
    assert offer[0] > middle and offer[-1] > middle
    hidden = _focal(simulate(small_config(*over, "policy.countdown=false"))).units[29:43]
    assert hidden.iloc[-1] < offer[-1]
    # the two weeks after the offer sell less than without it: purchases were pulled forward
    assert a.units[43:57].sum() < b.units[43:57].sum()


def test_limited_stock_caps_units_at_the_offer_price():
    run = simulate(small_config("policy=limited_offer", "policy.stock=300", "steps=50"))
    a = _focal(run)
    assert a.units[a.promo].sum() <= 300
    assert a.units[a.promo].sum() >= 250  # a popular offer sells out


def test_percent_off_reads_bigger_than_amount_off_at_grocery_prices_and_keeps_references_higher():
    over = ["policy=hi_lo", "steps=60", "policy.start=20", "policy.every=100", "policy.duration=7"]
    pct = simulate(small_config(*over, "policy.frame=percent_off"))
    amt = simulate(small_config(*over, "policy.frame=amount_off"))
    promo = _focal(pct).promo
    assert _focal(pct).units[promo].sum() > _focal(amt).units[promo].sum()
    after = slice(27, 40)
    ref = lambda r: _focal(r).mean_reference_price[after].mean()  # noqa: E731
    assert ref(pct) > ref(amt)


def test_bonus_pack_leaves_reference_prices_nearly_intact():
    over = ["policy=hi_lo", "steps=60", "policy.start=20", "policy.every=100", "policy.duration=7"]
    bonus = simulate(small_config(*over, "policy.frame=bonus_pack"))
    cut = simulate(small_config(*over, "policy.frame=none", "policy.show_list_price=false"))
    ref = lambda r: _focal(r).mean_reference_price[27:40].mean()  # noqa: E731
    assert ref(bonus) > ref(cut)


def test_retention_offers_reach_at_risk_customers_within_budget_and_win_some_back():
    over = ["steps=150", "population.size=3000", "seed=2"]
    base = simulate(small_config("policy=edlp", *over))
    kept = simulate(small_config("policy=retention", "policy.budget=300", *over))
    policy = kept.model.firms[0].policy
    assert policy.spent <= 300 + 100 * 8 * 0.2 * 4  # at most one day's redemptions over budget
    assert policy.last_offered  # offers went out
    assert kept.model.n_active > base.model.n_active  # lapsed customers came back


def test_reactive_competitor_matches_the_rivals_cut_after_the_lag():
    run = simulate(
        small_config(
            "policy=hi_lo",
            "+policy@market.firms.B.policy=reactive",
            "market.firms.B.policy.lag=3",
            "steps=40",
        )
    )
    a, b = _focal(run, "A"), _focal(run, "B")
    a_depth = 1 - a.shelf_price / a.regular_price
    b_depth = 1 - b.shelf_price / b.regular_price
    # B's cut on day t copies A's cut on day t - lag
    np.testing.assert_allclose(b_depth[3:].to_numpy(), a_depth[:-3].to_numpy(), atol=1e-12)
    assert b_depth.max() == pytest.approx(0.25)


def test_composed_policy_combines_promotions_points_and_an_offer():
    run = simulate(small_config("policy=composed", "steps=140"))
    a = _focal(run)
    assert a.points_earned.sum() > 0
    assert a.shelf_price.min() == pytest.approx(8.0 * 0.75)  # the limited offer's 25%
    assert np.isclose(a.shelf_price, 8.0 * 0.85).any()  # the hi-lo calendar's 15%
