"""The customers' side of the model: latent traits, changing state and the social graph.

`n_active` is derived from the state (never a counter kept by hand). The
population-wide constants of each mechanism are its config block
(`custsim.sim.config.PopulationConfig`), read by the stage that uses them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from custsim.agents.population import Traits
from custsim.sim.network import Graph
from custsim.sim.stages.acquisition import ProspectPool
from custsim.sim.stages.arrival import ArrivalQueue
from custsim.sim.state import CustomerState


@dataclass
class Population:
    """Traits, state and network of the n customers.

    Attributes:
        traits: latent traits (fixed for the run).
        state: what changes as the run goes (`CustomerState`).
        graph: the social network (CSR).
        arrivals: the customers still to arrive (None: everyone is there from day 0).
        prospects: the prospects outside the market (`population.prospects`; None: none).
        inv_degree: (n,) 1 / max(degree, 1), the per-neighbour weight of a social signal
            (in the traits' dtype).

    """

    traits: Traits
    state: CustomerState
    graph: Graph
    arrivals: ArrivalQueue | None = None
    prospects: ProspectPool | None = None
    inv_degree: NDArray[np.floating] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        dtype = self.traits.taste.dtype
        self.inv_degree = (1.0 / np.maximum(self.graph.degree, 1)).astype(dtype, copy=False)

    @property
    def size(self) -> int:
        """Number of customers."""
        return self.state.size

    @property
    def n_active(self) -> int:
        """Customers still in the category (not dropped out)."""
        return int(np.count_nonzero(self.state.active))
