"""Why customers leave and switch: every churn and every brand switch put down to one cause.

Causes are `custsim.agents.experience.CAUSES`. A churn is `natural` when the
customer's dropout uniform fell below its baseline hazard p_i (less the points at
stake), the part that would have ended the relationship anyway; above it, the
extra hazard came from dissatisfaction, and the churn is put down to the
customer's grievance with the brand it last bought (the worst-felt dimension of
its last bad experience with that firm: price, quality or service). A switch
from brand j to k != j is put down to the grievance with j when the customer was
dissatisfied with j (S_ij < 0: pushed), else to an `offer`
when k was bought below its regular price (pulled by a promotion, a personal or a
tier price), else to `taste` (the random utility of the day: variety).

Writes the `ChainState` ledgers; each event is counted once, so the ledgers sum
to the run's churn events and brand switches.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from custsim.agents.experience import CAUSES
from custsim.sim.basket import Basket
from custsim.sim.chain import ChainState
from custsim.sim.state import CustomerState

NATURAL, OFFER, TASTE = (CAUSES.index(c) for c in ("natural", "offer", "taste"))


def record_switches(
    chain: ChainState,
    state: CustomerState,
    basket: Basket,
    regular_prices: NDArray[np.float64],
) -> None:
    """Count today's brand switches by cause; reads `state.last_brand` before today's update."""
    buyers, brand = basket.buyers, basket.brand
    prior = state.last_brand[buyers].astype(np.int64)
    moved = (prior >= 0) & (prior != brand)
    if not moved.any():
        return
    who, came_from, went_to = buyers[moved], prior[moved], brand[moved]
    held = chain.grievance[came_from, who]
    pushed = (chain.satisfaction[came_from, who] < 0) & (held >= 0)
    deal = basket.paid[moved] < regular_prices[went_to]
    cause = np.where(pushed, held, np.where(deal, OFFER, TASTE))
    n_firms = len(regular_prices)
    flat = (cause.astype(np.int64) * n_firms + came_from) * n_firms + went_to  # counts: bincount
    chain.switches += np.bincount(flat, minlength=chain.switches.size).reshape(chain.switches.shape)
    chain.day["switches_in"] += np.bincount(went_to, minlength=n_firms)
    chain.day["switches_out"] += np.bincount(came_from, minlength=n_firms)


def record_exits(
    chain: ChainState, state: CustomerState, gone: NDArray[np.int64], natural: NDArray[np.bool_]
) -> None:
    """Count today's churns by cause and last brand; writes `chain.churn_cause` of the gone.

    `natural`: (len(gone),) whether each left within its baseline hazard.
    """
    if not len(gone):
        return
    n_firms = chain.exits.shape[1] - 1
    last = state.last_brand[gone].astype(np.int64)
    held = np.where(last >= 0, chain.grievance[np.maximum(last, 0), gone], -1)
    cause = np.where(natural | (held < 0), NATURAL, held).astype(np.int8)
    chain.churn_cause[gone] = cause
    np.add.at(chain.exits, (cause, np.where(last < 0, n_firms, last)), 1)
    chain.day["exits"] += np.bincount(last[last >= 0], minlength=n_firms)
