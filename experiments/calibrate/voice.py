"""Stage 3, what the firm hears: the experience chain's voice and survey fitted to its records.

Optional: it runs when `calibrate.complaints` or `calibrate.surveys` names the firm's
own records (CSV or Parquet, one row a complaint or a survey answer: customer, date
and, for an answer, a score 0..10; the column names of `calibrate.columns`). Their
calibration period (dates on or before `calibrate.until`) gives the targets:

- complaints per purchase, c = C / N: C the customer-days with a complaint by the log's
  cohort (several complaints of a customer on one day count as one, as several
  transactions do), N the cohort's customer-days in the calibration period;
- the survey answers' mean score s-bar (their NPS, % 9-10 minus % 0-6, is reported).

The store runs at stage 2's process with the experience chain on: its service fails on a
purchase with the firm's own probability f (`calibrate.failure_rate`, from its service
records: custsim cannot tell it from the complaints, as few failures loudly voiced and
many quietly borne give the same count), felt as a loss L through v (default severity);
and, with surveys, it asks its whole customer list every `SURVEY_EVERY` days. A buyer
who felt a loss complains with (`custsim.agents.experience.complaint_probability`)

    P = 1 - exp(-k (1 + l_v H) L),

and a customer asked answers clip(round(m + c_s S + N(0, sd)), 0, 10). Without a
complaint-handling policy neither a complaint nor an answer changes what a customer
does, and they draw from their own random streams, so with one seed the simulated
complaints per purchase c(k) are non-decreasing in k and the mean score s(m) in m:
k solves c(k) = c-hat by bisection on ln k in `LN_K_RANGE`, m solves s(m) = s-bar by
bisection in [0, 10], both in the same runs (k moves no answer, m no complaint). With
`calibrate.n_jobs` = W workers each round runs W points evenly inside both brackets
(W = 1: bisection; W = 2: trisection), until the brackets are `LN_K_TOLERANCE` and
`MIDPOINT_TOLERANCE` wide; the estimate is the run whose value is nearest its target.
A target outside what the range gives (more complaints than the failures allow, a
mean score no midpoint reaches) is reported as such, the estimate at the range's end.

Standard errors, by the delta method from the targets' sampling error with customers
as the independent draws (a customer's purchases, complaints and answers go together:
`ratio_se`, `mean_se`), the slope from two more runs at +-`SLOPE_STEP`, and (1 + 1/S)
for the simulation's own noise (S = `calibrate.scale`):

    se(ln k) = se(c-hat) sqrt(1 + 1/S) / (dc / d ln k),
    se(m) = se(s-bar) sqrt(1 + 1/S) / (ds / dm).

The written population holds k and m (`population.experience`); the failure rate and
the survey are the firm's (`market.firms.<store>.service.failure_rate`,
`.survey.every`), given on the command line that runs with them, so that a run without
them keeps the purchase process stage 2 fitted (the chain, once on, moves purchases
too: habit and satisfaction enter the utility and the dropout).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cache, partial
from typing import Any

import numpy as np
import pandas as pd

from custsim.agents.experience import DETRACTOR_UP_TO, PROMOTER_FROM, net_promoter_score
from custsim.experiments.batch import Failed, run_batch
from custsim.experiments.calibrate.data import (
    Columns,
    DataError,
    Split,
    customer_column,
    date_column,
    first_bad,
    load_table,
    number_column,
)
from custsim.experiments.calibrate.fit import Simulator
from custsim.experiments.calibrate.store import FIRM, PurchaseProcess, six_digits
from custsim.sim.config import ConfigError

#: days between the simulated store's surveys (every customer on its list is asked)
SURVEY_EVERY = 7
#: ln k is searched in [ln 0.001, ln 100] (100: `population.experience.complaint_propensity`'s
#: cap; a loss of the default severity is then always voiced)
K_MAX = 100.0
LN_K_RANGE = (math.log(1e-3), math.log(K_MAX))
MIDPOINT_RANGE = (0.0, 10.0)
#: the brackets' final widths: k within about 1%, m within 0.01 points
LN_K_TOLERANCE = 0.01
MIDPOINT_TOLERANCE = 0.01
#: the half-steps of the two runs that measure the slopes for the standard errors
SLOPE_STEP = (0.2, 0.2)
#: `population.experience` keys stage 3 writes
PROPENSITY = "complaint_propensity"
MIDPOINT = "survey_midpoint"


def _scores(values: pd.Series, column: str, where: str) -> np.ndarray:
    """Survey answers: whole numbers 0..10 (int64); others are a DataError."""
    numbers = number_column(values, column, "scores", where)
    bad = (numbers < 0) | (numbers > 10) | (numbers % 1 != 0)
    if bad.any():
        count, value, row = first_bad(bad, values)
        raise DataError(
            f"{where}{count} scores in column {column!r} are not whole numbers 0..10, "
            f"first {value} (row {row}); a score is the answer to 'how likely are you to "
            "recommend us', 0..10"
        )
    return numbers.astype(np.int64)


def read_records(source: str, key: str, columns: Columns, scored: bool) -> pd.DataFrame:
    """Read and check the firm's complaints or survey answers (`key` = `source`).

    Returns one row per record, in file order: customer (the ids as read), date
    (datetime64[ns], the day) and, when `scored`, score (int64, 0..10).

    Raises:
        DataError: one line, ``<key>=<source>: ...``: no such file, an unknown suffix,
            an unreadable file, a missing column (with the `calibrate.columns.*` option
            that names it), missing customer ids, unreadable dates, bad scores.

    """
    raw = load_table(source, key)
    where = f"{key}={source}: "
    wanted = {"customer": columns.customer, "date": columns.date}
    if scored:
        wanted["score"] = columns.score
    present = ", ".join(str(c) for c in raw.columns)
    for option, name in wanted.items():
        if name not in raw.columns:
            raise DataError(
                f"{where}no column {name!r} (set calibrate.columns.{option}=<name>; "
                f"columns are: {present})"
            )
    out = pd.DataFrame(index=pd.RangeIndex(len(raw)))
    out["customer"] = customer_column(raw[wanted["customer"]], wanted["customer"], where)
    out["date"] = date_column(raw[wanted["date"]], wanted["date"], where)
    if scored:
        out["score"] = _scores(raw[wanted["score"]], wanted["score"], where)
    return out


@cache
def _read(source: str, key: str, columns: tuple[tuple[str, Any], ...], scored: bool) -> Any:
    return read_records(source, key, Columns(**dict(columns)), scored)


@dataclass(frozen=True)
class FirmRecords:
    """What the firm heard in the calibration period, from the log's cohort.

    Attributes:
        transactions: N, the cohort's customer-days in the calibration period.
        failure_rate: f, the share of its purchases whose service failed (None: not given).
        complaints: C, customer-days with a complaint (None: no complaints file).
        scores: the survey answers 0..10 (None: no surveys file).
        left_out: per file key, records of the period by customers not in the cohort.
        merged: complaints on a customer-day already counted.
        complaints_se, score_se: the standard errors of c-hat and s-bar, customers
            independent (`ratio_se`, `mean_se`).

    """

    transactions: int
    failure_rate: float | None
    complaints: int | None
    scores: np.ndarray | None
    complaints_se: float = math.nan
    score_se: float = math.nan
    left_out: dict[str, int] = field(default_factory=dict)
    merged: int = 0

    @property
    def complaints_per_purchase(self) -> float:
        """c-hat = C / N."""
        return float(self.complaints) / self.transactions

    @property
    def mean_score(self) -> float:
        """s-bar: the answers' mean."""
        return float(np.mean(self.scores))

    @property
    def nps(self) -> float:
        """Net promoter score of the answers: % 9-10 minus % 0-6."""
        return net_promoter_score(self.scores)


