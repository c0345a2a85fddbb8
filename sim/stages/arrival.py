"""Step 2 of the day: who comes to the shelf.

Customers due to arrive today enter the market (`ArrivalQueue`, with
`population.arrivals`); lapsed customers holding a personal offer may return (win-back), a fresh or
expiring offer prompts extra trips, and everyone whose occasion is due shops.
Personal offers received are counted here too (the day they first arrive).
Each conditional mechanism draws from its own stream (`custsim.sim.rng`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from custsim.agents import churn
from custsim.agents.population import Traits
from custsim.sim.config import WinbackConfig
from custsim.sim.market import Offers
from custsim.sim.state import CustomerState


@dataclass
class ArrivalQueue:
    """The customers still to arrive, in order of arrival time (`custsim.agents.arrivals`).

    Attributes:
        order: rows of the customers who arrive after day 0, by arrival time.
        times: their arrival times (continuous days), ascending.
        first_purchase: an arriving customer buys on its arrival occasion.
        admitted: how many of them have arrived so far.
        today: rows that arrived today, sorted (their first occasion is today).

    """

    order: NDArray[np.int64]
    times: NDArray[np.float64]
    first_purchase: bool
    admitted: int = 0
    today: NDArray[np.int64] | None = None

    @classmethod
    def hold(
        cls, state: CustomerState, times: NDArray[np.float64], first_purchase: bool
    ) -> ArrivalQueue:
        """Keep out the customers with arrival time > 0 until they arrive; the queue of them.

        Writes `state.arrival` (every customer's time) and, for those still to arrive,
        `active` (False: neither active nor churned, churn_day stays -1), `next_occasion`
        (inf) and `stock_day` (their day-0 stock is what they arrive with).
        """
        waiting = np.flatnonzero(times > 0)
        order = waiting[np.argsort(times[waiting], kind="stable")]
        state.arrival = times.astype(state.next_occasion.dtype)
        state.active[waiting] = False
        state.next_occasion[waiting] = np.inf
        state.stock_day[waiting] = state.arrival[waiting]
        return cls(order=order, times=times[order], first_purchase=first_purchase)

    def admit(self, state: CustomerState, day: int) -> None:
        """Today's arrivals (time < day) enter: active, their first occasion at their time.

        Writes `active`, `next_occasion` and `self.admitted` / `self.today`.
        """
        start, end = self.admitted, int(np.searchsorted(self.times, day, side="left"))
        rows = self.order[start:end]
        state.active[rows] = True
        state.next_occasion[rows] = self.times[start:end]
        self.admitted = end
        self.today = np.sort(rows)

    def must_buy(self, shoppers: NDArray[np.int64]) -> NDArray[np.bool_] | None:
        """(m,) which of today's `shoppers` arrived today and must buy (None: nobody)."""
        if not self.first_purchase or self.today is None or not len(self.today):
            return None
        return np.isin(shoppers, self.today, assume_unique=True)


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
        lapsed = state.churn_day[ids] >= 0  # churned (a customer still to arrive is not)
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
