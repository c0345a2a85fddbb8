"""Retention and win-back offers: personal discounts for customers who look at risk.

A firm sees recency and frequency, not churn. Each day it offers `depth` off for
`duration` days to up to `daily_cap` customers who last bought more than
`recency_days` ago (default 30), or whose current gap exceeds
`frequency_drop` times their own average inter-purchase time, most at-risk
first, until the discounts redeemed exhaust `budget`. Customers who have in fact
lapsed can be won back (`custsim.agents.churn.reactivation_probability`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from custsim.policies.base import checked
from custsim.policies.registry import register_policy
from custsim.sim.market import FRAMES, FirmSpec, MarketObs, Offer, StepOutcome
from custsim.sim.rules import MAX_MONEY, bounded, days, one_of


@dataclass
class RetentionConfig:
    """Parameters of `RetentionOffer`."""

    _target_: str = "custsim.policies.retention.RetentionOffer"
    recency_days: float = days(30.0)  # at risk after this many days without buying
    # or: current gap > this x own mean gap; null: recency only
    frequency_drop: float | None = bounded(None, 1.0, lo_open=True, cap=1000.0, nullable=True)
    depth: float = bounded(0.2, 0.0, 1.0, lo_open=True, hi_open=True)
    duration: int = days(14)  # days an offer stays valid
    cooldown: int = days(60, 0)  # days before the same customer is targeted again
    daily_cap: int = bounded(100, 0, cap=2**31 - 1)  # offers issued per day
    budget: float = bounded(5000.0, 0.0, cap=MAX_MONEY)  # money for redeemed discounts
    frame: str = one_of("amount_off", *FRAMES)


@register_policy("retention", RetentionConfig)
class RetentionOffer:
    """Targeted discounts to at-risk and lapsed customers, within a budget."""

    def __init__(self, firm: FirmSpec, cfg: RetentionConfig | None = None) -> None:
        cfg = checked(cfg or RetentionConfig(), firm)
        self.firm, self.cfg = firm, cfg
        self.recency, self.drop = cfg.recency_days, cfg.frequency_drop
        self.depth, self.duration, self.cooldown = cfg.depth, cfg.duration, cfg.cooldown
        self.cap, self.budget, self.frame = cfg.daily_cap, cfg.budget, cfg.frame
        self.spent = 0.0
        self.valid_until: dict[int, int] = {}
        self.last_offered: dict[int, int] = {}

    def at_risk(self, obs: MarketObs) -> np.ndarray:
        """Customers who bought before and now look at risk, most overdue first."""
        gap = obs.day - obs.last_purchase_day
        risky = np.isfinite(gap) & (gap > self.recency)
        if self.drop is not None:
            span = obs.last_purchase_day - obs.first_purchase_day
            mean_gap = np.divide(
                span,
                obs.purchase_count - 1.0,
                out=np.full(len(gap), np.inf),
                where=obs.purchase_count > 1,
            )
            risky |= np.isfinite(gap) & (gap > self.drop * mean_gap)
        ids = np.flatnonzero(risky)
        return ids[np.argsort(-gap[ids], kind="stable")]

    def offers(self, obs: MarketObs, rng: np.random.Generator) -> Offer:
        """Issue today's new offers (cap, cooldown, budget) and post all valid ones."""
        day = obs.day
        self.valid_until = {i: d for i, d in self.valid_until.items() if d >= day}
        if self.spent < self.budget:
            fresh = [
                int(i)
                for i in self.at_risk(obs)
                if i not in self.valid_until
                and day - self.last_offered.get(int(i), -(10**9)) > self.cooldown
            ]
            for i in fresh[: self.cap]:
                self.valid_until[i] = day + self.duration - 1
                self.last_offered[i] = day
        ids = np.array(sorted(self.valid_until), dtype=np.int64)
        price = self.firm.regular_price * (1.0 - self.depth)
        return Offer(
            price=self.firm.regular_price,
            frame=self.frame,
            targeted_ids=ids,
            targeted_prices=np.full(len(ids), price),
        )

    def settle(self, outcome: StepOutcome) -> None:
        """Charge redeemed retention discounts to the budget; a redeemed offer is used up.

        Only buyers holding a valid retention offer who paid below the regular
        price count: other policies' discounts (in a composition) are not ours.
        """
        held = np.isin(outcome.buyer_ids, np.fromiter(self.valid_until, dtype=np.int64))
        personal = held & (outcome.prices_paid < self.firm.regular_price)
        cut = self.firm.regular_price - outcome.prices_paid[personal]
        saved = cut * outcome.quantities[personal]
        self.spent += float(saved.sum())
        for i in outcome.buyer_ids[personal]:
            self.valid_until.pop(int(i), None)
