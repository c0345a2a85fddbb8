"""An optional per-purchase log: who bought what, when, and where their points stood after it.

Off by default (`record_purchases: false`), so plain runs pay nothing. When on,
the model appends one block of arrays per day (`PurchaseLog.add`) and
`PurchaseLog.frame` joins them into one table, for analyses that need single
purchases rather than daily totals: inter-purchase times by stamp-card
position (the goal gradient), days to complete a card (endowed progress).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import NDArray

COLUMNS = ("day", "customer", "firm", "quantity", "paid", "points", "rewarded")


@dataclass
class PurchaseLog:
    """Every purchase of a run, gathered day by day."""

    blocks: list[tuple[NDArray, ...]] = field(default_factory=list)

    def add(
        self,
        day: int,
        customers: NDArray[np.int64],
        firms: NDArray[np.int64],
        quantity: NDArray[np.int64],
        paid: NDArray[np.float64],
        points: NDArray[np.float64],
        rewards: NDArray[np.float64],
    ) -> None:
        """Record today's purchases.

        Args:
            day: the day.
            customers: row ids of the buyers.
            firms: brand bought, per buyer.
            quantity: units bought.
            paid: unit price paid.
            points: the buyer's points (stamps) with that firm after the purchase
                and any reward it completed.
            rewards: money value of the rewards the purchase completed.

        """
        if len(customers):
            days = np.full(len(customers), day, dtype=np.int32)
            self.blocks.append((days, customers, firms, quantity, paid, points, rewards > 0))

    def frame(self) -> pd.DataFrame:
        """One row per purchase, in the order they happened (columns: `COLUMNS`)."""
        if not self.blocks:
            return pd.DataFrame({c: pd.Series(dtype=float) for c in COLUMNS})
        columns = zip(*self.blocks, strict=True)
        return pd.DataFrame(
            {name: np.concatenate(parts) for name, parts in zip(COLUMNS, columns, strict=True)}
        )


def card_purchases(log: pd.DataFrame, firm: int, slots: int) -> pd.DataFrame:
    """Purchases from `firm`, each with its stamp-card position and the gap to the next one.

    Args:
        log: `PurchaseLog.frame()` of a run with a stamp card at `firm`.
        firm: the firm's index.
        slots: stamps on a full card (the card's threshold).

    Returns:
        Columns customer, day, stamp (stamps on the card after the purchase; `slots`
        for the purchase that completed it), card (0 for a customer's first card),
        rewarded, and gap (days to the customer's next purchase from `firm`; NaN if none).

    """
    mine = log[log["firm"] == firm].sort_values(["customer", "day"], kind="stable")
    out = mine[["customer", "day", "rewarded"]].reset_index(drop=True)
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
