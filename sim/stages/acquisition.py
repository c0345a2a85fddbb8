"""Acquisition (step 1): firms buy contacts to prospects, and the converted enter the market.

With `population.prospects` = s, the last round(s n) rows (the rows are in random
order: `custsim.agents.population.draw_population`) start outside the market, like
customers still to arrive (`custsim.sim.stages.arrival.ArrivalQueue`), but with no
arrival time: only an acquisition contact brings them in. A firm buys contacts
(`custsim.sim.market.Prospecting`); each reaches a prospect drawn at random from
those still outside, is delivered and opened with the channel's probabilities and
converts with its response probability r (a prospect has had no messages, so
F = 0: `custsim.agents.reach`). A converted prospect enters the market and shops
that day, choosing freely among the brands: the firm pays for the prospect, not
for its loyalty (a rival may make the first sale). Every contact is charged to the
firm (`ReachState.acquisition_cost` of the prospect reached, and its margin);
the customers a firm's contacts brought in are `ReachState.acquired_by` it, so its
acquisition cost per customer is CAC = spend / acquired.

Draws: the prospects reached (a choice without replacement) and three uniforms per
contact (delivery, opening, conversion) from the acquisition's own stream.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from custsim.sim.market import Offers
from custsim.sim.reach import ReachState
from custsim.sim.state import CustomerState


@dataclass
class ProspectPool:
    """The prospects still outside the market (rows, ascending)."""

    outside: NDArray[np.int64]

    @classmethod
    def hold(cls, state: CustomerState, share: float) -> ProspectPool:
        """Keep the last round(share n) rows out of the market; the pool of them.

        Writes `state.arrival` (0 for the others: there from the start; inf for the
        prospects), and for the prospects `active` (False: neither active nor
        churned) and `next_occasion` (inf).
        """
        n = state.size
        rows = np.arange(n - round(share * n), n, dtype=np.int64)
        state.arrival = np.zeros(n, dtype=state.next_occasion.dtype)
        state.arrival[rows] = np.inf
        state.active[rows] = False
        state.next_occasion[rows] = np.inf
        return cls(outside=rows)


def acquire(
    pool: ProspectPool,
    reach: ReachState,
    state: CustomerState,
    offers: Offers,
    day: int,
    discount: float,
    rng: np.random.Generator,
) -> None:
    """Every firm's contacts to prospects go out; the converted enter and shop today.

    Writes, for the prospects reached, the acquisition ledger, `acquisition_cost`
    and `state.discounted_margin` (at today's `discount`); for the converted,
    `acquired_by`, `arrival`, `stock_day` and `active`, `next_occasion` (they shop
    today); and the pool.
    """
    for j, bought in enumerate(offers.prospecting):
        for order in bought:
            k = reach.channel(order.channel)
            terms = reach.terms[k]
            m = min(order.contacts, len(pool.outside))
            if not m:
                continue
            picked = rng.choice(len(pool.outside), size=m, replace=False)
            ids = pool.outside[picked]
            u = rng.random((3, m))
            delivered = u[0] < terms.delivery
            opened = delivered & (u[1] < terms.open)
            won = opened & (u[2] < terms.response)
            reach.acquisition_cost[j, ids] += terms.cost
            reach.acquisition_discounted[j, ids] += discount * terms.cost
            state.discounted_margin[j, ids] -= discount * terms.cost
            # the ledger's ACQUISITION_FATES: sent, delivered, opened, acquired
            reach.acquisition[j, k] += (m, delivered.sum(), opened.sum(), won.sum())
            paid = terms.cost * m
            reach.acquisition_spend[j, k] += paid
            reach.day["acquisition_cost"][j] += paid
            reach.day["acquired"][j] += won.sum()
            enter(state, reach, ids[won], j, day)
            pool.outside = np.delete(pool.outside, picked[won])


def enter(
    state: CustomerState, reach: ReachState, ids: NDArray[np.int64], j: int, day: int
) -> None:
    """Prospects `ids`, acquired by firm j, enter the market today and shop."""
    reach.acquired_by[ids] = j
    state.arrival[ids] = day - 0.5
    state.stock_day[ids] = day - 0.5
    state.active[ids] = True
    state.next_occasion[ids] = day - 0.5
