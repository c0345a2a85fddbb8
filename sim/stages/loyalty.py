"""Loyalty programmes in the day: tier review, points and rewards, goal abandonment, valuation.

The engine side of every programme mechanism, gathered (the kernels are in
`custsim.agents.loyalty`, the balances in `custsim.sim.ledger.PointsLedger`):

- arrival: shoppers learn their tier; a demotion is felt as a loss (`review_tiers`);
- shelf: the points a purchase earns and the pull of visible progress (`PointsTerm`);
- settlement: points credited, rewards paid, expiry, goal abandonment (`settle_points`);
- aftermath: points at stake ease dropout, visible progress speeds the next trip
  (`PointsAtStake`);
- end of day: each customer's points liability (`value_points`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from custsim.agents import churn, loyalty, prospect
from custsim.agents import experience as xp
from custsim.sim.chain import ChainState
from custsim.sim.config import LoyaltyConfig, SatisfactionConfig
from custsim.sim.ledger import DayPoints, PointsLedger
from custsim.sim.market import LoyaltyTerms, Offers
from custsim.sim.stages import experience
from custsim.sim.stages.terms import ShelfView, ShopperTraits
from custsim.sim.state import CustomerState

POINTS_TRAITS = (
    "price_sensitivity",
    "points_value",
    "present_bias",
    "occasion_rate",
    "log_survival",
    "loss_aversion",
)


def review_tiers(
    ledger: PointsLedger,
    state: CustomerState,
    traits: ShopperTraits,
    day: int,
    offers: Offers,
    satisfaction: SatisfactionConfig,
) -> None:
    """Shoppers (`traits.who`) learn their tier; a demotion is felt as a loss in satisfaction.

    Writes the ledger's tiers and the demoted shoppers' `state.satisfaction`
    (smoothed with `satisfaction.memory`); with the experience chain, their
    satisfaction and trust with the firm (`demoted_by`) and so their category
    satisfaction.
    """
    shoppers = traits.who
    for j, terms in enumerate(offers.loyalty):
        if terms is None or not terms.tier_thresholds:
            continue
        old = ledger.tier[j, shoppers]
        change = ledger.update_tiers(
            day, j, shoppers, 0.0, terms.tier_window_days, terms.tier_thresholds
        )
        down = np.flatnonzero(change < 0)
        if len(down) == 0:
            continue
        benefit = np.array((0.0, *terms.tier_discounts))
        lost = benefit[old[down]] - benefit[old[down] + change[down]]
        who = shoppers[down]
        args = (
            traits["gain_curvature"][down],
            traits["loss_curvature"][down],
            traits["loss_aversion"][down],
        )
        if state.chain is None:
            felt = prospect.value(-lost, *args)
            state.satisfaction[who] = churn.update_satisfaction(
                state.satisfaction[who], felt, satisfaction.memory
            )
        else:  # felt in utility units, with firm j, about price (the discount lost)
            loss = traits["price_sensitivity"][down] * lost * offers.price[j]
            demoted_by(state.chain, j, who, prospect.value(-loss, *args), satisfaction.memory)
            experience.category_satisfaction(state, state.chain, who)


def demoted_by(
    chain: ChainState, j: int, who: NDArray[np.int64], felt: NDArray, memory: float
) -> None:
    """With the experience chain: a tier demotion is felt with firm j, a grievance about price.

    Writes what `experience.feel_with_firm` writes, and `chain.grievance` (price).
    """
    experience.feel_with_firm(chain, j, who, felt, memory)
    chain.grievance[j, who] = xp.CAUSES.index("price")


def points_value(
    ledger: PointsLedger,
    j: int,
    tr: ShopperTraits,
    prices_j: NDArray,
    terms: LoyaltyTerms,
    population_loyalty: LoyaltyConfig,
) -> NDArray:
    """V_points, plus V_goal where progress is visible, of firm j's programme for the shoppers.

    Reads `population.loyalty`: the customers' time preference (delta) and the
    curvature of their probability weighting.
    """
    earn = loyalty.points_earned(
        prices_j, 1.0, terms.points_per_currency, terms.points_per_purchase, terms.multiplier
    )
    balance = ledger.effective_balance(j, tr.who, terms)
    # an earned point is worth R / points_to_earn: free stamps on every card make each bought one
    # worth more (R / (T - I)), so equivalent cards are valued alike (Nunes & Dreze 2006)
    value = loyalty.points_utility(
        earn,
        balance,
        terms.threshold,
        terms.reward_value * terms.threshold / terms.points_to_earn,
        terms.expiry_days,
        {t: tr[t] for t in POINTS_TRAITS},
        population_loyalty.daily_discount,
        terms.message == "loss",
        population_loyalty.probability_weighting,
    )
    if terms.progress_visible:
        reward = tr["price_sensitivity"] * tr["points_value"] * terms.reward_value
        value += loyalty.goal_pull(balance / terms.threshold, tr["goal_gradient"], reward)
    return value


@dataclass(frozen=True)
class PointsTerm:
    """The utility term of every programme that earns points today (rows of other firms: 0).

    `population_loyalty`: how customers discount and weigh a reward to come.
    """

    population_loyalty: LoyaltyConfig
    name: str = "points"

    def __call__(self, shelf: ShelfView) -> NDArray[np.floating] | None:
        """(J, m): V_points of each earning programme in its firm's row, or None if none earns."""
        earning = enumerate(shelf.offers.loyalty)
        rows = [(j, t) for j, t in earning if t is not None and t.earns_points]
        if not rows:
            return None
        values = [
            points_value(shelf.ledger, j, shelf.traits, shelf.prices[j], t, self.population_loyalty)
            for j, t in rows
        ]
        out = np.zeros(shelf.prices.shape, dtype=np.result_type(*values))
        for (j, _), value in zip(rows, values, strict=True):
            out[j] = value
        return out


