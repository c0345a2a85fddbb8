"""What passes between firms and the market each day.

A policy sees a `MarketObs` (what a real firm could observe: public shelf and
regular prices, its own sales, customers' purchase and points history with it,
their complaints to it and its survey answers; never latent traits) and posts
an `Offer`. The engine gathers the firms' offers into `Offers`, runs the day and
hands every policy its `StepOutcome`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

FRAMES = (
    "none",
    "percent_off",
    "amount_off",
    "was_now",
    "pay_percent",
    "bonus_pack",
)
POINTS_MESSAGES = ("gain", "loss")


def _no_ids() -> NDArray[np.int64]:
    return np.empty(0, dtype=np.int64)


def _no_prices() -> NDArray[np.float64]:
    return np.empty(0, dtype=np.float64)


@dataclass(frozen=True, slots=True)
class FirmSpec:
    """A firm's fixed facts, given to its policy at construction."""

    name: str
    index: int
    regular_price: float
    unit_cost: float
    market: tuple[str, ...] = ()  # every firm's name, in firm order
    #: (channel name, money per contact sent) of every channel the run offers (`channels`)
    channel_costs: tuple[tuple[str, float], ...] = ()

    def contact_cost(self, channel: str) -> float:
        """What one contact through `channel` costs the firm.

        Raises:
            ValueError: 'channel=name: must be one of: ...' for a channel the run lacks.

        """
        costs = dict(self.channel_costs)
        if channel not in costs:
            raise ValueError(f"channel={channel!r}: must be one of: {', '.join(costs) or '(none)'}")
        return costs[channel]


@dataclass(frozen=True, slots=True)
class LoyaltyTerms:
    """The rules of a firm's points programme or stamp card, as customers see them.

    Attributes:
        points_per_currency: points per currency unit spent (before the multiplier).
        points_per_purchase: points (stamps) per purchase occasion.
        multiplier: today's earn multiplier (2.0 on a "2x points" day).
        threshold: points needed for one reward.
        reward_value: money value of a reward (a free unit: the regular price).
        expiry_days: points lapse after this many days without earning; None: never.
        initial_points: points given at enrolment (endowed progress).
        renew_endowment: every new card comes with `initial_points`, not only the
            first: after each reward and after the points lapse (stamp cards).
        progress_visible: customers see their progress (the goal gradient needs it).
        message: points messages framed as a "gain" or as a "loss" to avoid.
        tier_thresholds: rolling spend needed for tier 1, 2, ... (ascending).
        tier_discounts: price discount of each tier (same length).
        tier_window_days: the rolling-spend window tiers are judged on.

    """

    threshold: float
    reward_value: float
    points_per_currency: float = 0.0
    points_per_purchase: float = 0.0
    multiplier: float = 1.0
    expiry_days: int | None = None
    initial_points: float = 0.0
    renew_endowment: bool = False
    progress_visible: bool = True
    message: str = "gain"
    tier_thresholds: tuple[float, ...] = ()
    tier_discounts: tuple[float, ...] = ()
    tier_window_days: float = 90.0

    def __post_init__(self) -> None:
        _require(self.threshold > 0, "threshold", self.threshold, "must be > 0")
        _require(self.reward_value >= 0, "reward_value", self.reward_value, "must be >= 0")
        _require(
            self.points_per_currency >= 0,
            "points_per_currency",
            self.points_per_currency,
            "must be >= 0",
        )
        _require(
            self.points_per_purchase >= 0,
            "points_per_purchase",
            self.points_per_purchase,
            "must be >= 0",
        )
        _require(self.multiplier >= 0, "multiplier", self.multiplier, "must be >= 0")
        _require(
            self.expiry_days is None or self.expiry_days >= 1,
            "expiry_days",
            self.expiry_days,
            "must be >= 1 day (one step) or None",
        )
        _require(
            0 <= self.initial_points < self.threshold,
            "initial_points",
            self.initial_points,
            f"must be in [0, threshold={self.threshold:g})",
        )
        _require(
            self.message in POINTS_MESSAGES,
            "message",
            self.message,
            f"must be one of: {', '.join(POINTS_MESSAGES)}",
        )
        _require(
            len(self.tier_thresholds) == len(self.tier_discounts),
            "tier_discounts",
            self.tier_discounts,
            "needs one discount per tier threshold",
        )
        _require(
            all(0 <= d < 1 for d in self.tier_discounts),
            "tier_discounts",
            self.tier_discounts,
            "must each be in [0, 1)",
        )

    @property
    def earns_points(self) -> bool:
        """Whether purchases earn points (a tiers-only programme does not)."""
        return self.points_per_currency > 0 or self.points_per_purchase > 0

    @property
    def point_value(self) -> float:
        """Money value of one point when redeemed: reward_value / threshold."""
        return self.reward_value / self.threshold

    @property
    def points_to_earn(self) -> float:
        """Points a member earns per reward: T - initial_points on a renewing card, else T."""
        return self.threshold - (self.initial_points if self.renew_endowment else 0.0)


