"""Customer lifecycle stage from tenure and the trend of the purchase gaps.

Stages (codes into `STAGES`) follow the acquisition - growth - maturity - decline
sequence of the customer-lifecycle literature (e.g. Dwyer, Schurr & Oh 1987,
"Developing buyer-seller relationships", *Journal of Marketing* 51(2): awareness,
exploration, expansion, commitment, dissolution; Reinartz & Kumar 2003 on profitable
lifetime duration), made operational on the firm's records with these rules, checked
in order (the first that holds wins), all thresholds parameters:

1. lapsed: no purchase for more than `lapsed_days` (default 60) days;
2. new: tenure (days since the first purchase) <= `new_days` (30), or a single
   purchase so far (no repeat yet: still being acquired);
3. declining: the current open gap t - d_last exceeds `decline_ratio` (1.5) times the
   mean gap, or (with a log) the last completed gap is >= `decline_ratio` times the
   mean of the earlier gaps;
4. growing: tenure < `mature_days` (120), or (with a log) the last completed gap is
   <= `growth_ratio` (0.8) times the mean of the earlier gaps (purchases speeding up);
5. mature: the rest (long tenure, steady gaps).

The trend term needs the purchase log (gaps between single purchases, `gap_stats`);
without it (inside a run, from `MarketObs` only) rules 3 and 4 use the open gap and
tenure alone.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from custsim.policies.crm.records import FirmRecords

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Stage names in code order.
STAGES = ("new", "growing", "mature", "declining", "lapsed")


@dataclass(frozen=True, slots=True)
class GapStats:
    """Per customer: completed inter-purchase gaps from a purchase log.

    Attributes:
        n_gaps: Completed gaps (distinct purchase days - 1; 0 if fewer than 2).
        last_gap: The most recent completed gap (NaN without one).
        earlier_mean: Mean of the completed gaps before the last one (NaN below 2 gaps).
        mean: Mean of all completed gaps (NaN without one).
        cv: Coefficient of variation of the gaps, std / mean (population std; NaN
            below 2 gaps or a zero mean): the regularity of a customer's purchases.

    """

    n_gaps: IntArray
    last_gap: FloatArray
    earlier_mean: FloatArray
    mean: FloatArray
    cv: FloatArray

    @property
    def trend(self) -> FloatArray:
        """Last gap over the mean of the earlier gaps (>1: slowing down; NaN below 2 gaps)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.last_gap / self.earlier_mean


def gap_stats(
    day: ArrayLike,
    customer: ArrayLike,
    n_customers: int,
    as_of: float | None = None,
    firm: ArrayLike | None = None,
    firm_index: int | None = None,
) -> GapStats:
    """Completed inter-purchase gaps per customer, from one firm's purchase log.

    Rows are cut at `as_of` (days < as_of) and to `firm_index`; several purchases of
    one customer on one day count as one purchase day. Vectorised: one sort by
    (customer, day), then differences within customers and `numpy.bincount`.

    Args:
        day: Purchase day per row.
        customer: Customer row id per row.
        n_customers: Population size.
        as_of: Keep only days < as_of; None keeps all.
        firm: Firm index per row, or None if the log is one firm's.
        firm_index: The firm to keep (with `firm`).

    Returns:
        The gap statistics per customer of the population.

    Raises:
        ValueError: If `firm` is given without `firm_index`.

    """
    d = np.asarray(day, dtype=float)
    c = np.asarray(customer, dtype=np.int64)
    keep = np.ones(len(d), dtype=bool) if as_of is None else d < as_of
    if firm is not None:
        if firm_index is None:
            raise ValueError("firm_index: needed when the log holds several firms")
        keep &= np.asarray(firm) == firm_index
    d, c = d[keep], c[keep]
    order = np.lexsort((d, c))
    d, c = d[order], c[order]
    distinct = np.r_[True, (c[1:] != c[:-1]) | (d[1:] != d[:-1])]
    d, c = d[distinct], c[distinct]
    same = c[1:] == c[:-1]
    gaps = np.diff(d)[same]
    owner = c[1:][same]
    n_gaps = np.bincount(owner, minlength=n_customers).astype(np.int64)
    total = np.bincount(owner, weights=gaps, minlength=n_customers)
    squares = np.bincount(owner, weights=gaps * gaps, minlength=n_customers)
    last_gap = np.full(n_customers, np.nan)
    is_last = np.r_[owner[1:] != owner[:-1], True] if len(owner) else np.empty(0, bool)
    last_gap[owner[is_last]] = gaps[is_last]
    return _gap_summary(n_gaps, total, squares, last_gap)


