"""The loyalty ledger: points balances, rewards, expiry and tiers of every customer at every firm.

All arrays are firm-major, shape (J, n). Cumulative totals per firm keep the
accounting identity earned = redeemed + expired + outstanding exact at every
step (`check`). The mechanics are the pure functions of `custsim.agents.loyalty`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from custsim.agents import loyalty
from custsim.sim.market import LoyaltyTerms


@dataclass
class DayPoints:
    """One firm's points flows on one day."""

    earned: float = 0.0
    redeemed: float = 0.0
    expired: float = 0.0
    rewards_paid: float = 0.0


@dataclass
class PointsLedger:
    """Per-customer balances, enrolment and tier state, and per-firm cumulative flows.

    Points balances and rolling spend are float64 always (they are money, or
    convert to it); the days (`last_earned`, `rolling_day`) have `dtype`, the
    run's working precision.
    """

    n_firms: int
    n: int
    dtype: type = np.float64
    balance: NDArray[np.float64] = field(init=False)
    last_earned: NDArray[np.floating] = field(init=False)
    enrolled: NDArray[np.bool_] = field(init=False)
    rolling_spend: NDArray[np.float64] = field(init=False)
    rolling_day: NDArray[np.floating] = field(init=False)
    tier: NDArray[np.int8] = field(init=False)
    earned: NDArray[np.float64] = field(init=False)
    redeemed: NDArray[np.float64] = field(init=False)
    expired: NDArray[np.float64] = field(init=False)
    rewards_paid: NDArray[np.float64] = field(init=False)

    def __post_init__(self) -> None:
        shape = (self.n_firms, self.n)
        self.balance = np.zeros(shape)
        self.last_earned = np.full(shape, -np.inf, dtype=self.dtype)
        self.enrolled = np.zeros(shape, dtype=bool)
        self.rolling_spend = np.zeros(shape)
        self.rolling_day = np.zeros(shape, dtype=self.dtype)
        self.tier = np.zeros(shape, dtype=np.int8)
        for name in ("earned", "redeemed", "expired", "rewards_paid"):
            setattr(self, name, np.zeros(self.n_firms))

    @property
    def outstanding(self) -> NDArray[np.float64]:
        """Points held, per firm."""
        return self.balance.sum(axis=1)

    def check(self) -> float:
        """Largest violation of earned = redeemed + expired + outstanding (should be ~0)."""
        gap = self.earned - self.redeemed - self.expired - self.outstanding
        return float(np.max(np.abs(gap), initial=0.0))

    def effective_balance(self, j: int, who: NDArray[np.int64], terms: LoyaltyTerms) -> NDArray:
        """Balance a customer counts on: the endowed start for those not yet enrolled."""
        return np.where(self.enrolled[j, who], self.balance[j, who], terms.initial_points)

    def settle(
        self, day: int, j: int, buyers: NDArray[np.int64], spend: NDArray, terms: LoyaltyTerms
    ) -> tuple[NDArray[np.float64], DayPoints]:
        """Enrol new members, credit today's points, pay rewards.

        Returns:
            Rewards paid to each buyer (money) and the firm's flows for the day.

        """
        new = ~self.enrolled[j, buyers]
        self.enrolled[j, buyers[new]] = True
        self.balance[j, buyers[new]] = terms.initial_points
        gained = loyalty.points_earned(
            spend, 1.0, terms.points_per_currency, terms.points_per_purchase, terms.multiplier
        )
        self.balance[j, buyers] += gained
        self.last_earned[j, buyers] = day
        rewards, left = loyalty.redeem(self.balance[j, buyers], terms.threshold)
        renewed = (rewards > 0) * (terms.initial_points if terms.renew_endowment else 0.0)
        self.balance[j, buyers] = left + renewed  # a renewing card's next card comes endowed
        flows = DayPoints(
            earned=float(gained.sum() + terms.initial_points * new.sum() + renewed.sum()),
            redeemed=float(rewards.sum() * terms.threshold),
            rewards_paid=float(rewards.sum() * terms.reward_value),
        )
        self._add(j, flows)
        return rewards * terms.reward_value, flows

    def expire(self, day: int, j: int, terms: LoyaltyTerms) -> float:
        """Lapse the balances idle for longer than the expiry period; return the points."""
        if terms.expiry_days is None:
            return 0.0
        lapsed = np.flatnonzero(
            loyalty.expired(self.balance[j], self.last_earned[j], day, terms.expiry_days)
        )
        return self.forfeit(j, lapsed, terms)

    def forfeit(self, j: int, who: NDArray[np.int64], terms: LoyaltyTerms) -> float:
        """The points of members `who` lapse (expiry, or they give up collecting); return them.

        With `terms.renew_endowment` they hold no card any more: their next
        purchase brings a new one, endowed again.
        """
        amount = float(self.balance[j, who].sum())
        self.balance[j, who] = 0.0
        self.expired[j] += amount
        if terms.renew_endowment:
            self.enrolled[j, who] = False
        return amount

    def update_tiers(
        self,
        day: int,
        j: int,
        who: NDArray[np.int64],
        spend: NDArray,
        window: float,
        thresholds: tuple[float, ...],
    ) -> NDArray[np.int64]:
        """Decay and add to rolling spend; return each customer's tier change (new - old)."""
        decayed = loyalty.decay_rolling(
            self.rolling_spend[j, who], day - self.rolling_day[j, who], window
        )
        self.rolling_spend[j, who] = decayed + spend
        self.rolling_day[j, who] = day
        new = loyalty.tier_of(self.rolling_spend[j, who], thresholds)
        change = new - self.tier[j, who]
        self.tier[j, who] = new
        return change

    def _add(self, j: int, flows: DayPoints) -> None:
        self.earned[j] += flows.earned
        self.redeemed[j] += flows.redeemed
        self.rewards_paid[j] += flows.rewards_paid
