"""Building blocks for the arms of named experiments (`experiments/findings/`).

Config variants (a trait set in every segment, a focal-policy parameter
changed), reducers that keep only the focal firm's daily series of a run (what
`custsim.experiments.findings.framework.simulate_many` sends back from its workers), and the small
statistics the pricing findings share: log responses against a paired baseline
and where a curve crosses zero.

Sales responses are measured in log points, ln(q1 / q0): a fall from 100 to 80
and a rise from 80 to 100 have the same size, so a rise and a cut of the same
price step can be compared without the bias of percentage changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from custsim.sim.config import CustsimConfig, TraitOverride
from custsim.sim.runner import RunResult
from custsim.sim.validation import validate

#: the focal firm's daily series kept by `focal_daily`, in this row order
DAILY = ("units", "buyers", "revenue", "shelf_price", "mean_reference_price")
#: the columns `market_units` keeps (what `compare.lift.promotion_decomposition` reads)
MARKET_COLUMNS = ("day", "firm", "units", "promo")


def with_trait(cfg: CustsimConfig, trait: str, mean: float, sd: float = 0.0) -> CustsimConfig:
    """`cfg` with the distribution of `trait` set to (mean, sd) in every segment, validated.

    Sets the population-wide value (`population.traits.<trait>`, which wins over
    the segments'). Example: ``with_trait(cfg, "loss_aversion", 1.0)`` switches
    loss aversion off for everyone (lambda = 1 exactly).
    """
    traits = replace(cfg.population.traits, **{trait: TraitOverride(mean, sd)})
    return validate(replace(cfg, population=replace(cfg.population, traits=traits)))


def with_policy(cfg: CustsimConfig, **params: Any) -> CustsimConfig:
    """`cfg` with these focal-policy parameters changed (checked when the policy is built)."""
    return replace(cfg, policy=replace(cfg.policy, **params))


def focal_daily(run: RunResult) -> NDArray[np.float64]:
    """The focal firm's daily series `DAILY`, shape (len(DAILY), steps): a reducer."""
    ts = run.timeseries
    mine = ts[ts["firm"] == run.model.cfg.market.focal]
    return mine[list(DAILY)].to_numpy(dtype=np.float64).T


def row(series: NDArray[np.float64], name: str) -> NDArray[np.float64]:
    """One named series out of stacked `focal_daily` results (..., len(DAILY), steps)."""
    return series[..., DAILY.index(name), :]


def market_units(run: RunResult) -> pd.DataFrame:
    """Every firm's daily units and promotion flags (`MARKET_COLUMNS`): a reducer."""
    return run.timeseries[list(MARKET_COLUMNS)].copy()


def window_sum(daily: ArrayLike, first_day: int, days: int) -> NDArray[np.float64]:
    """Sum of a daily series (day 1 in column 0) over days first_day .. first_day + days - 1."""
    x = np.asarray(daily, dtype=np.float64)
    return x[..., first_day - 1 : first_day - 1 + days].sum(axis=-1)


def log_response(policy: ArrayLike, baseline: ArrayLike) -> NDArray[np.float64]:
    """ln(policy / baseline), per paired replication (NaN where either is not positive)."""
    p, b = np.asarray(policy, dtype=np.float64), np.asarray(baseline, dtype=np.float64)
    ok = (p > 0) & (b > 0)
    out = np.full(np.broadcast(p, b).shape, np.nan)
    np.log(np.divide(p, b, where=ok, out=np.ones_like(out)), where=ok, out=out)
    return out


def zero_crossing(x: Sequence[float], y: Sequence[float]) -> float:
    """First x where the piecewise-linear curve through (x, y) crosses zero, going down or up.

    Linear interpolation between the two points around the first sign change;
    NaN when y never changes sign.
    """
    xs, ys = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    for k in range(len(xs) - 1):
        if ys[k] == 0:
            return float(xs[k])
        if ys[k] * ys[k + 1] < 0:
            return float(xs[k] - ys[k] * (xs[k + 1] - xs[k]) / (ys[k + 1] - ys[k]))
    return float(xs[-1]) if len(ys) and ys[-1] == 0 else float("nan")
