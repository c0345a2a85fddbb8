"""Time-limited offers: a cut for `duration` days from `start`, mass or targeted, maybe limited.

The offer can show its countdown or hide it, limit the units sold at the offer
price ("only K left", mass offers only), and go to everyone or to a random
`target_share` of the firm's past buyers as personal prices. Customers feel the
offer's novelty at the drop and its deadline near the end (`custsim.agents.urgency`),
so redemptions peak twice (Inman & McAlister 1994); stockpiling pulls
purchases forward from the days after it.
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
class LimitedOfferConfig:
    """Parameters of `TimeLimitedOffer`."""

    _target_: str = "custsim.policies.limited_offer.TimeLimitedOffer"
    depth: float = bounded(0.2, 0.0, 1.0, lo_open=True, hi_open=True)  # fraction off
    start: int = days(30)  # first day of the offer
    duration: int = days(14)  # days it runs
    every: int | None = days(None, nullable=True)  # repeat period in days; null: once
    countdown: bool = True  # show the days left
    stock: int | None = bounded(None, 0, cap=2**31 - 1, nullable=True)  # units; null: unlimited
    target_share: float | None = bounded(None, 0.0, 1.0, lo_open=True, nullable=True)  # null: all
    frame: str = one_of("percent_off", *FRAMES)
    show_list_price: bool = True

    def problems(self, firm: str = "", firms: Sequence[str] = ()) -> list[str]:
        """Cross-field rules: a repeat period holds the offer; limited stock is for mass offers."""
        found = []
        if self.every is not None and self.every < self.duration:
            found.append(f"every={self.every!r}: must be >= duration={self.duration} or null")
        if self.stock is not None and self.target_share is not None:
            found.append(
                f"stock={self.stock!r}: limited stock is for mass offers (target_share: null)"
            )
        return found


@register_policy("limited_offer", LimitedOfferConfig)
class TimeLimitedOffer:
    """A price cut with a deadline."""

    def __init__(self, firm: FirmSpec, cfg: LimitedOfferConfig | None = None) -> None:
        cfg = checked(cfg or LimitedOfferConfig(), firm)
        self.firm, self.cfg = firm, cfg
        self.depth, self.start, self.duration, self.every = (
            cfg.depth,
            cfg.start,
            cfg.duration,
            cfg.every,
        )
        self.countdown, self.stock, self.target_share = cfg.countdown, cfg.stock, cfg.target_share
        self.frame, self.show_list_price = cfg.frame, cfg.show_list_price
        self.stock_left: int | None = cfg.stock
        self.targets = np.empty(0, dtype=np.int64)

    def day_of_offer(self, day: int) -> int | None:
        """Days since the current offer started, None outside an offer."""
        if day < self.start:
            return None
        since = day - self.start
        if self.every is not None:
            since %= self.every
        return since if since < self.duration else None

    def offers(self, obs: MarketObs, rng: np.random.Generator) -> Offer:
        """The cut inside the window (to everyone or to the targets), the regular price outside."""
        regular, running = self.firm.regular_price, self.day_of_offer(obs.day)
        if running is None:
            return Offer(price=regular)
        if running == 0:
            self.stock_left = self.stock
            if self.target_share is not None:
                self.targets = self.pick_targets(obs, rng)
        if self.stock_left == 0:  # sold out: the offer is over
            return Offer(price=regular)
        price = regular * (1.0 - self.depth)
        common = dict(
            frame=self.frame,
            deadline=self.duration - running - 1,
            countdown=self.countdown,
            days_running=running,
        )
        if self.target_share is not None:
            return Offer(
                price=regular,
                targeted_ids=self.targets,
                targeted_prices=np.full(len(self.targets), price),
                **common,
            )
        return Offer(
            price=price,
            list_price=regular if self.show_list_price else None,
            stock_limit=self.stock_left,
            promoted=True,
            **common,
        )

    def pick_targets(self, obs: MarketObs, rng: np.random.Generator) -> np.ndarray:
        """A random `target_share` of the customers who ever bought from the firm (sorted)."""
        past = np.flatnonzero(obs.purchase_count > 0)
        chosen = past[rng.random(len(past)) < self.target_share]
        return np.sort(chosen)

    def settle(self, outcome: StepOutcome) -> None:
        """Count down the offer's stock by the units sold."""
        if self.stock_left is not None and self.day_of_offer(outcome.day) is not None:
            self.stock_left = max(self.stock_left - outcome.units, 0)
