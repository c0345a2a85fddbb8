"""What the fit matches and the report shows, for the data and a simulation alike.

`summarise` takes customer-days (customer codes 0..n-1, day, amount) and the split's
until_day and end_day, so the data's cohort (`summarise_split`) and a simulated run's
purchase log are summarised by the same code and are comparable by construction.
Several rows of one customer on one day count as one transaction, amounts summed (Fader,
Hardie & Lee 2005a); rows after end_day are ignored.

Time: day 0 is the log's first date; weeks are 7-day blocks from day 0 (week k, counted
from 0, is days 7k..7k+6; the moment names count them from 1). Per customer i with
distinct purchase days d_0 < d_1 < ... up to until_day, exactly as
`custsim.experiments.crm.btyd.summarise_transactions` with unit="W" (so BG/NBD fits on
either agree to the float):

    x_i = #{d_j : j >= 1},  t_x,i = (d_x - d_0) / 7,  T_i = (until_day - d_0) / 7

(until_day is the last calibration day, inclusive: a customer born on it has T = 0).

The moments (`CohortSummary.moments`) use the calibration period only, never the holdout;
each is the mean over customers of a per-customer contribution:

- ``repeats``: x, so the moment is the mean number of repeat transactions (the
  histogram below caps it at 7+; this keeps the heavy buyers' tail and the total);
- ``freq=0`` .. ``freq=6``, ``freq=7+``: the share of customers with x repeat transactions
  (the FHL 2005a histogram, fig. 2);
- ``recency<=.25 x=1`` .. ``recency<=1 x=7+``: the share of customers with t_x / T in
  (0, .25], (.25, .5], (.5, .75], (.75, 1] in each frequency group x = 1, 2-3, 4-6, 7+
  (recency within frequency: what tells a heavy buyer who left from one still there);
  customers without a repeat transaction (t_x / T "= 0") are the ``freq=0`` moment and
  contribute 0 here (the class is not repeated);
- ``ipt<1w`` .. ``ipt>=16w``: per customer, the share of its inter-purchase times (gaps
  between consecutive purchase days, in weeks) in [0,1), [1,2), [2,4), [4,8), [8,16),
  [16,inf); customers with no gap (x = 0) contribute 0 and count in ``freq=0`` instead;
- ``weeks 1-4`` .. ``weeks ..-K``: per customer, its repeat transactions in each block of
  `BLOCK_WEEKS` calibration weeks (K = the weeks that hold a calibration day; the last
  block and week may be partial), so the column mean is the cohort's repeat transactions
  in the block / n.

Spend is not a moment: the fit handles it separately (Gamma-Gamma); `spend`, `mean_spend`
and `monetary` serve it and the report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from custsim.experiments.calibrate.data import Split

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: days per week (weeks are 7-day blocks from day 0)
WEEK = 7
#: weeks per block of the repeat-transaction moments: four-week totals follow the cohort's
#: growth and decline; single weeks carry a log's seasonal peaks and dips, which a fit to
#: them would chase (CDNOW: weeks 23 and 25 alone were 5 and 3 standard errors away)
BLOCK_WEEKS = 4
#: repeat transactions 0, 1, ..., 6, 7+ (the FHL 2005a histogram, fig. 2)
FREQUENCY_BINS = 8
#: upper edges of the recency classes of t_x / T for customers with a repeat transaction:
#: (0, .25], (.25, .5], (.5, .75], (.75, 1]
RECENCY_BINS = (0.25, 0.5, 0.75, 1.0)
#: the frequency groups the recency classes are counted in (label, lowest x, highest x):
#: recency within frequency is what tells a heavy buyer who left from one still there
#: (the information of P(alive); Fader, Hardie & Lee 2005, "RFM and CLV")
RECENCY_GROUPS = (("1", 1, 1), ("2-3", 2, 3), ("4-6", 4, 6), ("7+", 7, np.inf))
#: lower edges of the inter-purchase-time classes, in weeks:
#: [0,1), [1,2), [2,4), [4,8), [8,16), [16,inf)
IPT_BINS = (0.0, 1.0, 2.0, 4.0, 8.0, 16.0)


def frequency_group(x: ArrayLike) -> IntArray:
    """Each customer's calibration-frequency group 0..FREQUENCY_BINS - 1 (the last: 7 or more)."""
    return np.minimum(np.asarray(x, dtype=np.int64), FREQUENCY_BINS - 1)


def _frequency_names() -> tuple[str, ...]:
    last = FREQUENCY_BINS - 1
    return (*(f"freq={k}" for k in range(last)), f"freq={last}+")


def _recency_names() -> tuple[str, ...]:
    return tuple(
        f"recency<={edge:g} x={label}".replace("0.", ".")
        for label, _, _ in RECENCY_GROUPS
        for edge in RECENCY_BINS
    )