def ratio_se(numerator: np.ndarray, denominator: np.ndarray) -> float:
    """The standard error of R = sum y_i / sum x_i over independent customers i.

    The delta method's (ratio estimator's) sqrt(sum (y_i - R x_i)^2) / sum x_i: a
    customer's complaints and purchases go together, so customers, not purchases, are
    the independent draws (Cochran 1977, ch. 6).
    """
    total = float(np.sum(denominator))
    ratio = float(np.sum(numerator)) / total
    return float(np.sqrt(np.sum((numerator - ratio * denominator) ** 2)) / total)


def mean_se(values: np.ndarray, cluster: np.ndarray) -> float:
    """The standard error of the mean of `values`, clustered by `cluster` (a customer).

    sqrt(sum_i (sum_j (v_ij - v-bar))^2) / n: a customer asked twice answers alike twice.
    """
    deviation = values - values.mean()
    by_customer = np.bincount(pd.factorize(cluster)[0], weights=deviation)
    return float(np.sqrt(np.sum(by_customer**2)) / len(values))


def _in_period(
    frame: pd.DataFrame, split: Split, key: str, source: str, what: str
) -> tuple[pd.DataFrame, int]:
    """`frame`'s records of the calibration period by the cohort (codes, days), and those left out.

    Raises:
        DataError: records of the period exist and none is by a customer of the cohort
            (the ids do not match the log's).

    """
    log = split.log
    day = (frame["date"].to_numpy("datetime64[ns]") - log.origin.to_datetime64()) // np.timedelta64(
        1, "D"
    )
    inside = (day >= 0) & (day <= split.until_day)
    code = log.ids.get_indexer(pd.Index(frame["customer"].to_numpy()[inside]))
    known = code >= 0
    if inside.any() and not known.any():
        theirs = frame["customer"].to_numpy()[inside][0]
        raise DataError(
            f"{key}={source}: none of its {inside.sum():,} {what} up to calibrate.until="
            f"{split.until.date()} is by a customer of the log (its ids such as {theirs!r}, "
            f"the log's such as {log.ids[0]!r}); the ids must be the log's"
        )
    kept = frame[inside][known].assign(code=code[known], day=day[inside][known])
    return kept.reset_index(drop=True), int((~known).sum())


