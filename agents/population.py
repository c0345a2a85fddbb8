"""Drawing a heterogeneous customer population from per-trait, per-segment distributions.

Each trait has a distribution family, declared once on its config field
(`custsim.sim.config.SegmentConfig`, turned into a `PopulationSpec` by
`custsim.sim.traits`), parameterised by a segment's mean m and sd s; s = 0 gives
every customer exactly the mean:

- gamma: shape (m/s)^2, scale s^2/m. The gamma-mixed Poisson occasion process
  is the NBD of Ehrenberg (1959) and the purchase half of BG/NBD (Fader, Hardie
  & Lee 2005).
- beta: by the method of moments, a + b = m(1-m)/s^2 - 1 (the BG half of BG/NBD
  draws p_i ~ Beta(a, b)); it needs s^2 < m(1-m) (`family_problem`).
- lognormal: with the given mean and sd (positive, right-skewed, as field
  estimates of lambda are: Brown et al. 2024 meta-analysis).
- constant: the segment's value for every customer (no draws).
- brand tastes a_ij: normal around the firm's quality with the segment's sd.

This module knows nothing of the config: it samples from plain specs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple, Protocol

import numpy as np
from numpy.typing import NDArray

#: the families a trait can have, in draw order (a constant draws nothing)
FAMILIES = ("gamma", "beta", "lognormal", "constant")


class MeanSd(Protocol):
    """Anything with a mean and an sd (a `Moments`, or the config's `Dist`)."""

    mean: float
    sd: float


class Moments(NamedTuple):
    """A trait's mean and standard deviation in one segment."""

    mean: float
    sd: float


@dataclass(frozen=True)
class TraitSpec:
    """One trait: its family and its moments in each segment (in segment order)."""

    name: str
    family: str
    moments: tuple[Moments, ...]


@dataclass(frozen=True)
class PopulationSpec:
    """What to draw: the segments (names, shares, taste sds) and every trait's spec."""

    segments: tuple[str, ...]
    shares: tuple[float, ...]
    taste_sd: tuple[float, ...]
    traits: tuple[TraitSpec, ...]

    def in_draw_order(self) -> tuple[TraitSpec, ...]:
        """The traits by family (`FAMILIES` order), each family in declaration order."""
        return tuple(t for f in FAMILIES for t in self.traits if t.family == f)


@dataclass(frozen=True)
class Traits:
    """Latent per-customer parameters (fixed for the run), one array per trait."""

    segment: NDArray[np.int16]
    segment_names: tuple[str, ...]
    values: dict[str, NDArray[np.floating]]
    taste: NDArray[np.floating]  # (J, n) brand tastes a_ij at day 0

    def __getitem__(self, trait: str) -> NDArray[np.floating]:
        return self.values[trait]

    def __post_init__(self) -> None:
        # derived once: log(1 - p), the per-occasion log survival the points valuation uses;
        # p = 1 (a beta draw can round to it) gives log 0 = -inf: surviving is impossible
        with np.errstate(divide="ignore"):
            self.values["log_survival"] = np.log1p(-self.values["dropout"])


def family_problem(family: str, d: MeanSd) -> str | None:
    """What is wrong with the moments `d` for `family`, or None when it can be drawn.

    A beta distribution with mean m in (0, 1) has variance below m(1 - m): the method
    of moments needs a + b = m(1-m)/s^2 - 1 > 0, so s^2 < m(1 - m).
    """
    if family == "beta" and 0 < d.mean < 1 and d.sd**2 >= d.mean * (1 - d.mean):
        return f"must be below sqrt(mean*(1-mean))={math.sqrt(d.mean * (1 - d.mean)):.4g}"
    return None


def segment_sizes(shares: NDArray[np.floating], n: int) -> NDArray[np.int64]:
    """Split n customers by shares with largest-remainder rounding (sizes sum to n)."""
    exact = np.asarray(shares, dtype=float) * n
    sizes = np.floor(exact).astype(np.int64)
    order = np.argsort(-(exact - sizes), kind="stable")
    sizes[order[: n - sizes.sum()]] += 1
    return sizes


def draw_gamma(d: MeanSd, n: int, rng: np.random.Generator) -> NDArray[np.float64]:
    """Gamma draws with mean d.mean and sd d.sd (constant when sd = 0)."""
    if d.sd == 0:
        return np.full(n, d.mean)
    shape = (d.mean / d.sd) ** 2
    return rng.gamma(shape, d.sd**2 / d.mean, size=n)


def draw_beta(d: MeanSd, n: int, rng: np.random.Generator) -> NDArray[np.float64]:
    """Beta draws with mean d.mean and sd d.sd (method of moments; constant when sd = 0)."""
    if d.sd == 0 or d.mean in (0.0, 1.0):
        return np.full(n, d.mean)
    concentration = d.mean * (1 - d.mean) / d.sd**2 - 1
    return rng.beta(d.mean * concentration, (1 - d.mean) * concentration, size=n)


def draw_lognormal(d: MeanSd, n: int, rng: np.random.Generator) -> NDArray[np.float64]:
    """Lognormal draws with mean d.mean and sd d.sd (constant when sd = 0 or mean = 0)."""
    if d.sd == 0 or d.mean == 0:
        return np.full(n, d.mean)
    sigma2 = np.log1p((d.sd / d.mean) ** 2)
    return rng.lognormal(np.log(d.mean) - sigma2 / 2, np.sqrt(sigma2), size=n)


def draw_constant(d: MeanSd, n: int, rng: np.random.Generator) -> NDArray[np.float64]:
    """The mean for every customer (no random numbers drawn)."""
    return np.full(n, float(d.mean))


SAMPLERS = {
    "gamma": draw_gamma,
    "beta": draw_beta,
    "lognormal": draw_lognormal,
    "constant": draw_constant,
}


def _draw_segment(
    spec: PopulationSpec, s: int, n: int, rng: np.random.Generator
) -> dict[str, NDArray[np.float64]]:
    """All scalar traits of the n customers of segment s, in the spec's draw order."""
    return {t.name: SAMPLERS[t.family](t.moments[s], n, rng) for t in spec.in_draw_order()}


def draw_population(
    spec: PopulationSpec,
    n: int,
    quality: NDArray[np.floating],
    rng: np.random.Generator,
    dtype: type = np.float64,
) -> Traits:
    """Draw n customers: segment sizes by share, then each segment's traits and tastes.

    Per segment, in order: its scalar traits family by family (`FAMILIES`), each
    family in declaration order, then J x n_s standard normals for the tastes.
    Customers are laid out segment by segment, then shuffled so that row order
    carries no information (networks are built on row indices). Draws are made
    in float64 and rounded to `dtype` segment by segment, so no float64 copy of
    the whole population is ever held.

    Args:
        spec: the segments and the traits' families and moments (shares sum to 1).
        n: population size.
        quality: mean brand taste per firm, shape (J,).
        rng: the population's generator.
        dtype: float dtype of the trait arrays.

    Returns:
        The customers' latent traits.

    """
    sizes = segment_sizes(np.array(spec.shares), n)
    parts, tastes = [], []
    for s, size in enumerate(sizes):
        drawn = _draw_segment(spec, s, int(size), rng)
        parts.append({t: v.astype(dtype, copy=False) for t, v in drawn.items()})
        noise = rng.standard_normal((len(quality), int(size)))
        tastes.append((quality[:, None] + spec.taste_sd[s] * noise).astype(dtype, copy=False))
        del drawn, noise
    order = rng.permutation(n)
    segment = np.repeat(np.arange(len(spec.segments), dtype=np.int16), sizes)[order]
    values = {}
    for t in [t.name for t in spec.in_draw_order()]:
        values[t] = np.concatenate([p.pop(t) for p in parts])[order]
    taste = np.concatenate(tastes, axis=1)[:, order]
    return Traits(segment=segment, segment_names=spec.segments, values=values, taste=taste)
