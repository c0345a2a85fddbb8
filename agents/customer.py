"""`Customer`: a Mesa agent that is a live view on one row of the population arrays.

The engine never needs these objects; they exist for inspection, the dashboard
and AgentSet queries on small populations, e.g.
`model.materialise_customers().select(lambda c: c.churned)`.
Every property reads the model's arrays, so a view is always current.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

if TYPE_CHECKING:
    from custsim.sim.model import CustsimModel


class Customer(mesa.Agent):
    """View on customer row `row` of `model`'s arrays."""

    def __init__(self, model: CustsimModel, row: int) -> None:
        super().__init__(model)
        self.row = row

    @property
    def segment(self) -> str:
        """Segment (persona) name."""
        traits = self.model.traits
        return traits.segment_names[int(traits.segment[self.row])]

    @property
    def active(self) -> bool:
        """Still a customer of the category (has not dropped out)."""
        return bool(self.model.state.active[self.row])

    @property
    def churned(self) -> bool:
        """Dropped out of the category."""
        return not self.active

    @property
    def reference_prices(self) -> dict[str, float]:
        """Reference price held for each firm."""
        ref = self.model.state.reference[:, self.row]
        return {spec.name: float(ref[spec.index]) for spec in self.model.specs}

    @property
    def purchases(self) -> dict[str, int]:
        """Purchase occasions per firm."""
        counts = self.model.state.purchases[:, self.row]
        return {spec.name: int(counts[spec.index]) for spec in self.model.specs}

    @property
    def points(self) -> dict[str, float]:
        """Loyalty points balance at each firm."""
        balance = self.model.ledger.balance[:, self.row]
        return {spec.name: float(balance[spec.index]) for spec in self.model.specs}

    @property
    def last_brand(self) -> str | None:
        """Name of the firm bought from last, None if never bought."""
        j = int(self.model.state.last_brand[self.row])
        return None if j < 0 else self.model.specs[j].name

    @property
    def satisfaction(self) -> float:
        """Exponentially averaged felt value of purchases."""
        return float(self.model.state.satisfaction[self.row])

    def trait(self, name: str) -> float:
        """A latent trait (e.g. 'loss_aversion'); visible to analysts, never to policies."""
        return float(self.model.traits[name][self.row])

    def __repr__(self) -> str:
        total = int(np.sum(self.model.state.purchases[:, self.row]))
        return (
            f"Customer(row={self.row}, segment={self.segment!r}, active={self.active}, "
            f"purchases={total}, last_brand={self.last_brand!r})"
        )
