"""An optional per-purchase log: who bought what, when, at what price, and their points after.

Off by default: on when the run records purchases (`custsim.sim.config.records_purchases`:
`record_purchases: true`, or any `analysis`), so plain runs pay nothing. When on,
the model appends one block of arrays per day (`PurchaseLog.add`); the run writes
them to `<run_dir>/purchases.parquet` (`PurchaseLog.frames`, one row group per
`PURCHASES_PER_GROUP` rows or so: `custsim.sim.runner.write_run`), and
`PurchaseLog.frame` joins them into one table for in-process analyses that need
single purchases rather than daily totals: inter-purchase times by stamp-card
position (the goal gradient), days to complete a card (endowed progress), a firm's
records (`custsim.policies.crm.records.FirmRecords.from_log`).

The table (file and frame alike: `COLUMNS`) has one row per purchase, ordered by
day, then customer: day (1..steps), customer (row id), firm (categorical of the
firm names, in firm order), quantity (units), price (paid per unit), spend
(quantity x price; its sum per firm is the firm's revenue), points (the buyer's
points balance with that firm after the purchase and any reward it completed) and
reward (money value of the rewards the purchase completed).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import NDArray

#: the purchase log's columns and their dtypes, in order (purchases.parquet and `frame`)
COLUMNS = {
    "day": "int32",
    "customer": "int64",
    "firm": "category",
    "quantity": "int32",
    "price": "float64",
    "spend": "float64",
    "points": "float64",
    "reward": "float64",
}
#: the arrays a day's block holds: every column but spend (quantity x price, made when read);
#: firm as its int16 code
STORED = {name: ("int16" if kind == "category" else kind) for name, kind in COLUMNS.items()}
del STORED["spend"]
#: bytes one purchase takes in the log while the run goes on (`custsim.sim.memory`)
BYTES_PER_PURCHASE = sum(np.dtype(kind).itemsize for kind in STORED.values())
#: purchases per row group of purchases.parquet: whole days are joined until a group has
#: at least this many rows (the last group may hold fewer)
PURCHASES_PER_GROUP = 1_000_000


@dataclass
class PurchaseLog:
    """Every purchase of a run, gathered day by day (`firms`: the firm names, in firm order)."""

    firms: tuple[str, ...]
    blocks: list[tuple[NDArray, ...]] = field(default_factory=list)

    def add(
        self,
        day: int,
        customers: NDArray[np.int64],
        firms: NDArray[np.int64],
        quantity: NDArray[np.int64],
        paid: NDArray[np.float64],
        points: NDArray[np.floating],
        rewards: NDArray[np.float64],
    ) -> None:
        """Record today's purchases, in customer order (a customer buys once a day at most).

        Args:
            day: the day.
            customers: row ids of the buyers.
            firms: brand bought (firm index), per buyer.
            quantity: units bought.
            paid: unit price paid.
            points: the buyer's points (stamps) with that firm after the purchase
                and any reward it completed.
            rewards: money value of the rewards the purchase completed.

        """
        if not len(customers):
            return
        order = np.argsort(customers, kind="stable")
        arrays = (np.full(len(customers), day), customers, firms, quantity, paid, points, rewards)
        pairs = zip(arrays, STORED.values(), strict=True)
        self.blocks.append(tuple(np.asarray(a)[order].astype(k, copy=False) for a, k in pairs))

    @property
    def rows(self) -> int:
        """Purchases logged so far."""
        return sum(len(block[0]) for block in self.blocks)

    def frames(self, rows_per_group: int | None = None) -> Iterator[pd.DataFrame]:
        """The log as consecutive tables of whole days, each of at least `rows_per_group` rows.

        Days are joined in order until a table holds `rows_per_group` rows
        (default `PURCHASES_PER_GROUP`), so at most one table (and the blocks it
        joins) is built at a time; the last may be smaller. At least one table (an
        empty one for a log without purchases). Concatenated, they are `frame()`.
        """
        size = PURCHASES_PER_GROUP if rows_per_group is None else rows_per_group
        group: list[tuple[NDArray, ...]] = []
        rows = 0
        for block in self.blocks:
            group.append(block)
            rows += len(block[0])
            if rows >= size:
                yield self._table(group)
                group, rows = [], 0
        if group or not self.blocks:
            yield self._table(group)

    def frame(self) -> pd.DataFrame:
        """One row per purchase, ordered by day, then customer (columns and dtypes: `COLUMNS`)."""
        return self._table(self.blocks)

    def _table(self, blocks: list[tuple[NDArray, ...]]) -> pd.DataFrame:
        """The rows of `blocks` as a table of `COLUMNS`."""
        if blocks:
            parts = zip(*blocks, strict=True)
            cols = {name: np.concatenate(p) for name, p in zip(STORED, parts, strict=True)}
        else:
            cols = {name: np.empty(0, dtype=kind) for name, kind in STORED.items()}
        cols["firm"] = pd.Categorical.from_codes(cols["firm"], categories=list(self.firms))
        cols["spend"] = cols["quantity"] * cols["price"]
        return pd.DataFrame({name: cols[name] for name in COLUMNS})


def card_purchases(log: pd.DataFrame, firm: int, slots: int) -> pd.DataFrame:
    """Purchases from `firm`, each with its stamp-card position and the gap to the next one.

    Args:
        log: `PurchaseLog.frame()` (or purchases.parquet) of a run with a stamp card at `firm`.
        firm: the firm's index (its code in the log's firm column).
        slots: stamps on a full card (the card's threshold).

    Returns:
        Columns customer, day, rewarded (the purchase completed a reward: reward > 0),
        stamp (stamps on the card after the purchase; `slots` for the purchase that
        completed it), card (0 for a customer's first card) and gap (days to the
        customer's next purchase from `firm`; NaN if none).

    """
    mine = log[log["firm"].cat.codes.to_numpy() == firm]
    mine = mine.sort_values(["customer", "day"], kind="stable")
    out = mine[["customer", "day"]].reset_index(drop=True)
    out["rewarded"] = mine["reward"].to_numpy() > 0
    points = mine["points"].to_numpy()
    out["stamp"] = np.where(out["rewarded"], slots, np.rint(points)).astype(np.int64)
    by_customer = out.groupby("customer", sort=False)
    out["card"] = by_customer["rewarded"].cumsum() - out["rewarded"]
    out["gap"] = by_customer["day"].shift(-1) - out["day"]
    return out


def first_card_gaps(cards: pd.DataFrame, completed_by: int) -> pd.DataFrame:
    """The purchases of first cards completed by day `completed_by` (Kivetz et al. 2006, Study 1).

    Every customer kept has bought at every position of the card, so each
    position's mean inter-purchase time compares the same customers; the gap
    after the completing purchase is the post-reward gap.
    """
    first = cards[cards["card"] == 0]
    done = first.loc[first["rewarded"] & (first["day"] <= completed_by), "customer"]
    return first[first["customer"].isin(done)]


def completion(cards: pd.DataFrame, enrolled_by: int, window: int) -> pd.DataFrame:
    """Per card holder enrolled by day `enrolled_by`: whether a reward came within `window` days.

    A customer gets the card at the first purchase from the firm (day `enrolled`);
    `days` is the time to the first reward (NaN if none), `completed` whether it
    came within `window` days of enrolling.
    """
    by_customer = cards.groupby("customer")
    enrolled = by_customer["day"].min()
    holders = enrolled[enrolled <= enrolled_by]
    first_reward = cards[cards["rewarded"]].groupby("customer")["day"].min()
    days = first_reward.reindex(holders.index) - holders
    return pd.DataFrame(
        {"enrolled": holders, "days": days, "completed": (days <= window).to_numpy()}
    )
