"""Discount framing, list-price anchors, offer urgency, and the Offer / Offers / MarketObs types."""

from dataclasses import fields

import numpy as np
import pytest

from custsim.agents import framing
from custsim.agents.urgency import SCARCITY_SCALE, offer_pull
from custsim.sim.market import FRAMES, MarketObs, Offer, Offers

# -- framing --------------------------------------------------------------------------------------


def multipliers(price: float, phi: float = 0.1, constants: dict | None = None) -> tuple:
    """(percent_off, amount_off, pay_percent, none) multipliers at list price `price`."""
    frames = ("percent_off", "amount_off", "pay_percent", "none")
    got = framing.perceived_multiplier(frames, np.full(4, price), phi, constants or {})
    return tuple(float(m) for m in got)


def test_rule_of_100_percent_and_amount_read_the_same_at_100():
    percent, amount, pay, plain = multipliers(100.0)
    assert percent == amount == pay == plain == 1.0


@pytest.mark.parametrize("price", [1.0, 8.0, 50.0, 99.0])
def test_percent_off_reads_bigger_below_100(price):
    percent, amount, _, _ = multipliers(price)
    assert percent > 1.0 > amount


@pytest.mark.parametrize("price", [101.0, 400.0, 5000.0])
def test_amount_off_reads_bigger_above_100(price):
    percent, amount, _, _ = multipliers(price)
    assert amount > 1.0 > percent


def test_numerosity_multipliers_hand_computed():
    # phi = 0.1: 12.5^0.1 = 1.287333, 0.08^0.1 = 0.776800, 0.25^0.1 = 0.870551, 4^0.1 = 1.148698
    percent, amount, _, _ = multipliers(8.0)
    assert (percent, amount) == pytest.approx((1.287333, 0.776800), abs=1e-6)
    percent, amount, _, _ = multipliers(400.0)
    assert (percent, amount) == pytest.approx((0.870551, 1.148698), abs=1e-6)


def test_frame_constants_scale_the_multiplier():
    percent, _, pay, plain = multipliers(8.0, constants={"pay_percent": 1.5, "none": 2.0})
    assert pay == pytest.approx(1.5 * percent)
    assert plain == 2.0  # no numerosity factor for a frame without a number
    assert multipliers(8.0, phi=0.0)[:2] == (1.0, 1.0)


def test_perceived_price_enlarges_the_cut_and_leaves_full_prices_alone():
    price, list_price = np.array([6.0, 8.0, 9.0]), np.array([8.0, 8.0, 8.0])
    got = framing.perceived_price(price, list_price, np.array([1.25, 1.25, 1.25]))
    # 8 - 1.25 * (8 - 6) = 5.5; no discount at or above the list price
    np.testing.assert_allclose(got, [5.5, 8.0, 9.0])
    np.testing.assert_array_equal(framing.perceived_price(price, list_price, 1.0), price)


def test_anchored_reference_only_moves_up_towards_a_shown_list_price():
    ref = np.array([7.0, 9.0, 7.0, 7.0])
    list_price = np.array([8.0, 8.0, np.nan, 7.0])
    got = framing.anchored_reference(ref, list_price, 0.3)
    np.testing.assert_allclose(got, [7.3, 9.0, 7.0, 7.0])
    np.testing.assert_array_equal(framing.anchored_reference(ref, list_price, 0.0), ref)
    np.testing.assert_allclose(framing.anchored_reference(ref, list_price, 1.0)[0], 8.0)


@pytest.mark.parametrize("encoding", [0.0, 0.2, 0.5, 1.0])
def test_encoded_price_lies_between_the_price_and_the_list_price(encoding):
    price, list_price = np.array([6.0, 8.0, 9.0]), np.array([8.0, 8.0, 8.0])
    got = framing.encoded_price(price, list_price, encoding)
    assert got[0] == pytest.approx(6.0 + 2.0 * encoding)
    assert 6.0 <= got[0] <= 8.0
    np.testing.assert_array_equal(got[1:], [8.0, 9.0])


def test_encoded_price_with_no_encoding_is_the_price():
    price = np.array([6.0, 7.5])
    np.testing.assert_array_equal(framing.encoded_price(price, np.array([8.0, 8.0]), 0.0), price)


# -- urgency --------------------------------------------------------------------------------------


def offer_days(duration: int = 14, countdown: bool = True, novelty: float = 2.0) -> np.ndarray:
    """Pull on each day of a `duration`-day offer, deadline shown or hidden, unlimited stock."""
    running = np.arange(duration, dtype=float)
    deadline = duration - running - 1 if countdown else np.full(duration, np.inf)
    return offer_pull(running, deadline, np.full(duration, np.inf), novelty)


def test_visible_countdown_gives_a_u_shaped_pull():
    pull = offer_days()
    middle = pull[4:10]
    assert pull[0] > middle.max() and pull[-1] > middle.max()
    assert pull[0] == pytest.approx(1.0 + 1.0 / 14)
    assert pull[-1] == pytest.approx(np.exp(-13 / 2.0) + 1.0)
    assert pull[7] == pytest.approx(np.exp(-3.5) + 1.0 / 7)


