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

import numpy as np
from numpy.typing import NDArray

from custsim.agents import diffusion, social
from custsim.sim.basket import Basket
from custsim.sim.config import LaunchConfig
from custsim.sim.network import Graph


@dataclass
class BrandLaunch:
    """Who knows the launched brand, who adopted it, and how each customer heard of it.

    Attributes:
        brand: index j of the launched firm.
        terms: the launch settings (p, q, days per period).
        graph: the social network word of mouth travels on.
        inv_degree: (n,) 1 / max(degree, 1), to turn adopted neighbours into a share.
        rng: the launch's own stream (`custsim.sim.rng.FeatureStreams.launch_awareness`).
        aware: (n,) whether the customer has heard of the brand.
        adopted: (n,) whether the customer has bought it.
        adopted_neighbours: (n,) how many of the customer's neighbours adopted.
        aware_day: (n,) the day the customer heard of it (inf if not yet).
        by_advertising: (n,) heard of it through advertising (else word of mouth).

    """

    brand: int
    terms: LaunchConfig
    graph: Graph = field(repr=False)
    inv_degree: NDArray[np.float64] = field(repr=False)
    rng: np.random.Generator = field(repr=False)
    aware: NDArray[np.bool_]
    adopted: NDArray[np.bool_]
    adopted_neighbours: NDArray[np.int32]
    aware_day: NDArray[np.float64]
    by_advertising: NDArray[np.bool_] = field(repr=False)

    @classmethod
    def start(
        cls,
        terms: LaunchConfig,
        brand: int,
        graph: Graph,
        inv_degree: NDArray[np.float64],
        rng: np.random.Generator,
    ) -> BrandLaunch:
        """Day 0 of the launch: nobody has heard of the brand."""
        n = len(inv_degree)
        return cls(
            brand=brand,
            terms=terms,
            graph=graph,
            inv_degree=inv_degree,
            rng=rng,
            aware=np.zeros(n, dtype=bool),
            adopted=np.zeros(n, dtype=bool),
            adopted_neighbours=np.zeros(n, dtype=np.int32),
            aware_day=np.full(n, np.inf),
            by_advertising=np.zeros(n, dtype=bool),
        )

    def hide_unknown(self, utility: NDArray[np.floating], shoppers: NDArray[np.int64]) -> None:
        """Set the brand's utility to -inf for shoppers who have not heard of it (in place)."""
        utility[self.brand, ~self.aware[shoppers]] = -np.inf

    def record_adopters(self, basket: Basket) -> None:
        """Today's first-time buyers of the brand become adopters; their neighbours count them."""
        new = basket.buyers[basket.brand == self.brand]
        new = new[~self.adopted[new]]
        if len(new) == 0:
            return
        self.adopted[new] = True
        _, targets = social.edges_from(self.graph.indptr, self.graph.indices, new)
        np.add.at(self.adopted_neighbours, targets, 1)

    def spread(self, day: int) -> None:
        """Unaware customers hear of the brand with P = 1 - exp(-(p + q a_i) / D)."""
        p, q = self.terms.innovation, self.terms.imitation
        unaware = np.flatnonzero(~self.aware)
        share = self.adopted_neighbours[unaware] * self.inv_degree[unaware]
        chance = diffusion.awareness_probability(p, q, share, self.terms.period_days)
        draws = self.rng.random(len(unaware))
        hear = draws < chance
        heard = unaware[hear]
        self.aware[heard] = True
        self.aware_day[heard] = day
        ads = draws[hear] < chance[hear] * diffusion.advertising_share(p, q, share[hear])
        self.by_advertising[heard] = ads

    def end_of_day(self, day: int, basket: Basket) -> None:
        """Step 5 for a launch: record today's adopters, then spread awareness for tomorrow."""
        self.record_adopters(basket)
        self.spread(day)


def start_launch(
    terms: LaunchConfig,
    names: tuple[str, ...],
    graph: Graph,
    inv_degree: NDArray[np.float64],
    rng: np.random.Generator,
) -> BrandLaunch | None:
    """The launch configured in `market.launch`, or None when no brand is launched."""
    if terms.brand is None:
        return None
    return BrandLaunch.start(terms, names.index(terms.brand), graph, inv_degree, rng)
