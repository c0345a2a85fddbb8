"""The experience chain: what a purchase felt like, satisfaction, trust, habit, voice.

Experience of one purchase of brand j by customer i, each dimension felt
separately through the prospect-theory value v (segregated gains and losses:
Thaler 1985, Marketing Science 4(3): 199), in utility units:

    e_ij = v(b_i (r_ij - p_ij))          price against the reference price
         + v(q - q_ref_ij)               quality experienced against the expected
         + F v(-s_j)                     a service failure (F = 1) of severity s_j
         (+ v(b_i R) for a reward R paid)

with q = Q_j + sigma_j z the quality of this purchase (z standard normal;
sigma_j the firm's inconsistency) and q_ref learned like a reference price,
q_ref <- q_ref + theta_q (q - q_ref) (expectation formed from experience:
Oliver 1980, J. Marketing Research 17(4): 460). Because v is loss-averse, a bad
experience weighs more than an equally good one (Anderson & Sullivan 1993;
Mittal, Ross & Baldasare 1998).

Satisfaction with the firm, S_ij <- S_ij + rho' (e_ij - S_ij), with rho' = rho
(1 - tau T_ij) on a bad experience (e < 0): a trusting customer discounts one
bad purchase (a zone of tolerance, Zeithaml, Berry & Parasuraman 1993, JAMS
21(1): 1). Trust T_ij in [0, 1] grows slowly with each purchase that did not
disappoint and falls fast with one that did (the asymmetry principle of trust,
Slovic 1993, Risk Analysis 13(6): 675):

    T <- T + g (1 - T)   if e >= 0,     T <- T - l T   if e < 0,   l > g.

Habit (state dependence) is the brand-loyalty variable of Guadagni & Little
(1983, Marketing Science 2(3): 203): on every purchase in the category,
H_ij <- a H_ij + (1 - a) [j bought], their smoothing a = 0.875 for coffee.

Voice: a customer whose felt loss is L = max(0, -e) complains to the firm with
probability 1 - exp(-k (1 + l_v H) L), so small disappointments are rarely voiced
and serious ones often (TARP 1979/1986: most dissatisfied customers never
complain), and more readily by customers loyal to the brand (loyalty activates
voice: Hirschman 1970).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from custsim.agents.prospect import value

#: what a churn or a switch is put down to, in code order (int8 codes of the cause ledgers)
CAUSES = ("natural", "price", "quality", "service", "offer", "taste")
#: the experience dimensions a grievance can be about (a subset of CAUSES, in this order)
DIMENSIONS = ("price", "quality", "service")
#: Reichheld's (2003) classes of a 0..10 answer: promoters from 9, detractors up to 6
PROMOTER_FROM, DETRACTOR_UP_TO = 9, 6


def felt_dimensions(
    price_gain: ArrayLike,
    quality_gap: ArrayLike,
    failure_loss: ArrayLike,
    alpha: ArrayLike,
    beta: ArrayLike,
    loss_aversion: ArrayLike,
) -> NDArray[np.floating]:
    """(3, m) felt value of each dimension, v(price gain), v(quality gap), v(-failure loss).

    Args:
        price_gain: b_i (r - p) in utility units.
        quality_gap: q - q_ref, utility units.
        failure_loss: s_j where the service failed, 0 elsewhere (>= 0).
        alpha: the value function's curvature of gains.
        beta: its curvature of losses.
        loss_aversion: lambda.

    """
    args = (alpha, beta, loss_aversion)
    gain, gap, loss = np.broadcast_arrays(price_gain, quality_gap, failure_loss)
    return np.stack([value(gain, *args), value(gap, *args), value(-loss, *args)])


def grievance(felt: NDArray[np.floating]) -> NDArray[np.int8]:
    """(m,) code in `CAUSES` of the dimension felt worst (the most negative row of `felt`)."""
    offset = CAUSES.index(DIMENSIONS[0])
    return (np.argmin(felt, axis=0) + offset).astype(np.int8)


def learn_expectation(expected: ArrayLike, experienced: ArrayLike, memory: float) -> NDArray:
    """q_ref <- q_ref + theta_q (q - q_ref): the expectation moves towards what was lived."""
    expected = np.asarray(expected)
    return expected + memory * (np.asarray(experienced) - expected)


def update_satisfaction(
    satisfaction: ArrayLike, felt: ArrayLike, trust: ArrayLike, memory: float, tolerance: float
) -> NDArray[np.floating]:
    """S <- S + rho' (e - S), rho' = rho (1 - tau T) when e < 0, rho otherwise."""
    satisfaction, felt = np.asarray(satisfaction), np.asarray(felt)
    weight = np.where(felt < 0, memory * (1.0 - tolerance * np.asarray(trust)), memory)
    return satisfaction + weight * (felt - satisfaction)


def update_trust(trust: ArrayLike, felt: ArrayLike, gain: float, loss: float) -> NDArray:
    """T <- T + g (1 - T) after a purchase with e >= 0, T - l T after one with e < 0."""
    trust = np.asarray(trust)
    return np.where(np.asarray(felt) < 0, trust - loss * trust, trust + gain * (1.0 - trust))


def update_habit(habit: ArrayLike, bought: ArrayLike, carryover: float) -> NDArray[np.floating]:
    """H <- a H + (1 - a) [bought] (Guadagni & Little 1983), for every brand of one purchase."""
    habit = np.asarray(habit)
    return carryover * habit + (1.0 - carryover) * np.asarray(bought, dtype=habit.dtype)


def complaint_probability(
    felt: ArrayLike, propensity: float, habit: ArrayLike = 0.0, loyalty: float = 0.0
) -> NDArray[np.floating]:
    """P(complain) = 1 - exp(-k (1 + l_v H) max(0, -e)).

    Voice rises with the felt loss L = max(0, -e) (none on a gain) and, with
    `loyalty` l_v > 0, with the customer's brand loyalty H (the Guadagni & Little
    habit): the loyal speak up, the indifferent leave silently (loyalty activates
    voice: Hirschman 1970, Exit, Voice, and Loyalty, ch. 7), so the complainers are
    the customers most worth keeping. A customer new to the brand complains at rate k.
    """
    attachment = 1.0 + loyalty * np.asarray(habit)
    return -np.expm1(-propensity * attachment * np.maximum(-np.asarray(felt), 0.0))


def recovery_experience(
    compensation_gain: ArrayLike,
    heard: float,
    wait: ArrayLike,
    half_life: float,
    alpha: ArrayLike,
    beta: ArrayLike,
    loss_aversion: ArrayLike,
) -> NDArray[np.floating]:
    """Felt value of a handled complaint: v(b_i C) + h 2^(-w / w_half).

    The compensation C is felt as a gain (b_i C utility units) and being heard is
    worth h, halving with every `half_life` days the customer waited for the
    answer (the speed of recovery: Smith, Bolton & Wagner 1999, J. Marketing
    Research 36(3): 356; Hart, Heskett & Sasser 1990).
    """
    heard_now = heard * np.exp2(-np.asarray(wait, dtype=float) / half_life)
    return value(np.asarray(compensation_gain), alpha, beta, loss_aversion) + heard_now


def likelihood_to_recommend(
    satisfaction: ArrayLike, midpoint: float, scale: float, noise: ArrayLike
) -> NDArray[np.int8]:
    """Survey answer 0..10: round(m + c S + noise), clipped; the firm sees this, never S."""
    score = np.rint(midpoint + scale * np.asarray(satisfaction) + np.asarray(noise))
    return np.clip(score, 0, 10).astype(np.int8)


def net_promoter_score(scores: ArrayLike) -> float:
    """NPS = % promoters (9-10) - % detractors (0-6) (Reichheld 2003, HBR 81(12): 46).

    NaN without answers.
    """
    scores = np.asarray(scores)
    if scores.size == 0:
        return float("nan")
    promoters, detractors = scores >= PROMOTER_FROM, scores <= DETRACTOR_UP_TO
    return float(100.0 * (np.mean(promoters) - np.mean(detractors)))
