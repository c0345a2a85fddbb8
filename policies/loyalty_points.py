"""Loyalty points: earn on spend, redeem at a threshold, lapse after a period, bonus-points days.

Customers earn `earn_rate` points per currency unit (times `bonus_multiplier`
on bonus days: a "2x points weekend" is `bonus_multiplier: 2`, `bonus_every: 7`,
`bonus_days: 2`), get a reward worth `reward_value` for every `threshold`
points, and lose points idle for `expiry_days` (breakage). How customers value
points, the goal gradient and the switching cost are in `custsim.agents.loyalty`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from custsim.policies.base import checked
from custsim.policies.registry import register_policy
from custsim.sim.market import (
    POINTS_MESSAGES,
    FirmSpec,
    LoyaltyTerms,
    MarketObs,
    Offer,
    StepOutcome,
)
from custsim.sim.rules import MAX_MONEY, bounded, days, one_of


@dataclass
class LoyaltyPointsConfig:
    """Parameters of `LoyaltyPoints`."""

    _target_: str = "custsim.policies.loyalty_points.LoyaltyPoints"
    earn_rate: float = bounded(1.0, 0.0, cap=1000.0)  # points per currency unit spent
    threshold: float = bounded(50.0, 0.0, lo_open=True, cap=1e9)  # points per reward
    reward_value: float = bounded(2.5, 0.0, cap=MAX_MONEY)  # money value of a reward
    expiry_days: int | None = days(180, nullable=True)  # idle days before points lapse; null: never
    bonus_multiplier: float = bounded(1.0, 0.0, cap=1000.0)  # earn multiplier on bonus days
    bonus_every: int = days(7)  # bonus days repeat with this period
    bonus_days: int = days(0, 0)  # bonus days per period (0: none)
    bonus_start: int = days(6)  # first bonus day
    message: str = one_of("gain", *POINTS_MESSAGES)
    progress_visible: bool = True

    def problems(self, firm: str = "", firms: Sequence[str] = ()) -> list[str]:
        """Cross-field rules: the bonus days fit in their period."""
        if self.bonus_days > self.bonus_every:
            return [f"bonus_days={self.bonus_days!r}: must be <= bonus_every={self.bonus_every}"]
        return []


def is_bonus_day(day: int, start: int, every: int, days: int) -> bool:
    """Whether `day` is in a bonus window: t >= start and (t - start) mod every < days."""
    return days > 0 and day >= start and (day - start) % every < days


@register_policy("loyalty_points", LoyaltyPointsConfig)
class LoyaltyPoints:
    """A points programme at the regular price."""

    def __init__(self, firm: FirmSpec, cfg: LoyaltyPointsConfig | None = None) -> None:
        cfg = checked(cfg or LoyaltyPointsConfig(), firm)
        self.firm, self.cfg = firm, cfg
        self.terms = LoyaltyTerms(
            threshold=cfg.threshold,
            reward_value=cfg.reward_value,
            points_per_currency=cfg.earn_rate,
            expiry_days=cfg.expiry_days,
            message=cfg.message,
            progress_visible=cfg.progress_visible,
        )
        self.bonus = (cfg.bonus_multiplier, cfg.bonus_start, cfg.bonus_every, cfg.bonus_days)
        self.bonus_terms = replace(self.terms, multiplier=cfg.bonus_multiplier)

    def offers(self, obs: MarketObs, rng: np.random.Generator) -> Offer:
        """The regular price, with the programme's terms (bonus multiplier on bonus days)."""
        _, start, every, days = self.bonus
        bonus = is_bonus_day(obs.day, start, every, days)
        return Offer(
            price=self.firm.regular_price, loyalty=self.bonus_terms if bonus else self.terms
        )

    def settle(self, outcome: StepOutcome) -> None:
        """The programme's rules are fixed: nothing to learn."""
