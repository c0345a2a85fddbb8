"""A brand launch: customers hear of a new brand through advertising and word of mouth.

Off by default (`market.launch.brand` is None). When on, the launched brand is
hidden from every customer who has not heard of it (its utility is -inf, so the
logit never picks it), and at the end of each day an unaware customer hears of
it with probability 1 - exp(-(p + q a_i) / D) (`custsim.agents.diffusion`): p from
advertising, q from the share a_i of its network neighbours who have bought
the brand (adopters), D days per Bass period. Awareness is permanent; adoption
is the first purchase, which still goes through the ordinary choice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from custsim.agents import diffusion, social
from custsim.sim.config import LaunchConfig

if TYPE_CHECKING:
    from custsim.sim.model import Basket, CustsimModel


@dataclass
class BrandLaunch:
    """Who knows the launched brand, who adopted it, and how each customer heard of it.

    Attributes:
        brand: index j of the launched firm.
        terms: the launch settings (p, q, days per period).
        aware: (n,) whether the customer has heard of the brand.
        adopted: (n,) whether the customer has bought it.
        adopted_neighbours: (n,) how many of the customer's neighbours adopted.
        aware_day: (n,) the day the customer heard of it (inf if not yet).
        by_advertising: (n,) heard of it through advertising (else word of mouth).

    """

    brand: int
    terms: LaunchConfig
    aware: NDArray[np.bool_]
    adopted: NDArray[np.bool_]
    adopted_neighbours: NDArray[np.int32]
    aware_day: NDArray[np.float64]
    by_advertising: NDArray[np.bool_] = field(repr=False)

    @classmethod
    def start(cls, terms: LaunchConfig, brand: int, n: int) -> BrandLaunch:
        """Day 0 of the launch: nobody has heard of the brand."""
        return cls(
            brand=brand,
            terms=terms,
            aware=np.zeros(n, dtype=bool),
            adopted=np.zeros(n, dtype=bool),
            adopted_neighbours=np.zeros(n, dtype=np.int32),
            aware_day=np.full(n, np.inf),
            by_advertising=np.zeros(n, dtype=bool),
        )

    def hide_unknown(self, utility: NDArray[np.floating], shoppers: NDArray[np.int64]) -> None:
        """Set the brand's utility to -inf for shoppers who have not heard of it (in place)."""
        utility[self.brand, ~self.aware[shoppers]] = -np.inf

    def record_adopters(self, model: CustsimModel, basket: Basket) -> None:
        """Today's first-time buyers of the brand become adopters; their neighbours count them."""
        new = basket.buyers[basket.brand == self.brand]
        new = new[~self.adopted[new]]
        if len(new) == 0:
            return
        self.adopted[new] = True
        _, targets = social.edges_from(model.graph.indptr, model.graph.indices, new)
        np.add.at(self.adopted_neighbours, targets, 1)

    def spread(self, model: CustsimModel, day: int) -> None:
        """Unaware customers hear of the brand with P = 1 - exp(-(p + q a_i) / D)."""
        p, q = self.terms.innovation, self.terms.imitation
        unaware = np.flatnonzero(~self.aware)
        share = self.adopted_neighbours[unaware] * model.inv_degree[unaware]
        chance = diffusion.awareness_probability(p, q, share, self.terms.period_days)
        draws = model.rng_dynamics.random(len(unaware))
        hear = draws < chance
        heard = unaware[hear]
        self.aware[heard] = True
        self.aware_day[heard] = day
        ads = draws[hear] < chance[hear] * diffusion.advertising_share(p, q, share[hear])
        self.by_advertising[heard] = ads


def start_launch(model: CustsimModel) -> BrandLaunch | None:
    """The launch configured in `market.launch`, or None when no brand is launched."""
    terms = model.cfg.market.launch
    if terms.brand is None:
        return None
    brand = [s.name for s in model.specs].index(terms.brand)
    return BrandLaunch.start(terms, brand, model.state.size)


def update_launch(model: CustsimModel, day: int, basket: Basket) -> None:
    """Step 5 for a launch: record today's adopters, then spread awareness for tomorrow."""
    model.launch.record_adopters(model, basket)
    model.launch.spread(model, day)