def _gap_summary(
    n_gaps: IntArray, total: FloatArray, squares: FloatArray, last_gap: FloatArray
) -> GapStats:
    """GapStats from per-customer gap counts, sums, sums of squares and last gaps."""
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n_gaps >= 1, total / n_gaps, np.nan)
        earlier = np.where(n_gaps >= 2, (total - last_gap) / (n_gaps - 1), np.nan)
        var = np.maximum(squares / n_gaps - mean * mean, 0.0)
        cv = np.where((n_gaps >= 2) & (mean > 0), np.sqrt(var) / mean, np.nan)
    return GapStats(n_gaps=n_gaps, last_gap=last_gap, earlier_mean=earlier, mean=mean, cv=cv)


def lifecycle_stage(
    records: FirmRecords,
    gaps: GapStats | None = None,
    new_days: float = 30.0,
    mature_days: float = 120.0,
    lapsed_days: float = 60.0,
    growth_ratio: float = 0.8,
    decline_ratio: float = 1.5,
) -> IntArray:
    """Lifecycle stage per customer, as codes into `STAGES` (rules in the module doc).

    Args:
        records: The firm's records at the as-of day.
        gaps: Gap statistics from the log cut at the same as-of day; None: records only.
        new_days: Tenure up to which a customer is new.
        mature_days: Tenure from which a steady customer is mature.
        lapsed_days: Days without a purchase after which a customer is lapsed.
        growth_ratio: Last gap / earlier mean gap at or below which a customer grows.
        decline_ratio: Gap ratio at or above which a customer declines.

    Returns:
        Codes 0..4 per row; -1 for non-customers.

    """
    n = records.purchase_count
    tenure, rec, mean_gap = records.tenure, records.recency, records.mean_gap
    with np.errstate(invalid="ignore"):
        open_decline = (n >= 2) & (rec > decline_ratio * mean_gap)
        if gaps is not None:
            trend = gaps.trend
            declining = open_decline | (trend >= decline_ratio)
            speeding = trend <= growth_ratio
        else:
            declining = open_decline
            speeding = np.zeros(len(n), dtype=bool)
    growing = (tenure < mature_days) | speeding
    stage = np.full(len(n), 2, dtype=np.int64)
    stage[growing] = 1
    stage[declining] = 3
    stage[(tenure <= new_days) | (n == 1)] = 0
    stage[rec > lapsed_days] = 4
    stage[n <= 0] = -1
    return stage