def _ipt_names() -> tuple[str, ...]:
    edges = IPT_BINS
    inner = (f"ipt {lo:g}-{hi:g}w" for lo, hi in pairwise(edges[1:]))
    return (f"ipt<{edges[1]:g}w", *inner, f"ipt>={edges[-1]:g}w")


@dataclass(frozen=True)
class MomentBlock:
    """Moments as column means of per-customer contributions.

    Attributes:
        names: One name per moment (``repeats``, ``freq=0``, ..., ``recency<=.25 x=1``, ...,
            ``ipt<1w``, ..., ``weeks 1-4``, ...).
        per_customer: (n, k) each customer's contribution to each moment.

    """

    names: tuple[str, ...]
    per_customer: FloatArray

    @property
    def values(self) -> FloatArray:
        """(k,) the moments: column means of `per_customer`."""
        return self.per_customer.mean(axis=0)

    @property
    def covariance(self) -> FloatArray:
        """(k, k) the moments' sampling covariance: ``np.cov(per_customer, rowvar=False) / n``.

        Singular by construction (the frequency shares sum to 1), so weight with a
        pseudo-inverse or the diagonal.
        """
        n = self.per_customer.shape[0]
        return np.atleast_2d(np.cov(self.per_customer, rowvar=False)) / n


@dataclass(frozen=True)
class CohortSummary:
    """A cohort's calibration and holdout statistics (see the module docstring for the definitions).

    Attributes:
        until_day: Last day of the calibration period (inclusive).
        end_day: Last day of the holdout (inclusive).
        first_day: (n,) day of each customer's first purchase.
        x: (n,) calibration repeat transactions (distinct purchase days after the first).
        t_x: (n,) recency in weeks, (last calibration purchase day - first) / 7.
        T: (n,) age in weeks, (until_day - first) / 7.
        holdout_x: (n,) repeat transactions in (until_day, end_day].
        weekly_repeat: (end_day // 7 + 1,) repeat transactions per week over [0, end_day]
            (first purchases excluded; the last week may be partial, and unless
            until_day + 1 is a multiple of 7 the week holding until_day holds holdout
            days too: the ``weeks`` moments count only its calibration days).
        first_spend: (n,) amount of each customer's first purchase.
        monetary: (n,) mean amount of a customer's calibration repeat transactions (0 when
            x = 0), as `btyd.RFSummary.monetary` (FHL 2005b: the first purchase left out).
        repeat_customer: (k,) customer of each calibration repeat transaction, sorted.
        repeat_day: (k,) its day.
        gap: (k,) its inter-purchase time in days (day - the customer's previous purchase day).
        spend: (k,) its amount.

    """

    until_day: int
    end_day: int
    first_day: IntArray
    x: FloatArray
    t_x: FloatArray
    T: FloatArray
    holdout_x: FloatArray
    weekly_repeat: FloatArray
    first_spend: FloatArray
    monetary: FloatArray
    repeat_customer: IntArray = field(repr=False)
    repeat_day: IntArray = field(repr=False)
    gap: IntArray = field(repr=False)
    spend: FloatArray = field(repr=False)

    @property
    def n_customers(self) -> int:
        """Customers in the cohort."""
        return len(self.first_day)

    @property
    def calibration_weeks(self) -> int:
        """Weeks that hold a calibration day: until_day // 7 + 1 (the last may be partial)."""
        return self.until_day // WEEK + 1

    @property
    def mean_spend(self) -> float:
        """Mean amount per calibration repeat transaction (NaN when there is none)."""
        return float(self.spend.mean()) if self.spend.size else float("nan")

    def moments(self) -> MomentBlock:
        """The calibration-period moments: frequency, recency, inter-purchase times, weeks.

        Reads this summary's calibration arrays only (never `holdout_x` or the holdout
        weeks); returns the per-customer contributions (module docstring).
        """
        n = self.n_customers
        rows = np.arange(n)
        frequency = np.zeros((n, FREQUENCY_BINS))
        frequency[rows, frequency_group(self.x)] = 1.0

        recency = np.zeros((n, len(RECENCY_GROUPS) * len(RECENCY_BINS)))
        buyers = np.flatnonzero(self.x > 0)
        ratio = self.t_x[buyers] / self.T[buyers]
        group = (
            np.searchsorted([lo for _, lo, _ in RECENCY_GROUPS], self.x[buyers], side="right") - 1
        )
        column = group * len(RECENCY_BINS) + np.searchsorted(RECENCY_BINS, ratio, side="left")
        recency[buyers, column] = 1.0

        ipt = np.zeros((n, len(IPT_BINS)))
        ipt_bin = np.searchsorted(IPT_BINS, self.gap / WEEK, side="right") - 1
        np.add.at(ipt, (self.repeat_customer, ipt_bin), 1.0)
        ipt[buyers] /= self.x[buyers, None]

        weeks = self.calibration_weeks
        blocks = -(-weeks // BLOCK_WEEKS)
        weekly = np.bincount(
            self.repeat_customer * blocks + self.repeat_day // (WEEK * BLOCK_WEEKS),
            minlength=n * blocks,
        ).reshape(n, blocks)

        names = (
            "repeats",
            *_frequency_names(),
            *_recency_names(),
            *_ipt_names(),
            *(
                f"weeks {k * BLOCK_WEEKS + 1}-{min((k + 1) * BLOCK_WEEKS, weeks)}"
                for k in range(blocks)
            ),
        )
        per_customer = np.hstack(
            [self.x[:, None].astype(np.float64), frequency, recency, ipt, weekly.astype(np.float64)]
        )
        return MomentBlock(names=names, per_customer=per_customer)


def summarise(days: pd.DataFrame, n_customers: int, until_day: int, end_day: int) -> CohortSummary:
    """Summarise a cohort's customer-days: the calibration statistics and the holdout counts.

    Reads `days` (columns customer: codes 0..n-1, day: int >= 0, amount; any order, rows
    after end_day ignored, several rows of a customer on one day summed into one
    transaction); writes nothing. Vectorised: one sort of the rows at most.

    Args:
        days: The customer-days (a `TransactionLog.days` or a simulated purchase log).
        n_customers: n; every customer 0..n-1 must buy on or before until_day.
        until_day: Last day of the calibration period (inclusive).
        end_day: Last day of the holdout (inclusive), >= until_day.

    Returns:
        The summary.

    Raises:
        ValueError: for codes outside 0..n-1, negative days, a customer without a
            calibration-period purchase, or end_day < until_day.

    """
    if end_day < until_day:
        raise ValueError(f"end_day={end_day} is before until_day={until_day}")
    customer = days["customer"].to_numpy(dtype=np.int64)
    day = days["day"].to_numpy(dtype=np.int64)
    amount = days["amount"].to_numpy(dtype=np.float64)
    if customer.size and (customer.min() < 0 or customer.max() >= n_customers or day.min() < 0):
        raise ValueError(f"customer codes must be 0..{n_customers - 1} and days >= 0")
    inside = day <= end_day
    if not inside.all():
        customer, day, amount = customer[inside], day[inside], amount[inside]
    key = customer * (end_day + 1) + day
    if key.size > 1 and np.any(key[1:] < key[:-1]):
        order = np.argsort(key, kind="stable")
        key, customer, day, amount = key[order], customer[order], day[order], amount[order]
    new = np.r_[True, key[1:] != key[:-1]] if key.size else np.zeros(0, dtype=bool)
    if not new.all():  # several rows of a customer on one day: one transaction
        amount = np.add.reduceat(amount, np.flatnonzero(new))
        customer, day = customer[new], day[new]

    born = np.r_[True, customer[1:] != customer[:-1]] if customer.size else new
    first_day = day[born]
    if not np.array_equal(customer[born], np.arange(n_customers)) or np.any(first_day > until_day):
        raise ValueError(
            f"every customer 0..{n_customers - 1} must buy on or before day {until_day}"
        )

    calibration = day <= until_day
    repeat = ~born
    in_calibration = repeat & calibration
    x = np.bincount(customer[in_calibration], minlength=n_customers).astype(np.float64)
    holdout_x = np.bincount(customer[repeat & ~calibration], minlength=n_customers)
    # the last calibration day of each customer: rows are sorted by customer, then day
    cal_customer, cal_day = customer[calibration], day[calibration]
    last = cal_day[np.r_[cal_customer[1:] != cal_customer[:-1], True]]
    previous = np.r_[0, day[:-1]]
    spend = amount[in_calibration]
    repeat_customer = customer[in_calibration]
    monetary_total = np.bincount(repeat_customer, weights=spend, minlength=n_customers)
    return CohortSummary(
        until_day=int(until_day),
        end_day=int(end_day),
        first_day=first_day,
        x=x,
        t_x=(last - first_day) / WEEK,
        T=(until_day - first_day) / WEEK,
        holdout_x=holdout_x.astype(np.float64),
        weekly_repeat=np.bincount(day[repeat] // WEEK, minlength=end_day // WEEK + 1).astype(
            np.float64
        ),
        first_spend=amount[born],
        monetary=np.where(x > 0, monetary_total / np.maximum(x, 1.0), 0.0),
        repeat_customer=repeat_customer,
        repeat_day=day[in_calibration],
        gap=(day - previous)[in_calibration],
        spend=spend,
    )


def summarise_split(split: Split) -> CohortSummary:
    """`summarise` of a split's cohort (reads `split.log.days`, until_day, end_day)."""
    return summarise(split.log.days, split.log.n_customers, split.until_day, split.end_day)
