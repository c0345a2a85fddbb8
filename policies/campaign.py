"""Campaigns: messages to a segment of the firm's customers through one channel, within a budget.

A campaign contacts the customers who have bought from the firm (the only ones it
has an address for), in `segments` (from the firm's records:
`custsim.policies.retention.SEGMENTS`; empty: all of them), who have not opted out
of `channel`, when its trigger fires:

* calendar: a wave every `every` days from day `start`, to the whole audience;
* lapse: each customer on the day its silence with the firm reaches `lapse_days`
  (once per silence: the next needs a new purchase first);
* anniversary: each customer on the anniversaries of its first purchase (every
  365 days), the greeting of a birthday-like occasion.

A wave reaches at most `audience` customers, the first by `rank` (as the retention
offer's: `custsim.policies.retention.RANKS`). With `depth` > 0 each message carries
a personal price `depth` off the regular price, valid for `duration` days (known
only to those who open it: `custsim.sim.market.Contact`); with depth 0 it is a
reminder. `budget` bounds what the campaign spends: its contacts (the channel's
cost, `FirmSpec.contact_cost`) plus the discounts redeemed; no wave is sent once
it is spent (so a wave sent just before may take the spend past it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from custsim.policies.base import checked
from custsim.policies.crm.records import FirmRecords
from custsim.policies.registry import register_policy
from custsim.policies.retention import (
    RANKS,
    OfferBook,
    in_segments,
    segment_problems,
    target_score,
)
from custsim.sim.market import FRAMES, Contact, FirmSpec, MarketObs, Offer, StepOutcome
from custsim.sim.rules import MAX_MONEY, bounded, days, one_of

#: what starts a campaign's messages (see the module docstring)
TRIGGERS = ("calendar", "lapse", "anniversary")
#: days between anniversaries of a first purchase
YEAR = 365


@dataclass
class CampaignConfig:
    """Parameters of `Campaign`."""

    _target_: str = "custsim.policies.campaign.Campaign"
    channel: str = "email"  # a key of `channels` (conf/channel/*.yaml)
    trigger: str = one_of("calendar", *TRIGGERS)
    every: int = days(14)  # calendar: days between waves
    start: int = days(1)  # calendar: the first wave's day
    lapse_days: int = days(30)  # lapse: the silence (days) that triggers the message
    segments: list[str] = field(default_factory=list)  # only these segments; []: everyone
    rank: str = one_of("overdue", *RANKS)  # who goes first when a wave is capped
    audience: int = bounded(2**31 - 1, 0, cap=2**31 - 1)  # customers per wave at most
    depth: float = bounded(0.0, 0.0, 1.0, hi_open=True)  # personal discount carried; 0: reminder
    duration: int = days(7)  # days a carried offer stays valid
    frame: str = one_of("amount_off", *FRAMES)
    budget: float = bounded(20_000.0, 0.0, cap=MAX_MONEY)  # money for contacts and discounts

    def problems(self, firm: str = "", firms: Sequence[str] = ()) -> list[str]:
        """Cross-field rules: every segment name is a known one."""
        return segment_problems(self.segments)


@register_policy("campaign", CampaignConfig)
class Campaign:
    """Reminders or personal offers to a segment through one channel, on a calendar or trigger."""

    def __init__(self, firm: FirmSpec, cfg: CampaignConfig | None = None) -> None:
        cfg = checked(cfg or CampaignConfig(), firm)
        self.firm, self.cfg = firm, cfg
        self.cost = firm.contact_cost(cfg.channel) if firm.channel_costs else 0.0
        self.spent = 0.0
        self.book = OfferBook(cfg.duration, cooldown=0)

    def due(self, obs: MarketObs) -> NDArray[np.int64]:
        """The customers the trigger picks today, before segments, opt-outs and the cap."""
        cfg, day = self.cfg, obs.day
        known = np.flatnonzero(obs.purchase_count > 0)
        if cfg.trigger == "calendar":
            on = day >= cfg.start and (day - cfg.start) % cfg.every == 0
            return known if on else known[:0]
        if cfg.trigger == "lapse":
            return known[day - obs.last_purchase_day[known] == cfg.lapse_days]
        since = day - obs.first_purchase_day[known]
        return known[(since > 0) & (since % YEAR == 0)]

    def audience_today(self, obs: MarketObs) -> NDArray[np.int64]:
        """Today's contacts (sorted): due, in segments, reachable, the first `audience` by rank."""
        ids = obs.reachable(self.cfg.channel, self.due(obs))
        if not len(ids):
            return ids
        records = None
        if self.cfg.segments:
            records = FirmRecords.from_obs(obs)
            ids = ids[in_segments(records, self.cfg.segments)[ids]]
        if len(ids) > self.cfg.audience:
            gap = obs.day - obs.last_purchase_day
            if self.cfg.rank == "overdue":
                score = gap
            else:
                records = records or FirmRecords.from_obs(obs)
                score = target_score(records, self.cfg.rank, float(self.cfg.lapse_days))
            ids = ids[np.argsort(-score[ids], kind="stable")[: self.cfg.audience]]
        return np.sort(ids)

    def offers(self, obs: MarketObs, rng: np.random.Generator) -> Offer:
        """Today's messages (while the budget lasts), and every personal price still valid."""
        cfg, regular = self.cfg, self.firm.regular_price
        self.book.expire(obs.day)
        ids = self.audience_today(obs) if self.spent < cfg.budget else np.empty(0, np.int64)
        contacts: tuple[Contact, ...] = ()
        if len(ids):
            self.spent += self.cost * len(ids)
            if cfg.depth > 0:
                self.book.valid_until.update({int(i): obs.day + cfg.duration - 1 for i in ids})
            contacts = (Contact(cfg.channel, ids, carries_offer=cfg.depth > 0),)
        held = self.book.held()
        return Offer(
            price=regular,
            frame=cfg.frame if cfg.depth > 0 else "none",
            targeted_ids=held,
            targeted_prices=np.full(len(held), regular * (1.0 - cfg.depth)),
            contacts=contacts,
        )

    def settle(self, outcome: StepOutcome) -> None:
        """Charge the discounts redeemed on the campaign's personal prices to the budget."""
        if self.cfg.depth > 0:
            _, saved = self.book.redeemed(outcome, self.firm.regular_price)
            self.spent += float(saved.sum())