def settle_points(
    ledger: PointsLedger,
    day: int,
    j: int,
    buyers: NDArray[np.int64],
    spend: NDArray,
    terms: LoyaltyTerms | None,
    idle: NDArray[np.int64],
    abandonment: float,
    rng: np.random.Generator,
) -> tuple[NDArray[np.float64], DayPoints]:
    """Firm j's loyalty flows today: points, rewards, expiry, goal abandonment, tiers.

    Args:
        ledger: the points ledger (written).
        day: today.
        j: the firm.
        buyers: firm j's buyers today.
        spend: what each of them spent.
        terms: firm j's programme today (None: no programme, nothing happens).
        idle: today's shoppers who earn nothing with firm j (they may abandon the goal).
        abandonment: q, `population.loyalty.goal_abandonment`.
        rng: the goal-abandonment stream.

    Returns:
        The rewards paid to each of firm j's buyers (money) and the firm's flows.

    """
    if terms is None:
        return np.zeros(len(buyers)), DayPoints()
    rewards, flows = ledger.settle(day, j, buyers, spend, terms)
    flows.expired = ledger.expire(day, j, terms)
    if abandonment > 0 and terms.earns_points:
        flows.expired += abandon_goal(ledger, j, idle, terms, abandonment, rng)
    if terms.tier_thresholds:
        ledger.update_tiers(day, j, buyers, spend, terms.tier_window_days, terms.tier_thresholds)
    return rewards, flows


def abandon_goal(
    ledger: PointsLedger,
    j: int,
    idle: NDArray[np.int64],
    terms: LoyaltyTerms,
    rate: float,
    rng: np.random.Generator,
) -> float:
    """Shoppers `idle` (who earn nothing with firm j today) give up collecting with P = q (1 - g).

    g = balance / threshold is the progress they see (0 when progress is hidden),
    q is `population.loyalty.goal_abandonment`; their points lapse. Returns the points lost.
    """
    holders = idle[ledger.balance[j, idle] > 0]
    progress = ledger.balance[j, holders] / terms.threshold if terms.progress_visible else 0.0
    chance = loyalty.abandonment_probability(progress, rate)
    give_up = holders[rng.random(len(holders)) < chance]
    return ledger.forfeit(j, give_up, terms)


def value_points(
    state: CustomerState, ledger: PointsLedger, offers: Offers, discount: float
) -> None:
    """Each customer's points liability L_ij = points_ij x v_j, v_j the firm's point value today.

    Run at the end of every day (step 6), so the liability is the value of the
    points outstanding at the end of the last day simulated, priced like the
    firm's (`CustsimModel.points_liability`); `discount` (d_T, the day's discount
    factor to day 0) goes with it. Firms without points today are valued once
    more (at 0) the day their programme ends, then left alone.
    """
    values = offers.point_values
    priced = values > 0
    for j in np.flatnonzero(priced | state.liability_valued):
        np.multiply(ledger.balance[j], values[j], out=state.liability[j])
    if priced.any():
        state.liability_discount = discount
    state.liability_valued = priced


@dataclass(frozen=True)
class PointsAtStake:
    """What customers `who` hold in the programmes earning points today (read by dropout).

    Attributes:
        programmes: (firm index, terms) of each programme earning points today.
        held: firm index -> the balances of `who` with that firm.
        mean_regular_price: the market's mean regular price, the money scale of a balance.

    """

    programmes: list[tuple[int, LoyaltyTerms]]
    held: dict[int, NDArray]
    mean_regular_price: float

    @classmethod
    def of(
        cls,
        ledger: PointsLedger,
        who: NDArray[np.int64],
        offers: Offers,
        regular_prices: NDArray[np.float64],
    ) -> PointsAtStake:
        """Read the balances of `who` in today's earning programmes from the ledger."""
        earning = enumerate(offers.loyalty)
        programmes = [(j, t) for j, t in earning if t is not None and t.earns_points]
        held = {j: ledger.balance[j, who] for j, _ in programmes}
        return cls(programmes, held, float(regular_prices.mean()))