@dataclass(frozen=True, slots=True)
class Contact:
    """Messages a firm sends today through one channel (`custsim.sim.reach`).

    Attributes:
        channel: the channel's name, a key of the run's `channels`.
        ids: customers (row indices, sorted and unique) to contact; those who opted out
            of the channel with the firm are skipped (and cost nothing).
        carries_offer: the message announces the personal price the customer holds
            (`Offer.targeted_ids`): a customer whose message is not opened does not know
            of it (until a later message of the firm is opened) and pays the shelf price.

    """

    channel: str
    ids: NDArray[np.int64]
    carries_offer: bool = True

    def __post_init__(self) -> None:
        if len(self.ids):
            ordered = bool(np.all(np.diff(self.ids) > 0))
            _require(ordered, "contact ids", "...", "must be sorted and unique")


@dataclass(frozen=True, slots=True)
class Prospecting:
    """Contacts a firm buys today to reach prospects through one channel (acquisition).

    A firm cannot name prospects (it has no records of them): it buys `contacts`
    messages to the pool (a rented list, an ad audience) and the engine picks the
    prospects reached at random (`custsim.sim.stages.acquisition`).
    """

    channel: str
    contacts: int

    def __post_init__(self) -> None:
        _require(self.contacts >= 0, "contacts", self.contacts, "must be >= 0")


@dataclass(frozen=True, slots=True)
class Offer:
    """What one firm posts for one day.

    Attributes:
        price: shelf price every customer sees.
        list_price: displayed regular ("was") price, an anchor; None shows none.
        frame: how a discount is presented, one of `FRAMES`.
        deadline: days left of a time-limited offer (0: last day); None if open-ended.
        countdown: whether the deadline is shown to customers.
        days_running: days since the offer started (0 on the first day); None if no offer.
        stock_limit: units left at the offer price ("only K left"); None: unlimited.
        promoted: whether the firm advertises the day as a deal.
        loyalty: the firm's points programme, stamp card or tiers; None if it has none.
        targeted_ids: customers (row indices, sorted) who get a personal price.
        targeted_prices: their prices, same length as `targeted_ids`.
        handled_ids: customers (row indices, sorted) whose open complaint the firm
            answers today (`MarketObs.complaint_day`; ids without one are ignored).
        compensation: money paid to each of them, same length as `handled_ids`.
        handling_cost: the firm's cost of answering one complaint (staff, postage).
        contacts: messages sent today (`Contact`), each through one channel; none: the
            personal prices reach their customers for free and for certain.
        prospecting: contacts bought today to reach prospects (`Prospecting`).

    """

    price: float
    list_price: float | None = None
    frame: str = "none"
    deadline: int | None = None
    countdown: bool = False
    days_running: int | None = None
    stock_limit: int | None = None
    promoted: bool = False
    loyalty: LoyaltyTerms | None = None
    targeted_ids: NDArray[np.int64] = field(default_factory=_no_ids)
    targeted_prices: NDArray[np.float64] = field(default_factory=_no_prices)
    handled_ids: NDArray[np.int64] = field(default_factory=_no_ids)
    compensation: NDArray[np.float64] = field(default_factory=_no_prices)
    handling_cost: float = 0.0
    contacts: tuple[Contact, ...] = ()
    prospecting: tuple[Prospecting, ...] = ()

    def __post_init__(self) -> None:
        _require(
            bool(np.isfinite(self.price)) and self.price >= 0,
            "price",
            self.price,
            "must be a finite price >= 0",
        )
        _require(self.frame in FRAMES, "frame", self.frame, f"must be one of: {', '.join(FRAMES)}")
        _require(
            len(self.targeted_ids) == len(self.targeted_prices),
            "targeted_prices",
            len(self.targeted_prices),
            "must have one price per targeted id",
        )
        if len(self.targeted_ids):  # most offers target nobody: no array checks to pay for
            _require(
                bool(np.all(np.diff(self.targeted_ids) > 0)),
                "targeted_ids",
                "...",
                "must be sorted and unique",
            )
            _require(
                bool(np.all(self.targeted_prices >= 0)), "targeted_prices", "...", "must be >= 0"
            )
        _require(
            len(self.handled_ids) == len(self.compensation),
            "compensation",
            len(self.compensation),
            "must have one amount per handled id",
        )
        if len(self.handled_ids):
            _require(
                bool(np.all(np.diff(self.handled_ids) > 0)),
                "handled_ids",
                "...",
                "must be sorted and unique",
            )
            _require(bool(np.all(self.compensation >= 0)), "compensation", "...", "must be >= 0")
        _require(
            bool(np.isfinite(self.handling_cost)) and self.handling_cost >= 0,
            "handling_cost",
            self.handling_cost,
            "must be a finite cost >= 0",
        )
        _require(
            self.deadline is None or self.deadline >= 0,
            "deadline",
            self.deadline,
            "must be >= 0 or None",
        )
        _require(
            self.stock_limit is None or self.stock_limit >= 0,
            "stock_limit",
            self.stock_limit,
            "must be >= 0 or None",
        )