def firm_records(cfg: Any, split: Split) -> FirmRecords | None:
    """The targets of stage 3 from `calibrate.complaints` / `.surveys` (None: neither given).

    Raises:
        ConfigError: one line naming the key: a file that cannot be read or checked
            (`read_records`), no answers in the calibration period, no
            `calibrate.failure_rate` with complaints, a failure rate without records.

    """
    block = cfg.calibrate
    if block.complaints is None and block.surveys is None:
        if block.failure_rate is not None:
            raise ConfigError(
                f"calibrate.failure_rate={block.failure_rate}: needs calibrate.complaints or "
                "calibrate.surveys (the firm's records stage 3 calibrates to)"
            )
        return None
    if block.complaints is not None and block.failure_rate is None:
        raise ConfigError(
            "calibrate.failure_rate: missing; with calibrate.complaints, the share of the "
            "firm's purchases whose service failed (from its service records), in (0, 1]"
        )
    columns = tuple(vars(block.columns).items())
    left_out: dict[str, int] = {}
    complaints, scores, merged = None, None, 0
    complaints_se = score_se = math.nan
    try:
        if block.complaints is not None:
            key, source = "calibrate.complaints", str(block.complaints)
            frame, left_out[key] = _in_period(
                _read(source, key, columns, False), split, key, source, "complaints"
            )
            days = frame[["code", "day"]].drop_duplicates()
            complaints, merged = len(days), len(frame) - len(days)
            n = split.log.n_customers
            bought = np.bincount(split.calibration()["customer"].to_numpy(), minlength=n)
            voiced = np.bincount(days["code"].to_numpy(), minlength=n)
            complaints_se = ratio_se(voiced, bought)
        if block.surveys is not None:
            key, source = "calibrate.surveys", str(block.surveys)
            frame, left_out[key] = _in_period(
                _read(source, key, columns, True), split, key, source, "answers"
            )
            if frame.empty:
                raise DataError(
                    f"{key}={source}: no answers by the log's customers on or before "
                    f"calibrate.until={split.until.date()} (the calibration period)"
                )
            scores = frame["score"].to_numpy(np.int64)
            score_se = mean_se(scores.astype(float), frame["code"].to_numpy())
    except DataError as err:
        raise ConfigError(str(err)) from None
    return FirmRecords(
        transactions=len(split.calibration()),
        failure_rate=block.failure_rate,
        complaints=complaints,
        scores=scores,
        complaints_se=complaints_se,
        score_se=score_se,
        left_out=left_out,
        merged=merged,
    )


