"""Loyalty programmes: the points ledger, how customers value points, the goal gradient.

Ledger (per customer and firm). A purchase of q units at price p earns

    e = (rate * p * q + per_purchase) * multiplier

points. Whenever the balance reaches the threshold T, floor(balance / T)
rewards worth R each are paid and T points per reward are redeemed. Points lapse
after `expiry_days` without earning (breakage). At every step, for every firm,
earned = redeemed + expired + outstanding exactly.

Valuation (utility of the points a purchase earns), in money units scaled by the
price sensitivity b_i:

    V_points = b_i * m_i * e * (R / T) * w(pi) * beta_i**[tau > 0] * delta**tau

- m_i: mental-accounting value of a point relative to cash (Thaler 1999);
- tau = k / mu_i: days until the reward, k = purchases still needed;
- beta-delta present bias for the delayed reward (Laibson 1997);
- pi = (1 - p_i)**k * exp(-tau / expiry): the chance to reach the reward
  before dropping out or the points lapsing, weighted by the Tversky-Kahneman
  (1992) weighting function w;
- a loss-framed message ("don't lose your points") multiplies the value by the
  customer's loss aversion lambda_i when the customer already holds points.

Goal gradient (Kivetz, Urminsky & Zheng 2006): with visible progress
g = balance / T, the customer shops more often, at the rate mu_i * (1 + gamma_i * g),
and on each trip buying towards the reward pulls harder:

    V_goal = gamma_i * g * b_i * m_i * R

(the reward's value in utility, weighted by the progress made; Hull's goal
gradient). A customer with stock at home buys on an extra trip only if the
pull beats the outside option, so the pull, not the extra trips, brings the
purchases forward: on the default grocery population (mean gamma = 0.25) the
inter-purchase time falls by about 20% from the first to the last stamp of a
buy-10-get-1 card and jumps back up after the reward, g = 0 again
(`custsim-findings goal_gradient`). Hidden progress (`progress_visible: false`)
has neither term.

Abandonment (Nunes & Dreze 2006: endowed progress makes members persist;
Kivetz et al. 2006: members defect most right after a reward, when the goal
is far): on a shopping trip that earns nothing with firm j, a member holding
points gives up collecting with probability q * (1 - g), in proportion to the
distance left (g = 0 when progress is hidden), and the points lapse.
q is `population.loyalty.goal_abandonment` (default 0: never).

Switching cost: points at stake make leaving a loss; the dropout hazard is
divided by 1 + psi * lambda_i * (money value of the balance) / (mean regular price).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from custsim.agents.prospect import TK92_GAMMA_GAINS, weight_of_log


def points_earned(
    price: ArrayLike, quantity: ArrayLike, rate: float, per_purchase: float, multiplier: float
) -> NDArray[np.float64]:
    """Points for buying `quantity` units at `price`: (rate * p * q + per_purchase) * mult."""
    return (rate * np.multiply(price, quantity) + per_purchase) * multiplier


def redeem(balance: ArrayLike, threshold: float) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Rewards due and the balance left: (floor(b / T), b - T * floor(b / T))."""
    balance = np.asarray(balance, dtype=float)
    rewards = np.floor(balance / threshold + 1e-9)
    return rewards, np.maximum(balance - rewards * threshold, 0.0)


def expired(
    balance: ArrayLike, last_earned_day: ArrayLike, today: int, expiry_days: int | None
) -> NDArray[np.bool_]:
    """Whether each balance lapses today: held and unchanged for more than `expiry_days`."""
    if expiry_days is None:
        return np.zeros(np.shape(balance), dtype=bool)
    return (np.asarray(balance) > 0) & (today - np.asarray(last_earned_day) > expiry_days)


def purchases_to_reward(
    balance: ArrayLike, earn_per_purchase: ArrayLike, threshold: float
) -> NDArray[np.float64]:
    """K = ceil((T - balance) / e): purchases still needed after this one (>= 0)."""
    remaining = np.maximum(threshold - np.asarray(balance) - earn_per_purchase, 0.0)
    return np.ceil(remaining / np.maximum(earn_per_purchase, 1e-12) - 1e-9)


