"""Churn early warning from the firm's records: rules, BG/NBD inputs, value x risk ranking.

A firm cannot see churn; it sees when each customer last bought. Two rules flag
customers as at risk (the same rules `custsim.policies.retention` applies):

* recency rule: no purchase for more than k days (default 30, a threshold matched to
  an intervention, e.g. a win-back offer a month after the last purchase);
* frequency-drop rule: the current gap, t - d_last, exceeds m times the customer's own
  mean inter-purchase gap (needs >= 2 purchases).

A model-based risk is 1 - P(alive) of the BG/NBD (Fader, Hardie & Lee 2005,
"'Counting your customers' the easy way", *Marketing Science* 24(2), eq. 11); its
estimation lives in `experiments/crm/btyd.py` for now, so this module only builds its
inputs (x, t_x, T) from the records and takes P(alive) as an array.

Retention budgets are spent best where value and risk meet: the ranking by
expected value at risk, value x risk (e.g. Blattberg, Kim & Neslin 2008, *Database
Marketing*, on churn management: target by the expected loss, not by risk alone).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from custsim.policies.crm.records import FirmRecords

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]


def recency_rule(records: FirmRecords, k: float = 30.0) -> BoolArray:
    """Flag the firm's customers with no purchase for more than `k` days: t - d_last > k.

    Args:
        records: The firm's records at the as-of day.
        k: Days without a purchase before a customer is flagged.

    Returns:
        Flag per row (False for non-customers).

    """
    return records.customer & (records.recency > k)


def frequency_drop_rule(records: FirmRecords, m: float = 2.0) -> BoolArray:
    r"""Flag customers whose current gap exceeds m times their own mean gap.

    .. math:: \text{flag} = [x \ge 2] \wedge \big(t - d_\text{last} > m\,\bar g\big),
              \quad \bar g = (d_\text{last} - d_\text{first}) / (x - 1),

    x the purchase count (`FirmRecords.mean_gap`). Customers with fewer than two
    purchases have no gap of their own and are never flagged by this rule.

    Args:
        records: The firm's records at the as-of day.
        m: Multiple of the mean gap.

    Returns:
        Flag per row.

    """
    gap = records.mean_gap
    with np.errstate(invalid="ignore"):
        return (records.purchase_count >= 2) & (records.recency > m * gap)


def overdue_days(records: FirmRecords) -> FloatArray:
    r"""Days overdue: current gap minus own mean gap, t - d_last - \bar g (NaN below 2 buys).

    Args:
        records: The firm's records at the as-of day.

    Returns:
        Days per row; positive when the customer is later than usual.

    """
    return records.recency - records.mean_gap


def bgnbd_inputs(
    records: FirmRecords, unit_days: float = 7.0
) -> tuple[FloatArray, FloatArray, FloatArray]:
    r"""The BG/NBD summary (x, t_x, T) of each customer from the firm's records.

    FHL 2005a: x repeat purchases, t_x time from the first to the last purchase, T time
    from the first purchase to the as-of day, in units of `unit_days` days:

    .. math:: x = n - 1, \quad t_x = (d_\text{last} - d_\text{first})/u,
              \quad T = (t - d_\text{first})/u.

    Purchase occasions are days in the simulation, so they match the distinct purchase
    days of `custsim.experiments.crm.btyd.summarise_transactions` (the model's input there).

    Args:
        records: The firm's records at the as-of day.
        unit_days: Days per time unit (7: weeks, as in the published CDNOW fits).

    Returns:
        (x, t_x, T) per row; 0 for non-customers.

    """
    mask = records.customer
    x = np.where(mask, records.purchase_count - 1, 0).astype(float)
    t_x = np.where(mask, records.last_purchase_day - records.first_purchase_day, 0.0)
    T = np.where(mask, records.as_of - records.first_purchase_day, 0.0)
    return x, t_x / unit_days, T / unit_days


def lapse_risk(records: FirmRecords, typical_gap: float) -> FloatArray:
    r"""A cheap risk score in [0, 1): how unlikely the current silence is for an active buyer.

    If a customer who is still active bought at the rate of its own mean gap
    \bar g (`FirmRecords.mean_gap`), as a Poisson process, a silence of R = t - d_last
    days would have probability e^{-R/\bar g}; the score is its complement,

    .. math:: \text{risk} = 1 - e^{-R / \bar g},

    with `typical_gap` standing in for \bar g for customers with fewer than two
    purchases (no gap of their own). It grows with the frequency-drop ratio R / \bar g
    of `frequency_drop_rule`, so it ranks customers as that rule flags them, but is
    bounded, so value x risk reads as expected value lost; like the BG/NBD's
    1 - P(alive) it rises with recency and faster for frequent buyers, at O(n) a day
    instead of a model fit (a policy can compute it inside the run).

    Args:
        records: The firm's records at the as-of day.
        typical_gap: Days assumed between purchases when a customer has no gap of its own
            (e.g. the recency rule's k).

    Returns:
        Risk per row; 0 for non-customers.

    """
    gap = records.mean_gap
    own = np.where(np.isfinite(gap) & (gap > 0), gap, float(typical_gap))
    with np.errstate(invalid="ignore", over="ignore"):
        risk = -np.expm1(-records.recency / own)
    return np.where(records.customer, risk, 0.0)


def risk_from_alive(p_alive: ArrayLike, customer: ArrayLike | None = None) -> FloatArray:
    """Risk = 1 - P(alive), 0 for non-customers.

    Args:
        p_alive: P(alive) per row (e.g. `bgnbd_prob_alive` on `bgnbd_inputs`).
        customer: The firm's customers; None: all rows.

    Returns:
        Risk per row in [0, 1].

    """
    risk = 1.0 - np.asarray(p_alive, dtype=float)
    return risk if customer is None else np.where(np.asarray(customer, dtype=bool), risk, 0.0)


def value_at_risk(value: ArrayLike, risk: ArrayLike) -> FloatArray:
    """Expected value lost, value x risk (value clipped at 0).

    Args:
        value: Customer value (spend, margin or predicted CLV).
        risk: Risk per row in [0, 1] (1 - P(alive), or a rule flag as 0/1).

    Returns:
        value x risk per row.

    """
    return np.maximum(np.asarray(value, dtype=float), 0.0) * np.asarray(risk, dtype=float)


def top_k(score: ArrayLike, k: int, eligible: ArrayLike | None = None) -> IntArray:
    """Row ids of the k highest scores among eligible rows, best first (ties: lower id).

    Uses `numpy.argpartition` then sorts only the k selected, O(n + k log k).

    Args:
        score: Score per row (higher: target first); NaN ranks last.
        k: Budget of offers.
        eligible: Rows that may be targeted (e.g. flagged customers); None: all.

    Returns:
        Up to k row ids.

    """
    s = np.asarray(score, dtype=float)
    ids = np.flatnonzero(np.ones(len(s), bool) if eligible is None else np.asarray(eligible))
    if k <= 0 or len(ids) == 0:
        return np.empty(0, dtype=np.int64)
    key = np.where(np.isnan(s[ids]), -np.inf, s[ids])
    if k < len(ids):
        part = np.argpartition(-key, k - 1)[:k]
        # the k-th value may be tied with rows left out: take ties by id, deterministically
        kth = key[part].min()
        part = np.r_[np.flatnonzero(key > kth), np.flatnonzero(key == kth)][:k]
        ids, key = ids[part], key[part]
    order = np.lexsort((ids, -key))
    return ids[order].astype(np.int64)
