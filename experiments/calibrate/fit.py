"""Fitting the store's purchase process to the calibration period, in two stages.

Stage 1 (closed form): BG/NBD and Gamma-Gamma by maximum likelihood on the
calibration summaries (`custsim.experiments.crm.btyd`; Fader, Hardie & Lee 2005a,b).
Its estimates start stage 2 (`starting_process`) and are the benchmark forecast.

Stage 2 (simulation): custsim's purchases come out of occasions, choice against the
outside option, social signals and dropout, so the closed form is only a start.
Indirect inference (Gourieroux, Monfort & Renault 1993; Smith 1993) chooses the process
theta = (mean and sd of the occasion rate, mean and sd of the dropout after a repeat
purchase) so that BG/NBD fitted to the simulated calibration period gives what BG/NBD
fitted to the log gave: with beta = ln (r, alpha, a, b) of the log's fit, Sigma its
covariance and beta_S(theta) the simulation's,

    Q(theta) = (beta_S(theta) - beta)' [(1 + 1/S) Sigma]^-1 (beta_S(theta) - beta) / 4,

S the simulated customers per customer of the log (`calibrate.scale`): the mean
squared gap in standard errors (the criterion is exactly identified, four estimates for
four parameters, so Q is near 0 at the estimate when the model can reproduce the log's
BG/NBD; 1 means one standard error apart). The BG/NBD
likelihood carries the joint information of frequency, recency and age customer by
customer; matching marginal statistics instead (frequency, recency, inter-purchase
times, weekly repeats: `Target`) fitted CDNOW's calibration weeks better and
forecast its holdout worse. Those statistics are still reported at the estimate.
Q is minimised by Optuna (seeded TPE or CMA-ES over unconstrained coordinates,
`PurchaseProcess.to_z`), every trial's run and its BG/NBD fit on the batch runner's
warm workers; each trial uses the same seed. The best `FINALISTS` trials are scored
again over `replications` fresh seeds and the lowest mean wins (a single run's lowest
Q is partly luck), then Gauss-Newton steps with the regression gradient G below refine
it (`refine`: a sampler's best point on a large log lies several standard errors from the
floor of a narrow valley).

Uncertainty: the sandwich covariance of the estimator, for weight W and criterion
covariance Omega,

    V(theta) = (1 + 1/S) (G' W G)^-1 G' W Omega W G (G' W G)^-1,

(here W = Omega^-1 = Sigma^-1, so V = (1 + 1/S) (G' Sigma^-1 G)^-1), G = d beta_S / d z
by least squares of the trials' beta_S on their z over the `NEIGHBOURHOOD` share of
the trials closest to the estimate in Q (at least `MIN_NEIGHBOURS`): central
differences of single runs would mistake simulation noise for information (the
population's gamma and beta draws are not common random numbers across parameters).
The result is carried from z to the natural parameters by the delta method.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Protocol

import numpy as np
import pandas as pd
from omegaconf import DictConfig, OmegaConf

from custsim.experiments.batch import Failed, run_batch
from custsim.experiments.calibrate.statistics import CohortSummary, MomentBlock, summarise
from custsim.experiments.calibrate.store import PurchaseProcess, market_block, population_block
from custsim.experiments.crm import btyd
from custsim.sim.config import CustsimConfig, MarketConfig, PopulationConfig

#: the search box around the start, in the coordinates z of `PurchaseProcess.to_z`:
#: ln mean rate +- ln 4, ln cv in [ln 0.2, ln 6], logit dropout +- 2.5, logit s in +-4
SEARCH_HALF_WIDTH = (math.log(4.0), None, 2.5, None)
CV_RANGE = (math.log(0.2), math.log(6.0))
S_RANGE = (-4.0, 4.0)
#: the share of the store's occasions that end in a purchase, for stage 2's start: 0.45
#: reproduces BG/NBD's calibration and holdout totals on CDNOW (the shelf is fixed by
#: `store`); the search box covers a factor of 4 either way
START_BUY_SHARE = 0.45
#: the best trials scored again over fresh seeds before one is chosen (`rescore`)
FINALISTS = 8
#: Gauss-Newton steps after the search (`refine`)
REFINE_STEPS = 3
#: the share of the trials (best Q first) whose simulated criterion G is regressed on
NEIGHBOURHOOD = 0.3
MIN_NEIGHBOURS = 12


@dataclass(frozen=True)
class ClosedForm:
    """Stage 1: the BG/NBD and Gamma-Gamma fits of the calibration period (weeks)."""

    bgnbd: btyd.FitResult
    gamma_gamma: btyd.FitResult | None  # None when too few customers repeat


def fit_closed_form(summary: CohortSummary) -> ClosedForm:
    """BG/NBD on (x, t_x, T) and Gamma-Gamma on (x, mean repeat spend) by maximum likelihood."""
    bg = btyd.fit_bgnbd(summary.x, summary.t_x, summary.T)
    repeat = summary.x > 0
    gg = None
    if repeat.sum() >= 10:
        gg = btyd.fit_gamma_gamma(summary.x[repeat], summary.monetary[repeat])
    return ClosedForm(bg, gg)


def starting_process(bg: btyd.BGNBDParams, buy_share: float) -> PurchaseProcess:
    """Stage 2's start from the BG/NBD estimates and the share of occasions that buy, pi.

    lambda ~ Gamma(r, alpha) per week gives a mean transaction rate r / alpha and a
    cv 1 / sqrt(r); occasions are transactions / pi, so mu = r / (7 alpha pi) a day
    with the same cv. The dropout after a repeat purchase is BG/NBD's p ~ Beta(a, b):
    mean a / (a + b), sd sqrt(m (1 - m) / (a + b + 1)).
    """
    rate = bg.r / (7.0 * bg.alpha * buy_share)
    m = bg.a / (bg.a + bg.b)
    sd = math.sqrt(m * (1 - m)) / math.sqrt(bg.a + bg.b + 1.0)
    return PurchaseProcess(rate, rate / math.sqrt(bg.r), m, sd)


@dataclass(frozen=True)
class SimulatedRun:
    """What the fit keeps of a simulated run: its summary and BG/NBD fitted to it.

    Attributes:
        summary: the store's purchases summarised as the log is (`summarise`).
        bgnbd: ln (r, alpha, a, b) of BG/NBD fitted to the run's calibration period, or
            None when not asked for (the forecasts need none) or when the fit failed.

    """

    summary: CohortSummary
    bgnbd: np.ndarray | None


def run_summary(
    run: Any, until_day: int, end_day: int, auxiliary: btyd.BGNBDParams | None = None
) -> SimulatedRun:
    """A reducer: the store's purchases of a simulated run as the data are summarised.

    Simulated day d (1, 2, ...) is the log's day d - 1 (day 0 = the cohort's first
    date: the empirical arrivals put day k's first purchases on day k + 1). With
    `auxiliary` (the log's BG/NBD estimates, the start), BG/NBD is fitted to the run's
    calibration period too, in the worker.
    """
    log = run.model.purchase_log.frame()
    days = pd.DataFrame(
        {
            "customer": log["customer"].to_numpy(np.int64),
            "day": log["day"].to_numpy(np.int64) - 1,
            "amount": log["spend"].to_numpy(np.float64),
        }
    )
    summary = summarise(days, run.model.state.size, until_day, end_day)
    if auxiliary is None:
        return SimulatedRun(summary, None)
    fitted = btyd.fit_bgnbd(summary.x, summary.t_x, summary.T, start=auxiliary)
    params = np.log(fitted.params.as_array())
    return SimulatedRun(summary, params if np.all(np.isfinite(params)) else None)


@dataclass
class Simulator:
    """The store's simulations: the command's composed base with the store's blocks set.

    Attributes:
        raw: the command's composition (its keys, e.g. network=..., apply to every run).
        price: the store's price (the log's mean spend per transaction).
        margin: gross margin share (`calibrate.margin`).
        daily: first purchases of the log's cohort per day.
        scale: simulated customers per customer of the log.

    """

    raw: DictConfig
    price: float
    margin: float
    daily: Sequence[int]
    scale: int

    def blocks(self, process: PurchaseProcess, scale: int | None = None) -> tuple[dict, dict]:
        """The `population` and `market` blocks of `process` (the log's size x `scale`)."""
        daily = [c * (self.scale if scale is None else scale) for c in self.daily]
        return population_block(process, self.price, daily), market_block(self.price, self.margin)

    def config(
        self,
        process: PurchaseProcess,
        seed: int,
        steps: int,
        scale: int | None = None,
        keys: Mapping[str, Any] | None = None,
    ) -> CustsimConfig:
        """The validated run: the store's blocks, `steps` days, the purchase log kept.

        `keys`: further dotted keys set on the run (stage 3's experience chain:
        `custsim.experiments.calibrate.voice`).
        """
        from custsim.sim.validation import validate

        population, market = self.blocks(process, scale)
        raw = copy.deepcopy(self.raw)
        raw.population = OmegaConf.merge(OmegaConf.structured(PopulationConfig), population)
        raw.market = OmegaConf.merge(OmegaConf.structured(MarketConfig), market)
        for key, value in {
            "seed": seed,
            "steps": steps,
            "record_purchases": True,
            "analysis": [],
            "write_customers": False,
            "plots": False,
            "progress": "off",
            **(keys or {}),
        }.items():
            OmegaConf.update(raw, key, value, merge=False)
        return validate(raw)

    def runs(
        self,
        processes: Sequence[PurchaseProcess],
        seeds: Sequence[int],
        until_day: int,
        end_day: int,
        n_jobs: int,
        auxiliary: btyd.BGNBDParams | None = None,
    ) -> list[SimulatedRun | Failed]:
        """One run per (process, seed) pair, each summarised to (until_day, end_day).

        `auxiliary`: fit BG/NBD to each run too, starting from these estimates.
        """
        cfgs = [self.config(p, s, end_day + 1) for p, s in zip(processes, seeds, strict=True)]
        reduce = partial(run_summary, until_day=until_day, end_day=end_day, auxiliary=auxiliary)
        return run_batch(cfgs, reduce, n_jobs)


class Criterion(Protocol):
    """What stage 2 matches: observed values, their covariance, the simulated counterpart."""

    names: tuple[str, ...]

    @property
    def values(self) -> np.ndarray:
        """The observed values."""
        ...

    @property
    def covariance(self) -> np.ndarray:
        """Their sampling covariance."""
        ...

    @property
    def weight(self) -> np.ndarray:
        """The weight matrix W of the distance."""
        ...

    def simulated(self, run: SimulatedRun) -> np.ndarray | None:
        """The simulated counterpart of the values (None: the run cannot give it)."""
        ...


def distance(criterion: Criterion, simulated: np.ndarray | None, scale: int) -> float:
    """Q = d' W d / (K (1 + 1/S)), d = simulated - observed (NaN without a simulated value)."""
    if simulated is None or not np.all(np.isfinite(simulated)):
        return math.nan
    d = simulated - criterion.values
    return float(d @ criterion.weight @ d / (len(d) * (1.0 + 1.0 / scale)))


@dataclass(frozen=True)
class Auxiliary:
    """Indirect inference's criterion: BG/NBD's log-parameters on the log (module docstring)."""

    fit: btyd.FitResult
    names: tuple[str, ...] = ("ln r", "ln alpha", "ln a", "ln b")

    @property
    def values(self) -> np.ndarray:
        """beta: ln (r, alpha, a, b) of the log's fit."""
        return np.log(self.fit.params.as_array())

    @property
    def covariance(self) -> np.ndarray:
        """Sigma: their covariance (the inverse Hessian of the log-likelihood)."""
        return np.asarray(self.fit.cov_log)

    @property
    def weight(self) -> np.ndarray:
        """W = Sigma^-1 (pseudo-inverse: a flat direction weighs nothing)."""
        return np.linalg.pinv(self.covariance)

    def simulated(self, run: SimulatedRun) -> np.ndarray | None:
        """beta_S: BG/NBD's log-parameters on the simulated run."""
        return run.bgnbd


@dataclass(frozen=True)
class Target:
    """The observed calibration moments (reported at the estimate), with diagonal weights."""

    block: MomentBlock
    keep: np.ndarray  # moments with sampling variance > 0 (the others cannot weigh)

    @classmethod
    def of(cls, block: MomentBlock) -> Target:
        """The moments with a positive sampling variance."""
        return cls(block, np.diag(block.covariance) > 0)

    @property
    def names(self) -> tuple[str, ...]:
        """The moments used."""
        return tuple(n for n, k in zip(self.block.names, self.keep, strict=True) if k)

    @property
    def values(self) -> np.ndarray:
        """m: the observed moments used."""
        return self.block.values[self.keep]

    @property
    def variances(self) -> np.ndarray:
        """v: their sampling variances."""
        return np.diag(self.block.covariance)[self.keep]

    @property
    def covariance(self) -> np.ndarray:
        """Omega: the covariance of the observed moments used."""
        return self.block.covariance[np.ix_(self.keep, self.keep)]

    @property
    def weight(self) -> np.ndarray:
        """W = diag(1 / v) (the moments' covariance is singular: the shares sum to 1)."""
        return np.diag(1.0 / self.variances)

    def simulated(self, run: SimulatedRun) -> np.ndarray:
        """m_S: a simulated run's values of the same moments."""
        return run.summary.moments().values[self.keep]


@dataclass(frozen=True)
class SimulatedFit:
    """Stage 2's result.

    Attributes:
        process: the estimate.
        std_errors: its standard errors (same fields), or None where G is singular.
        objective: Q at the estimate (the mean over the finalists' fresh seeds).
        start: stage 2's start (from BG/NBD).
        trials: one row per trial: its coordinates, parameters, Q and the rescored Q.
        moments: observed vs simulated moments at the estimate (moment, data, custsim, z).
        auxiliary: BG/NBD on the log vs on the simulation at the estimate.

    """

    process: PurchaseProcess
    std_errors: PurchaseProcess | None
    objective: float
    start: PurchaseProcess
    trials: pd.DataFrame
    moments: pd.DataFrame
    auxiliary: pd.DataFrame


def _space(start: PurchaseProcess) -> list[tuple[float, float]]:
    """The search box around `start` in z (`SEARCH_HALF_WIDTH`, `CV_RANGE`, `S_RANGE`)."""
    z0 = start.to_z()
    box = []
    for i, half in enumerate(SEARCH_HALF_WIDTH):
        if half is not None:
            box.append((z0[i] - half, z0[i] + half))
        else:
            box.append(CV_RANGE if i == 1 else S_RANGE)
    return box


def _clip(z: np.ndarray, box: Sequence[tuple[float, float]]) -> np.ndarray:
    return np.array([min(max(v, lo), hi) for v, (lo, hi) in zip(z, box, strict=True)])


def _sampler(name: str, seed: int, start: np.ndarray) -> Any:
    import optuna

    if name == "cmaes":
        return optuna.samplers.CmaEsSampler(
            x0={f"z{i}": float(v) for i, v in enumerate(start)}, sigma0=0.5, seed=seed
        )
    return optuna.samplers.TPESampler(seed=seed, n_startup_trials=16, multivariate=True)


def _z(row: pd.Series) -> np.ndarray:
    return row[[f"z{i}" for i in range(4)]].to_numpy(float)


def fit_simulated(
    criterion: Auxiliary,
    report: Target,
    sim: Simulator,
    start: PurchaseProcess,
    until_day: int,
    settings: Any,
    seed: int,
    progress: Callable[[int], object] | None = None,
) -> SimulatedFit:
    """Minimise Q over the process with Optuna, trials in batches of `n_jobs` runs.

    `settings` is the `calibrate` block (trials, sampler, sampler_seed, n_jobs, scale,
    replications). The start is the first trial; `progress(k)` is told of every k
    trials done (a tqdm bar's `update`). Returns the estimate with its sandwich
    standard errors (`standard_errors`) and the `report` moments at it.
    """
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    box = _space(start)
    z_start = _clip(start.to_z(), box)
    study = optuna.create_study(sampler=_sampler(settings.sampler, settings.sampler_seed, z_start))
    study.enqueue_trial({f"z{i}": float(v) for i, v in enumerate(z_start)})
    rows: list[dict[str, float]] = []
    simulated: list[np.ndarray] = []  # each trial's beta_S (NaN for a failed trial)
    batch = max(2, settings.n_jobs)
    aux = criterion.fit.params
    done = 0
    while done < settings.trials:
        size = min(batch, settings.trials - done)
        trials = [study.ask() for _ in range(size)]
        zs = [
            np.array([t.suggest_float(f"z{i}", lo, hi) for i, (lo, hi) in enumerate(box)])
            for t in trials
        ]
        processes = [PurchaseProcess.from_z(z) for z in zs]
        ran = sim.runs(processes, [seed] * size, until_day, until_day, settings.n_jobs, aux)
        for trial, z, process, run in zip(trials, zs, processes, ran, strict=True):
            beta = None if isinstance(run, Failed) else criterion.simulated(run)
            value = distance(criterion, beta, settings.scale)
            if math.isnan(value):
                study.tell(trial, state=optuna.trial.TrialState.FAIL)
            else:
                study.tell(trial, value)
            simulated.append(np.full(len(criterion.values), np.nan) if beta is None else beta)
            rows.append(
                {
                    "trial": trial.number,
                    **dict(zip(PurchaseProcess.NAMES, process.as_array(), strict=True)),
                    **{f"z{i}": float(v) for i, v in enumerate(z)},
                    "objective": value,
                }
            )
        done += size
        if progress is not None:
            progress(size)
    table = pd.DataFrame(rows)
    if table["objective"].isna().all():
        raise RuntimeError(f"every one of the {len(table)} trials failed")
    table["rescored"], finalist_runs = rescore(criterion, sim, table, until_day, settings, seed)
    best = table.loc[table["rescored"].idxmin()]
    gradient = regression_gradient(
        table[[f"z{i}" for i in range(4)]].to_numpy(float),
        np.array(simulated),
        table["objective"].to_numpy(),
    )
    z_best, objective, runs = refine(
        criterion, sim, gradient, _z(best), finalist_runs[best.name], box, until_day, settings, seed
    )
    process = PurchaseProcess.from_z(z_best)
    std = standard_errors(criterion, gradient, z_best, settings.scale)
    return SimulatedFit(
        process=process,
        std_errors=std,
        objective=objective,
        start=start,
        trials=table,
        moments=_comparison(report, runs, settings.scale, "moment"),
        auxiliary=_comparison(criterion, runs, settings.scale, "parameter"),
    )


def _comparison(criterion: Any, runs: list[SimulatedRun], scale: int, key: str) -> pd.DataFrame:
    """Observed vs simulated (mean over `runs`) values of a criterion, and their gap z."""
    values = [criterion.simulated(r) for r in runs]
    simulated = np.mean([v for v in values if v is not None], axis=0)
    sd = np.sqrt(np.diag(criterion.covariance) * (1 + 1 / scale))
    return pd.DataFrame(
        {
            key: criterion.names,
            "data": criterion.values,
            "custsim": simulated,
            "z": (simulated - criterion.values) / sd,
        }
    )


def rescore(
    criterion: Auxiliary,
    sim: Simulator,
    table: pd.DataFrame,
    until_day: int,
    settings: Any,
    seed: int,
) -> tuple[np.ndarray, dict[Any, list[SimulatedRun | Failed]]]:
    """Q of the `FINALISTS` best trials again, as the mean over fresh seeds (NaN for the rest).

    A trial's Q comes from one run; the lowest of many noisy values is low partly by
    luck (the winner's curse). The estimate is the finalist with the lowest mean Q over
    `settings.replications` runs with the seeds seed + 1, ... (the same for every finalist).
    Returns the scores and each finalist's runs (by the table's index), which `refine`
    starts from.
    """
    finalists = table["objective"].dropna().nsmallest(FINALISTS).index
    seeds = [seed + 1 + r for r in range(settings.replications)]
    processes = [PurchaseProcess.from_z(_z(table.loc[i])) for i in finalists for _ in seeds]
    ran = sim.runs(
        processes,
        seeds * len(finalists),
        until_day,
        until_day,
        settings.n_jobs,
        criterion.fit.params,
    )
    scores = np.full(len(table), np.nan)
    finalist_runs = {}
    for k, i in enumerate(finalists):
        runs = ran[k * len(seeds) : (k + 1) * len(seeds)]
        finalist_runs[i] = runs
        values = [
            distance(
                criterion, None if isinstance(r, Failed) else criterion.simulated(r), settings.scale
            )
            for r in runs
        ]
        scores[table.index.get_loc(i)] = np.mean(values)  # NaN when a run failed
    return scores, finalist_runs


def regression_gradient(z: np.ndarray, simulated: np.ndarray, objective: np.ndarray) -> np.ndarray:
    """G: least-squares slopes of the trials' simulated criterion on their z, near the best.

    Args:
        z: (trials, P) the trials' coordinates.
        simulated: (trials, K) their simulated criterion (NaN rows: failed trials).
        objective: (trials,) their Q.

    Returns:
        (K, P) the slopes, from the `NEIGHBOURHOOD` share of the trials with the lowest Q
        (at least `MIN_NEIGHBOURS`), each with an intercept.

    """
    ok = np.isfinite(objective)
    order = np.flatnonzero(ok)[np.argsort(objective[ok], kind="stable")]
    near = order[: max(MIN_NEIGHBOURS, int(NEIGHBOURHOOD * len(order)))]
    design = np.column_stack([np.ones(len(near)), z[near]])
    slopes, *_ = np.linalg.lstsq(design, simulated[near], rcond=None)
    return slopes[1:].T


def refine(
    criterion: Auxiliary,
    sim: Simulator,
    gradient: np.ndarray,
    z: np.ndarray,
    runs: list[SimulatedRun],
    box: Sequence[tuple[float, float]],
    until_day: int,
    settings: Any,
    seed: int,
) -> tuple[np.ndarray, float, list[SimulatedRun]]:
    """Gauss-Newton steps from the best finalist, each kept only if it lowers the mean Q.

    `runs`: the finalist's runs at z (`rescore`'s, the seeds every step runs with too).

    The search finds the valley; on a large log the valley is narrow in sampling units
    and a sampler's best point lies several standard errors from its floor. With the
    criterion's mean gap d at z (over the replications' seeds) and G, a step is
    dz = -(G' W G)^-1 G' W d (for an exactly identified criterion, -G^-1 d), kept inside
    the search box; up to `REFINE_STEPS` steps, halved once when one does not improve.

    Returns:
        The refined z, its mean Q and its runs (for the report).

    """
    q, gap = _mean_distance(criterion, runs, settings.scale)
    w = criterion.weight
    a = gradient.T @ w @ gradient
    if np.linalg.cond(a) > 1e12:
        return z, q, runs
    for _ in range(REFINE_STEPS):
        step = -np.linalg.solve(a, gradient.T @ w @ gap)
        for _half in range(2):
            trial = _clip(z + step, box)
            tried = runs_at(
                sim, PurchaseProcess.from_z(trial), until_day, settings, seed, criterion.fit.params
            )
            q_new, gap_new = _mean_distance(criterion, tried, settings.scale)
            if q_new < q:
                z, q, gap, runs = trial, q_new, gap_new, tried
                break
            step = step / 2
        else:
            break
    return z, q, runs


def _mean_distance(
    criterion: Auxiliary, runs: list[SimulatedRun], scale: int
) -> tuple[float, np.ndarray]:
    """Q of the runs' mean criterion value, and the mean gap d (simulated - observed)."""
    values = [criterion.simulated(r) for r in runs]
    values = [v for v in values if v is not None]
    if not values:
        return math.inf, np.zeros(len(criterion.values))
    mean = np.mean(values, axis=0)
    return distance(criterion, mean, scale), mean - criterion.values


def runs_at(
    sim: Simulator,
    process: PurchaseProcess,
    until_day: int,
    settings: Any,
    seed: int,
    auxiliary: btyd.BGNBDParams,
) -> list[SimulatedRun]:
    """`settings.replications` runs at `process` (seeds seed + 1, ...), for the report."""
    seeds = [seed + 1 + r for r in range(settings.replications)]
    ran = sim.runs([process] * len(seeds), seeds, until_day, until_day, settings.n_jobs, auxiliary)
    failed = [r for r in ran if isinstance(r, Failed)]
    if failed:
        raise RuntimeError(f"a run at the estimate failed: {failed[0].error}")
    return ran


def standard_errors(
    criterion: Any, gradient: np.ndarray, z: np.ndarray, scale: int
) -> PurchaseProcess | None:
    """The sandwich standard errors of the natural parameters (module docstring), or None.

    None when G' W G is singular (a parameter the criterion does not move).
    """
    w = criterion.weight
    a = gradient.T @ w @ gradient
    if np.linalg.cond(a) > 1e12:
        return None
    a_inv = np.linalg.inv(a)
    b = gradient.T @ w @ criterion.covariance @ w @ gradient
    cov_z = (1.0 + 1.0 / scale) * a_inv @ b @ a_inv
    jac = np.column_stack(
        [
            (PurchaseProcess.from_z(z + h).as_array() - PurchaseProcess.from_z(z - h).as_array())
            / 2e-6
            for h in np.eye(len(z)) * 1e-6
        ]
    )
    cov = jac @ cov_z @ jac.T
    return PurchaseProcess(*np.sqrt(np.maximum(np.diag(cov), 0.0)))
