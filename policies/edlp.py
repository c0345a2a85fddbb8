"""Everyday price (EDLP): the regular price every day, no promotions.

The baseline against which every other policy's lift is measured
(`policy=none`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from custsim.sim.market import FirmSpec, MarketObs, Offer, StepOutcome


@dataclass
class EverydayPriceConfig:
    """Parameters of `EverydayPrice` (none besides its target)."""

    _target_: str = "custsim.policies.edlp.EverydayPrice"


class EverydayPrice:
    """Post the firm's regular price, every day."""

    def __init__(self, firm: FirmSpec) -> None:
        self.firm = firm

    def offers(self, obs: MarketObs, rng: np.random.Generator) -> Offer:
        """The regular price, not promoted."""
        return Offer(price=self.firm.regular_price)

    def settle(self, outcome: StepOutcome) -> None:
        """EDLP does not learn."""
