"""Step 2 of the day: who comes to the shelf.

Lapsed customers holding a personal offer may return (win-back), a fresh or
expiring offer prompts extra trips, and everyone whose occasion is due shops.
Personal offers received are counted here too (the day they first arrive).
Each conditional mechanism draws from its own stream (`custsim.sim.rng`).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from custsim.agents import churn
from custsim.agents.population import Traits
from custsim.sim.config import WinbackConfig
from custsim.sim.market import Offers
from custsim.sim.state import CustomerState


def receive_offers(state: CustomerState, before: Offers | None, offers: Offers) -> None:
    """Count the personal offers sent today: holders of a personal price who held none yesterday.

    A firm posts every offer still valid each day (`Offer.targeted_ids`), so an
    offer is received on the first day of a run of days holding one.
    """
    for j, (ids, _) in enumerate(offers.targeted):
        if len(ids) == 0:
            continue
        held = before.targeted[j][0] if before is not None else ids[:0]
        new = ids[~np.isin(ids, held, assume_unique=True)]
        state.offers_received[new] += 1
        state.firm_offers_sent[j] += len(new)


def win_back(
    state: CustomerState,
    regular_prices: NDArray[np.float64],
    offers: Offers,
    winback: WinbackConfig,
    day: int,
    rng: np.random.Generator,
) -> None:
    """Lapsed customers holding a personal offer come back with P = 1 - exp(-k * saving).

    The saving is relative to the firm's regular price; k is `winback.response`
    (`population.winback.response`). A returning customer shops today: writes
    `active`, `churn_day`, `satisfaction` (reset to 0) and `next_occasion`.
    """
    for j, (ids, personal) in enumerate(offers.targeted):
        lapsed = ~state.active[ids]
        if not lapsed.any():
            continue
        who = ids[lapsed]
        saving = np.maximum(1.0 - personal[lapsed] / regular_prices[j], 0.0)
        chance = churn.reactivation_probability(saving, winback.response)
        back = who[rng.random(len(who)) < chance]
        state.active[back] = True
        state.churn_day[back] = -1
        state.satisfaction[back] = 0.0
        state.next_occasion[back] = day - 0.5


def offer_trips(
    state: CustomerState,
    traits: Traits,
    pull: NDArray[np.float64],
    day: int,
    rng: np.random.Generator,
) -> None:
    """A fresh or expiring offer prompts extra shopping trips.

    On a day when some firm's offer pulls with strength P (`pull`, the day's
    `custsim.agents.urgency.offer_pull`), an active customer who had no occasion
    today makes one with probability 1 - exp(-mu_i u_i P): the occasion rate
    scaled by the customer's urgency.
    """
    strongest = float(pull.max(initial=0.0))
    if strongest <= 0:
        return
    idle = np.flatnonzero(state.next_occasion >= day)  # churned customers wait at inf
    idle = idle[np.isfinite(state.next_occasion[idle])]
    chance = 1.0 - np.exp(-traits["occasion_rate"][idle] * traits["urgency"][idle] * strongest)
    go = idle[rng.random(len(idle)) < chance]
    state.next_occasion[go] = day - 0.5


def shoppers_today(state: CustomerState, day: int) -> NDArray[np.int64]:
    """Row ids of the customers whose occasion falls before the end of `day`."""
    return np.flatnonzero(state.next_occasion < day)
