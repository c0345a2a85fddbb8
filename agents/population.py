"""Drawing a heterogeneous customer population from segment distributions.

Each trait has a fixed distribution family, parameterised by the segment's mean
and standard deviation (`custsim.sim.config.Dist`); sd = 0 gives every customer the mean:

- occasion rate mu_i and consumption: gamma, shape (m/s)^2, scale s^2/m. The
  gamma-mixed Poisson occasion process is the NBD of Ehrenberg (1959) and the
  purchase half of BG/NBD (Fader, Hardie & Lee 2005).
- dropout p_i, memory theta_i and stockpiling: beta by the method of moments,
  a + b = m(1-m)/s^2 - 1 (the BG half of BG/NBD draws p_i ~ Beta(a, b)).
- price sensitivity, loss aversion, reference weight, social weight and deal
  proneness: lognormal with the given mean and sd (positive, right-skewed, as
  field estimates of lambda are: Brown et al. 2024 meta-analysis).
- brand tastes a_ij: normal around the firm's quality with the segment's sd.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from custsim.sim.config import Dist, SegmentConfig

GAMMA_TRAITS = ("occasion_rate", "consumption")
BETA_TRAITS = ("dropout", "memory", "stockpiling", "points_value", "present_bias", "anchoring")
LOGNORMAL_TRAITS = (
    "price_sensitivity",
    "loss_aversion",
    "reference_weight",
    "social_weight",
    "deal_proneness",
    "goal_gradient",
    "urgency",
)
CONSTANT_TRAITS = ("gain_curvature", "loss_curvature", "latitude", "dissatisfaction_churn")
TRAITS = GAMMA_TRAITS + BETA_TRAITS + LOGNORMAL_TRAITS + CONSTANT_TRAITS


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


def segment_sizes(shares: NDArray[np.floating], n: int) -> NDArray[np.int64]:
    """Split n customers by shares with largest-remainder rounding (sizes sum to n)."""
    exact = np.asarray(shares, dtype=float) * n
    sizes = np.floor(exact).astype(np.int64)
    order = np.argsort(-(exact - sizes), kind="stable")
    sizes[order[: n - sizes.sum()]] += 1
    return sizes


def draw_gamma(d: Dist, n: int, rng: np.random.Generator) -> NDArray[np.float64]:
    """Gamma draws with mean d.mean and sd d.sd (constant when sd = 0)."""
    if d.sd == 0:
        return np.full(n, d.mean)
    shape = (d.mean / d.sd) ** 2
    return rng.gamma(shape, d.sd**2 / d.mean, size=n)


def draw_beta(d: Dist, n: int, rng: np.random.Generator) -> NDArray[np.float64]:
    """Beta draws with mean d.mean and sd d.sd (method of moments; constant when sd = 0)."""
    if d.sd == 0 or d.mean in (0.0, 1.0):
        return np.full(n, d.mean)
    concentration = d.mean * (1 - d.mean) / d.sd**2 - 1
    return rng.beta(d.mean * concentration, (1 - d.mean) * concentration, size=n)


def draw_lognormal(d: Dist, n: int, rng: np.random.Generator) -> NDArray[np.float64]:
    """Lognormal draws with mean d.mean and sd d.sd (constant when sd = 0 or mean = 0)."""
    if d.sd == 0 or d.mean == 0:
        return np.full(n, d.mean)
    sigma2 = np.log1p((d.sd / d.mean) ** 2)
    return rng.lognormal(np.log(d.mean) - sigma2 / 2, np.sqrt(sigma2), size=n)


def _draw_segment(seg: SegmentConfig, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """All scalar traits of n customers of one segment, in a fixed draw order."""
    out = {}
    for trait in GAMMA_TRAITS:
        out[trait] = draw_gamma(getattr(seg, trait), n, rng)
    for trait in BETA_TRAITS:
        out[trait] = draw_beta(getattr(seg, trait), n, rng)
    for trait in LOGNORMAL_TRAITS:
        out[trait] = draw_lognormal(getattr(seg, trait), n, rng)
    for trait in CONSTANT_TRAITS:
        out[trait] = np.full(n, float(getattr(seg, trait)))
    return out


def draw_population(
    segments: Mapping[str, SegmentConfig],
    n: int,
    quality: NDArray[np.floating],
    rng: np.random.Generator,
    dtype: type = np.float64,
) -> Traits:
    """Draw n customers: segment sizes by share, then each segment's traits and tastes.

    Customers are laid out segment by segment, then shuffled so that row order
    carries no information (networks are built on row indices).

    Args:
        segments: segment name -> its configuration (shares sum to 1).
        n: population size.
        quality: mean brand taste per firm, shape (J,).
        rng: the population's generator.
        dtype: float dtype of the trait arrays.

    Returns:
        The customers' latent traits.

    """
    names = tuple(segments)
    sizes = segment_sizes(np.array([s.share for s in segments.values()]), n)
    parts, tastes = [], []
    for seg, size in zip(segments.values(), sizes, strict=True):
        parts.append(_draw_segment(seg, int(size), rng))
        noise = rng.standard_normal((len(quality), int(size)))
        tastes.append(quality[:, None] + seg.taste_sd * noise)
    order = rng.permutation(n)
    segment = np.repeat(np.arange(len(names), dtype=np.int16), sizes)[order]
    values = {t: np.concatenate([p[t] for p in parts])[order].astype(dtype) for t in TRAITS}
    taste = np.concatenate(tastes, axis=1)[:, order].astype(dtype)
    return Traits(segment=segment, segment_names=names, values=values, taste=taste)