def _require(ok: bool, key: str, value: object, rule: str) -> None:
    """Raise ValueError('key=value: rule') unless ok."""
    if not ok:
        raise ValueError(f"{key}={value!r}: {rule}")


@dataclass(frozen=True, slots=True)
class Offers:
    """All firms' offers for one day, as arrays over firms (index j)."""

    price: NDArray[np.float64]
    list_price: NDArray[np.float64]  # NaN where no list price is shown
    frame: tuple[str, ...]
    deadline: NDArray[np.float64]  # days left; inf where open-ended or hidden
    days_running: NDArray[np.float64]  # inf where no offer runs
    stock_limit: NDArray[np.float64]  # inf where unlimited
    promoted: NDArray[np.bool_]
    loyalty: tuple[LoyaltyTerms | None, ...]
    targeted: tuple[tuple[NDArray[np.int64], NDArray[np.float64]], ...]
    #: per firm: (handled ids, compensation each, handling cost per complaint)
    recovery: tuple[tuple[NDArray[np.int64], NDArray[np.float64], float], ...] = ()
    #: per firm: the messages it sends today (`Contact`)
    contacts: tuple[tuple[Contact, ...], ...] = ()
    #: per firm: the contacts it buys today to reach prospects (`Prospecting`)
    prospecting: tuple[tuple[Prospecting, ...], ...] = ()
    #: whether any firm sends personal prices today (set from `targeted`, read often)
    has_targeting: bool = field(init=False)
    #: whether any firm answers complaints today (set from `recovery`)
    has_recovery: bool = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "has_targeting", any(len(ids) for ids, _ in self.targeted))
        object.__setattr__(self, "has_recovery", any(len(r[0]) for r in self.recovery))

    @classmethod
    def collect(cls, offers: list[Offer]) -> Offers:
        """Stack the firms' offers (in firm order)."""

        def shown(o: Offer) -> float:
            return float(o.deadline) if o.deadline is not None and o.countdown else np.inf

        def opt(values: list[float | None], missing: float) -> NDArray[np.float64]:
            return np.array([missing if v is None else v for v in values], dtype=np.float64)

        return cls(
            price=np.array([o.price for o in offers], dtype=np.float64),
            list_price=opt([o.list_price for o in offers], np.nan),
            frame=tuple(o.frame for o in offers),
            deadline=np.array([shown(o) for o in offers]),
            days_running=opt([o.days_running for o in offers], np.inf),
            stock_limit=opt([o.stock_limit for o in offers], np.inf),
            promoted=np.array([o.promoted for o in offers], dtype=bool),
            loyalty=tuple(o.loyalty for o in offers),
            targeted=tuple((o.targeted_ids, o.targeted_prices) for o in offers),
            recovery=tuple((o.handled_ids, o.compensation, o.handling_cost) for o in offers),
            contacts=tuple(o.contacts for o in offers),
            prospecting=tuple(o.prospecting for o in offers),
        )

    @property
    def point_values(self) -> NDArray[np.float64]:
        """Money value of one point at each firm today (0 without a programme)."""
        return np.array([0.0 if t is None else t.point_value for t in self.loyalty])

    def prices_for(self, customers: NDArray[np.int64]) -> NDArray[np.float64]:
        """Price each of `customers` faces at each firm: shelf price unless targeted.

        Args:
            customers: sorted row indices of the customers shopping today.

        Returns:
            Shape (J, len(customers)), firm-major.

        """
        prices = np.repeat(self.price[:, None], len(customers), axis=1)
        for j, (ids, personal) in enumerate(self.targeted):
            if len(ids) == 0:
                continue
            pos = np.searchsorted(customers, ids)
            hit = pos < len(customers)
            hit[hit] = customers[pos[hit]] == ids[hit]
            prices[j, pos[hit]] = np.minimum(prices[j, pos[hit]], personal[hit])
        return prices


