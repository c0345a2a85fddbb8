"""The experience chain's state: per customer and firm, plus the ledgers of complaints and causes.

Held by `CustomerState.chain` when the run has the chain (`custsim.sim.config.chain_enabled`),
None otherwise. Arrays per firm are firm-major (J, n) like the rest of the state; the
equations are `custsim.agents.experience`'s, the updates `custsim.sim.stages.experience`'s.

`pull` is the chain's part of the brand utility, w_S S_ij + w_T (T_ij - T_0) + w_H H_ij,
kept up to date for the customers whose S, T or H change, so the shelf gathers one array.

The cause ledgers count events, never customers: `exits[c, j]` churns put down to cause
c (`custsim.agents.experience.CAUSES`) of customers whose last brand was j (column J:
never bought), `switches[c, j, k]` purchases of brand k by a customer whose previous
purchase was brand j != k. Their sums are the run's churn events and brand switches.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from custsim.agents.experience import CAUSES
from custsim.sim.config import ExperienceConfig

#: what the chain counts per firm and day (reset each morning), recorded as firm series
DAY_COUNTS = (
    "service_failures",
    "complaints",
    "complaints_handled",
    "service_cost",
    "switches_in",
    "switches_out",
    "exits",
)
#: the chain's firm series in timeseries.parquet (with the chain only): the means of the felt
#: experience, satisfaction and trust of the brand's buyers of the day, the NPS of a survey
#: that day, and the day's counts
CHAIN_SERIES = ("experience", "satisfaction", "trust", "nps", *DAY_COUNTS)
#: the series among them that are counts (integers in timeseries.parquet)
CHAIN_COUNTS = tuple(n for n in DAY_COUNTS if n != "service_cost")


@dataclass
class ChainState:
    """Satisfaction, trust, habit, quality expectations, open complaints and the ledgers."""

    satisfaction: NDArray[np.floating]  # (J, n) S_ij
    trust: NDArray[np.floating]  # (J, n) T_ij in [0, 1]
    habit: NDArray[np.floating]  # (J, n) H_ij in [0, 1]
    expected_quality: NDArray[np.floating]  # (J, n) q_ref_ij
    pull: NDArray[np.floating]  # (J, n) the chain's utility term (see the module)
    complaint_day: NDArray[np.int32]  # (J, n) day an open complaint was made; -1: none
    service_cost: NDArray[np.float64]  # (J, n) compensation and handling paid for i's complaints
    grievance: NDArray[np.int8]  # (J, n) CAUSES code: worst dimension of i's last bad time with j
    churn_cause: NDArray[np.int8]  # (n,) CAUSES code of the customer's last churn; -1: none
    complaints: NDArray[np.int32]  # (n,) complaints made, all firms
    exits: NDArray[np.int64]  # (C, J + 1) churn events by cause and last brand
    switches: NDArray[np.int64]  # (C, J, J) brand switches by cause, from, to
    cfg: ExperienceConfig  # population.experience: the weights of `pull`
    day: dict[str, NDArray[np.float64]] = field(default_factory=dict)  # DAY_COUNTS, (J,)
    experience_sum: NDArray[np.float64] = field(init=False)  # (J,) today's buyers' felt e,
    satisfaction_sum: NDArray[np.float64] = field(init=False)  # and their S_ij and T_ij after
    trust_sum: NDArray[np.float64] = field(init=False)  # it, summed per brand bought
    surveys: list = field(default_factory=list)  # per firm: (ids, scores) of the last survey

    def __post_init__(self) -> None:
        j = len(self.satisfaction)
        self.experience_sum, self.satisfaction_sum, self.trust_sum = (np.zeros(j) for _ in "est")
        self.surveys = [None] * j
        self.new_day()

    @classmethod
    def initial(
        cls, quality: NDArray[np.float64], n: int, cfg: ExperienceConfig, dtype: type
    ) -> ChainState:
        """Day 0: neutral satisfaction, trust T_0, no habit, quality expected as advertised."""
        j, c = len(quality), len(CAUSES)
        return cls(
            satisfaction=np.zeros((j, n), dtype=dtype),
            trust=np.full((j, n), cfg.initial_trust, dtype=dtype),
            habit=np.zeros((j, n), dtype=dtype),
            expected_quality=np.repeat(quality.astype(dtype)[:, None], n, axis=1),
            pull=np.zeros((j, n), dtype=dtype),
            complaint_day=np.full((j, n), -1, dtype=np.int32),
            service_cost=np.zeros((j, n)),
            grievance=np.full((j, n), -1, dtype=np.int8),
            churn_cause=np.full(n, -1, dtype=np.int8),
            complaints=np.zeros(n, dtype=np.int32),
            exits=np.zeros((c, j + 1), dtype=np.int64),
            switches=np.zeros((c, j, j), dtype=np.int64),
            cfg=cfg,
        )

    def new_day(self) -> None:
        """Reset the day's counts (`DAY_COUNTS`) and the buyers' sums."""
        j = len(self.satisfaction)
        self.day = {name: np.zeros(j) for name in DAY_COUNTS}
        for sums in (self.experience_sum, self.satisfaction_sum, self.trust_sum):
            sums[:] = 0.0

    def refresh_pull(self, who: NDArray[np.int64]) -> None:
        """Recompute `pull` for customers `who`: w_S S + w_T (T - T_0) + w_H H."""
        cfg = self.cfg
        s, t, h = self.satisfaction[:, who], self.trust[:, who], self.habit[:, who]
        pull = cfg.satisfaction_weight * s
        if cfg.trust_weight:
            pull += cfg.trust_weight * (t - cfg.initial_trust)
        if cfg.habit_weight:
            pull += cfg.habit_weight * h
        self.pull[:, who] = pull

    @property
    def churn_events(self) -> int:
        """Churns counted by the cause ledger."""
        return int(self.exits.sum())

    @property
    def switch_events(self) -> int:
        """Brand switches counted by the cause ledger."""
        return int(self.switches.sum())
