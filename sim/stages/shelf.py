"""Step 3 of the day: what shoppers see at the shelf, how they value it, what they take.

Perceived prices (personal offers, tier discounts, frames), the brand utility
(`custsim.sim.stages.terms`), the multinomial logit over the brands and the
outside option (`custsim.agents.choice`), and the quantity bought
(`custsim.agents.inventory`), capped by a stock-limited offer ("only K left").
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from custsim.agents import choice, reference_price
from custsim.agents import inventory as stocks
from custsim.sim import threads
from custsim.sim.basket import Basket
from custsim.sim.config import FramingConfig, InventoryConfig, LoyaltyConfig
from custsim.sim.launch import BrandLaunch
from custsim.sim.market import Offers
from custsim.sim.stages.loyalty import PointsTerm
from custsim.sim.stages.terms import (
    DealTerm,
    ReferenceGainTerm,
    ShelfView,
    SocialTerm,
    UrgencyTerm,
    UtilityTerm,
    brand_utility,
)


def utility_terms(
    framing: FramingConfig, population_loyalty: LoyaltyConfig
) -> tuple[UtilityTerm, ...]:
    """The registered utility terms, in the order they are added (with the blocks they read)."""
    return (
        ReferenceGainTerm(framing),
        DealTerm(),
        SocialTerm(),
        UrgencyTerm(),
        PointsTerm(population_loyalty),
    )


def personal_prices(
    offers: Offers, tier: NDArray[np.int8], who: NDArray[np.int64]
) -> NDArray[np.float64]:
    """(J, m) prices: shelf, or a personal offer, less the tier discount (`tier`: (J, n) tiers)."""
    prices = offers.prices_for(who)
    for j, terms in enumerate(offers.loyalty):
        if terms is not None and terms.tier_discounts:
            discount = np.array((0.0, *terms.tier_discounts))[tier[j, who]]
            prices[j] *= 1.0 - discount
    return prices


def within_offer_stock(
    brand: NDArray[np.int64], quantity: NDArray[np.int64], order_key: NDArray, offers: Offers
) -> NDArray[np.bool_]:
    """Which buyers still find the offer in stock ("only K left"), served in random order."""
    keep = np.ones(len(brand), dtype=bool)
    for j in np.flatnonzero(np.isfinite(offers.stock_limit)):
        mine = np.flatnonzero(brand == j)
        queue = mine[np.argsort(order_key[mine], kind="stable")]
        served = np.cumsum(quantity[queue]) <= offers.stock_limit[j]
        keep[queue[~served]] = False
    return keep


def picks(
    shelf: ShelfView,
    terms: tuple[UtilityTerm, ...],
    stock: NDArray[np.floating],
    inventory: InventoryConfig,
    launch: BrandLaunch | None,
    u_choice: NDArray[np.float64],
) -> NDArray[np.int64]:
    """Each shopper's pick (0: the outside option, j + 1: brand j); column-wise in the shoppers.

    A shopper who must buy (`ShelfView.must_buy`) has the outside option closed
    (utility -inf) when some brand is open to it.
    """
    utility = brand_utility(shelf, terms)
    if launch is not None:
        launch.hide_unknown(utility, shelf.who)
    outside = stocks.outside_utility(stock, shelf.traits["consumption"], inventory.outside_weight)
    if shelf.must_buy is not None:
        closed = shelf.must_buy & np.isfinite(utility).any(axis=0)
        outside = np.where(closed, -np.inf, outside)
    return choice.sample_choice(choice.choice_weights(utility, outside), u_choice)


def choose(
    shelf: ShelfView,
    terms: tuple[UtilityTerm, ...],
    stock: NDArray[np.floating],
    inventory: InventoryConfig,
    launch: BrandLaunch | None,
    u_choice: NDArray[np.float64],
    u_quantity: NDArray[np.float64],
    workers: int = 1,
) -> Basket:
    """Logit choice over the brands and the outside option, then quantities.

    The picks run on up to `workers` threads, each on a contiguous range of the
    shoppers (`custsim.sim.threads`; the same bytes for any number); the
    quantities and the stock-limited queues run on the whole basket.

    Args:
        shelf: today's shoppers at the shelf (their traits, prices, references, the offers).
        terms: the utility terms (`utility_terms`).
        stock: (m,) the shoppers' units at home on arrival.
        inventory: `population.inventory` (outside option, capacity, stockpiling depth).
        launch: a brand launch (unaware shoppers cannot pick the brand), or None.
        u_choice: (m,) the choice uniforms.
        u_quantity: (m,) the quantity uniforms (also the queue order at a stock limit).
        workers: threads for the picks (`threads.thread_count` of the `threads` key).

    """
    tr, prices, ref, offers = shelf.traits, shelf.prices, shelf.reference, shelf.offers
    ranges = threads.chunks(len(shelf.who), workers)
    if len(ranges) == 1:
        picked = picks(shelf, terms, stock, inventory, launch, u_choice)
    else:
        picked = np.concatenate(
            threads.run(
                lambda c: picks(shelf.part(c), terms, stock[c], inventory, launch, u_choice[c]),
                ranges,
            )
        )
    at = np.flatnonzero(picked)
    brand = picked[at] - 1
    depth = reference_price.relative_deal_depth(ref[brand, at], prices[brand, at])
    quantity = stocks.purchase_quantity(
        depth,
        tr["stockpiling"][at],
        stock[at],
        inventory.capacity,
        u_quantity[at],
        inventory.full_stockpile_depth,
    )
    if np.isfinite(offers.stock_limit).any():
        keep = within_offer_stock(brand, quantity, u_quantity[at], offers)
        at, brand, quantity = at[keep], brand[keep], quantity[keep]
    paid = prices[brand, at]
    return Basket(shelf.who, prices, ref, stock, at, brand, quantity, paid)
