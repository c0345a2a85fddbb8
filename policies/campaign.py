"""Campaigns: messages to a segment of the firm's customers through one channel, within a budget.

A campaign contacts the customers who have bought from the firm (the only ones it
has an address for), in `segments` (from the firm's records:
`custsim.policies.retention.SEGMENTS`; empty: all of them), who have not opted out
of `channel`, when its trigger fires:

* calendar: a wave every `every` days from day `start`, to the whole audience;
* lapse: each customer on the day its silence with the firm reaches `lapse_days`
  (once per silence: the next needs a new purchase first);
* anniversary: each customer on the anniversaries of its first purchase (every
  365 days), the greeting of a birthday-like occasion;
* points_expiry: each member of the firm's programme `warn_days` before its points
  lapse (compose it with a points programme that has `expiry_days`): a reminder of
  a loss to avoid.

A wave reaches at most `audience` customers, the first by `rank` (as the retention
offer's: `custsim.policies.retention.RANKS`). With `depth` > 0 each message carries
a personal price `depth` off the regular price, valid for `duration` days (known
only to those who open it: `custsim.sim.market.Contact`); with depth 0 it is a
reminder. `budget` bounds what the campaign spends: its contacts (the channel's
cost, `FirmSpec.contact_cost`) plus the discounts redeemed; no wave is sent once
it is spent (so a wave sent just before may take the spend past it).

A campaign can keep a holdout, an in-market A/B test: customers in it are never
contacted, so the firm can compare its treated customers with them. Who is held
out is decided once, on the campaign's first day, from the firm's own generator
(the `rng` of `offers`; the same seed gives the same holdout), by `holdout_by`:

* customer (Bernoulli): customer i is held out iff u_i < `holdout`, u_i ~ U(0, 1)
  drawn for i = 0..n-1 in id order;
* cluster (graph-cluster randomisation, Ugander et al. 2013): the clusters are the
  firm's own, read from `holdout_file` (Parquet, columns `customer` and `cluster`:
  e.g. the clusters of its customers' call graph that a telecom observes,
  written by `custsim-abtest`); cluster c (in sorted label order) is held out
  whole iff u_c < `holdout`; a customer absent from the file is a cluster of its
  own (after the file's clusters, in id order);
* list: the customers in `holdout_file` (column `customer`) are the holdout, a
  list handed to the campaign system (`holdout` stays 0: the list is the share).

No holdout (`holdout` 0, customer): nothing is drawn. With a holdout, the budget and
the audience cap apply to the contactable customers only; a capped or budgeted
campaign therefore treats its customers differently with and without a holdout
(a firm-level interference the test does not see).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

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
TRIGGERS = ("calendar", "lapse", "anniversary", "points_expiry")
#: days between anniversaries of a first purchase
YEAR = 365
#: how a holdout is drawn (see the module docstring)
HOLDOUT_BY = ("customer", "cluster", "list")
#: the columns `holdout_file` needs, per `holdout_by`
HOLDOUT_COLUMNS = {"cluster": ("customer", "cluster"), "list": ("customer",)}


@dataclass
class CampaignConfig:
    """Parameters of `Campaign`."""

    _target_: str = "custsim.policies.campaign.Campaign"
    channel: str = "email"  # a key of `channels` (conf/channel/*.yaml)
    trigger: str = one_of("calendar", *TRIGGERS)
    every: int = days(14)  # calendar: days between waves
    start: int = days(1)  # calendar: the first wave's day
    lapse_days: int = days(30)  # lapse: the silence (days) that triggers the message
    warn_days: int = days(14)  # points_expiry: days before a member's points lapse
    segments: list[str] = field(default_factory=list)  # only these segments; []: everyone
    rank: str = one_of("overdue", *RANKS)  # who goes first when a wave is capped
    audience: int = bounded(2**31 - 1, 0, cap=2**31 - 1)  # customers per wave at most
    depth: float = bounded(0.0, 0.0, 1.0, hi_open=True)  # personal discount carried; 0: reminder
    duration: int = days(7)  # days a carried offer stays valid
    frame: str = one_of("amount_off", *FRAMES)
    budget: float = bounded(20_000.0, 0.0, cap=MAX_MONEY)  # money for contacts and discounts
    holdout: float = bounded(0.0, 0.0, 1.0)  # share (customer) or cluster probability held out
    holdout_by: str = one_of("customer", *HOLDOUT_BY)  # how the holdout is drawn
    holdout_file: str = ""  # Parquet: customer, cluster (cluster); customer (list)

    def problems(self, firm: str = "", firms: Sequence[str] = ()) -> list[str]:
        """Cross-field rules: known segments; the holdout file a `holdout_by` needs."""
        return segment_problems(self.segments) + holdout_problems(
            self.holdout, self.holdout_by, self.holdout_file
        )


def holdout_problems(holdout: float, by: str, path: str) -> list[str]:
    """One line when `holdout_file` is missing, unreadable or lacks its columns, or is unused."""
    if by not in HOLDOUT_COLUMNS:
        if path:
            return [f"holdout_file={path!r}: only read with holdout_by=cluster or list"]
        return []
    need = HOLDOUT_COLUMNS[by]
    if not path:
        return [f"holdout_file='': holdout_by={by} needs a Parquet file with {', '.join(need)}"]
    if by == "list" and holdout:
        return [f"holdout={holdout!r}: must be 0 with holdout_by=list (the list is the holdout)"]
    if not Path(path).is_file():
        return [f"holdout_file={path!r}: no such file"]
    import pyarrow.parquet as pq

    try:
        names = pq.read_schema(path).names
    except Exception as err:  # pyarrow raises several types for a file that is not Parquet
        return [f"holdout_file={path!r}: not a Parquet file ({type(err).__name__})"]
    missing = [c for c in need if c not in names]
    if missing:
        return [f"holdout_file={path!r}: needs column(s) {', '.join(missing)}, has {names}"]
    return []


def read_holdout_file(path: str, by: str, n: int) -> NDArray[np.int64]:
    """`holdout_file` as cluster labels 0..C-1 per customer (cluster) or held-out ids (list).

    Cluster: the file's labels in sorted order, then one cluster per customer absent
    from the file, in id order. Raises ValueError for ids outside 0..n-1 or repeated.
    """
    import pyarrow.parquet as pq

    table = pq.read_table(path, columns=list(HOLDOUT_COLUMNS[by]))
    ids = np.asarray(table.column("customer").to_numpy(), dtype=np.int64)
    if ids.size and (ids.min() < 0 or ids.max() >= n):
        raise ValueError(f"holdout_file={path!r}: customer ids must be in 0..{n - 1}")
    if np.unique(ids).size != ids.size:
        raise ValueError(f"holdout_file={path!r}: a customer is listed twice")
    if by == "list":
        return np.sort(ids)
    _, labels = np.unique(table.column("cluster").to_numpy(), return_inverse=True)
    cluster = np.full(n, -1, dtype=np.int64)
    cluster[ids] = labels
    alone = cluster < 0
    cluster[alone] = labels.max(initial=-1) + 1 + np.arange(int(alone.sum()))
    return cluster


def holdout_units(cfg: CampaignConfig, n: int) -> NDArray[np.int64]:
    """Every customer's randomisation unit: its cluster label (cluster), else its own id."""
    if cfg.holdout_by == "cluster":
        return read_holdout_file(cfg.holdout_file, "cluster", n)
    return np.arange(n, dtype=np.int64)


