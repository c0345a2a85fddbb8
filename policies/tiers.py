"""Status tiers: rolling spend earns a tier, a tier earns a discount, demotion hurts.

A customer's tier at the firm is the number of `thresholds` its spend over the
last `window_days` (exponentially weighted) reaches; tier k pays `discounts[k-1]`
off every price. Falling to a lower tier is felt as a loss of the benefit,
weighted by loss aversion, in satisfaction (and so in churn).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from custsim.policies.base import checked
from custsim.policies.registry import register_policy
from custsim.sim.market import FirmSpec, LoyaltyTerms, MarketObs, Offer, StepOutcome
from custsim.sim.rules import MAX_MONEY, days


@dataclass
class TiersConfig:
    """Parameters of `Tiers`."""

    _target_: str = "custsim.policies.tiers.Tiers"
    thresholds: list[float] = field(default_factory=lambda: [60.0, 150.0])
    discounts: list[float] = field(default_factory=lambda: [0.05, 0.10])
    window_days: float = days(90.0)

    def problems(self, firm: str = "", firms: Sequence[str] = ()) -> list[str]:
        """Cross-field rules: ascending positive thresholds, one discount in [0, 1) for each."""
        found = threshold_problems(self.thresholds)
        ok = len(self.discounts) == len(self.thresholds)
        if not (ok and all(0 <= d < 1 for d in self.discounts)):  # NaN fails too
            found.append(f"discounts={self.discounts!r}: must be one per threshold, each in [0, 1)")
        return found


def threshold_problems(thresholds: Sequence[float]) -> list[str]:
    """Tier thresholds (spend) must be finite, positive and ascending."""
    values = list(thresholds)
    finite = all(math.isfinite(t) and t <= MAX_MONEY for t in values)
    if not (finite and values == sorted(values) and all(t > 0 for t in values)):
        return [f"thresholds={values!r}: must be positive and ascending"]
    return []


@register_policy("tiers", TiersConfig)
class Tiers:
    """Spend-based status tiers with price benefits."""

    def __init__(self, firm: FirmSpec, cfg: TiersConfig | None = None) -> None:
        cfg = checked(cfg or TiersConfig(), firm)
        self.firm, self.cfg = firm, cfg
        self.terms = LoyaltyTerms(
            threshold=1.0,
            reward_value=0.0,
            tier_thresholds=tuple(cfg.thresholds),
            tier_discounts=tuple(cfg.discounts),
            tier_window_days=cfg.window_days,
        )

    def offers(self, obs: MarketObs, rng: np.random.Generator) -> Offer:
        """The regular price; members' tier discounts are applied at the shelf."""
        return Offer(price=self.firm.regular_price, loyalty=self.terms)

    def settle(self, outcome: StepOutcome) -> None:
        """The tier rules are fixed: nothing to learn."""
