"""Composition: one firm runs several policies at once (e.g. hi-lo + points + a limited offer).

Each part posts its own offer; the composed offer takes
- the lowest shelf price, and with it that part's frame, deadline, countdown,
  novelty and stock limit (the deal customers see);
- the highest displayed list price; `promoted` if any part promotes;
- the loyalty terms of the parts merged: the points rules of the first part
  that earns points, the tiers of the first part with tiers;
- every personal price, the lowest where several parts target one customer;
- the complaint answers of the first part that answers complaints today;
- every part's messages and contacts to prospects (`Offer.contacts`, `.prospecting`).
Every part hears the day's outcome.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from custsim.policies.base import checked
from custsim.policies.registry import register_policy
from custsim.sim.market import FirmSpec, LoyaltyTerms, MarketObs, Offer, StepOutcome
from custsim.sim.policy_config import build_policy
from custsim.sim.rules import policy_field


def _demo_parts() -> list[Any]:
    """`policy=composed`: a hi-lo calendar, a points programme and a two-week countdown offer."""
    return [
        {"_target_": "custsim.policies.hi_lo.HiLoPromotion", "depth": 0.15, "every": 56,
         "duration": 7, "start": 14},
        {"_target_": "custsim.policies.loyalty_points.LoyaltyPoints", "earn_rate": 1.0,
         "threshold": 50, "reward_value": 2.5, "expiry_days": 180},
        {"_target_": "custsim.policies.limited_offer.TimeLimitedOffer", "depth": 0.25,
         "start": 120, "duration": 10, "countdown": True},
    ]  # fmt: skip


@dataclass
class ComposedConfig:
    """Parameters of `ComposedPolicy`: the parts, each a policy config with `_target_`."""

    _target_: str = "custsim.policies.composed.ComposedPolicy"
    parts: list[Any] = policy_field(_demo_parts)  # noqa: RUF009 (each part is checked as a policy)

    def problems(self, firm: str = "", firms: Sequence[str] = ()) -> list[str]:
        """Cross-field rules: at least one part (the parts' own rules are checked as theirs)."""
        return [] if self.parts else ["parts=[]: a composed policy needs at least one part"]


@register_policy("composed", ComposedConfig)
class ComposedPolicy:
    """Several policies acting as one."""

    def __init__(self, firm: FirmSpec, cfg: ComposedConfig | None = None) -> None:
        cfg = checked(cfg or ComposedConfig(), firm)
        self.firm, self.cfg = firm, cfg
        self.parts = [build_policy(part, firm, f"parts.{k}") for k, part in enumerate(cfg.parts)]

    def offers(self, obs: MarketObs, rng: np.random.Generator) -> Offer:
        """Merge the parts' offers (see the module docstring)."""
        offers = [part.offers(obs, rng) for part in self.parts]
        deal = min(offers, key=lambda o: o.price)
        shown = [o.list_price for o in offers if o.list_price is not None]
        ids, prices = merge_targets(offers)
        return Offer(
            price=deal.price,
            list_price=max(shown) if shown else None,
            frame=deal.frame,
            deadline=deal.deadline,
            countdown=deal.countdown,
            days_running=deal.days_running,
            stock_limit=deal.stock_limit,
            promoted=any(o.promoted for o in offers),
            loyalty=merge_loyalty([o.loyalty for o in offers]),
            targeted_ids=ids,
            targeted_prices=prices,
            contacts=tuple(c for o in offers for c in o.contacts),
            prospecting=tuple(c for o in offers for c in o.prospecting),
            **answers(offers),
        )

    def settle(self, outcome: StepOutcome) -> None:
        """Every part hears the outcome."""
        for part in self.parts:
            part.settle(outcome)


def merge_loyalty(terms: list[LoyaltyTerms | None]) -> LoyaltyTerms | None:
    """Points rules of the first points programme, tiers of the first tier programme."""
    points = next((t for t in terms if t is not None and t.earns_points), None)
    tiers = next((t for t in terms if t is not None and t.tier_thresholds), None)
    if points is None or tiers is None:
        return points or tiers
    return replace(
        points,
        tier_thresholds=tiers.tier_thresholds,
        tier_discounts=tiers.tier_discounts,
        tier_window_days=tiers.tier_window_days,
    )


def answers(offers: list[Offer]) -> dict:
    """The complaint answers of the first part that answers any today (none otherwise)."""
    part = next((o for o in offers if len(o.handled_ids)), None)
    if part is None:
        return {}
    return {
        "handled_ids": part.handled_ids,
        "compensation": part.compensation,
        "handling_cost": part.handling_cost,
    }


def merge_targets(offers: list[Offer]) -> tuple[np.ndarray, np.ndarray]:
    """Union of the personal prices, lowest price per customer, sorted by id."""
    ids = np.concatenate([o.targeted_ids for o in offers])
    prices = np.concatenate([o.targeted_prices for o in offers])
    if len(ids) == 0:
        return ids, prices
    order = np.lexsort((prices, ids))  # by id, cheapest first
    ids, prices = ids[order], prices[order]
    first = np.ones(len(ids), dtype=bool)
    first[1:] = ids[1:] != ids[:-1]
    return ids[first], prices[first]
