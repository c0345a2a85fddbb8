"""The firms' side of the model: specs, regular prices, costs, the points ledger, a launch.

`Market` holds what the firms own and the engine settles against; the firms'
policies themselves are Mesa agents (`custsim.sim.firm.Firm`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from custsim.sim.launch import BrandLaunch
from custsim.sim.ledger import PointsLedger
from custsim.sim.market import FirmSpec
from custsim.sim.metrics import Recorder


@dataclass
class Market:
    """The competing firms' shared state.

    Attributes:
        specs: each firm's name, index, regular price and unit cost.
        ledger: every customer's points, enrolment and tier at every firm.
        launch: a brand launch (awareness of a new brand), or None.
        recorder: the daily series of firm and market outcomes.
        annual_discount_rate: the firms' rate for customer lifetime value.

    """

    specs: tuple[FirmSpec, ...]
    ledger: PointsLedger
    launch: BrandLaunch | None
    recorder: Recorder
    annual_discount_rate: float

    def __post_init__(self) -> None:
        self.regular_prices: NDArray[np.float64] = np.array([s.regular_price for s in self.specs])
        self.unit_costs: NDArray[np.float64] = np.array([s.unit_cost for s in self.specs])

    @property
    def names(self) -> tuple[str, ...]:
        """The firms' names, in index order."""
        return tuple(s.name for s in self.specs)

    def discount_factor(self, day: float) -> float:
        """Day-0 value of one unit of money on `day`: d_t = (1 + annual rate)^(-t / 365)."""
        return (1.0 + self.annual_discount_rate) ** (-day / 365.0)