@dataclass(frozen=True)
class Heard:
    """What stage 3 keeps of a simulated run: the store's purchases, failures, voice, answers."""

    purchases: int  # customer-days with a purchase from the store
    failures: int
    complaints: int
    answers: np.ndarray  # counts of the scores 0..10

    @property
    def complaints_per_purchase(self) -> float:
        """C / N of the run."""
        return self.complaints / self.purchases if self.purchases else math.nan

    @property
    def mean_score(self) -> float:
        """The mean answer (NaN without answers)."""
        n = self.answers.sum()
        return float(self.answers @ np.arange(11) / n) if n else math.nan

    @property
    def nps(self) -> float:
        """Net promoter score of the answers."""
        n = self.answers.sum()
        if not n:
            return math.nan
        promoters = self.answers[PROMOTER_FROM:].sum()
        detractors = self.answers[: DETRACTOR_UP_TO + 1].sum()
        return float(100.0 * (promoters - detractors) / n)


def heard(run: Any, until_day: int) -> Heard:
    """A reducer: the store's calibration-period purchases, failures, complaints and answers.

    Simulated day d is the log's day d - 1 (`custsim.experiments.calibrate.fit.run_summary`).
    """
    log = run.model.purchase_log.frame()
    bought = log[(log["firm"] == FIRM).to_numpy() & (log["day"].to_numpy() - 1 <= until_day)]
    incidents = run.model.service_log.incident_frame()
    inc = incidents[
        (incidents["firm"] == FIRM).to_numpy() & (incidents["day"].to_numpy() - 1 <= until_day)
    ]
    surveys = run.model.service_log.survey_frame()
    answered = surveys[
        (surveys["firm"] == FIRM).to_numpy() & (surveys["day"].to_numpy() - 1 <= until_day)
    ]
    return Heard(
        purchases=len(bought[["customer", "day"]].drop_duplicates()),
        failures=int(inc["failed"].sum()),
        complaints=int(inc["complained"].sum()),
        answers=np.bincount(answered["score"].to_numpy(np.int64), minlength=11),
    )


@dataclass(frozen=True)
class Solved:
    """One parameter solved by bisection against its target."""

    key: str  # the `population.experience` key
    estimate: float
    std_error: float | None
    target: float
    target_se: float
    achieved: float  # the simulated value at the estimate
    reached: bool  # the target lies inside what the range gives
    note: str | None = None  # why not, when not


@dataclass(frozen=True)
class VoiceFit:
    """Stage 3's result.

    Attributes:
        records: the firm's records (the targets).
        propensity: k, with complaints (else None).
        midpoint: m, with surveys (else None).
        nps: the simulated store's NPS at the estimate (NaN without surveys).
        purchases: the simulated store's calibration transactions per transaction of the
            log, with the chain on (stage 2 fitted it off).
        failure_share: the simulated store's failed purchases per purchase.
        runs: simulations run.
        seconds: wall time.

    """

    records: FirmRecords
    propensity: Solved | None
    midpoint: Solved | None
    nps: float
    purchases: float
    failure_share: float
    runs: int
    seconds: float

    def experience(self) -> dict[str, float]:
        """`population.experience`: the calibrated keys (six significant digits)."""
        return {
            s.key: six_digits(s.estimate) for s in (self.propensity, self.midpoint) if s is not None
        }

    def run_keys(self) -> list[str]:
        """The firm's keys a run needs for the chain as calibrated (its failures, its survey)."""
        keys = []
        if self.records.failure_rate is not None:
            keys.append(f"market.firms.{FIRM}.service.failure_rate={self.records.failure_rate:g}")
        if self.midpoint is not None:
            keys.append(f"market.firms.{FIRM}.survey.every={SURVEY_EVERY}")
        return keys


