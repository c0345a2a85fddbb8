"""Everyday price (EDLP): the regular price every day, no promotions.

The baseline against which every other policy's lift is measured
(`policy=edlp`; `policy=none`, its old name, is an alias).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from custsim.policies.base import checked
from custsim.policies.registry import register_policy
from custsim.sim.market import FirmSpec, MarketObs, Offer, StepOutcome


@dataclass
class EverydayPriceConfig:
    """Parameters of `EverydayPrice` (none besides its target)."""

    _target_: str = "custsim.policies.edlp.EverydayPrice"


@register_policy("edlp", EverydayPriceConfig, aliases=("none",))
class EverydayPrice:
    """Post the firm's regular price, every day."""

    def __init__(self, firm: FirmSpec, cfg: EverydayPriceConfig | None = None) -> None:
        self.firm, self.cfg = firm, checked(cfg or EverydayPriceConfig(), firm)

    def offers(self, obs: MarketObs, rng: np.random.Generator) -> Offer:
        """The regular price, not promoted."""
        return Offer(price=self.firm.regular_price)

    def settle(self, outcome: StepOutcome) -> None:
        """EDLP does not learn."""