def points_utility(
    earn: ArrayLike,
    balance: ArrayLike,
    threshold: float,
    reward_value: float,
    expiry_days: int | None,
    traits: dict[str, NDArray],
    daily_discount: float,
    loss_framed: bool,
    probability_weighting: float = TK92_GAMMA_GAINS,
) -> NDArray[np.float64]:
    """V_points of the module docstring for one firm's programme.

    Args:
        earn: points the purchase would earn, per customer.
        balance: the customers' balances with the firm.
        threshold: T.
        reward_value: R.
        expiry_days: lapse period, None for none.
        traits: per-customer arrays 'price_sensitivity', 'points_value',
            'present_bias', 'occasion_rate', 'log_survival' (log(1 - p) of the
            dropout probability p), 'loss_aversion'.
        daily_discount: delta per day.
        loss_framed: whether messages frame unredeemed points as a loss.
        probability_weighting: gamma of the weighting w (default: T&K 1992's median
            for gains, `custsim.agents.prospect.TK92_GAMMA_GAINS` = 0.61).

    Returns:
        Utility of the points, per customer.

    """
    k = purchases_to_reward(balance, earn, threshold)
    tau = k / traits["occasion_rate"]
    with np.errstate(invalid="ignore"):  # p = 1: 0 * -inf; with k = 0 the reward comes now
        log_reach = np.where(k > 0, k * traits["log_survival"], 0.0)  # log of (1 - p)**k
    if expiry_days is not None:
        log_reach = log_reach - tau / expiry_days
    delay = np.where(tau > 0, traits["present_bias"], 1.0) * np.exp(tau * np.log(daily_discount))
    money = traits["points_value"] * np.asarray(earn) * (reward_value / threshold)
    chance = weight_of_log(log_reach, probability_weighting)
    value = traits["price_sensitivity"] * money * chance * delay
    if loss_framed:
        value = value * np.where(np.asarray(balance) > 0, traits["loss_aversion"], 1.0)
    return value


def goal_gradient_rate(
    rate: ArrayLike, progress: ArrayLike, gradient: ArrayLike
) -> NDArray[np.float64]:
    """Occasion rate mu * (1 + gamma * progress), progress = balance / threshold in [0, 1]."""
    return np.multiply(rate, 1.0 + np.multiply(gradient, np.clip(progress, 0.0, 1.0)))


def goal_pull(
    progress: ArrayLike, gradient: ArrayLike, reward_utility: ArrayLike
) -> NDArray[np.float64]:
    """V_goal = gamma * g * U_R: the pull of a visible goal, g = balance / threshold in [0, 1].

    Args:
        progress: g, the share of the way to the reward.
        gradient: gamma, the customers' goal gradient.
        reward_utility: U_R = b * m * R, the reward's value in utility.

    """
    return np.multiply(np.multiply(gradient, np.clip(progress, 0.0, 1.0)), reward_utility)


def abandonment_probability(progress: ArrayLike, rate: float) -> NDArray[np.float64]:
    """Chance q * (1 - g) that a member gives up collecting on a trip that earns nothing."""
    return rate * (1.0 - np.clip(np.asarray(progress, dtype=float), 0.0, 1.0))


def switching_cost_factor(
    stake: ArrayLike, loss_aversion: ArrayLike, weight_psi: float, price_scale: float
) -> NDArray[np.float64]:
    """Divisor of the dropout hazard: 1 + psi * lambda * stake / price_scale."""
    return 1.0 + weight_psi * np.multiply(loss_aversion, stake) / price_scale


def tier_of(rolling_spend: ArrayLike, thresholds: tuple[float, ...]) -> NDArray[np.int64]:
    """Tier index: how many tier thresholds the rolling spend reaches (0: base tier)."""
    if not thresholds:
        return np.zeros(np.shape(rolling_spend), dtype=np.int64)
    return np.searchsorted(np.asarray(thresholds), rolling_spend, side="right").astype(np.int64)


def decay_rolling(value: ArrayLike, days: ArrayLike, window: float) -> NDArray[np.float64]:
    """Exponentially decayed rolling spend after `days`: value * exp(-days / window)."""
    return np.multiply(value, np.exp(-np.asarray(days, dtype=float) / window))
