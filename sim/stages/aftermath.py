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
from custsim.sim.config import NetworkConfig
from custsim.sim.ledger import PointsLedger
from custsim.sim.market import Offers
from custsim.sim.network import Graph
from custsim.sim.stages.loyalty import points_at_stake
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
    state.reference[:, who] = reference_price.update(basket.reference, seen, traits["memory"][who])
    state.stock[who] = basket.stock
    state.stock[basket.buyers] += basket.quantity
    state.stock_day[who] = day


def update_satisfaction(
    state: CustomerState, traits: Traits, basket: SettledBasket, memory: float
) -> NDArray[np.floating]:
    """Buyers' felt experience e = v((r - p) / r) (+ v(reward / r) on a reward) and satisfaction."""
    buyers = basket.buyers
    args = (
        traits["gain_curvature"][buyers],
        traits["loss_curvature"][buyers],
        traits["loss_aversion"][buyers],
    )
    felt = churn.experience(basket.reference_paid, basket.paid, *args)
    if basket.rewards.any():
        felt = felt + prospect.value(basket.rewards / basket.reference_paid, *args)
    state.satisfaction[buyers] = churn.update_satisfaction(state.satisfaction[buyers], felt, memory)
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


def dropout_and_next_occasion(
    state: CustomerState,
    traits: Traits,
    ledger: PointsLedger,
    offers: Offers,
    day: int,
    who: NDArray[np.int64],
    u_dropout: NDArray,
    unit_gaps: NDArray,
    switching_cost_weight: float,
    mean_regular_price: float,
    regular_timing: bool,
) -> None:
    """BG/NBD-style dropout after the occasion (eased by points at stake); stayers draw the next.

    The next occasion follows after an exponential gap at the occasion rate
    (exactly 1 / rate with `regular_timing`, `population.occasion_timing =
    regular`: a contract renewed every period), raised by the goal gradient for
    members with visible progress.
    """
    hazard = churn.dropout_probability(
        traits["dropout"][who], state.satisfaction[who], traits["dissatisfaction_churn"][who]
    )
    programmes, held = points_at_stake(ledger, who, offers)
    if programmes:
        stake = sum(held[j] * t.point_value for j, t in programmes)
        hazard = hazard / loyalty.switching_cost_factor(
            stake * traits["points_value"][who],
            traits["loss_aversion"][who],
            switching_cost_weight,
            mean_regular_price,
        )
    leave = u_dropout < hazard
    gone, stay = who[leave], who[~leave]
    state.active[gone] = False
    state.next_occasion[gone] = np.inf
    state.churn_day[gone] = day
    rate = traits["occasion_rate"][stay]
    visible = [(j, t) for j, t in programmes if t.progress_visible]
    if visible:
        progress = np.max([held[j][~leave] / t.threshold for j, t in visible], axis=0)
        rate = loyalty.goal_gradient_rate(rate, progress, traits["goal_gradient"][stay])
    gap = (1.0 if regular_timing else unit_gaps[~leave]) / rate
    state.next_occasion[stay] = np.maximum(state.next_occasion[stay] + gap, day)
