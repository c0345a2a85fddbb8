"""Hi-lo pricing: a promotion calendar of temporary price cuts.

The price is the regular price P except during promotion windows, when it is
P * (1 - depth). Windows last `duration` days and start every `every` days from
day `start`:

    promo(t) = t >= start and (t - start) mod every < duration

Such calendars are the "hi-lo" strategy whose reference-price effects Kopalle,
Rao & Assuncao (1996, *Marketing Science* 15, 60-85) compare with everyday
pricing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from custsim.policies.base import checked
from custsim.policies.registry import register_policy
from custsim.sim.market import FRAMES, FirmSpec, MarketObs, Offer, StepOutcome
from custsim.sim.rules import bounded, days, one_of


@dataclass
class HiLoConfig:
    """Parameters of `HiLoPromotion`."""

    _target_: str = "custsim.policies.hi_lo.HiLoPromotion"
    depth: float = bounded(0.25, 0.0, 1.0, lo_open=True, hi_open=True)  # fraction off
    every: int = days(28)  # days between promotion starts
    duration: int = days(7)  # days a promotion lasts
    start: int = days(14)  # first promotion day
    frame: str = one_of("percent_off", *FRAMES)  # how the cut is presented
    show_list_price: bool = True  # display the regular price as "was"

    def problems(self, firm: str = "", firms: Sequence[str] = ()) -> list[str]:
        """Cross-field rules: a promotion fits in its period (duration <= every)."""
        if self.duration > self.every:
            return [f"duration={self.duration!r}: must be <= every={self.every}"]
        return []


def is_promo_day(day: int, start: int, every: int, duration: int) -> bool:
    """Whether `day` falls in a promotion window of the calendar."""
    return day >= start and (day - start) % every < duration


@register_policy("hi_lo", HiLoConfig)
class HiLoPromotion:
    """Regular price, cut by `depth` in periodic promotion windows."""

    def __init__(self, firm: FirmSpec, cfg: HiLoConfig | None = None) -> None:
        cfg = checked(cfg or HiLoConfig(), firm)
        self.firm, self.cfg = firm, cfg
        self.depth, self.every, self.duration, self.start = (
            cfg.depth,
            cfg.every,
            cfg.duration,
            cfg.start,
        )
        self.frame, self.show_list_price = cfg.frame, cfg.show_list_price

    def offers(self, obs: MarketObs, rng: np.random.Generator) -> Offer:
        """The promoted price inside a window, the regular price outside."""
        regular = self.firm.regular_price
        if not is_promo_day(obs.day, self.start, self.every, self.duration):
            return Offer(price=regular)
        days_left = self.duration - (obs.day - self.start) % self.every - 1
        return Offer(
            price=regular * (1.0 - self.depth),
            list_price=regular if self.show_list_price else None,
            frame=self.frame,
            deadline=days_left,
            promoted=True,
        )

    def settle(self, outcome: StepOutcome) -> None:
        """The calendar is fixed in advance: nothing to learn."""
