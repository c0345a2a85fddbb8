"""Step 4 of the day: purchases settle into units, revenue, margin, points and rewards.

`settle` reads the basket and returns a new `SettledBasket` (the basket plus
each buyer's loyalty rewards) with each firm's `StepOutcome`; the basket itself
is never written. It writes the points ledger and the personal-offer counters.
The firm's margin is revenue - unit cost x units - rewards paid, the sum of its
buyers' (`CustomerState.margin`, before the points liability, charged at the
end of the run).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from custsim.sim.basket import Basket, SettledBasket
from custsim.sim.config import LoyaltyConfig
from custsim.sim.ledger import PointsLedger
from custsim.sim.market import Offers, StepOutcome
from custsim.sim.stages.loyalty import settle_points
from custsim.sim.state import CustomerState


def redeem_offers(
    state: CustomerState, j: int, basket: Basket, mine: NDArray[np.int64], offers: Offers
) -> None:
    """Firm j's buyers who paid its personal price (below the shelf price) redeemed an offer.

    The discount cost is (shelf price - price paid) x units on those purchases:
    money given away, already inside spend (which is at the price paid), so
    it is reported beside the margin, never taken from it again.
    """
    ids, personal = offers.targeted[j]
    if len(ids) == 0 or len(mine) == 0:
        return
    buyers = basket.buyers[mine]
    pos = np.minimum(np.searchsorted(ids, buyers), len(ids) - 1)
    used = (ids[pos] == buyers) & (personal[pos] < offers.price[j])
    state.offers_redeemed[buyers[used]] += 1
    state.firm_offers_redeemed[j] += int(used.sum())
    cut = (offers.price[j] - basket.paid[mine][used]) * basket.quantity[mine][used]
    state.firm_discount_cost[j] += float(cut.sum())


def idle_shoppers(basket: Basket, mine: NDArray[np.int64]) -> NDArray[np.int64]:
    """Today's shoppers who did not buy from the firm whose buyers are `mine`."""
    earned = np.zeros(len(basket.shoppers), dtype=bool)
    earned[basket.at[mine]] = True
    return basket.shoppers[~earned]


def settle(
    day: int,
    basket: Basket,
    offers: Offers,
    ledger: PointsLedger,
    state: CustomerState,
    unit_costs: NDArray[np.float64],
    population_loyalty: LoyaltyConfig,
    rng: np.random.Generator,
) -> tuple[SettledBasket, list[StepOutcome]]:
    """Each firm's units, revenue, margin, points flows and offers redeemed (module docstring).

    Args:
        day: today.
        basket: what today's shoppers chose (read only).
        offers: the day's offers.
        ledger: the points ledger (written).
        state: the customer state (its personal-offer counters are written).
        unit_costs: (J,) unit cost per firm.
        population_loyalty: `population.loyalty` (its goal abandonment q).
        rng: the goal-abandonment stream.

    Returns:
        The settled basket and every firm's outcome, in firm order.

    """
    n_firms = len(unit_costs)
    units = np.bincount(basket.brand, weights=basket.quantity, minlength=n_firms)
    spend = basket.quantity * basket.paid
    revenue = np.bincount(basket.brand, weights=spend, minlength=n_firms)
    buyers = basket.buyers
    rewards = np.zeros(len(basket.at))
    outcomes = []
    abandonment = population_loyalty.goal_abandonment
    for j in range(n_firms):
        mine = np.flatnonzero(basket.brand == j)
        idle = idle_shoppers(basket, mine) if abandonment > 0 else basket.shoppers[:0]
        paid_back, flows = settle_points(
            ledger, day, j, buyers[mine], spend[mine], offers.loyalty[j], idle, abandonment, rng
        )
        rewards[mine] = paid_back
        if offers.has_targeting:
            redeem_offers(state, j, basket, mine, offers)
        margin = revenue[j] - units[j] * unit_costs[j] - flows.rewards_paid
        outcomes.append(
            StepOutcome(
                day,
                j,
                int(units[j]),
                float(revenue[j]),
                float(margin),
                buyers[mine],
                basket.quantity[mine],
                basket.paid[mine],
                flows.earned,
                flows.redeemed,
                flows.expired,
                flows.rewards_paid,
            )
        )
    return SettledBasket.of(basket, rewards), outcomes