def test_hidden_countdown_has_no_end_peak():
    pull = offer_days(countdown=False)
    np.testing.assert_allclose(pull, np.exp(-np.arange(14) / 2.0))
    assert np.all(np.diff(pull) < 0)


def test_no_running_offer_has_no_pull():
    got = offer_pull(np.array([np.inf, 0.0]), np.array([np.inf, 3.0]), np.full(2, np.inf), 2.0)
    assert got[0] == 0.0
    assert got[1] == pytest.approx(1.0 + 0.25)


def test_scarcity_grows_as_stock_falls():
    stock = np.array([np.inf, 1000.0, 100.0, 10.0, 1.0, 0.0])
    got = offer_pull(np.full(6, np.inf), np.full(6, np.inf), stock, 2.0)
    assert np.all(np.diff(got) > 0)
    assert got[3] == pytest.approx(0.5)  # "only K0 left" is half the maximal pull
    assert got[-1] == 1.0 and SCARCITY_SCALE == 10.0


# -- Offer, Offers, MarketObs ---------------------------------------------------------------------


def targets(*ids: int, price: float = 6.0) -> dict:
    return {
        "targeted_ids": np.array(ids, dtype=np.int64),
        "targeted_prices": np.full(len(ids), price),
    }


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"price": -1.0}, "price"),
        ({"price": np.inf}, "price"),
        ({"price": np.nan}, "price"),
        ({"frame": "half_price"}, "frame"),
        ({"deadline": -1}, "deadline"),
        ({"stock_limit": -1}, "stock_limit"),
        (targets(3, 1), "targeted_ids"),
        (targets(1, 1), "targeted_ids"),
        (targets(1, 2, price=-1.0), "targeted_prices"),
        ({"targeted_ids": np.array([1, 2]), "targeted_prices": np.array([6.0])}, "targeted_prices"),
    ],
)
def test_offer_validation_names_the_field(kwargs, key):
    with pytest.raises(ValueError, match=rf"^{key}="):
        Offer(**({"price": 8.0} | kwargs))


def test_offer_accepts_every_frame_and_a_last_day_deadline():
    for frame in FRAMES:
        assert Offer(8.0, frame=frame, deadline=0, stock_limit=0).frame == frame


def test_offers_collect_stacks_firms_and_fills_missing_values():
    offers = Offers.collect(
        [
            Offer(6.0, list_price=8.0, frame="percent_off", deadline=3, countdown=True),
            Offer(7.0, deadline=3, countdown=False, days_running=2, stock_limit=40),
            Offer(9.0, promoted=True),
        ]
    )
    np.testing.assert_array_equal(offers.price, [6.0, 7.0, 9.0])
    np.testing.assert_array_equal(offers.list_price, [8.0, np.nan, np.nan])
    assert offers.frame == ("percent_off", "none", "none")
    np.testing.assert_array_equal(offers.deadline, [3.0, np.inf, np.inf])  # hidden countdown
    np.testing.assert_array_equal(offers.days_running, [np.inf, 2.0, np.inf])
    np.testing.assert_array_equal(offers.stock_limit, [np.inf, 40.0, np.inf])
    np.testing.assert_array_equal(offers.promoted, [False, False, True])
    assert offers.loyalty == (None, None, None) and not offers.has_targeting


def test_prices_for_takes_the_lower_of_shelf_and_personal_price():
    offers = Offers.collect(
        [
            Offer(8.0, **targets(0, 3, 7, 11, price=6.0)),  # 7 and 11 do not shop today
            Offer(5.0, **targets(3, 5, price=6.0)),  # personal price above the shelf
            Offer(9.0),
        ]
    )
    shoppers = np.array([1, 3, 5, 9], dtype=np.int64)
    got = offers.prices_for(shoppers)
    expected = [[8.0, 6.0, 8.0, 8.0], [5.0, 5.0, 5.0, 5.0], [9.0, 9.0, 9.0, 9.0]]
    np.testing.assert_array_equal(got, expected)
    assert offers.has_targeting
    assert offers.prices_for(np.empty(0, dtype=np.int64)).shape == (3, 0)


def test_prices_for_targets_past_the_last_shopper_are_ignored():
    offers = Offers.collect([Offer(8.0, **targets(0, 2, 100, price=4.0))])
    got = offers.prices_for(np.array([0, 1, 2], dtype=np.int64))
    np.testing.assert_array_equal(got, [[4.0, 8.0, 4.0]])


def test_market_obs_fields_are_the_observable_ones():
    assert [f.name for f in fields(MarketObs)] == [
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
        "complaint_day",
        "survey_ids",
        "survey_scores",
        "channel_names",
        "opted_out",
        "loyalty",
    ]