@dataclass
class Bracket:
    """A bisection bracket [lo, hi] of x for a non-decreasing g(x) = target."""

    lo: float
    hi: float
    tolerance: float
    target: float
    below: bool = False  # some run gave g < target (lo is a run's x)
    above: bool = False  # some run gave g >= target (hi is a run's x)
    tried: list[tuple[float, float]] = field(default_factory=list)

    @property
    def done(self) -> bool:
        """The bracket is `tolerance` wide."""
        return self.hi - self.lo <= self.tolerance

    def points(self, n: int) -> list[float]:
        """The `n` points evenly inside."""
        return [self.lo + (self.hi - self.lo) * (i + 1) / (n + 1) for i in range(n)]

    def update(self, xs: list[float], values: list[float]) -> None:
        """Narrow to the runs on either side of the target."""
        for x, v in zip(xs, values, strict=True):
            self.tried.append((x, v))
            if v < self.target and x >= self.lo:
                self.lo, self.below = x, True
            elif v >= self.target and x <= self.hi:
                self.hi, self.above = x, True

    def best(self) -> tuple[float, float]:
        """(x, g) of the run at lo or hi nearest the target (the one there is when unreached)."""
        ends = [t for t in self.tried if (t[0] == self.lo and self.below) or (t[0] == self.hi)]
        return min(ends, key=lambda t: abs(t[1] - self.target))


def _chain_keys(records: FirmRecords, k: float | None, m: float | None) -> dict[str, Any]:
    keys: dict[str, Any] = {
        f"market.firms.{FIRM}.service.failure_rate": records.failure_rate or 0.0,
        "population.experience.enabled": True,
    }
    if k is not None:
        keys[f"population.experience.{PROPENSITY}"] = k
    if m is not None:
        keys[f"population.experience.{MIDPOINT}"] = m
        keys[f"market.firms.{FIRM}.survey.every"] = SURVEY_EVERY
    return keys


def fit_voice(
    records: FirmRecords,
    sim: Simulator,
    process: PurchaseProcess,
    until_day: int,
    n_jobs: int,
    seed: int,
) -> VoiceFit:
    """Solve k and m at `process` by bisection, every run with `seed` (module docstring)."""
    start = time.perf_counter()
    size = sum(sim.daily) * sim.scale
    k_br = m_br = None
    if records.complaints is not None and records.complaints > 0:
        k_br = Bracket(*LN_K_RANGE, LN_K_TOLERANCE, records.complaints_per_purchase)
    if records.scores is not None:
        m_br = Bracket(*MIDPOINT_RANGE, MIDPOINT_TOLERANCE, records.mean_score)
    reduce = partial(heard, until_day=until_day)
    runs = 0
    ran_at: dict[tuple[float | None, float | None], Heard] = {}

    def simulate(points: list[tuple[float | None, float | None]]) -> list[Heard]:
        nonlocal runs
        cfgs = []
        for lnk, m in points:
            keys = _chain_keys(records, None if lnk is None else _k(lnk), m)
            if m is not None:
                keys[f"market.firms.{FIRM}.survey.sample"] = size
            cfgs.append(sim.config(process, seed, until_day + 1, keys=keys))
        ran = run_batch(cfgs, reduce, n_jobs)
        runs += len(ran)
        failed = [r for r in ran if isinstance(r, Failed)]
        if failed:
            raise RuntimeError(f"a stage-3 run failed: {failed[0].error}")
        ran_at.update(zip(points, ran, strict=True))
        return ran

    n = max(1, n_jobs)
    while (k_br is not None and not k_br.done) or (m_br is not None and not m_br.done):
        ks = k_br.points(n) if k_br is not None else [None] * n
        ms = m_br.points(n) if m_br is not None else [None] * n
        ran = simulate(list(zip(ks, ms, strict=True)))
        if k_br is not None:
            k_br.update(ks, [r.complaints_per_purchase for r in ran])
        if m_br is not None:
            m_br.update(ms, [r.mean_score for r in ran])
    if k_br is None and m_br is None:  # no complaint at all and no surveys: one run to describe
        simulate([(None, None)])
    k_best = k_br.best() if k_br is not None else None
    m_best = m_br.best() if m_br is not None else None
    centre = (None if k_best is None else k_best[0], None if m_best is None else m_best[0])
    low = high = None
    ranges = (LN_K_RANGE, MIDPOINT_RANGE)
    sides = [
        tuple(
            None if c is None else min(max(c + sign * d, lo), hi)
            for c, d, (lo, hi) in zip(centre, SLOPE_STEP, ranges, strict=True)
        )
        for sign in (-1, 1)
    ]
    if centre != (None, None):  # the slopes: one run either side of the estimates
        low, high = simulate(sides)
    inflate = math.sqrt(1.0 + 1.0 / sim.scale)
    propensity = None
    if records.complaints is not None:
        step = None if centre[0] is None else sides[1][0] - sides[0][0]
        propensity = _propensity(records, k_br, low, high, step, inflate)
    midpoint, nps = None, math.nan
    if m_br is not None:
        slope = (high.mean_score - low.mean_score) / (sides[1][1] - sides[0][1])
        se = records.score_se * inflate / slope if slope > 0 else None
        midpoint = _solved(MIDPOINT, m_br, m_best, se, records.score_se, _midpoint_note)
        nps = next(h.nps for p, h in ran_at.items() if p[1] == centre[1])
    any_run = next(iter(ran_at.values()))  # k and m move no purchase: every run buys alike
    return VoiceFit(
        records=records,
        propensity=propensity,
        midpoint=midpoint,
        nps=nps,
        purchases=any_run.purchases / sim.scale / records.transactions,
        failure_share=any_run.failures / any_run.purchases if any_run.purchases else math.nan,
        runs=runs,
        seconds=time.perf_counter() - start,
    )


