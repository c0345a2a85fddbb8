"""The proof: custsim's and BG/NBD's forecasts of the holdout, against what happened.

The fitted store runs `replications` times over calibration and holdout (new seeds,
the log's cohort x `scale` customers); every series is per customer of the log
(simulated counts / scale) and averaged over the runs. BG/NBD forecasts from the
stage-1 fit: expected cumulative repeat transactions of the cohort with its births
(Fader, Hardie & Lee 2005a, eq. 9 and section 4), and conditional expectations of
each customer's holdout transactions given (x, t_x, T) (eq. 10). Nothing here goes
back into the fit: the holdout is read only to score the forecasts.

Errors (`HoldoutErrors`): the total of holdout repeat transactions (relative error),
the weekly mean absolute percentage error over the holdout weeks (weeks without a
transaction left out) and over the calibration weeks, and the mean absolute error of
the conditional expectations over calibration frequencies 0..7+.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from custsim.experiments.batch import Failed
from custsim.experiments.calibrate.fit import ClosedForm, Simulator
from custsim.experiments.calibrate.statistics import (
    FREQUENCY_BINS,
    CohortSummary,
    frequency_group,
)
from custsim.experiments.calibrate.store import PurchaseProcess
from custsim.experiments.crm import btyd

#: labels of the calibration-frequency groups (0, 1, ..., 6, 7+)
FREQUENCY_LABELS = (*(str(k) for k in range(FREQUENCY_BINS - 1)), f"{FREQUENCY_BINS - 1}+")


def by_frequency(x: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Mean of `values` in each calibration-frequency group (NaN for an empty group)."""
    group = frequency_group(x)
    sums = np.bincount(group, weights=values, minlength=FREQUENCY_BINS)
    counts = np.bincount(group, minlength=FREQUENCY_BINS)
    return np.divide(sums, counts, out=np.full(FREQUENCY_BINS, np.nan), where=counts > 0)


@dataclass(frozen=True)
class Tracks:
    """Per-week series and per-group summaries of one source (the log, custsim or BG/NBD)."""

    weekly: np.ndarray  # repeat transactions per calendar week, per customer of the log x n
    frequency: np.ndarray  # customers in each calibration-frequency group (share)
    conditional: np.ndarray  # mean holdout repeat transactions by calibration frequency
    spend: np.ndarray  # spend per repeat transaction (empty for BG/NBD)

    @property
    def cumulative(self) -> np.ndarray:
        """Cumulative repeat transactions by week."""
        return np.cumsum(self.weekly)


def actual_tracks(summary: CohortSummary) -> Tracks:
    """The log's own series (calibration and holdout)."""
    n = len(summary.x)
    return Tracks(
        weekly=summary.weekly_repeat.astype(float),
        frequency=np.bincount(frequency_group(summary.x), minlength=FREQUENCY_BINS) / n,
        conditional=by_frequency(summary.x, summary.holdout_x),
        spend=summary.spend,
    )


def custsim_tracks(
    sim: Simulator,
    process: PurchaseProcess,
    until_day: int,
    end_day: int,
    seeds: list[int],
    n_jobs: int,
) -> Tracks:
    """The fitted store over calibration and holdout, averaged over `seeds` (per log customer)."""
    runs = sim.runs([process] * len(seeds), seeds, until_day, end_day, n_jobs)
    failed = [r for r in runs if isinstance(r, Failed)]
    if failed:
        raise RuntimeError(f"a forecast run failed: {failed[0].error}")
    ran = [r.summary for r in runs]
    scale = sim.scale
    weekly = np.mean([r.weekly_repeat for r in ran], axis=0) / scale
    frequency = np.mean(
        [np.bincount(frequency_group(r.x), minlength=FREQUENCY_BINS) / len(r.x) for r in ran],
        axis=0,
    )
    x = np.concatenate([r.x for r in ran])
    holdout = np.concatenate([r.holdout_x for r in ran])
    return Tracks(
        weekly=weekly,
        frequency=frequency,
        conditional=by_frequency(x, holdout),
        spend=np.concatenate([r.spend for r in ran]),
    )


def bgnbd_tracks(
    closed: ClosedForm, summary: CohortSummary, until_day: int, end_day: int
) -> Tracks:
    """BG/NBD's expected series: cohort tracking with births, conditional expectations.

    Calendar weeks k = 0, 1, ... cover days 7k..7k+6, so week k's expectation is
    Cum(k + 1) - Cum(k) in weeks, births at first day / 7 (the axis of T and t_x).
    """
    params = closed.bgnbd.params
    weeks = len(summary.weekly_repeat)
    birth = summary.first_day / 7.0
    edges = np.arange(weeks + 1, dtype=float)
    cumulative = btyd.bgnbd_expected_cumulative_transactions(params, birth, edges)
    horizon = (end_day - until_day) / 7.0
    expected = btyd.bgnbd_conditional_expected_transactions(
        params, horizon, summary.x, summary.t_x, summary.T
    )
    return Tracks(
        weekly=np.diff(cumulative),
        frequency=_bgnbd_frequency(params, summary.T),
        conditional=by_frequency(summary.x, expected),
        spend=np.array([]),
    )


def _bgnbd_frequency(params: btyd.BGNBDParams, T: np.ndarray) -> np.ndarray:
    """Expected share of customers with x = 0, 1, ..., 7+ repeats by their T (FHL 2005a eq. 8)."""
    probs = np.array(
        [btyd.bgnbd_probability_of_x(params, k, T).mean() for k in range(FREQUENCY_BINS - 1)]
    )
    return np.append(probs, max(0.0, 1.0 - probs.sum()))


@dataclass(frozen=True)
class HoldoutErrors:
    """A forecast's errors on the holdout (and its weekly error on the calibration period)."""

    total_actual: float
    total_forecast: float
    weekly_mape_holdout: float
    weekly_mape_calibration: float
    conditional_mae: float

    @property
    def total_error(self) -> float:
        """(forecast - actual) / actual of the holdout's repeat transactions."""
        return (self.total_forecast - self.total_actual) / self.total_actual


def holdout_errors(actual: Tracks, forecast: Tracks, until_week: int) -> HoldoutErrors:
    """The errors of `forecast` against `actual` (module docstring); weeks from 0."""

    def mape(a: np.ndarray, f: np.ndarray) -> float:
        keep = a > 0
        return float(np.mean(np.abs(f[keep] - a[keep]) / a[keep])) if keep.any() else np.nan

    a, f = actual.weekly, forecast.weekly[: len(actual.weekly)]
    gap = np.abs(forecast.conditional - actual.conditional)
    return HoldoutErrors(
        total_actual=float(a[until_week:].sum()),
        total_forecast=float(f[until_week:].sum()),
        weekly_mape_holdout=mape(a[until_week:], f[until_week:]),
        weekly_mape_calibration=mape(a[1:until_week], f[1:until_week]),
        conditional_mae=float(np.nanmean(gap)),
    )


def tracking_frame(actual: Tracks, custsim: Tracks, bgnbd: Tracks) -> pd.DataFrame:
    """tracking.csv: week, weekly and cumulative repeat transactions of the three sources."""
    weeks = len(actual.weekly)
    frame = {"week": np.arange(1, weeks + 1)}
    for name, t in (("actual", actual), ("custsim", custsim), ("bgnbd", bgnbd)):
        frame[f"{name}_weekly"] = t.weekly[:weeks]
        frame[f"{name}_cumulative"] = t.cumulative[:weeks]
    return pd.DataFrame(frame)
