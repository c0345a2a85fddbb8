"""Step 5 of the day: how shopping changes the customers.

Reference prices, stock at home, satisfaction, social signals and word of
mouth, each buyer's history with each firm, dropout and the next occasion.
(Awareness of a launched brand is `custsim.sim.launch.BrandLaunch.end_of_day`.)
Every function writes the `CustomerState` arrays it names, through the pure
kernels of `custsim.agents`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from custsim.agents import churn, inventory, loyalty, prospect, reference_price, social
from custsim.agents.population import Traits
from custsim.sim.basket import Basket, SettledBasket
from custsim.sim.config import LoyaltyConfig, NetworkConfig, OccasionsConfig, SatisfactionConfig
from custsim.sim.network import Graph
from custsim.sim.rng import DayDraws
from custsim.sim.stages.loyalty import PointsAtStake
from custsim.sim.state import CustomerState


def arrival_stock(
    state: CustomerState, traits: Traits, who: NDArray[np.int64], day: int
) -> NDArray[np.floating]:
    """Units at home of customers `who` on arriving at the shelf today (net of consumption)."""
    return inventory.current_stock(
        state.stock[who], traits["consumption"][who], day - state.stock_day[who]
    )


def update_references_and_stock(
    state: CustomerState, traits: Traits, basket: Basket, seen: NDArray, day: int
) -> None:
    """Shoppers' references move towards the prices `seen` (encoded); buyers add to their stock."""
    who = basket.shoppers
    moved = reference_price.update(basket.reference, seen, traits["memory"][who])
    for row, values in zip(state.reference, moved, strict=True):  # per firm: ~1.5x faster
        row[who] = values  # than state.reference[:, who] = moved
    state.stock[who] = basket.stock
    state.stock[basket.buyers] += basket.quantity
    state.stock_day[who] = day


def update_satisfaction(
    state: CustomerState, traits: Traits, basket: SettledBasket, satisfaction: SatisfactionConfig
) -> NDArray[np.floating]:
    """Buyers' felt experience e = v((r - p) / r) (+ v(reward / r) on a reward) and satisfaction.

    Writes the buyers' `state.satisfaction`, smoothed with rho = `satisfaction.memory`;
    returns e per buyer.
    """
    buyers = basket.buyers
    args = (
        traits["gain_curvature"][buyers],
        traits["loss_curvature"][buyers],
        traits["loss_aversion"][buyers],
    )
    felt = churn.experience(basket.reference_paid, basket.paid, *args)
    if basket.rewards.any():
        felt = felt + prospect.value(basket.rewards / basket.reference_paid, *args)
    state.satisfaction[buyers] = churn.update_satisfaction(
        state.satisfaction[buyers], felt, satisfaction.memory
    )
    return felt


def spread_social_signals(
    state: CustomerState,
    graph: Graph,
    inv_degree: NDArray[np.float64],
    net: NetworkConfig,
    day: int,
    basket: Basket,
    felt: NDArray,
) -> None:
    """Decay neighbours' purchase signals, add today's, and pass on word of mouth."""
    buyers = basket.buyers
    state.social_signal *= 1.0 - net.recency_decay
    src, targets = social.edges_from(graph.indptr, graph.indices, buyers)
    where = social.cells(basket.brand[src], targets, state.size)
    scale = inv_degree[targets]
    last = state.last_buy_day.reshape(-1)[basket.cells(state.size)]
    fresh = social.recency_increment(last, day, net.recency_decay)
    social.add_to_neighbours(state.social_signal, where, fresh[src] * scale)
    talk = felt[src] != 0  # purchases felt as neutral (inside the latitude band) pass nothing on
    if net.wom_strength and talk.any():
        wom = net.wom_strength * felt[src][talk] * scale[talk]
        social.add_to_neighbours(state.taste, where[talk], wom.astype(state.taste.dtype))