def _propensity(
    records: FirmRecords,
    bracket: Bracket | None,
    low: Heard | None,
    high: Heard | None,
    step: float | None,
    inflate: float,
) -> Solved:
    """The complaint propensity from its bracket (0 without a complaint in the period)."""
    if bracket is None:
        return Solved(
            PROPENSITY,
            0.0,
            None,
            0.0,
            0.0,
            0.0,
            True,
            "no complaint by the log's customers in the calibration period: k = 0 fits",
        )
    ln_k, value = bracket.best()
    slope = (high.complaints_per_purchase - low.complaints_per_purchase) / step
    se = None
    if slope > 0:
        se = _k(ln_k) * records.complaints_se * inflate / slope  # se(k) = k se(ln k)
    solved = _solved(PROPENSITY, bracket, (ln_k, value), se, records.complaints_se, _k_note)
    return replace(solved, estimate=_k(ln_k))


def _k(ln_k: float) -> float:
    """The propensity e^(ln k), at most `K_MAX` (the config's cap; e^(ln 100) is 100 + 4e-14)."""
    return min(math.exp(ln_k), K_MAX)


def _solved(
    key: str,
    bracket: Bracket,
    best: tuple[float, float],
    se: float | None,
    target_se: float,
    note: Callable[[Bracket, float], str],
) -> Solved:
    """The estimate of `bracket` (its standard error only where the target was reached)."""
    reached = bracket.below and bracket.above
    return Solved(
        key=key,
        estimate=best[0],
        std_error=se if reached else None,
        target=bracket.target,
        target_se=target_se,
        achieved=best[1],
        reached=reached,
        note=None if reached else note(bracket, best[1]),
    )


def _k_note(bracket: Bracket, achieved: float) -> str:
    if not bracket.above:
        return (
            f"the firm's {bracket.target:.4f} complaints per purchase cannot be reached: "
            f"at complaint_propensity {K_MAX:g} (every failure voiced) the "
            f"store gives {achieved:.4f}; more complaints than its failures allow "
            "(a higher calibrate.failure_rate, or complaints about more than failures)"
        )
    return (
        f"the firm's {bracket.target:.4f} complaints per purchase cannot be reached: at "
        f"complaint_propensity {math.exp(LN_K_RANGE[0]):g} the store gives {achieved:.4f} "
        "(a lower calibrate.failure_rate?)"
    )


def _midpoint_note(bracket: Bracket, achieved: float) -> str:
    end, word = (
        (MIDPOINT_RANGE[1], "highest") if not bracket.above else (MIDPOINT_RANGE[0], "lowest")
    )
    return (
        f"the firm's mean score {bracket.target:.2f} cannot be reached: the {word} "
        f"survey_midpoint, {end:g}, gives {achieved:.2f}"
    )
