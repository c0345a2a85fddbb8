"""Complaint handling (service recovery): answer customers' complaints, compensate, pay for it.

A firm sees the complaints made to it (`MarketObs.complaint_day`: the day each
customer's open complaint was made, -1 for none; the experience chain must be on,
e.g. through `market.firms.<j>.service.failure_rate`). Each day it answers each
open complaint at least `delay` days old with probability `response` (from the
firm's own stream), paying `compensation` to the customer and `cost` to handle it;
the answer restores part of the satisfaction lost
(`custsim.agents.experience.recovery_experience`: the compensation felt as a gain,
being heard worth a little more the sooner it comes), and every payment is in the
firm's margin. Prices stay regular: compose it with a pricing policy
(`policy=composed`) for both.

Service recovery pays when the customers it keeps are worth more than it costs
(Hart, Heskett & Sasser 1990, HBR 68(4): 148); `custsim-compare
policy=complaint_handling compare.baseline=edlp` measures whether it does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from custsim.policies.base import checked
from custsim.policies.registry import register_policy
from custsim.sim.market import FirmSpec, MarketObs, Offer, StepOutcome
from custsim.sim.rules import MAX_DAYS, MAX_MONEY, bounded


@dataclass
class ComplaintHandlingConfig:
    """Parameters of `ComplaintHandling`."""

    _target_: str = "custsim.policies.complaint_handling.ComplaintHandling"
    response: float = bounded(0.8, 0.0, 1.0)  # chance a due complaint is answered each day
    delay: int = bounded(1, 0, cap=MAX_DAYS)  # days before a complaint can be answered
    compensation: float = bounded(2.0, 0.0, cap=MAX_MONEY)  # money to the customer
    cost: float = bounded(1.0, 0.0, cap=MAX_MONEY)  # the firm's cost of handling one


@register_policy("complaint_handling", ComplaintHandlingConfig)
class ComplaintHandling:
    """Answer due complaints with probability `response`, at regular prices."""

    def __init__(self, firm: FirmSpec, cfg: ComplaintHandlingConfig | None = None) -> None:
        self.firm, self.cfg = firm, checked(cfg or ComplaintHandlingConfig(), firm)

    def offers(self, obs: MarketObs, rng: np.random.Generator) -> Offer:
        """The regular price, and today's answers to the complaints that are due."""
        price = self.firm.regular_price
        if obs.complaint_day is None:  # the run has no experience chain: nothing to answer
            return Offer(price=price)
        since = obs.complaint_day
        due = np.flatnonzero((since >= 0) & (since <= obs.day - self.cfg.delay))
        answered = due[rng.random(len(due)) < self.cfg.response]
        return Offer(
            price=price,
            handled_ids=answered.astype(np.int64),
            compensation=np.full(len(answered), float(self.cfg.compensation)),
            handling_cost=float(self.cfg.cost),
        )

    def settle(self, outcome: StepOutcome) -> None:
        """Complaint handling does not learn from sales."""
