"""`Customer`: a Mesa agent that is a live view on one row of the population arrays.

The engine never needs these objects; they exist for inspection, the dashboard
and AgentSet queries on small populations, e.g.
`model.materialise_customers().select(lambda c: c.churned)`.
Every property reads the model's arrays, so a view is always current.
"""

from __future__ import annotations

import mesa
import numpy as np

from custsim.sim.market_state import Market
from custsim.sim.population import Population


class Customer(mesa.Agent):
    """View on customer row `row` of the model's population and market arrays."""

    def __init__(self, model: mesa.Model, row: int, population: Population, market: Market) -> None:
        super().__init__(model)
        self.row = row
        self.population = population
        self.market = market

    @property
    def segment(self) -> str:
        """Segment (persona) name."""
        traits = self.population.traits
        return traits.segment_names[int(traits.segment[self.row])]

    @property
    def active(self) -> bool:
        """Still a customer of the category (has not dropped out)."""
        return bool(self.population.state.active[self.row])

    @property
    def churned(self) -> bool:
        """Dropped out of the category."""
        return not self.active

    @property
    def reference_prices(self) -> dict[str, float]:
        """Reference price held for each firm."""
        ref = self.population.state.reference[:, self.row]
        return {spec.name: float(ref[spec.index]) for spec in self.market.specs}

    @property
    def purchases(self) -> dict[str, int]:
        """Purchase occasions per firm."""
        counts = self.population.state.purchases[:, self.row]
        return {spec.name: int(counts[spec.index]) for spec in self.market.specs}

    @property
    def points(self) -> dict[str, float]:
        """Loyalty points balance at each firm."""
        balance = self.market.ledger.balance[:, self.row]
        return {spec.name: float(balance[spec.index]) for spec in self.market.specs}

    @property
    def last_brand(self) -> str | None:
        """Name of the firm bought from last, None if never bought."""
        j = int(self.population.state.last_brand[self.row])
        return None if j < 0 else self.market.specs[j].name

    @property
    def satisfaction(self) -> float:
        """Exponentially averaged felt value of purchases."""
        return float(self.population.state.satisfaction[self.row])

    def trait(self, name: str) -> float:
        """A latent trait (e.g. 'loss_aversion'); visible to analysts, never to policies."""
        return float(self.population.traits[name][self.row])

    def __repr__(self) -> str:
        total = int(np.sum(self.population.state.purchases[:, self.row]))
        return (
            f"Customer(row={self.row}, segment={self.segment!r}, active={self.active}, "
            f"purchases={total}, last_brand={self.last_brand!r})"
        )
