"""What passes between firms and the market each day.

A policy sees a `MarketObs` (what a real firm could observe: public shelf prices,
its own sales, customers' purchase history with it; never latent traits) and
posts an `Offer`. The engine gathers the firms' offers into `Offers`, runs the
day and hands every policy the `StepOutcome`.
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
    "gain_points",
    "loss_points",
)


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


@dataclass(frozen=True, slots=True)
class Offer:
    """What one firm posts for one day.

    Attributes:
        price: shelf price every customer sees.
        list_price: displayed regular ("was") price, an anchor; None shows none.
        frame: how a discount is presented, one of `FRAMES`.
        deadline: days until the offer ends (shown as a countdown); None if open-ended.
        points_per_currency: loyalty points earned per currency unit spent.
        promoted: whether the firm advertises the day as a deal.
        targeted_ids: customers (row indices) who get a personal price.
        targeted_prices: their prices, same length as `targeted_ids`.

    """

    price: float
    list_price: float | None = None
    frame: str = "none"
    deadline: int | None = None
    points_per_currency: float = 0.0
    promoted: bool = False
    targeted_ids: NDArray[np.int64] = field(default_factory=_no_ids)
    targeted_prices: NDArray[np.float64] = field(default_factory=_no_prices)

    def __post_init__(self) -> None:
        if not np.isfinite(self.price) or self.price < 0:
            raise ValueError(f"Offer.price={self.price!r}: must be a finite price >= 0")
        if self.frame not in FRAMES:
            raise ValueError(f"Offer.frame={self.frame!r}: must be one of: {', '.join(FRAMES)}")
        if len(self.targeted_ids) != len(self.targeted_prices):
            raise ValueError("Offer.targeted_ids and targeted_prices must have the same length")
        if self.deadline is not None and self.deadline < 0:
            raise ValueError(f"Offer.deadline={self.deadline!r}: must be >= 0 or None")


@dataclass(frozen=True, slots=True)
class Offers:
    """All firms' offers for one day, as arrays over firms (index j)."""

    price: NDArray[np.float64]
    list_price: NDArray[np.float64]  # NaN where no list price is shown
    frame: tuple[str, ...]
    deadline: NDArray[np.int64]  # -1 where open-ended
    points_per_currency: NDArray[np.float64]
    promoted: NDArray[np.bool_]
    targeted: tuple[tuple[NDArray[np.int64], NDArray[np.float64]], ...]

    @classmethod
    def collect(cls, offers: list[Offer]) -> Offers:
        """Stack the firms' offers (in firm order)."""
        return cls(
            price=np.array([o.price for o in offers], dtype=np.float64),
            list_price=np.array([np.nan if o.list_price is None else o.list_price for o in offers]),
            frame=tuple(o.frame for o in offers),
            deadline=np.array([-1 if o.deadline is None else o.deadline for o in offers]),
            points_per_currency=np.array([o.points_per_currency for o in offers]),
            promoted=np.array([o.promoted for o in offers], dtype=bool),
            targeted=tuple((o.targeted_ids, o.targeted_prices) for o in offers),
        )

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
            prices[j, pos[hit]] = personal[hit]
        return prices


@dataclass(frozen=True, slots=True)
class MarketObs:
    """What firm `firm` can observe at the start of day `day` (read-only views).

    Customer arrays have one row per customer and describe only their history
    with this firm: a firm cannot see whether a customer has churned, nor any
    latent trait.
    """

    day: int
    firm: int
    shelf_prices: NDArray[np.float64]  # yesterday's posted prices, all firms (public)
    units_sold: NDArray[np.int64]  # this firm's units per day so far
    revenue: NDArray[np.float64]  # this firm's revenue per day so far
    last_purchase_day: NDArray[np.float64]  # per customer; -inf if never bought here
    purchase_count: NDArray[np.int64]  # per customer, purchases from this firm
    spend: NDArray[np.float64]  # per customer, money spent at this firm


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
