"""RFM: recency, frequency and monetary value per customer, quintile scores and classes.

Definitions (all from the firm's own records, `custsim.policies.crm.records.FirmRecords`):

* recency R: days since the last purchase at the as-of day, t - d_last;
* frequency F: purchase occasions with the firm (the first one included);
* monetary M: by default the **total** spend with the firm, the customer's historic
  revenue, as in much practitioner RFM following Hughes (1994), *Strategic Database
  Marketing* (Probus), and as in ABC analysis; `monetary="mean"` gives spend per purchase
  (average order value) instead, the m_x of Fader, Hardie & Lee (2005), "RFM and CLV:
  using iso-value curves for customer base analysis", *JMR* 42(4), which keeps M from
  repeating F (total = F x mean). Total is the default because the classes below
  rank customers by the value they bring.

Scores follow Hughes's quintile coding: each of R, F, M is cut into five equal-sized
groups by rank among the firm's customers, scored 1 (worst) to 5 (best), with R
reversed (5 = most recent). Ties get distinct ranks in customer-id order by default
(`ties="first"`), exactly `pandas.qcut(values.rank(method="first"), 5, labels=1..5)`,
so every quintile has n/5 customers; `ties="min"` gives tied values one score (the
score of the lowest rank in the tie group), at the price of uneven groups.

Named classes are given as integer codes with a names tuple (numpy only), -1 for rows
that are not the firm's customers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from custsim.policies.crm.records import FirmRecords

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
Ties = Literal["first", "min"]

#: The four classes of the CRM literature the project follows (issue 14), in code order.
FOUR_CLASSES = ("high_value", "important_to_retain", "new", "low_value")

#: The eight R x F x M high/low cells, code = 4 R_high + 2 F_high + M_high
#: read backwards: code 0 = (R low, F low, M low) ... code 7 = (R high, F high, M high).
EIGHT_CELLS = (
    "lost",  # R- F- M-: long gone, bought little and seldom
    "big_spenders_at_risk",  # R- F- M+: spent a lot in few purchases, gone quiet
    "frequent_at_risk",  # R- F+ M-: bought often but little, gone quiet
    "loyal_at_risk",  # R- F+ M+: were best customers, gone quiet ("cannot lose")
    "new_occasional",  # R+ F- M-: recent, few purchases, little spend
    "promising_big_spenders",  # R+ F- M+: recent, few purchases, high spend
    "loyal",  # R+ F+ M-: recent and frequent, low spend
    "best",  # R+ F+ M+: recent, frequent, high spend
)


def recency(last_purchase_day: ArrayLike, as_of: float) -> FloatArray:
    """Days since the last purchase: R = as_of - d_last (inf for a non-customer).

    Args:
        last_purchase_day: Last purchase day per customer (-inf if never).
        as_of: The day of the view.

    Returns:
        Recency in days per customer.

    """
    return float(as_of) - np.asarray(last_purchase_day, dtype=float)


def monetary(
    spend: ArrayLike, purchase_count: ArrayLike, kind: Literal["total", "mean"] = "total"
) -> FloatArray:
    """Monetary value: total spend, or spend per purchase (0 for a non-customer).

    Args:
        spend: Money spent with the firm per customer.
        purchase_count: Purchase occasions per customer.
        kind: "total" (Hughes 1994) or "mean" per purchase (Fader, Hardie & Lee 2005b).

    Returns:
        M per customer.

    Raises:
        ValueError: For an unknown `kind`.

    """
    s = np.asarray(spend, dtype=float)
    if kind == "total":
        return s.copy()
    if kind == "mean":
        n = np.asarray(purchase_count, dtype=float)
        return np.divide(s, n, out=np.zeros_like(s), where=n > 0)
    raise ValueError(f"kind={kind!r}: must be 'total' or 'mean'")


def ordinal_ranks(values: ArrayLike, ties: Ties = "first") -> IntArray:
    """Ranks 1..n of `values` in ascending order.

    Args:
        values: The values to rank.
        ties: "first": tied values ranked in the order they appear (pandas
            `rank(method="first")`); "min": every tied value gets the lowest rank of
            its group (pandas `rank(method="min")`).

    Returns:
        Integer ranks, one per value.

    Raises:
        ValueError: For an unknown `ties`.

    """
    v = np.asarray(values, dtype=float)
    order = np.argsort(v, kind="stable")
    ranks = np.empty(len(v), dtype=np.int64)
    ranks[order] = np.arange(1, len(v) + 1)
    if ties == "first":
        return ranks
    if ties == "min":
        sorted_v = v[order]
        new_group = np.r_[True, sorted_v[1:] != sorted_v[:-1]]
        group_start = np.maximum.accumulate(np.where(new_group, np.arange(len(v)), 0)) + 1
        ranks[order] = group_start
        return ranks
    raise ValueError(f"ties={ties!r}: must be 'first' or 'min'")


def quantile_scores(
    values: ArrayLike, bins: int = 5, ties: Ties = "first", mask: ArrayLike | None = None
) -> IntArray:
    r"""Quantile scores 1..bins by rank (quintiles by default); 0 outside `mask`.

    With ranks r = 1..n (`ordinal_ranks`) and the rank quantiles
    e_k = 1 + (k / bins)(n - 1), k = 1..bins-1 (linear interpolation, as
    `numpy.quantile` and `pandas.qcut` compute them), the score is one plus the number
    of inner edges strictly below the rank (bins closed on the right):

    .. math:: s = 1 + \#\{k : e_k < r\},

    which equals `pandas.qcut(ranks, bins, labels=range(1, bins + 1))`.

    Args:
        values: Values to score; higher value, higher score.
        bins: Number of groups.
        ties: Tie rule of `ordinal_ranks`.
        mask: Rows to score (the firm's customers); None scores all rows.

    Returns:
        Scores per row (int64), 0 where `mask` is False.

    Raises:
        ValueError: If `bins` < 1.

    """
    if bins < 1:
        raise ValueError(f"bins={bins!r}: must be >= 1")
    v = np.asarray(values, dtype=float)
    keep = np.ones(len(v), dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    out = np.zeros(len(v), dtype=np.int64)
    n = int(keep.sum())
    if n == 0:
        return out
    ranks = ordinal_ranks(v[keep], ties)
    edges = 1.0 + np.arange(1, bins) / bins * (n - 1)
    out[keep] = 1 + np.searchsorted(edges, ranks, side="left")
    return out


@dataclass(frozen=True, slots=True)
class RFMScores:
    """RFM values and quintile scores of one firm's customers at an as-of day.

    Attributes:
        customer: Whether each row is the firm's customer (bought at least once).
        recency: Days since the last purchase (inf for non-customers).
        frequency: Purchase occasions (0 for non-customers).
        monetary: Total spend or spend per purchase (see `monetary`).
        r: Recency score 1..5, 5 = most recent; 0 for non-customers.
        f: Frequency score 1..5, 5 = most frequent; 0 for non-customers.
        m: Monetary score 1..5, 5 = highest; 0 for non-customers.

    """

    customer: BoolArray
    recency: FloatArray
    frequency: IntArray
    monetary: FloatArray
    r: IntArray
    f: IntArray
    m: IntArray

    @property
    def cell(self) -> IntArray:
        """Hughes's three-digit RFM cell 100 R + 10 F + M (111..555; 0 for non-customers)."""
        return 100 * self.r + 10 * self.f + self.m


def rfm_scores(
    records: FirmRecords,
    bins: int = 5,
    ties: Ties = "first",
    kind: Literal["total", "mean"] = "total",
) -> RFMScores:
    """RFM values and scores of the firm's customers (Hughes 1994 quintile coding).

    R is scored on -recency so that 5 is the most recent; F on the purchase count; M on
    `monetary(kind)`. Only rows with at least one purchase are ranked.

    Args:
        records: The firm's records at the as-of day.
        bins: Groups per dimension (5: quintiles).
        ties: Tie rule (see `ordinal_ranks`).
        kind: Monetary value, "total" or "mean" per purchase.

    Returns:
        Values and scores, one entry per row of `records`.

    """
    mask = records.customer
    rec = recency(records.last_purchase_day, records.as_of)
    freq = np.asarray(records.purchase_count, dtype=np.int64)
    mon = monetary(records.spend, freq, kind)
    return RFMScores(
        customer=mask,
        recency=rec,
        frequency=freq,
        monetary=mon,
        r=quantile_scores(-np.where(mask, rec, 0.0), bins, ties, mask),
        f=quantile_scores(freq, bins, ties, mask),
        m=quantile_scores(mon, bins, ties, mask),
    )


def four_classes(
    r: ArrayLike, f: ArrayLike, m: ArrayLike, high: int = 4, mid: int = 3, low: int = 2
) -> IntArray:
    """The four named RFM classes of issue 14, as codes into `FOUR_CLASSES`.

    The issue names the classes (high-value; important to retain, "recency low,
    frequency high, monetary mid"; new; low-value) without cut-offs; these are the
    project's rules on 1-5 scores (the first three are disjoint, by their R or F
    conditions):

    0. high_value: r >= mid and f >= high and m >= high (recent enough, among the most
       frequent and the biggest spenders);
    1. important_to_retain: r <= low and f >= mid and m >= mid (bought often and spent
       at least the median score, but not recently: "recency low" read as a low R
       *score*, i.e. a long time since the last purchase);
    2. new: r >= high and f <= low (bought recently, but only a few times);
    3. low_value: everyone else.

    Args:
        r: Recency scores (5 = most recent); 0 marks a non-customer.
        f: Frequency scores.
        m: Monetary scores.
        high: Score from which a dimension counts as high.
        mid: Score from which it counts as at least middling.
        low: Score up to which it counts as low.

    Returns:
        Codes 0..3 per row, -1 where r == 0 (not the firm's customer).

    """
    rs, fs, ms = (np.asarray(a, dtype=np.int64) for a in (r, f, m))
    out = np.full(len(rs), 3, dtype=np.int64)
    new = (rs >= high) & (fs <= low)
    retain = (rs <= low) & (fs >= mid) & (ms >= mid)
    best = (rs >= mid) & (fs >= high) & (ms >= high)
    out[new] = 2
    out[retain] = 1
    out[best] = 0
    out[rs == 0] = -1
    return out


def high_low(
    scores: RFMScores,
    split: Literal["score", "median"] = "score",
    high_from: int = 3,
    ties: Ties = "first",
) -> tuple[BoolArray, BoolArray, BoolArray]:
    """Whether R, F and M are each "high", for the eight-cell scheme.

    "score": high when the score >= `high_from` (3: the top three quintiles).
    "median": high when the customer's rank is in the upper half among the firm's
    customers (rank > n / 2, ranks as in `ordinal_ranks`; R ranked on -recency).

    Args:
        scores: RFM scores.
        split: The rule.
        high_from: Score threshold for "score".
        ties: Tie rule for "median".

    Returns:
        Boolean arrays (R high, F high, M high); False for non-customers.

    Raises:
        ValueError: For an unknown `split`.

    """
    mask = scores.customer
    if split == "score":
        return scores.r >= high_from, scores.f >= high_from, scores.m >= high_from
    if split == "median":
        out = []
        n = int(mask.sum())
        for values in (-np.where(mask, scores.recency, 0.0), scores.frequency, scores.monetary):
            hi = np.zeros(len(mask), dtype=bool)
            hi[mask] = ordinal_ranks(np.asarray(values, dtype=float)[mask], ties) > n / 2
            out.append(hi)
        return out[0], out[1], out[2]
    raise ValueError(f"split={split!r}: must be 'score' or 'median'")


def eight_cells(
    r_high: ArrayLike, f_high: ArrayLike, m_high: ArrayLike, customer: ArrayLike
) -> IntArray:
    """The eight R x F x M high/low cells, as codes into `EIGHT_CELLS`.

    The 2 x 2 x 2 split of each RFM dimension into high and low and the naming of the
    cells (best, loyal, big spenders at risk, lost, ...) follow common database
    marketing practice built on Hughes's (1994) RFM cells (the eight "important /
    general value, development, retention, win-back" classes of many CRM textbooks);
    the names in `EIGHT_CELLS` are the project's. Code = 4 R_high + 2 F_high + M_high.

    Args:
        r_high: Recent (R high) per row.
        f_high: Frequent per row.
        m_high: High spender per row.
        customer: The firm's customers.

    Returns:
        Codes 0..7 per row, -1 for non-customers.

    """
    code = (
        4 * np.asarray(r_high, dtype=np.int64)
        + 2 * np.asarray(f_high, dtype=np.int64)
        + np.asarray(m_high, dtype=np.int64)
    )
    return np.where(np.asarray(customer, dtype=bool), code, -1)


def class_sizes(codes: ArrayLike, n_classes: int, weights: ArrayLike | None = None) -> FloatArray:
    """Customers (or summed `weights`, e.g. margin) per class code 0..n_classes-1.

    Args:
        codes: Class code per row; negative codes (non-customers) are left out.
        n_classes: Number of classes.
        weights: Optional weight per row.

    Returns:
        Totals per class.

    """
    c = np.asarray(codes, dtype=np.int64)
    keep = c >= 0
    w = None if weights is None else np.asarray(weights, dtype=float)[keep]
    return np.bincount(c[keep], weights=w, minlength=n_classes).astype(float)
