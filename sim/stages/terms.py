"""The brand utility as a sum of small terms, registered in one list.

    V_ij = a_ij - b_i p_ij + sum over terms of term_ij

Each term has a `name` and is a pure function of the `ShelfView` (today's
shoppers' traits, prices and references, and the day's offers): it returns a
(J, m) array to add, or None when it adds nothing today (so plain runs pay
nothing for features they do not use). A new mechanism adds one kernel in
`custsim.agents`, one config block and one entry of `utility_terms`.

- reference gain b_i eta_i v(x_ij): x_ij the gain of the perceived price against
  the (anchored) reference outside the latitude band (`custsim.agents.reference_price`,
  `custsim.agents.framing`), v the prospect-theory value (`custsim.agents.prospect`);
- deal d_i deal_ij: the firm advertises a deal, or i holds a personal offer below shelf;
- social w_i S_ij: neighbours' recent purchases (`custsim.agents.social`);
- urgency u_i pull_j: novelty, countdown and scarcity of a running offer
  (`custsim.agents.urgency`, computed once a day);
- points V_points_ij (+ V_goal): `custsim.sim.stages.loyalty.PointsTerm`.

The terms are added in this order, which is the order of the float additions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from custsim.agents import framing, prospect, reference_price
from custsim.agents.population import Traits
from custsim.sim.config import FramingConfig
from custsim.sim.gather import columns
from custsim.sim.ledger import PointsLedger
from custsim.sim.market import Offers
from custsim.sim.stages.framing import seen_prices


class ShopperTraits:
    """The traits of today's shoppers, each gathered from the population once, on first use."""

    def __init__(self, traits: Traits, who: NDArray[np.int64]) -> None:
        self.traits, self.who = traits, who
        self.cache: dict[str, NDArray] = {}

    def __getitem__(self, name: str) -> NDArray:
        if name not in self.cache:
            self.cache[name] = self.traits[name][self.who]
        return self.cache[name]

    def part(self, columns: slice) -> ShopperTraits:
        """The traits of the shoppers in `columns` (gathered ones sliced, not gathered again)."""
        part = ShopperTraits(self.traits, self.who[columns])
        part.cache = {name: values[columns] for name, values in self.cache.items()}
        return part


@dataclass(frozen=True)
class ShelfView:
    """What the utility terms read: today's shoppers at the shelf, as named arrays.

    Attributes:
        traits: the shoppers' traits (gathered on first use).
        taste: (J, m) brand tastes a_ij.
        prices: (J, m) prices faced (personal offers and tier discounts included).
        reference: (J, m) reference prices held on arrival.
        offers: the day's offers.
        pull: (J,) the day's urgency pull of each firm's offer.
        regular_prices: (J,) regular prices (the basis of an unframed discount).
        social_signal: (J, n) neighbours' purchase signals, or None without a network.
        ledger: the points ledger (balances the points term reads).
        must_buy: (m,) shoppers for whom the outside option is closed today (a first
            purchase on arrival: `population.arrivals.first_purchase`), or None.

    """

    traits: ShopperTraits
    taste: NDArray[np.floating]
    prices: NDArray[np.float64]
    reference: NDArray[np.floating]
    offers: Offers
    pull: NDArray[np.float64]
    regular_prices: NDArray[np.float64]
    social_signal: NDArray[np.float64] | None
    ledger: PointsLedger
    must_buy: NDArray[np.bool_] | None = None

    @property
    def who(self) -> NDArray[np.int64]:
        """Row ids of today's shoppers."""
        return self.traits.who

    def part(self, columns: slice) -> ShelfView:
        """The view of the shoppers in `columns` only (views of the (J, m) arrays, no copies)."""
        return replace(
            self,
            traits=self.traits.part(columns),
            taste=self.taste[:, columns],
            prices=self.prices[:, columns],
            reference=self.reference[:, columns],
            must_buy=None if self.must_buy is None else self.must_buy[columns],
        )


class UtilityTerm(Protocol):
    """One additive term of the brand utility."""

    name: str

    def __call__(self, shelf: ShelfView) -> NDArray[np.floating] | None:
        """The (J, m) term, or None when it adds nothing today."""
        ...


@dataclass(frozen=True)
class ReferenceGainTerm:
    """b_i eta_i v(x_ij): the felt gain or loss of the perceived price against the reference."""

    framing: FramingConfig
    name: str = "reference_gain"

    def __call__(self, shelf: ShelfView) -> NDArray[np.floating]:
        """(J, m) felt reference gains, weighted."""
        tr, offers, ref = shelf.traits, shelf.offers, shelf.reference
        if not np.isnan(offers.list_price).all():
            ref = framing.anchored_reference(ref, offers.list_price[:, None], tr["anchoring"])
        seen = seen_prices(self.framing, shelf.prices, offers, shelf.regular_prices)
        gain = reference_price.perceived_gain(ref, seen, tr["latitude"])
        felt = prospect.value(gain, tr["gain_curvature"], tr["loss_curvature"], tr["loss_aversion"])
        return tr["price_sensitivity"] * tr["reference_weight"] * felt


@dataclass(frozen=True)
class DealTerm:
    """d_i deal_ij: an advertised deal, or a personal price below the shelf price."""

    name: str = "deal"

    def __call__(self, shelf: ShelfView) -> NDArray[np.floating] | None:
        """(J, m) deal proneness where a deal is on, or None without deals."""
        offers = shelf.offers
        deal = offers.promoted[:, None] | (shelf.prices < offers.price[:, None])
        return deal * shelf.traits["deal_proneness"] if deal.any() else None


@dataclass(frozen=True)
class SocialTerm:
    """w_i S_ij: neighbours' recent purchases of brand j (none without a network)."""

    name: str = "social"

    def __call__(self, shelf: ShelfView) -> NDArray[np.floating] | None:
        """(J, m) weighted social signals, or None without a network."""
        if shelf.social_signal is None:
            return None
        return shelf.traits["social_weight"] * columns(shelf.social_signal, shelf.who)


@dataclass(frozen=True)
class UrgencyTerm:
    """u_i pull_j: the pull of a fresh, expiring or scarce offer (the day's pull)."""

    name: str = "urgency"

    def __call__(self, shelf: ShelfView) -> NDArray[np.floating] | None:
        """(J, m) urgency pull, or None on a day without a pulling offer."""
        return np.outer(shelf.pull, shelf.traits["urgency"]) if shelf.pull.any() else None


def brand_utility(shelf: ShelfView, terms: Sequence[UtilityTerm]) -> NDArray[np.floating]:
    """V_ij = a_ij - b_i p_ij + the terms, shape (J, m), added in the order of `terms`."""
    utility = shelf.taste - shelf.traits["price_sensitivity"] * shelf.prices
    for term in terms:
        part = term(shelf)
        if part is not None:
            utility += part
    return utility