@dataclass(frozen=True, slots=True)
class MarketObs:
    """What firm `firm` can observe at the start of day `day` (read-only views).

    Customer arrays have one entry per customer and describe only their history
    with this firm: a firm cannot see whether a customer has churned, nor any
    latent trait.
    """

    day: int
    firm: int
    firm_names: tuple[str, ...]
    regular_prices: NDArray[np.float64]  # all firms' regular (list) prices, public
    shelf_prices: NDArray[np.float64]  # yesterday's posted prices, all firms, public
    units_sold: NDArray[np.float64]  # this firm's units per day so far
    revenue: NDArray[np.float64]  # this firm's revenue per day so far
    first_purchase_day: NDArray[np.float64]  # per customer; inf if never bought here
    last_purchase_day: NDArray[np.float64]  # per customer; -inf if never bought here
    purchase_count: NDArray[np.int32]  # per customer, purchases from this firm
    spend: NDArray[np.float64]  # per customer, money spent at this firm
    points: NDArray[np.float64]  # per customer, points balance with this firm
    #: with the experience chain (else None): per customer, the day of their open complaint
    #: to this firm (-1: none); the customers and 0..10 answers of the firm's last survey
    complaint_day: NDArray[np.int32] | None = None
    survey_ids: NDArray[np.int64] | None = None
    survey_scores: NDArray[np.int8] | None = None
    #: when a policy names a channel (else None): the channels' names and, per channel and
    #: customer, whether the customer opted out of the firm's messages through it (K, n)
    channel_names: tuple[str, ...] = ()
    opted_out: NDArray[np.bool_] | None = None
    #: the firm's own programme as it last posted it (None: none, or nothing posted yet):
    #: with `points` and `last_purchase_day` (points are earned on purchases) it tells
    #: when each member's points lapse
    loyalty: LoyaltyTerms | None = None

    def reachable(self, channel: str, ids: NDArray[np.int64]) -> NDArray[np.int64]:
        """Those of `ids` who have not opted out of `channel` with this firm."""
        if self.opted_out is None or channel not in self.channel_names:
            return ids
        return ids[~self.opted_out[self.channel_names.index(channel), ids]]


@dataclass(frozen=True, slots=True)
class StepOutcome:
    """What happened at one firm on one day: totals and each purchase."""

    day: int
    firm: int
    units: int
    revenue: float
    margin: float
    buyer_ids: NDArray[np.int64]
    quantities: NDArray[np.int64]
    prices_paid: NDArray[np.float64]
    points_earned: float = 0.0
    points_redeemed: float = 0.0
    points_expired: float = 0.0
    rewards_paid: float = 0.0
    contact_cost: float = 0.0  # what the firm's messages of the day cost (inside `margin`)
    acquisition_cost: float = 0.0  # what its contacts to prospects cost (inside `margin`)
