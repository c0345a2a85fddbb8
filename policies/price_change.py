"""A permanent change of the regular price: a step up or down from a given day.

The shelf price is the regular price P before day `day` and P (1 + change) from
then on, unannounced (no deal, no frame, no "was" price):

    p(t) = P                   for t < day
    p(t) = P * (1 + change)    for t >= day

The probe behind reference-price asymmetry: customers whose reference is still
near P feel a rise as a loss and a cut as a gain (Kalyanaram & Winer 1995,
*Marketing Science* 14(3), G161-G169), and the sales response over the weeks
after the step measures the regular price elasticity.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from custsim.policies.base import checked
from custsim.policies.registry import register_policy
from custsim.sim.market import FirmSpec, MarketObs, Offer, StepOutcome
from custsim.sim.rules import bounded, days


@dataclass
class PriceChangeConfig:
    """Parameters of `PriceChange`."""

    _target_: str = "custsim.policies.price_change.PriceChange"
    change: float = bounded(0.1, -1.0, lo_open=True, cap=100.0)  # 0.1: a 10% rise, -0.1 a cut
    day: int = days(60)  # first day at the new price


@register_policy("price_change", PriceChangeConfig)
class PriceChange:
    """The regular price until `day`, then P (1 + change) for good."""

    def __init__(self, firm: FirmSpec, cfg: PriceChangeConfig | None = None) -> None:
        cfg = checked(cfg or PriceChangeConfig(), firm)
        self.firm, self.cfg, self.change, self.day = firm, cfg, cfg.change, cfg.day

    def price(self, day: int) -> float:
        """The shelf price on `day`."""
        regular = self.firm.regular_price
        return regular * (1.0 + self.change) if day >= self.day else regular

    def offers(self, obs: MarketObs, rng: np.random.Generator) -> Offer:
        """Today's shelf price; a permanent change is not advertised as a deal."""
        return Offer(price=self.price(obs.day))

    def settle(self, outcome: StepOutcome) -> None:
        """The change is fixed in advance: nothing to learn."""