def update_history(
    state: CustomerState,
    unit_costs: NDArray[np.float64],
    discount: float,
    day: int,
    basket: SettledBasket,
) -> None:
    """Buyers' history with each firm: units, spend, rewards, margin discounted by `discount`."""
    buyers, brand, qty = basket.buyers, basket.brand, basket.quantity
    cell = basket.cells(state.size)  # flat index into the (J, n) arrays
    state.last_buy_day.reshape(-1)[cell] = day
    first = state.first_buy_day.reshape(-1)
    first[cell] = np.minimum(first[cell], day)
    state.purchases.reshape(-1)[cell] += 1
    state.units.reshape(-1)[cell] += qty
    state.spend.reshape(-1)[cell] += qty * basket.paid
    margin = qty * (basket.paid - unit_costs[brand]) - basket.rewards
    state.discounted_margin.reshape(-1)[cell] += discount * margin
    if basket.rewards.any():
        state.rewards.reshape(-1)[cell] += basket.rewards
    state.last_brand[buyers] = brand


def repeat_buyers(state: CustomerState, basket: Basket) -> NDArray[np.bool_]:
    """(m,) which of today's shoppers made a repeat purchase (bought today, not for the first time).

    Reads `state.purchases` after today's history update (a first purchase has a total of 1).
    """
    exposed = np.zeros(len(basket.shoppers), dtype=bool)
    buyers = basket.shoppers[basket.at]
    exposed[basket.at] = state.purchases[:, buyers].sum(axis=0) > 1
    return exposed


def dropout_and_next_occasion(
    state: CustomerState,
    traits: Traits,
    day: int,
    who: NDArray[np.int64],
    draws: DayDraws,
    at_stake: PointsAtStake,
    population_loyalty: LoyaltyConfig,
    occasions: OccasionsConfig,
    exposed: NDArray[np.bool_] | None = None,
) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
    """BG/NBD-style dropout after the occasion (eased by points at stake); stayers draw the next.

    `exposed`: which of the shoppers may leave today (None: all of them; with
    `population.occasions.dropout = purchase`, the repeat buyers: `repeat_buyers`).

    Reads the shoppers `who`'s traits, satisfaction and points `at_stake`, and
    today's `draws` (dropout uniforms, exponential gaps); writes `state.active`,
    `next_occasion` and `churn_day`. Points at stake divide the hazard by the
    switching-cost factor (psi: `population.loyalty.switching_cost_weight`). The
    next occasion follows after an exponential gap at the occasion rate (exactly
    1 / rate with `population.occasions.timing = regular`: a contract renewed
    every period), raised by the goal gradient for members with visible progress.

    Returns the customers who left and, for each, whether its uniform fell within
    its baseline hazard p_i (eased by the points at stake): a `natural` dropout, not
    one that dissatisfaction added (`custsim.sim.stages.causes.record_exits`).
    """
    base = traits["dropout"][who]
    hazard = churn.dropout_probability(
        base, state.satisfaction[who], traits["dissatisfaction_churn"][who]
    )
    programmes, held = at_stake.programmes, at_stake.held
    factor = None
    if programmes:
        stake = sum(held[j] * t.point_value for j, t in programmes)
        factor = loyalty.switching_cost_factor(
            stake * traits["points_value"][who],
            traits["loss_aversion"][who],
            population_loyalty.switching_cost_weight,
            at_stake.mean_regular_price,
        )
        hazard = hazard / factor
    leave = draws.dropout < hazard
    if exposed is not None:
        leave &= exposed
    gone, stay = who[leave], who[~leave]
    state.active[gone] = False
    state.next_occasion[gone] = np.inf
    state.churn_day[gone] = day
    rate = traits["occasion_rate"][stay]
    visible = [(j, t) for j, t in programmes if t.progress_visible]
    if visible:
        progress = np.max([held[j][~leave] / t.threshold for j, t in visible], axis=0)
        rate = loyalty.goal_gradient_rate(rate, progress, traits["goal_gradient"][stay])
    gap = (1.0 if occasions.timing == "regular" else draws.gaps[~leave]) / rate
    state.next_occasion[stay] = np.maximum(state.next_occasion[stay] + gap, day)
    natural = base[leave] if factor is None else base[leave] / factor[leave]
    return gone, draws.dropout[leave] < natural
