"""A reactive competitor: matches (or undercuts) a rival's promotions after a lag.

The firm watches a rival's shelf price against its regular price (both public).
When the rival cut its price by d, `lag` days later this firm cuts its own by
`match * d` (match > 1 undercuts), for as long as the cut it saw lasted.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from sim.config import bounded
from sim.market import FirmSpec, MarketObs, Offer, StepOutcome


@dataclass
class ReactiveConfig:
    """Parameters of `ReactiveCompetitor`."""

    _target_: str = "policies.reactive.ReactiveCompetitor"
    watch: str = "A"  # the rival's firm name
    lag: int = bounded(3, 1)  # days before responding
    match: float = bounded(1.0, 0.0)  # share of the rival's depth copied (> 1 undercuts)
    max_depth: float = bounded(0.5, 0.0, 1.0, hi_open=True)


class ReactiveCompetitor:
    """Copy the watched rival's price cuts after `lag` days."""

    def __init__(
        self,
        firm: FirmSpec,
        watch: str = "A",
        lag: int = 3,
        match: float = 1.0,
        max_depth: float = 0.5,
    ) -> None:
        rivals = [name for name in firm.market if name != firm.name]
        if watch not in rivals:
            raise ValueError(f"watch={watch!r}: must be one of: {', '.join(rivals)}")
        self.firm, self.watch, self.match, self.max_depth = firm, watch, match, max_depth
        self.seen: deque[float] = deque([0.0] * lag, maxlen=lag)

    def offers(self, obs: MarketObs, rng: np.random.Generator) -> Offer:
        """Respond today to the rival's cut of `lag` days ago (prices are seen a day late)."""
        k = obs.firm_names.index(self.watch)
        self.seen.append(max(1.0 - obs.shelf_prices[k] / obs.regular_prices[k], 0.0))
        depth = min(self.seen[0] * self.match, self.max_depth)  # the rival's cut on day t - lag
        regular = self.firm.regular_price
        if depth <= 0:
            return Offer(price=regular)
        return Offer(
            price=regular * (1 - depth), list_price=regular, frame="percent_off", promoted=True
        )

    def settle(self, outcome: StepOutcome) -> None:
        """The response rule is fixed."""