def stages_over_time(
    day: ArrayLike,
    customer: ArrayLike,
    as_of_days: Sequence[float],
    n_customers: int,
    **thresholds: float,
) -> Iterator[IntArray]:
    """Lifecycle stage per customer at each as-of day, in one pass over one firm's log.

    The same stages as `lifecycle_stage(FirmRecords.from_log(...), gap_stats(...))`
    at each day (rows of days < as_of), without a sort or a full pass per day: the
    gap to the previous purchase day is computed once per distinct (customer, day),
    then the rows and gaps of each interval between consecutive as-of days are
    added to running per-customer counts, first and last days, gap sums, sums of
    squares and last gaps (all sums of whole days: exact in floating point).

    Args:
        day: Purchase day per row, in ascending order (the purchase log's order).
        customer: Customer row id per row.
        as_of_days: The days of the views, ascending.
        n_customers: Population size.
        **thresholds: Passed to `lifecycle_stage` (new_days, lapsed_days, ...).

    Yields:
        Stage codes per customer (-1: not yet a customer) at each as-of day in turn.

    Raises:
        ValueError: If the days or the as-of days are not in ascending order.

    """
    d = np.asarray(day, dtype=float)
    c = np.asarray(customer, dtype=np.int64)
    if np.any(np.diff(d) < 0) or np.any(np.diff(np.asarray(as_of_days, dtype=float)) < 0):
        raise ValueError("day and as_of_days: must be in ascending order")
    # distinct (customer, day) purchase days, and the gap to the customer's previous one
    order = np.argsort(c, kind="stable")  # by customer, then day (the log is in day order)
    cs, ds = c[order], d[order]
    distinct = np.r_[True, (cs[1:] != cs[:-1]) | (ds[1:] != ds[:-1])]
    cs, ds = cs[distinct], ds[distinct]
    repeat = np.r_[False, cs[1:] == cs[:-1]]
    gap_day, gap_owner = ds[repeat], cs[repeat]
    gap = (ds[1:] - ds[:-1])[repeat[1:]]
    by_day = np.argsort(gap_day, kind="stable")
    gap_day, gap_owner, gap = gap_day[by_day], gap_owner[by_day], gap[by_day]

    first = np.full(n_customers, np.inf)
    last = np.full(n_customers, -np.inf)
    count = np.zeros(n_customers, dtype=np.int64)
    n_gaps = np.zeros(n_customers, dtype=np.int64)
    total = np.zeros(n_customers)
    squares = np.zeros(n_customers)
    last_gap = np.full(n_customers, np.nan)
    row = event = 0
    zeros = np.zeros(n_customers)
    for t in as_of_days:
        end = int(np.searchsorted(d, t, side="left"))
        cc, dd = c[row:end], d[row:end]
        count += np.bincount(cc, minlength=n_customers)
        fresh, at = np.unique(cc, return_index=True)
        first[fresh] = np.minimum(first[fresh], dd[at])
        back, at = np.unique(cc[::-1], return_index=True)
        last[back] = np.maximum(last[back], dd[::-1][at])
        row = end
        stop = int(np.searchsorted(gap_day, t, side="left"))
        go, g = gap_owner[event:stop], gap[event:stop]
        n_gaps += np.bincount(go, minlength=n_customers)
        total += np.bincount(go, weights=g, minlength=n_customers)
        squares += np.bincount(go, weights=g * g, minlength=n_customers)
        back, at = np.unique(go[::-1], return_index=True)
        last_gap[back] = g[::-1][at]
        event = stop
        records = FirmRecords(
            as_of=float(t),
            first_purchase_day=first.copy(),
            last_purchase_day=last.copy(),
            purchase_count=count.copy(),
            spend=zeros,
            points=zeros,
        )
        yield lifecycle_stage(records, _gap_summary(n_gaps, total, squares, last_gap), **thresholds)


def stage_sizes(
    day: ArrayLike,
    customer: ArrayLike,
    quantity: ArrayLike,
    paid: ArrayLike,
    as_of_days: Sequence[float],
    n_customers: int,
    firm: ArrayLike | None = None,
    firm_index: int | None = None,
    **thresholds: float,
) -> IntArray:
    """Customers per lifecycle stage at each as-of day, from one purchase log.

    Loops over the as-of days only (each step is vectorised over customers).

    Args:
        day: Purchase day per row.
        customer: Customer row id per row.
        quantity: Units per row.
        paid: Unit price paid per row.
        as_of_days: The days of the views.
        n_customers: Population size.
        firm: Firm index per row, or None if the log is one firm's.
        firm_index: The firm to keep (with `firm`).
        **thresholds: Passed to `lifecycle_stage` (new_days, lapsed_days, ...).

    Returns:
        Array of shape (len(as_of_days), len(STAGES)): counts per day and stage.

    """
    out = np.zeros((len(as_of_days), len(STAGES)), dtype=np.int64)
    for i, t in enumerate(as_of_days):
        rec = FirmRecords.from_log(
            day,
            customer,
            quantity,
            paid,
            None,
            as_of=t,
            n_customers=n_customers,
            firm=firm,
            firm_index=firm_index,
        )
        g = gap_stats(day, customer, n_customers, as_of=t, firm=firm, firm_index=firm_index)
        stages = lifecycle_stage(rec, g, **thresholds)
        out[i] = np.bincount(stages[stages >= 0], minlength=len(STAGES))
    return out
