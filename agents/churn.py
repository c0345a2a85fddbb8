"""Satisfaction and dropout.

Experience of a purchase: the prospect-theory value of the relative gain against
the reference price the customer held when buying,

    e = v((r - p) / r)         (v from `custsim.agents.prospect`, loss-averse),

so paying above one's reference hurts more than paying below pleases.
Satisfaction is its exponential average, s <- (1 - rho) s + rho e.

Dropout: after each shopping occasion an active customer leaves for good with

    h_i = min(1, p_i * (1 + kappa * max(0, -s_i))),

the BG/NBD dropout probability p_i (Fader, Hardie & Lee 2005) raised by
dissatisfaction; kappa = 0 gives BG/NBD exactly.

In a contract setting (one renewal per period: `population.occasions.timing =
regular`) with p_i ~ Beta(alpha, beta) and kappa = 0 this is the shifted-beta-
geometric model of Fader & Hardie (2007, J. Interactive Marketing 21(1): 76):
each customer's churn probability is constant, yet the cohort's retention rate
rises with tenure as the high-p customers leave first (`sbg_survival`).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from custsim.agents.prospect import value


def experience(
    reference: ArrayLike,
    price_paid: ArrayLike,
    alpha: ArrayLike,
    beta: ArrayLike,
    loss_aversion: ArrayLike,
) -> NDArray[np.floating]:
    """Felt value of a purchase: v((r - p) / r)."""
    reference = np.asarray(reference)
    return value((reference - price_paid) / reference, alpha, beta, loss_aversion)


def update_satisfaction(
    satisfaction: ArrayLike, felt: ArrayLike, memory: float
) -> NDArray[np.floating]:
    """Exponentially averaged satisfaction: (1 - rho) s + rho e."""
    satisfaction = np.asarray(satisfaction)
    return satisfaction + memory * (np.asarray(felt) - satisfaction)


def dropout_probability(
    base: ArrayLike, satisfaction: ArrayLike, sensitivity: ArrayLike
) -> NDArray[np.floating]:
    """H = min(1, p * (1 + kappa * max(0, -s)))."""
    dissatisfaction = np.maximum(-np.asarray(satisfaction), 0.0)
    return np.minimum(1.0, np.multiply(base, 1.0 + np.multiply(sensitivity, dissatisfaction)))


def reactivation_probability(saving: ArrayLike, response: float) -> NDArray[np.floating]:
    """Chance that a lapsed customer returns for a personal offer: 1 - exp(-k * saving).

    `saving` is the offer's cut as a fraction of the regular price; k the
    population's win-back response (win-back offers recover a minority of lapsed
    customers: Thomas, Blattberg & Fox 2004).
    """
    return 1.0 - np.exp(-response * np.asarray(saving))


def sbg_survival(alpha: float, beta: float, periods: int) -> NDArray[np.float64]:
    """Share of a cohort still active after t = 0..periods renewals under the sBG model.

    S(t) = B(alpha, beta + t) / B(alpha, beta) = prod_{k<t} (beta + k) / (alpha + beta + k)
    (Fader & Hardie 2007, eq. 4 and the recursion of their appendix).
    """
    k = np.arange(periods, dtype=float)
    return np.concatenate(([1.0], np.cumprod((beta + k) / (alpha + beta + k))))


def sbg_retention(alpha: float, beta: float, periods: int) -> NDArray[np.float64]:
    """Retention rates r_t = S(t) / S(t-1) = (beta + t - 1) / (alpha + beta + t - 1), t = 1..T.

    They rise with t although every customer's churn probability is constant
    (Fader & Hardie 2007, eq. 6): sorting, not customers growing more loyal.
    """
    t = np.arange(1, periods + 1, dtype=float)
    return (beta + t - 1) / (alpha + beta + t - 1)
