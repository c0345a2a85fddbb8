"""A reactive competitor: matches (or undercuts) a rival's promotions after a lag.

The firm watches a rival's shelf price against its regular price (both public).
When the rival cut its price by d, `lag` days later this firm cuts its own by
`match * d` (match > 1 undercuts), for as long as the cut it saw lasted.
For a competitor, e.g. `custsim policy=hi_lo +policy@market.firms.B.policy=reactive`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from custsim.policies.base import checked
from custsim.policies.registry import register_policy
from custsim.sim.market import FirmSpec, MarketObs, Offer, StepOutcome
from custsim.sim.rules import bounded, days


@dataclass
class ReactiveConfig:
    """Parameters of `ReactiveCompetitor`."""

    _target_: str = "custsim.policies.reactive.ReactiveCompetitor"
    watch: str = "A"  # the rival's firm name
    lag: int = days(3)  # days before responding
    match: float = bounded(1.0, 0.0, cap=100.0)  # share of the rival's depth copied (> 1 undercuts)
    max_depth: float = bounded(0.5, 0.0, 1.0, hi_open=True)

    def problems(self, firm: str = "", firms: Sequence[str] = ()) -> list[str]:
        """Cross-field rules: the watched firm is a rival of `firm` in the market `firms`."""
        rivals = [name for name in firms if name != firm]
        if self.watch not in rivals:
            return [f"watch={self.watch!r}: must be one of: {', '.join(rivals)}"]
        return []


@register_policy("reactive", ReactiveConfig)
class ReactiveCompetitor:
    """Copy the watched rival's price cuts after `lag` days."""

    def __init__(self, firm: FirmSpec, cfg: ReactiveConfig | None = None) -> None:
        cfg = checked(cfg or ReactiveConfig(), firm)
        self.firm, self.cfg, self.watch = firm, cfg, cfg.watch
        self.match, self.max_depth = cfg.match, cfg.max_depth
        self.seen: deque[float] = deque([0.0] * cfg.lag, maxlen=cfg.lag)

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
