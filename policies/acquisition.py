"""Acquisition: a firm buys contacts to prospects through a channel, every day, within a budget.

From day `start` to day `end` (0: the run's end) the firm buys `daily` contacts
through `channel` to the prospects outside the market (`population.prospects`; the
engine picks the prospects reached at random: `custsim.sim.stages.acquisition`)
until the contacts bought cost `budget`. A prospect converts with the channel's
response probability once the contact is delivered and opened, enters the market
and shops; the firm's acquisition cost per customer is CAC = spend / acquired,
set beside the customers' lifetime value in the run's acquisition table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from custsim.policies.base import checked
from custsim.policies.registry import register_policy
from custsim.sim.market import FirmSpec, MarketObs, Offer, Prospecting, StepOutcome
from custsim.sim.rules import MAX_DAYS, MAX_MONEY, bounded, days


@dataclass
class AcquisitionConfig:
    """Parameters of `Acquisition`."""

    _target_: str = "custsim.policies.acquisition.Acquisition"
    channel: str = "paid_social"  # a key of `channels` (conf/channel/*.yaml)
    daily: int = bounded(5_000, 0, cap=2**31 - 1)  # contacts to prospects bought a day
    start: int = days(1)  # first day of the acquisition
    end: int = bounded(0, 0, cap=MAX_DAYS)  # last day; 0: the run's end
    budget: float = bounded(5_000.0, 0.0, cap=MAX_MONEY)  # money for the contacts

    def problems(self, firm: str = "", firms: Sequence[str] = ()) -> list[str]:
        """Cross-field rules: the acquisition does not end before it starts."""
        if self.end and self.end < self.start:
            return [f"end={self.end!r}: must be 0 (the run's end) or >= start={self.start}"]
        return []


@register_policy("acquisition", AcquisitionConfig)
class Acquisition:
    """Daily contacts to prospects through one channel, while the budget lasts."""

    def __init__(self, firm: FirmSpec, cfg: AcquisitionConfig | None = None) -> None:
        cfg = checked(cfg or AcquisitionConfig(), firm)
        self.firm, self.cfg = firm, cfg
        self.cost = firm.contact_cost(cfg.channel)
        self.spent = 0.0

    def offers(self, obs: MarketObs, rng: np.random.Generator) -> Offer:
        """Today's contacts to prospects: `daily`, fewer where the budget runs out."""
        cfg = self.cfg
        running = cfg.start <= obs.day <= (cfg.end or obs.day)
        left = cfg.budget - self.spent
        affordable = cfg.daily if self.cost == 0 else int(min(cfg.daily, left // self.cost))
        bought = (Prospecting(cfg.channel, affordable),) if running and affordable > 0 else ()
        return Offer(price=self.firm.regular_price, prospecting=bought)

    def settle(self, outcome: StepOutcome) -> None:
        """Charge what the day's contacts to prospects cost (fewer when the pool ran dry)."""
        self.spent += outcome.acquisition_cost
