"""Reaching a customer: delivery, opening, response, fatigue and opt-out of one contact.

A firm's contact through a channel (`custsim.sim.config.ChannelConfig`) is
delivered with probability d, opened (read, heard) with probability o once
delivered; only an opened contact informs the customer of a personal offer it
carries. Every delivered contact adds to the customer's fatigue with the firm's
messages, a stock of recent contacts that halves every h days (the decaying
stock of exposures of advertising's adstock, Broadbent 1979, J. Market Research
Society 21(2): 139):

    F(t) = F(t0) 2^(-(t - t0) / h) + 1 after each delivered contact.

Wear-out (Pechmann & Stewart 1988, Current Issues and Research in Advertising
11: 285): the chance that an opened contact brings the customer to the shelf
falls with the fatigue F it meets,

    P(respond) = r exp(-phi F),

so sending more often first adds responses and then, as F builds up, fewer
contacts are answered than are added: total response over a period rises and
then falls with frequency. Unsubscribes rise with frequency (the opt-out hazard
grows with F):

    P(opt out) = 1 - exp(-u (1 + psi F)),

u the channel's opt-out hazard of a delivered contact at rest (F = 0). All
are evaluated on F *before* the contact is added, so the first contact after a
long silence meets a rested customer.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray


def decayed_fatigue(fatigue: ArrayLike, since: ArrayLike, half_life: float) -> NDArray[np.floating]:
    """F 2^(-since / h): a fatigue stock `since` days after it was last updated."""
    fatigue, since = np.asarray(fatigue), np.asarray(since)
    return fatigue * np.exp2(-since / half_life).astype(fatigue.dtype)


def response_probability(response: float, fatigue_weight: float, fatigue: ArrayLike) -> NDArray:
    """P(an opened contact brings the customer to the shelf) = r exp(-phi F)."""
    return response * np.exp(-fatigue_weight * np.asarray(fatigue, dtype=np.float64))


def opt_out_probability(opt_out: float, frequency_weight: float, fatigue: ArrayLike) -> NDArray:
    """P(a delivered contact makes the customer opt out) = 1 - exp(-u (1 + psi F))."""
    f = np.asarray(fatigue, dtype=np.float64)
    return -np.expm1(-opt_out * (1.0 + frequency_weight * f))


def steady_fatigue(every: float, half_life: float) -> float:
    """The fatigue a contact meets when one is delivered every `every` days for ever.

    F* = x / (1 - x) with x = 2^(-every / h): the geometric sum of the earlier
    contacts' decayed stocks, the closed form the engine's F converges to.
    """
    x = 2.0 ** (-every / half_life)
    return x / (1.0 - x)


def fatigue_product(every: float, half_life: float, weight: float, delivery: float) -> float:
    """E[exp(-w F)] in the steady state: prod_{k>=1} (1 - d + d exp(-w x^k)), x = 2^(-every/h).

    F = sum_k B_k x^k with independent deliveries B_k ~ Bernoulli(d); the product is
    cut where x^k < 1e-12 (the terms left are 1 to machine precision).
    """
    x = 2.0 ** (-every / half_life)
    k = np.arange(1, int(np.ceil(np.log(1e-12) / np.log(x))) + 1)
    return float(np.prod(1.0 - delivery + delivery * np.exp(-weight * x**k)))


def steady_response_rate(
    every: float, half_life: float, response: float, fatigue_weight: float, opened: float
) -> float:
    """Responses per customer and day under contacts every `every` days, in the steady state.

    (d o r exp(-phi F*)) / every with F* = `steady_fatigue`; `opened` is d o, the
    chance a contact is delivered and opened. (Every delivered contact adds to F,
    so with d < 1 the engine's F* is smaller; the closed form is exact for d = 1, and
    `fatigue_product` gives E[exp(-phi F)] for any d.)
    Rises with frequency while the fatigue is low and falls once exp(-phi F*)
    shrinks faster than 1 / every grows: the wear-out curve.
    """
    f = steady_fatigue(every, half_life)
    return opened * response * float(np.exp(-fatigue_weight * f)) / every
