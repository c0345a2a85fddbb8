"""Awareness of a new brand through advertising and word of mouth, and the Bass curve.

Bass (1969, Management Science 15: 215) models the adoption hazard of a new
product among those who have not adopted yet as

    h(t) = p + q F(t),

with p the coefficient of innovation (external influence: advertising), q the
coefficient of imitation (internal influence: word of mouth from adopters) and
F(t) the adopted share of the market. Its solution from F(0) = 0 is

    F(t) = (1 - exp(-(p + q) t)) / (1 + (q / p) exp(-(p + q) t)),

and adoptions per period f(t) = dF/dt peak at t* = ln(q / p) / (p + q). The
meta-analysis of Sultan, Farley & Lehmann (1990, J. Marketing Research 27: 70)
puts the average p at 0.03 and q at 0.38 (per year, durables).

In custsim a customer unaware of a launched brand cannot choose it. Each day it
becomes aware with probability 1 - exp(-(p + q a_i) / D), where a_i is the share
of its network neighbours who have bought the brand and D the days per Bass
period: the Bass hazard of an individual (Goldenberg, Libai & Muller 2001;
Rand & Rust 2011, Int. J. Research in Marketing 28: 181), which on a well-mixed
network (a_i close to F) gives the Bass curve in continuous time.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray


def awareness_probability(
    innovation: float, imitation: float, adopted_share: ArrayLike, period_days: float
) -> NDArray[np.float64]:
    """Chance of hearing of the brand today: 1 - exp(-(p + q a) / D).

    Args:
        innovation: p, the advertising hazard per period.
        imitation: q, the word-of-mouth hazard per period at a share of 1.
        adopted_share: a_i, the share of each customer's neighbours who adopted.
        period_days: D, days per Bass period.

    Returns:
        One probability per customer.

    """
    hazard = (innovation + imitation * np.asarray(adopted_share, dtype=float)) / period_days
    return -np.expm1(-hazard)


def advertising_share(innovation: float, imitation: float, adopted_share: ArrayLike) -> NDArray:
    """Share of the hazard due to advertising, p / (p + q a) (1 where both are 0)."""
    total = innovation + imitation * np.asarray(adopted_share, dtype=float)
    return np.divide(innovation, total, out=np.ones_like(total), where=total > 0)


def bass_cumulative(t: ArrayLike, p: float, q: float) -> NDArray[np.float64]:
    """Bass (1969) adopted share F(t) = (1 - e^{-(p+q)t}) / (1 + (q/p) e^{-(p+q)t})."""
    decay = np.exp(-(p + q) * np.asarray(t, dtype=float))
    return (1.0 - decay) / (1.0 + (q / p) * decay)


def bass_adoption_rate(t: ArrayLike, p: float, q: float) -> NDArray[np.float64]:
    """New adopters per period as a share of the market, f(t) = dF/dt = (p + q F)(1 - F)."""
    share = bass_cumulative(t, p, q)
    return (p + q * share) * (1.0 - share)


def bass_innovator_share(adopted: ArrayLike, p: float, q: float) -> NDArray[np.float64]:
    """Share of the adopters so far who adopted through innovation, once F has reached `adopted`.

    Innovation brings p (1 - F) dt of the dF = (p + q F)(1 - F) dt new adopters, so
    the innovators among the first F are int_0^F p / (p + q x) dx = (p / q) ln(1 + q F / p);
    as a share of F (the split of Bass adopters in Mahajan, Muller & Bass 1990, J. Marketing 54: 1).
    """
    share = np.asarray(adopted, dtype=float)
    return (p / q) * np.log1p(q * share / p) / share


def bass_peak_time(p: float, q: float) -> float:
    """Time of peak adoptions, t* = ln(q / p) / (p + q) (0 when q <= p: no interior peak)."""
    return max(float(np.log(q / p) / (p + q)), 0.0) if q > 0 else 0.0
