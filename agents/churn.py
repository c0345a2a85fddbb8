"""Satisfaction and dropout.

Experience of a purchase: the prospect-theory value of the relative gain against
the reference price the customer held when buying,

    e = v((r - p) / r)         (v from `agents.prospect`, loss-averse),

so paying above one's reference hurts more than paying below pleases.
Satisfaction is its exponential average, s <- (1 - rho) s + rho e.

Dropout: after each shopping occasion an active customer leaves for good with

    h_i = min(1, p_i * (1 + kappa * max(0, -s_i))),

the BG/NBD dropout probability p_i (Fader, Hardie & Lee 2005) raised by
dissatisfaction; kappa = 0 gives BG/NBD exactly.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from agents.prospect import value


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
