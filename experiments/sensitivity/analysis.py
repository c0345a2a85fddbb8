"""Global sensitivity analysis (`custsim-sensitivity`): the pure logic around SALib.

A SALib *problem* is built from `sensitivity.params` (config key -> [low, high]),
sampled with Saltelli's extension of the Sobol' sequence (first-order and total
indices, no second order: N (D + 2) rows; Saltelli 2002, Jansen 1999) or with
Morris trajectories (N (D + 1) rows; Morris 1991, Campolongo et al. 2007). Each
sample row becomes config overrides; the analysis turns the outputs of the runs
into one tidy table per method. Nothing here simulates, reads or writes files.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from omegaconf import DictConfig, OmegaConf
from SALib.analyze import morris as morris_analyze
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample

from custsim.experiments.sensitivity.settings import DEFAULT_SENSITIVITY_PARAMS, SensitivityConfig
from custsim.sim.kpis import FOCAL_KPIS
from custsim.sim.traits import population_wide

METHODS = ("sobol", "morris")
INDEX_COLUMNS = {
    "sobol": ("output", "parameter", "S1", "S1_conf", "ST", "ST_conf"),
    "morris": ("output", "parameter", "mu_star", "mu_star_conf", "sigma", "mu"),
}
MORRIS_LEVELS = 4  # grid levels p; a step is p / (2 (p - 1)) of the range
_ABSENT = object()

Problem = dict[str, Any]


def given_params(settings: SensitivityConfig) -> dict[str, list[float]]:
    """`sensitivity.params`, or `DEFAULT_SENSITIVITY_PARAMS` when not given."""
    return DEFAULT_SENSITIVITY_PARAMS if settings.params is None else settings.params


def check_spec(
    params: Mapping[str, Sequence[float]], outputs: Sequence[str], cfg: DictConfig
) -> list[str]:
    """Problems with a sensitivity specification, one line each ('key=value: rule').

    Args:
        params: config key -> [low, high].
        outputs: focal-firm KPIs to analyse.
        cfg: the composed config the keys must exist in (numeric, not bool).

    Returns:
        An empty list when the specification is valid.

    """
    if not isinstance(params, Mapping):
        return [f"sensitivity.params={params!r}: must be {{key: [low, high], ...}}"]
    problems = [] if len(params) >= 2 else [f"sensitivity.params={dict(params)}: need >= 2 params"]
    for key, bounds in params.items():
        problems += _check_param(key, list(bounds), OmegaConf.select(cfg, key, default=_ABSENT))
    if not outputs:
        problems.append("sensitivity.outputs=[]: need at least one output")
    for name in outputs:
        if name not in FOCAL_KPIS:
            allowed = ", ".join(FOCAL_KPIS)
            problems.append(f"sensitivity.outputs={name!r}: must be one of: {allowed}")
    return problems


def _check_param(key: str, bounds: list[float], current: Any) -> list[str]:
    """The problem with one parameter: a missing or non-numeric key, or bad bounds."""
    where = f"sensitivity.params.{key}"
    if current is _ABSENT:
        return [f"{where}: no such key in the composed config (is its policy=... selected?)"]
    if current is None and population_wide(key):
        current = 0.0  # population.traits.<trait>.mean: a number, unset by default
    if isinstance(current, bool) or not isinstance(current, int | float):
        return [f"{where}: {key}={current!r} is not a number"]
    if len(bounds) != 2 or not all(math.isfinite(b) for b in bounds):
        return [f"{where}={bounds}: must be [low, high], two finite numbers"]
    if not bounds[0] < bounds[1]:
        return [f"{where}={bounds}: low must be below high"]
    return []


def make_problem(params: Mapping[str, Sequence[float]]) -> Problem:
    """The SALib problem: names are the config keys, bounds their [low, high]."""
    names = list(params)
    return {
        "num_vars": len(names),
        "names": names,
        "bounds": [[float(v) for v in params[k]] for k in names],
    }


def expected_rows(method: str, samples: int, num_vars: int) -> int:
    """Model runs: Sobol N (D + 2), Morris N (D + 1)."""
    return samples * (num_vars + (2 if method == "sobol" else 1))


def sample(problem: Problem, method: str, samples: int, seed: int) -> NDArray[np.float64]:
    """The sample matrix, one row per run (deterministic in `seed`).

    Sobol: Saltelli sampling without second-order terms, `samples` base rows
    (best a power of 2). Morris: `samples` trajectories on a 4-level grid.
    """
    if method == "sobol":
        with warnings.catch_warnings():  # non-power-of-2 N: a convergence note, not an error
            warnings.simplefilter("ignore", UserWarning)
            return sobol_sample.sample(problem, samples, calc_second_order=False, seed=seed)
    return morris_sample.sample(problem, samples, num_levels=MORRIS_LEVELS, seed=seed)


def int_keys(names: Sequence[str], cfg: DictConfig) -> frozenset[str]:
    """The parameters whose current config value is an int (sampled values are rounded)."""
    return frozenset(
        k
        for k in names
        if isinstance(v := OmegaConf.select(cfg, k), int) and not isinstance(v, bool)
    )


def row_values(names: Sequence[str], row: Sequence[float], ints: frozenset[str]) -> dict:
    """One sample row as the values a run uses: rounded for integer keys."""
    return {k: round(float(x)) if k in ints else float(x) for k, x in zip(names, row, strict=True)}


def failed_rows(errors: Sequence[str | None]) -> list[int]:
    """Indices of the runs that recorded an error."""
    return [i for i, e in enumerate(errors) if e is not None]


def analyze(
    problem: Problem,
    method: str,
    x: NDArray[np.float64],
    outputs: Mapping[str, NDArray[np.float64]],
    seed: int,
) -> pd.DataFrame:
    """Sensitivity indices of every output: one row per (output, parameter).

    Args:
        problem: from `make_problem`.
        method: 'sobol' or 'morris'.
        x: the sample matrix the runs used (from `sample`).
        outputs: output name -> one value per row of `x`, none missing.
        seed: seeds the bootstrap confidence intervals.

    Returns:
        Columns `INDEX_COLUMNS[method]`; an output that does not vary gives NaN
        Sobol indices (0 / 0) and zero Morris effects.

    """
    frames = []
    for name, y in outputs.items():
        with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            res = _indices(problem, method, x, np.asarray(y, dtype=float), seed)
        cols = INDEX_COLUMNS[method][2:]
        frame = pd.DataFrame({c: np.asarray(res[c], dtype=float) for c in cols})
        frames.append(frame.assign(output=name, parameter=problem["names"]))
    return pd.concat(frames, ignore_index=True)[list(INDEX_COLUMNS[method])]


def _indices(
    problem: Problem, method: str, x: NDArray[np.float64], y: NDArray[np.float64], seed: int
) -> Mapping[str, Any]:
    """SALib's result for one output (bootstrap intervals seeded by `seed`, 0 included)."""
    if method == "morris":
        return morris_analyze.analyze(problem, x, y, num_levels=MORRIS_LEVELS, seed=seed)
    # SALib's Sobol analysis reads a seed of 0 as "no seed" (`if seed:`) and would resample
    # with NumPy's global generator; a Generator is never falsy, and default_rng(default_rng(s))
    # is default_rng(s), so every seed, 0 included, seeds its own stream
    rng = np.random.default_rng(seed)
    return sobol_analyze.analyze(problem, y, calc_second_order=False, seed=rng)


def short_names(keys: Sequence[str]) -> dict[str, str]:
    """Readable labels: each key's last two parts, more where two labels would clash.

    'population.traits.loss_aversion.mean' -> 'loss_aversion.mean'.
    """
    parts = 2
    while True:
        labels = {k: ".".join(k.split(".")[-parts:]) for k in keys}
        if len(set(labels.values())) == len(labels) or parts > max(k.count(".") for k in keys):
            return labels
        parts += 1
