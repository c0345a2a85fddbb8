"""The optional purchase log, the stamp-card analyses built on it, and the engine hooks."""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from custsim.agents import loyalty
from custsim.sim.purchases import PurchaseLog, card_purchases, completion, first_card_gaps
from custsim.sim.runner import build_model, simulate
from custsim.sim.stages.loyalty import points_value
from custsim.sim.stages.terms import ShopperTraits
from custsim.sim.testing import small_config


def log_of(rows: list[tuple]) -> pd.DataFrame:
    """A purchase-log frame from (day, customer, firm, points, rewarded) rows."""
    log = PurchaseLog(("A", "B"))
    for day, customer, firm, points, rewarded in rows:
        one = np.array([1])
        log.add(day, np.array([customer]), np.array([firm]), one, np.array([8.0]),
                np.array([float(points)]), np.array([8.0 if rewarded else 0.0]))  # fmt: skip
    return log.frame()


def test_purchase_log_frame_joins_the_days_and_marks_rewards():
    log = PurchaseLog(("A", "B"))
    assert log.frame().empty
    log.add(1, np.array([3, 5]), np.array([0, 1]), np.array([1, 2]), np.array([8.0, 7.5]),
            np.array([1.0, 0.0]), np.array([0.0, 0.0]))  # fmt: skip
    log.add(2, np.array([], dtype=np.int64), *(np.array([]) for _ in range(5)))
    log.add(3, np.array([3]), np.array([0]), np.array([1]), np.array([8.0]),
            np.array([0.0]), np.array([8.0]))  # fmt: skip
    frame = log.frame()
    assert frame["day"].tolist() == [1, 1, 3] and frame["customer"].tolist() == [3, 5, 3]
    assert frame["reward"].tolist() == [0.0, 0.0, 8.0]
    assert frame["firm"].tolist() == ["A", "B", "A"]
    assert frame["spend"].tolist() == [8.0, 15.0, 8.0]  # quantity x price


def test_card_purchases_positions_cards_and_gaps():
    # customer 7 fills a 3-slot card on days 1, 4, 6 (reward), buys again on day 10
    rows = [(1, 7, 0, 1, False), (2, 7, 1, 0, False), (4, 7, 0, 2, False), (6, 7, 0, 0, True)]
    rows += [(10, 7, 0, 1, False), (3, 9, 0, 1, False)]
    cards = card_purchases(log_of(rows), firm=0, slots=3)
    seven = cards[cards["customer"] == 7]
    assert seven["stamp"].tolist() == [1, 2, 3, 1]
    assert seven["card"].tolist() == [0, 0, 0, 1]
    np.testing.assert_array_equal(seven["gap"], [3.0, 2.0, 4.0, np.nan])
    gaps = first_card_gaps(cards, completed_by=6)
    assert set(gaps["customer"]) == {7} and len(gaps) == 3  # customer 9 never completed
    assert first_card_gaps(cards, completed_by=5).empty


def test_completion_within_the_window_of_getting_the_card():
    rows = [(1, 1, 0, 1, False), (5, 1, 0, 0, True), (2, 2, 0, 1, False), (40, 2, 0, 0, True)]
    rows += [(3, 3, 0, 1, False), (50, 4, 0, 1, False)]
    got = completion(card_purchases(log_of(rows), 0, 2), enrolled_by=10, window=20)
    assert got.index.tolist() == [1, 2, 3]  # customer 4 got the card too late
    np.testing.assert_array_equal(got["days"], [4.0, 38.0, np.nan])
    assert got["completed"].tolist() == [True, False, False]


def test_purchase_log_is_off_by_default_and_matches_the_units_when_on():
    assert simulate(small_config("steps=10")).model.purchase_log is None
    run = simulate(small_config("steps=20", "policy=stamp_card", "record_purchases=true"))
    log = run.model.purchase_log.frame()
    assert log["quantity"].sum() == run.timeseries["units"].sum()
    stamps = log.loc[log["firm"] == "A"]
    assert (stamps.loc[stamps["reward"] == 0, "points"] >= 1).all()  # stamps after the purchase


def test_goal_pull_is_the_only_utility_difference_of_visible_progress():
    model = build_model(small_config("policy=stamp_card"))
    model.step()
    terms = model.offers.loyalty[0]
    who = np.arange(50)
    model.ledger.enrolled[0, who] = True
    model.ledger.balance[0, who] = np.arange(50) % 10
    traits = ShopperTraits(model.traits, who)
    prices = np.full(50, 8.0)
    block = model.cfg.population.loyalty
    shown = points_value(model.ledger, 0, traits, prices, terms, block)
    hidden_offers = replace(
        model.offers, loyalty=(replace(terms, progress_visible=False), None, None)
    )
    hidden = points_value(model.ledger, 0, traits, prices, hidden_offers.loyalty[0], block)
    reward = traits["price_sensitivity"] * traits["points_value"] * terms.reward_value
    pull = loyalty.goal_pull((np.arange(50) % 10) / 10, traits["goal_gradient"], reward)
    np.testing.assert_allclose(shown - hidden, pull)


@pytest.mark.parametrize("visible", [True, False])
def test_goal_abandonment_lapses_cards_and_keeps_the_books(visible):
    over = ["policy=stamp_card", "steps=90", f"policy.progress_visible={str(visible).lower()}"]
    quit_ = simulate(small_config(*over, "population.loyalty.goal_abandonment=0.3"))
    stay = simulate(small_config(*over))
    assert stay.timeseries["points_expired"].sum() == 0.0  # default: nobody gives up
    assert quit_.timeseries["points_expired"].sum() > 0.0
    assert quit_.model.ledger.check() < 1e-6
    a = quit_.timeseries.groupby("firm")[["points_earned", "points_redeemed", "points_expired"]]
    flows = a.sum().loc["A"]
    outstanding = quit_.timeseries.query("firm == 'A'")["points_outstanding"].iloc[-1]
    assert flows["points_earned"] == pytest.approx(
        flows["points_redeemed"] + flows["points_expired"] + outstanding
    )
