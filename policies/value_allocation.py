"""Value-based retention: a budget split across ABC tiers, VIP treatment for A customers.

ABC analysis says resources belong where the value is (`custsim.policies.crm.abc`):
each day the firm ranks its customers by spend into tiers A, B, C (the top 80%, next
15% and last 5% of value, `cuts`) and gives each tier a share of the retention
`budget` (`shares`: A 0.6, B 0.3, C 0.1), so low-value customers get less. At-risk
customers (the rules of `custsim.policies.retention`: no purchase for `recency_days`,
or `frequency_drop` x their own mean gap) are ranked by `rank` (default value x risk)
within their tier. VIP treatment for A: its at-risk customers come first in the
`daily_cap` offers, and they get `vip_depth` (0.3) off instead of `depth` (0.2).

Budgets are charged as `retention` charges its one budget: the discount a holder
gets when redeeming, (regular - paid) x units, goes to the tier the customer was in
when offered. A tier issues no new offers once its redeemed discounts reach its
share, and its open offers are withdrawn then ("while the budget lasts"), so a tier
overspends its share by at most the redemptions of the day it runs out. An unspent
share stays with its tier.

Every other parameter and the offers' bookkeeping (duration, cooldown, segments,
frame) are `custsim.policies.retention`'s.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from custsim.policies.crm.abc import TIERS, abc_tiers
from custsim.policies.crm.records import FirmRecords
from custsim.policies.registry import register_policy
from custsim.policies.retention import RANKS, RetentionConfig, RetentionOffer
from custsim.sim.market import FirmSpec, MarketObs, Offer, StepOutcome
from custsim.sim.rules import bounded, one_of


@dataclass
class ValueAllocationConfig(RetentionConfig):
    """Parameters of `ValueAllocation`: `RetentionConfig`'s, plus the tiers' shares and VIP depth.

    `budget` is the total, split by `shares`; `depth` is B's and C's discount.
    """

    _target_: str = "custsim.policies.value_allocation.ValueAllocation"
    rank: str = one_of("value_risk", *RANKS)  # order within a tier
    shares: list[float] = field(default_factory=lambda: [0.6, 0.3, 0.1])  # budget, A B C
    cuts: list[float] = field(default_factory=lambda: [0.8, 0.15, 0.05])  # value, A B C
    vip_depth: float = bounded(0.3, 0.0, 1.0, lo_open=True, hi_open=True)  # A's discount

    def problems(self, firm: str = "", firms: Sequence[str] = ()) -> list[str]:
        """Retention's rules, and `shares` and `cuts` are three shares summing to 1."""
        found = super().problems(firm, firms)
        for name in ("shares", "cuts"):
            values = list(getattr(self, name))
            ok = len(values) == 3 and all(v >= 0 for v in values)  # NaN fails
            if not (ok and math.isclose(sum(values), 1.0)):
                found.append(
                    f"{name}={values!r}: must be three shares >= 0 (tiers A, B, C) summing to 1"
                )
        return found


@register_policy("value_allocation", ValueAllocationConfig)
class ValueAllocation(RetentionOffer):
    """Retention offers within per-tier budgets, A customers first and deeper."""

    def __init__(self, firm: FirmSpec, cfg: ValueAllocationConfig | None = None) -> None:
        cfg = cfg or ValueAllocationConfig()
        super().__init__(firm, cfg)
        self.cuts = tuple(cfg.cuts)
        self.budgets = np.array([cfg.budget * s for s in cfg.shares])
        self.spent_by_tier = np.zeros(len(TIERS))
        depths = np.array([cfg.vip_depth, cfg.depth, cfg.depth])
        self.prices = firm.regular_price * (1.0 - depths)  # per tier
        self.tier_of: dict[int, int] = {}  # holder -> tier when offered

    def open_tiers(self) -> list[int]:
        """Tiers whose redeemed discounts are still below their budget, A first."""
        return [t for t in range(len(TIERS)) if self.spent_by_tier[t] < self.budgets[t]]

    def offers(self, obs: MarketObs, rng: np.random.Generator) -> Offer:
        """Withdraw spent tiers' offers, issue today's tier by tier (A first), post all."""
        day, book = obs.day, self.book
        book.expire(day)
        open_ = self.open_tiers()
        for i, t in list(self.tier_of.items()):
            if i not in book.valid_until or t not in open_:
                book.valid_until.pop(i, None)
                del self.tier_of[i]
        if open_ and self.cap > 0:
            records = FirmRecords.from_obs(obs)
            ranked = self.at_risk(obs, records)
            tier = abc_tiers(records.spend, records.customer, self.cuts)[ranked]
            left = self.cap
            for t in open_:
                issued = book.issue(ranked[tier == t], day, left)
                self.tier_of.update(dict.fromkeys(issued, t))
                left -= len(issued)
                if left == 0:
                    break
        ids = book.held()
        tiers = np.array([self.tier_of[int(i)] for i in ids], dtype=np.int64)
        return Offer(
            price=self.firm.regular_price,
            frame=self.frame,
            targeted_ids=ids,
            targeted_prices=self.prices[tiers],
        )

    def settle(self, outcome: StepOutcome) -> None:
        """Charge each redeemed discount to the tier its holder was offered in."""
        buyers, saved = self.book.redeemed(outcome, self.firm.regular_price)
        tiers = np.array([self.tier_of.pop(int(i)) for i in buyers], dtype=np.int64)
        self.spent_by_tier += np.bincount(tiers, weights=saved, minlength=len(TIERS))
        self.spent += float(saved.sum())
