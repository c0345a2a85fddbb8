"""The "Things to try" texts tell a class what it will see; these runs check that it is so.

Each test plays an experiment for a year, and its suggested next change, at the
dashboard's size, and checks the direction (and rough size) of what the texts
promise, through the same numbers the dashboard shows (`custsim.experiments.dashboard.readouts`).
About 30 s in all. If one fails after an engine change, update the experiment's
text in `experiments/dashboard/presets.py` (and this check) to what the model now does.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from typing import Any

import numpy as np

from custsim.agents.experience import CAUSES
from custsim.experiments.dashboard.model import DashboardModel
from custsim.experiments.dashboard.presets import PRESETS_BY_KEY
from custsim.experiments.dashboard.readouts import (
    chain_readout,
    first_reward_day,
    focal_reference,
    focal_share,
    post_deal_dip,
    recent_buyers_mean,
)


def played(key: str, **change: Any) -> DashboardModel:
    """The experiment `key` (with `change`) played to its last day."""
    model = DashboardModel(**asdict(replace(PRESETS_BY_KEY[key].settings, **change)))
    while model.running:
        model.step()
    return model


def test_loss_aversion_deepens_the_post_promotion_dip() -> None:
    on, off = (
        post_deal_dip(played("loss_aversion")),
        post_deal_dip(played("loss_aversion", loss_aversion=1.0)),
    )
    assert on < off < 0, (on, off)
    assert on < -0.2, on


def test_deep_frequent_deals_erode_the_reference_price() -> None:
    deep, mild = played("erosion"), played("erosion", depth=0.1, every=56)
    assert focal_reference(deep) < 7.5 < 7.8 < focal_reference(mild)


def test_stamp_card_goal_gradient() -> None:
    near, far = played("goal_gradient"), played("goal_gradient", slots=20)
    none = played("goal_gradient", policy="edlp")
    assert first_reward_day(near) < 100 < first_reward_day(far)
    assert focal_share(near) > focal_share(far) > focal_share(none)


def test_herding_makes_shares_unequal_and_unpredictable() -> None:
    strong = [focal_share(played("herding", seed=s)) for s in range(3)]
    weak = [focal_share(played("herding", seed=s, social_weight=0.5)) for s in range(3)]
    assert np.ptp(strong) > 0.1 > 0.03 > np.ptp(weak), (strong, weak)
    seed0 = played("herding").recorder.firm["units"]
    assert seed0[:, 1].sum() > seed0[:, 0].sum()  # "with seed 0, B outsells A"


def test_time_limited_offer_peaks_and_dips() -> None:
    model = played("limited_offer")
    units = model.recorder.firm["units"][:, 0]
    offer = units[29:43]  # days 30-43
    assert offer[:2].mean() > 3 * units[19:29].mean()  # the jump on the first days
    assert offer[-2:].mean() > offer[5:9].mean()  # rises again before the deadline
    short = post_deal_dip(played("limited_offer", duration=3))
    assert post_deal_dip(model) < short < 0


def test_was_now_frame_protects_the_reference_price() -> None:
    framed, silent = played("framing"), played("framing", frame="none")
    assert focal_reference(framed) > focal_reference(silent) + 0.2


def test_rfm_classes_against_the_truth() -> None:
    from custsim.experiments.dashboard.readouts import rfm_view

    model = played("rfm_classes")
    view = {c.name: c for c in rfm_view(model)}
    assert [view[k].customers for k in ("high_value", "important_to_retain", "low_value")] == [
        979, 383, 1282
    ]  # fmt: skip
    assert view["high_value"].churned < 0.05 < 0.15 < view["important_to_retain"].churned
    assert view["low_value"].churned > 0.15
    base = np.bincount(model.traits.segment) / len(model.traits.segment)
    loyal = list(model.traits.segment_names).index("brand_loyal")
    assert view["high_value"].personas["brand_loyal"] > base[loyal] + 0.05
    assert all(share > 0.1 for c in view.values() for share in c.personas.values())
    saved = played("rfm_classes", policy="retention")
    low = {c.name: c for c in rfm_view(saved)}["low_value"]
    assert low.churned < view["low_value"].churned - 0.05
    assert (saved.n_active, model.n_active) == (2703, 2588)


def test_satisfied_customers_still_leave() -> None:
    """Every number in the satisfied_leave texts, as the numbers line shows it."""
    preset = PRESETS_BY_KEY["satisfied_leave"]
    service, natural = CAUSES.index("service"), CAUSES.index("natural")
    model = played("satisfied_leave")
    chain, firm = model.state.chain, model.recorder.firm
    assert int(firm["service_failures"][:, 0].sum()) == 662
    assert int(firm["complaints"][:, 0].sum()) == 206
    assert (chain.exits.sum(), chain.exits[natural].sum()) == (296, 296)
    away = chain.switches[:, 0].sum()
    assert (away, chain.switches[service, 0].sum()) == (6472, 1348)
    assert round(chain.switches[service, 0].sum() / away, 2) == 0.21
    satisfaction = recent_buyers_mean(model, "satisfaction")
    trust = recent_buyers_mean(model, "trust")
    assert [round(v, 2) for v in satisfaction] == [-0.07, 0.0, 0.0]
    assert (round(trust[0], 2), round(trust[1], 2)) == (0.68, 0.73)
    line = chain_readout(model)
    for shown in (
        "exits 296 (natural 296)",
        "switches away from A 6,472 (taste 5,124, service 1,348)",
        "A's service failures 662, complaints 206",
        "satisfaction A -0.07",
    ):
        assert shown in line, (shown, line)  # fmt: skip
    for number in ("662", "-0.07", "0.68", "0.73", "206", "296", "6,472", "1,348", "21%"):
        assert number in preset.look_for, number

    habit = played("satisfied_leave", habit_weight=3.0).state.chain
    assert (habit.switches[:, 0].sum(), habit.switches[service, 0].sum()) == (4642, 978)
    assert "4,642" in preset.then and "978" in preset.then

    handled = played("satisfied_leave", policy="complaint_handling")
    chain = handled.state.chain
    assert int(handled.recorder.firm["complaints_handled"][:, 0].sum()) == 227
    assert int(handled.recorder.firm["complaints"][:, 0].sum()) == 227
    assert round(recent_buyers_mean(handled, "satisfaction")[0], 2) == -0.02
    assert (chain.switches[:, 0].sum(), chain.switches[service, 0].sum()) == (6476, 979)
    for number in ("227", "-0.02", "979", "6,476"):
        assert number in preset.then, number
