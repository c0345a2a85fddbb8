"""A firm's own records of its customers, from a `MarketObs` or from a purchase log.

The arrays have one entry per customer of the whole population (row ids 0..n-1), as
in `custsim.sim.market.MarketObs`; `customer` marks who has bought from the firm at least
once. The as-of convention is that of `MarketObs`: records "as of day t" hold the
purchases of days < t (what a policy sees at the start of day t), and recency at t is
t minus the last purchase day (so a purchase yesterday has recency 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]


class _ObsLike(Protocol):
    """The part of `custsim.sim.market.MarketObs` used here (duck-typed, so no sim import)."""

    day: int
    first_purchase_day: NDArray[np.float64]
    last_purchase_day: NDArray[np.float64]
    purchase_count: NDArray[np.int32]
    spend: NDArray[np.float64]
    points: NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class FirmRecords:
    """One firm's records of every customer at an as-of day.

    Attributes:
        as_of: The day of the view; the records hold purchases of days < as_of.
        first_purchase_day: First purchase day per customer; inf if never.
        last_purchase_day: Last purchase day per customer; -inf if never.
        purchase_count: Purchase occasions with the firm per customer.
        spend: Money spent at the firm per customer (units x price paid).
        points: Points balance with the firm per customer (0 without a programme).

    """

    as_of: float
    first_purchase_day: FloatArray
    last_purchase_day: FloatArray
    purchase_count: IntArray
    spend: FloatArray
    points: FloatArray

    def __len__(self) -> int:
        return len(self.purchase_count)

    @property
    def customer(self) -> BoolArray:
        """Whether each row has bought from the firm at least once (is its customer)."""
        return self.purchase_count > 0

    @property
    def recency(self) -> FloatArray:
        """Days since the last purchase, as_of - last_purchase_day (inf if never)."""
        return self.as_of - self.last_purchase_day

    @property
    def tenure(self) -> FloatArray:
        """Days since the first purchase, as_of - first_purchase_day (-inf if never)."""
        return self.as_of - self.first_purchase_day

    @property
    def mean_gap(self) -> FloatArray:
        r"""Mean inter-purchase gap, (last - first) / (count - 1); NaN below 2 purchases.

        The gaps between consecutive purchases telescope, so their mean needs no log:

        .. math:: \bar g = \frac{1}{x-1}\sum_{j=2}^{x}(d_j - d_{j-1}) = \frac{d_x - d_1}{x-1}.
        """
        n = self.purchase_count
        with np.errstate(invalid="ignore", divide="ignore"):
            gap = (self.last_purchase_day - self.first_purchase_day) / (n - 1)
        return np.where(n >= 2, gap, np.nan)

    @classmethod
    def from_obs(cls, obs: _ObsLike) -> FirmRecords:
        """The records a policy sees in its `MarketObs` (as of `obs.day`).

        Args:
            obs: A `custsim.sim.market.MarketObs` (or anything with the same fields).

        Returns:
            The records, as float and int64 arrays: views of the observation's arrays where
            their dtype matches (float64 days and money), copies otherwise (the counts). The
            engine updates those arrays in place as the run goes on, so the records are
            today's: compute with them on the day, and copy what must outlive it.

        """
        return cls(
            as_of=float(obs.day),
            first_purchase_day=np.asarray(obs.first_purchase_day, dtype=float),
            last_purchase_day=np.asarray(obs.last_purchase_day, dtype=float),
            purchase_count=np.asarray(obs.purchase_count, dtype=np.int64),
            spend=np.asarray(obs.spend, dtype=float),
            points=np.asarray(obs.points, dtype=float),
        )

    @classmethod
    def from_log(
        cls,
        day: ArrayLike,
        customer: ArrayLike,
        quantity: ArrayLike,
        paid: ArrayLike,
        points: ArrayLike | None,
        *,
        as_of: float,
        n_customers: int,
        firm: ArrayLike | None = None,
        firm_index: int | None = None,
    ) -> FirmRecords:
        """Rebuild a firm's records from the columns of a purchase log cut at `as_of`.

        The columns are those of `custsim.sim.purchases.PurchaseLog.frame()` (pass
        `log["day"].to_numpy()` and so on). Rows of other firms (when `firm` and
        `firm_index` are given) and of days >= as_of are dropped. Then, per customer:
        first and last purchase day (min and max of day), count (rows), spend
        (sum of quantity x paid) and points (the balance after the customer's last
        purchase; points that expired since are not seen in a log).

        Args:
            day: Purchase day per row.
            customer: Customer row id per row (0..n_customers-1).
            quantity: Units per row.
            paid: Unit price paid per row.
            points: Points balance after the purchase per row, or None (all 0).
            as_of: The day of the view (purchases of days < as_of count).
            n_customers: Size of the population (length of the arrays returned).
            firm: Firm index per row, or None if the log is already one firm's.
            firm_index: The firm to keep (needed with `firm`).

        Returns:
            The records as of `as_of`, one entry per customer of the population.

        Raises:
            ValueError: If `firm` is given without `firm_index`.

        """
        d = np.asarray(day, dtype=float)
        keep = d < as_of
        if firm is not None:
            if firm_index is None:
                raise ValueError("firm_index: needed when the log holds several firms")
            keep &= np.asarray(firm) == firm_index
        d = d[keep]
        c = np.asarray(customer, dtype=np.int64)[keep]
        money = (np.asarray(quantity, dtype=float) * np.asarray(paid, dtype=float))[keep]
        first = np.full(n_customers, np.inf)
        last = np.full(n_customers, -np.inf)
        np.minimum.at(first, c, d)
        np.maximum.at(last, c, d)
        count = np.bincount(c, minlength=n_customers).astype(np.int64)
        spend = np.bincount(c, weights=money, minlength=n_customers)
        balance = np.zeros(n_customers)
        if points is not None and len(c):
            pts = np.asarray(points, dtype=float)[keep]
            order = np.lexsort((d, c))  # by customer, then day; stable within a day
            cs = c[order]
            is_last = np.r_[cs[1:] != cs[:-1], True]
            balance[cs[is_last]] = pts[order][is_last]
        return cls(
            as_of=float(as_of),
            first_purchase_day=first,
            last_purchase_day=last,
            purchase_count=count,
            spend=spend,
            points=balance,
        )