def draw_holdout(
    cfg: CampaignConfig, units: NDArray[np.int64], rng: np.random.Generator
) -> NDArray[np.bool_]:
    """Who is held out: unit u (`holdout_units`) iff U_u < `holdout`, U ~ U(0, 1) from `rng`.

    One uniform per unit, units in label order (customer: per customer in id order);
    list: the file's customers, nothing drawn; no holdout: nothing drawn.
    """
    n = units.size
    if cfg.holdout_by == "list":
        held = np.zeros(n, dtype=bool)
        held[read_holdout_file(cfg.holdout_file, "list", n)] = True
        return held
    if cfg.holdout == 0 and cfg.holdout_by == "customer":
        return np.zeros(n, dtype=bool)
    return (rng.random(int(units.max(initial=-1)) + 1) < cfg.holdout)[units]


@register_policy("campaign", CampaignConfig)
class Campaign:
    """Reminders or personal offers to a segment through one channel, on a calendar or trigger."""

    def __init__(self, firm: FirmSpec, cfg: CampaignConfig | None = None) -> None:
        cfg = checked(cfg or CampaignConfig(), firm)
        self.firm, self.cfg = firm, cfg
        self.cost = firm.contact_cost(cfg.channel)
        self.spent = 0.0
        self.book = OfferBook(cfg.duration, cooldown=0)
        #: per customer, its randomisation unit (`holdout_units`) and whether it is held out
        #: (`draw_holdout`), both set on the first day: the firm's own records of its test
        self.unit: NDArray[np.int64] | None = None
        self.held: NDArray[np.bool_] | None = None

    def due(self, obs: MarketObs) -> NDArray[np.int64]:
        """The customers the trigger picks today, before segments, opt-outs and the cap."""
        cfg, day = self.cfg, obs.day
        if cfg.trigger == "calendar" and (day < cfg.start or (day - cfg.start) % cfg.every):
            return np.empty(0, dtype=np.int64)  # no wave today: nothing to look at
        if cfg.trigger == "points_expiry":
            return self.points_lapsing(obs)
        known = np.flatnonzero(obs.purchase_count > 0)
        if cfg.trigger == "calendar":
            return known
        if cfg.trigger == "lapse":
            return known[day - obs.last_purchase_day[known] == cfg.lapse_days]
        since = day - obs.first_purchase_day[known]
        return known[(since > 0) & (since % YEAR == 0)]

    def points_lapsing(self, obs: MarketObs) -> NDArray[np.int64]:
        """Members whose points lapse in exactly `warn_days` days (none without expiry).

        Points are earned on purchases, so they lapse `expiry_days` after the last
        purchase (`custsim.agents.loyalty.expired`): the firm's own records and terms
        (`MarketObs.loyalty`) tell when.
        """
        terms = obs.loyalty
        if terms is None or terms.expiry_days is None:
            return np.empty(0, dtype=np.int64)
        left = obs.last_purchase_day + terms.expiry_days + 1 - obs.day  # the day they lapse
        return np.flatnonzero((obs.points > 0) & (left == self.cfg.warn_days))

    def audience_today(self, obs: MarketObs) -> NDArray[np.int64]:
        """Today's contacts (sorted): due, not held out, in segments, reachable, capped by rank."""
        ids = self.due(obs)
        if self.held is not None:
            ids = ids[~self.held[ids]]
        ids = obs.reachable(self.cfg.channel, ids)
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
        if self.held is None or self.unit is None:
            self.unit = holdout_units(cfg, obs.purchase_count.size)
            self.held = draw_holdout(cfg, self.unit, rng)
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
