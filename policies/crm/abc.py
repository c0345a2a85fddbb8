"""ABC (Pareto) analysis of customer value: ranking, Pareto curve, tiers, concentration.

Customers are ranked by a value (total spend, margin or a predicted CLV), highest first;
the Pareto curve is the cumulative share of value against the cumulative share of
customers; tier A is the smallest top group that brings `cuts[0]` (80%) of the value,
B the next group up to `cuts[0] + cuts[1]` (95%), C the rest: the ABC inventory
classification (Dickie 1951, "ABC inventory analysis shoots for dollars, not
pennies", *Factory Management and Maintenance*) carried over to customers. Only
the firm's customers are ranked; negative values (a loss-making customer) count as
zero value in the shares and fall into C.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Tier names in code order.
TIERS = ("A", "B", "C")


def _mask(n: int, customer: ArrayLike | None) -> NDArray[np.bool_]:
    return np.ones(n, dtype=bool) if customer is None else np.asarray(customer, dtype=bool)


def value_order(value: ArrayLike, customer: ArrayLike | None = None) -> IntArray:
    """Row ids of the firm's customers sorted by value, highest first (ties: lower id first).

    Args:
        value: Value per row.
        customer: The firm's customers; None: all rows.

    Returns:
        Row ids, best customer first.

    """
    v = np.asarray(value, dtype=float)
    ids = np.flatnonzero(_mask(len(v), customer))
    return ids[np.argsort(-v[ids], kind="stable")]


def pareto_curve(
    value: ArrayLike, customer: ArrayLike | None = None
) -> tuple[FloatArray, FloatArray]:
    r"""The Pareto (concentration) curve: share of customers vs share of value.

    With the n customers' values sorted descending, v_(1) >= ... >= v_(n), clipped at 0:

    .. math:: x_k = k / n, \qquad y_k = \sum_{i \le k} v_{(i)} / \sum_i v_{(i)},
              \quad k = 0..n.

    Args:
        value: Value per row.
        customer: The firm's customers; None: all rows.

    Returns:
        (x, y), each of length n + 1 starting at (0, 0); y is all 0 when the total is 0.

    """
    v = np.maximum(np.asarray(value, dtype=float), 0.0)
    ordered = v[value_order(v, customer)]
    n = len(ordered)
    cum = np.r_[0.0, np.cumsum(ordered)]
    total = cum[-1]
    y = cum / total if total > 0 else np.zeros(n + 1)
    x = np.arange(n + 1, dtype=float) / max(n, 1)
    return x, y


def abc_tiers(
    value: ArrayLike,
    customer: ArrayLike | None = None,
    cuts: Sequence[float] = (0.80, 0.15, 0.05),
) -> IntArray:
    r"""A/B/C tier per customer, as codes into `TIERS` (0 = A).

    Customers sorted by value, highest first; with S_{<k} the share of value of the
    customers ranked above customer k, customer k is in A if S_{<k} < c_A, in B if
    c_A <= S_{<k} < c_A + c_B, else in C. So A is the smallest top group whose value
    reaches c_A (the customer who crosses 80% is in A), likewise B. Customers with no
    positive value are in C.

    Args:
        value: Value per row (e.g. spend or margin).
        customer: The firm's customers; None: all rows.
        cuts: Value shares (A, B, C), summing to 1.

    Returns:
        Codes 0 (A), 1 (B), 2 (C) per row; -1 for non-customers.

    Raises:
        ValueError: If `cuts` are not three non-negative shares summing to 1.

    """
    c = np.asarray(cuts, dtype=float)
    if c.shape != (3,) or np.any(c < 0) or not np.isclose(c.sum(), 1.0):
        raise ValueError(f"cuts={tuple(cuts)!r}: must be three shares >= 0 summing to 1")
    v = np.maximum(np.asarray(value, dtype=float), 0.0)
    ids = value_order(v, customer)
    ordered = v[ids]
    total = ordered.sum()
    out = np.full(len(v), -1, dtype=np.int64)
    if len(ids) == 0:
        return out
    before = (np.cumsum(ordered) - ordered) / total if total > 0 else np.ones(len(ids))
    eps = 1e-12  # shares are sums of floats: 0.8 + 0.15 must not exceed 0.95
    tier = np.where(before < c[0] - eps, 0, np.where(before < c[0] + c[1] - eps, 1, 2))
    tier[ordered <= 0] = 2
    out[ids] = tier
    return out


def customer_share_for(
    value: ArrayLike, share: float = 0.8, customer: ArrayLike | None = None
) -> float:
    """Smallest share of customers whose value adds up to `share` of the total.

    The "x% of customers make 80% of value" figure: k / n with k the smallest number of
    top customers whose summed value reaches `share` of the total.

    Args:
        value: Value per row.
        share: Value share to reach, in (0, 1].
        customer: The firm's customers; None: all rows.

    Returns:
        k / n; NaN when there are no customers or no positive value.

    """
    x, y = pareto_curve(value, customer)
    if len(x) < 2 or y[-1] <= 0:
        return float("nan")
    k = int(np.searchsorted(y, share * (1 - 1e-12), side="left"))
    return float(x[k])


def gini(value: ArrayLike, customer: ArrayLike | None = None) -> float:
    r"""Gini coefficient of the customers' values (closed form on sorted values).

    With x_(1) <= ... <= x_(n) sorted ascending (e.g. Damgaard & Weiner 2000,
    "Describing inequality in plant size or fecundity", *Ecology* 81(4)):

    .. math:: G = \frac{\sum_{i=1}^n (2i - n - 1)\, x_{(i)}}{n \sum_{i=1}^n x_{(i)}},

    0 when all values are equal, (n - 1)/n when one customer holds everything.

    Args:
        value: Non-negative value per row.
        customer: The firm's customers; None: all rows.

    Returns:
        G in [0, (n-1)/n]; NaN for no customers or a zero total.

    Raises:
        ValueError: If a value is negative.

    """
    v = np.asarray(value, dtype=float)[_mask(len(np.asarray(value)), customer)]
    if np.any(v < 0):
        raise ValueError("gini: values must be >= 0")
    n = len(v)
    total = v.sum()
    if n == 0 or total <= 0:
        return float("nan")
    x = np.sort(v)
    i = np.arange(1, n + 1, dtype=float)
    return float(((2 * i - n - 1) @ x) / (n * total))


@dataclass(frozen=True, slots=True)
class ABCSummary:
    """Per tier: customers, value and their shares, plus the base's concentration.

    Attributes:
        customers: Customers per tier (A, B, C).
        value: Value per tier.
        customer_share: Share of the firm's customers per tier.
        value_share: Share of value per tier.
        share_for_80: Share of customers making 80% of value.
        gini: Gini coefficient of value.

    """

    customers: FloatArray
    value: FloatArray
    customer_share: FloatArray
    value_share: FloatArray
    share_for_80: float
    gini: float


def abc_summary(
    value: ArrayLike,
    customer: ArrayLike | None = None,
    cuts: Sequence[float] = (0.80, 0.15, 0.05),
) -> ABCSummary:
    """Tier sizes and value shares with the concentration figures.

    Args:
        value: Value per row (clipped at 0 for shares and the Gini).
        customer: The firm's customers; None: all rows.
        cuts: Value shares of A, B, C.

    Returns:
        The summary.

    """
    v = np.maximum(np.asarray(value, dtype=float), 0.0)
    tiers = abc_tiers(v, customer, cuts)
    keep = tiers >= 0
    counts = np.bincount(tiers[keep], minlength=3).astype(float)
    sums = np.bincount(tiers[keep], weights=v[keep], minlength=3)
    n, total = counts.sum(), sums.sum()
    ascending = np.sort(v[keep])  # one sort for the concentration figures
    if n and total > 0:
        cum = np.cumsum(ascending[::-1])
        share_80 = (int(np.searchsorted(cum, 0.8 * total * (1 - 1e-12))) + 1) / n
        i = np.arange(1, len(ascending) + 1, dtype=float)
        g = float(((2 * i - n - 1) @ ascending) / (n * total))
    else:
        share_80 = g = float("nan")
    return ABCSummary(
        customers=counts,
        value=sums,
        customer_share=counts / n if n else np.zeros(3),
        value_share=sums / total if total > 0 else np.zeros(3),
        share_for_80=float(share_80),
        gini=g,
    )
