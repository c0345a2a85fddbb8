"""Retention and win-back offers: personal discounts for customers who look at risk.

A firm sees recency and frequency, not churn. Each day it offers `depth` off for
`duration` days to up to `daily_cap` customers who last bought more than
`recency_days` ago (default 30), or whose current gap exceeds
`frequency_drop` times their own average inter-purchase time, until the discounts
redeemed exhaust `budget`. Customers who have in fact lapsed can be won back
(`custsim.agents.churn.reactivation_probability`).

Who goes first (`rank`), all from the firm's records (`custsim.policies.crm`):

* overdue (default): the longest silence first, t - d_last;
* value: the highest spend with the firm first (the RFM monetary value, total spend,
  `custsim.policies.crm.rfm.monetary`; the value ABC analysis ranks by);
* risk: `custsim.policies.crm.warning.lapse_risk`, 1 - exp(-silence / own mean gap),
  the k of the recency rule standing in for the gap of a one-time buyer;
* value_risk: value x risk (`custsim.policies.crm.warning.value_at_risk`), the expected
  value lost (Blattberg, Kim & Neslin 2008: target by the expected loss).

`segments` restricts the offers to customers in any of the named segments, computed
daily from the records: ABC tiers A, B, C by spend (`custsim.policies.crm.abc.abc_tiers`,
80/15/5% of value), the four RFM classes (`custsim.policies.crm.rfm.FOUR_CLASSES`) or
the eight RFM cells (`custsim.policies.crm.rfm.EIGHT_CELLS`, high = quintile score >= 3)
on quintile scores (`custsim.policies.crm.rfm.rfm_scores`); empty: everyone.

`channel` sends each new offer as a message through one of the run's channels
(`custsim.sim.config.ChannelConfig`): it costs the channel's price a message, from the
budget, skips customers who opted out, and reaches only those who open it; without one,
every offer reaches its customer for free and for certain.

`OfferBook` is the offers' bookkeeping (who holds an offer until when, cooldown,
redemption) that `custsim.policies.value_allocation` shares.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from custsim.policies.base import checked
from custsim.policies.crm.abc import TIERS, abc_tiers
from custsim.policies.crm.records import FirmRecords
from custsim.policies.crm.rfm import (
    EIGHT_CELLS,
    FOUR_CLASSES,
    eight_cells,
    four_classes,
    high_low,
    rfm_scores,
)
from custsim.policies.crm.warning import lapse_risk, value_at_risk
from custsim.policies.registry import register_policy
from custsim.sim.market import FRAMES, Contact, FirmSpec, MarketObs, Offer, StepOutcome
from custsim.sim.rules import MAX_MONEY, bounded, days, one_of

#: orders of the at-risk customers (see the module docstring)
RANKS = ("overdue", "value", "risk", "value_risk")
#: segment names `segments` accepts: ABC tiers, the four RFM classes, the eight RFM cells
SEGMENTS = (*TIERS, *FOUR_CLASSES, *EIGHT_CELLS)


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
    rank: str = one_of("overdue", *RANKS)  # who goes first among the at-risk
    segments: list[str] = field(default_factory=list)  # only these segments; []: everyone
    # the offer goes out as a message through this channel (conf/channel/*.yaml), paid for from
    # the budget and known only to those who open it; null: it reaches everyone, free
    channel: str | None = None

    def problems(self, firm: str = "", firms: Sequence[str] = ()) -> list[str]:
        """Cross-field rules: every segment name is a known one."""
        return segment_problems(self.segments)


def segment_problems(segments: Iterable[str]) -> list[str]:
    """One line if a name in `segments` is not in `SEGMENTS`."""
    names = list(segments)
    if any(name not in SEGMENTS for name in names):
        return [f"segments={names!r}: must be names from: {', '.join(SEGMENTS)}"]
    return []


def in_segments(records: FirmRecords, segments: Sequence[str]) -> NDArray[np.bool_]:
    """Whether each row is a customer in any of `segments` (names from `SEGMENTS`).

    Reads the records only; computes the ABC tiers (by spend) and RFM scores only if
    a name of theirs is asked for.
    """
    wanted = set(segments)
    found = np.zeros(len(records), dtype=bool)

    def members(names: tuple[str, ...], codes: NDArray[np.int64]) -> NDArray[np.bool_]:
        return np.isin(codes, [names.index(s) for s in names if s in wanted])

    if wanted & set(TIERS):
        found |= members(TIERS, abc_tiers(records.spend, records.customer))
    if wanted - set(TIERS):
        scores = rfm_scores(records)
        if wanted & set(FOUR_CLASSES):
            found |= members(FOUR_CLASSES, four_classes(scores.r, scores.f, scores.m))
        if wanted & set(EIGHT_CELLS):
            found |= members(EIGHT_CELLS, eight_cells(*high_low(scores), scores.customer))
    return found


def target_score(records: FirmRecords, rank: str, typical_gap: float) -> NDArray[np.float64]:
    """The score `rank` orders customers by, higher first (value, risk or value_risk).

    value is the spend with the firm, risk `lapse_risk(records, typical_gap)`.
    """
    if rank == "value":
        return records.spend
    risk = lapse_risk(records, typical_gap)
    return risk if rank == "risk" else value_at_risk(records.spend, risk)


class OfferBook:
    """A policy's personal offers: who holds one until which day, when each was offered.

    `issue` hands out offers (skipping holders and customers in their cooldown),
    `expire` drops offers past their last day, `redeemed` uses up and prices the
    offers redeemed in a day's outcome.
    """

    def __init__(self, duration: int, cooldown: int) -> None:
        self.duration, self.cooldown = duration, cooldown
        self.valid_until: dict[int, int] = {}
        self.last_offered: dict[int, int] = {}

    def expire(self, day: int) -> None:
        """Drop the offers whose last valid day is before `day`."""
        self.valid_until = {i: d for i, d in self.valid_until.items() if d >= day}

    def issue(self, ranked: Iterable[int], day: int, cap: int) -> list[int]:
        """Offer the first `cap` of `ranked` who hold none and are out of cooldown."""
        fresh = [
            int(i)
            for i in ranked
            if i not in self.valid_until
            and day - self.last_offered.get(int(i), -(10**9)) > self.cooldown
        ]
        for i in fresh[:cap]:
            self.valid_until[i] = day + self.duration - 1
            self.last_offered[i] = day
        return fresh[:cap]

    def held(self) -> NDArray[np.int64]:
        """The customers holding a valid offer, in id order."""
        return np.array(sorted(self.valid_until), dtype=np.int64)

    def redeemed(
        self, outcome: StepOutcome, regular_price: float
    ) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """The holders who bought below `regular_price`, and the discount each got.

        Their offers are used up. Discount = (regular - paid) x units: in a
        composition, a holder buying at another part's lower price counts too.
        """
        held = np.isin(outcome.buyer_ids, np.fromiter(self.valid_until, dtype=np.int64))
        personal = held & (outcome.prices_paid < regular_price)
        cut = regular_price - outcome.prices_paid[personal]
        saved = cut * outcome.quantities[personal]
        buyers = outcome.buyer_ids[personal]
        for i in buyers:
            self.valid_until.pop(int(i), None)
        return buyers, saved


@register_policy("retention", RetentionConfig)
class RetentionOffer:
    """Targeted discounts to at-risk and lapsed customers, within a budget."""

    def __init__(self, firm: FirmSpec, cfg: RetentionConfig | None = None) -> None:
        cfg = checked(cfg or RetentionConfig(), firm)
        self.firm, self.cfg = firm, cfg
        self.recency, self.drop = cfg.recency_days, cfg.frequency_drop
        self.depth, self.cap = cfg.depth, cfg.daily_cap
        self.budget, self.frame = cfg.budget, cfg.frame
        self.rank, self.segments = cfg.rank, list(cfg.segments)
        self.spent = 0.0
        self.book = OfferBook(cfg.duration, cfg.cooldown)
        self.channel = cfg.channel
        self.contact_cost = firm.contact_cost(cfg.channel) if cfg.channel else 0.0

    @property
    def valid_until(self) -> dict[int, int]:
        """Holder -> last day its offer is valid (the `OfferBook`'s)."""
        return self.book.valid_until

    @property
    def last_offered(self) -> dict[int, int]:
        """Customer -> the day it was last offered (the `OfferBook`'s)."""
        return self.book.last_offered

    def at_risk(self, obs: MarketObs, records: FirmRecords | None = None) -> np.ndarray:
        """Customers who bought before and now look at risk, in `rank` order, in `segments`.

        `records`: `FirmRecords.from_obs(obs)` if already built (read only when
        ranking by a score or filtering by segment).
        """
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
        if self.rank == "overdue" and not self.segments:
            return ids[np.argsort(-gap[ids], kind="stable")]
        if records is None:
            records = FirmRecords.from_obs(obs)
        if self.segments:
            ids = ids[in_segments(records, self.segments)[ids]]
        score = gap if self.rank == "overdue" else target_score(records, self.rank, self.recency)
        return ids[np.argsort(-score[ids], kind="stable")]

    def offers(self, obs: MarketObs, rng: np.random.Generator) -> Offer:
        """Issue today's new offers (cap, cooldown, budget) and post all valid ones.

        With a `channel`, each new offer goes out as a message to a customer who has
        not opted out of it, and the messages are paid for from the budget.
        """
        self.book.expire(obs.day)
        new: list[int] = []
        if self.spent < self.budget:
            ranked = self.at_risk(obs)
            if self.channel is not None:
                ranked = obs.reachable(self.channel, ranked)
            new = self.book.issue(ranked, obs.day, self.cap)
        ids = self.book.held()
        price = self.firm.regular_price * (1.0 - self.depth)
        contacts = ()
        if self.channel is not None and new:
            self.spent += self.contact_cost * len(new)
            contacts = (Contact(self.channel, np.sort(np.array(new, dtype=np.int64))),)
        return Offer(
            price=self.firm.regular_price,
            frame=self.frame,
            targeted_ids=ids,
            targeted_prices=np.full(len(ids), price),
            contacts=contacts,
        )

    def settle(self, outcome: StepOutcome) -> None:
        """Charge redeemed retention discounts to the budget; a redeemed offer is used up.

        (The messages of a `channel` were charged when sent.)

        Only buyers holding a valid retention offer who paid below the regular
        price count: other policies' discounts (in a composition) are not ours.
        The budget stops new offers, not open ones, so redemptions of offers issued
        before it ran out may take the spend past `budget`.
        """
        _, saved = self.book.redeemed(outcome, self.firm.regular_price)
        self.spent += float(saved.sum())
