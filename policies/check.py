"""`check_policy`: the conformance check every policy in `conf/policy/` must pass.

It runs the policy on the focal firm of a small real market, twice with the
same seed, and checks that:

1. every day's offer is a valid `Offer` (finite prices >= 0, personal offers for
   existing customers only, loyalty terms of the right type);
2. the same seed gives the same offers, day by day (determinism);
3. the policy holds no reference to the model, the customers' state or their
   latent traits, so it can only act on the `MarketObs` it is given.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from typing import Any

import mesa
import numpy as np

from custsim.agents.population import Traits
from custsim.sim.compose import compose_config
from custsim.sim.ledger import PointsLedger
from custsim.sim.market import LoyaltyTerms, Offer
from custsim.sim.runner import build_model
from custsim.sim.state import CustomerState

FORBIDDEN = (mesa.Model, Traits, CustomerState, PointsLedger)


class PolicyCheckError(AssertionError):
    """A policy broke the policy contract."""


def check_policy(overrides: Sequence[str], days: int = 60, customers: int = 400) -> list[Offer]:
    """Check the focal policy of the config given by `overrides`; return its offers.

    Raises:
        PolicyCheckError: naming the day and the broken rule.

    """
    first, second = (_offers(overrides, days, customers) for _ in range(2))
    for day, (a, b) in enumerate(zip(first, second, strict=True), start=1):
        _check_offer(a, day, customers)
        if not same_offer(a, b):
            raise PolicyCheckError(f"day {day}: the same seed gave different offers: {a} vs {b}")
    return first


def _offers(overrides: Sequence[str], days: int, customers: int) -> list[Offer]:
    cfg = compose_config(
        [*overrides, f"steps={days}", f"population.size={customers}", "progress=off"]
    )
    model = build_model(cfg)
    focal = next(f for f in model.firms if f.name == cfg.market.focal)
    _check_isolated(focal.policy)
    offers = []
    while model.running:
        model.step()
        offers.append(focal.offer)
    _check_isolated(focal.policy)
    return offers


def _check_offer(offer: Any, day: int, customers: int) -> None:
    if not isinstance(offer, Offer):
        raise PolicyCheckError(f"day {day}: offers() returned {type(offer).__name__}, not Offer")
    if offer.loyalty is not None and not isinstance(offer.loyalty, LoyaltyTerms):
        raise PolicyCheckError(f"day {day}: loyalty must be LoyaltyTerms or None")
    ids = offer.targeted_ids
    if len(ids) and (ids.min() < 0 or ids.max() >= customers):
        raise PolicyCheckError(f"day {day}: personal offers for customers that do not exist")
    if not np.all(np.isfinite(offer.targeted_prices)):
        raise PolicyCheckError(f"day {day}: personal prices must be finite")


def _check_isolated(policy: Any, depth: int = 3) -> None:
    """No attribute (to `depth` levels) may be the model, customer state or traits."""
    seen: set[int] = set()

    def walk(obj: Any, path: str, level: int) -> None:
        if id(obj) in seen or level > depth:
            return
        seen.add(id(obj))
        if isinstance(obj, FORBIDDEN):
            raise PolicyCheckError(
                f"{path} holds a {type(obj).__name__}: policies may only see MarketObs"
            )
        children = vars(obj).items() if hasattr(obj, "__dict__") else ()
        if isinstance(obj, dict):
            children = obj.items()
        elif isinstance(obj, list | tuple):
            children = enumerate(obj)
        for key, child in children:
            walk(child, f"{path}.{key}", level + 1)

    walk(policy, type(policy).__name__, 0)


def same_offer(a: Offer, b: Offer) -> bool:
    """Field-by-field equality (arrays by value, the contacts field by field)."""
    return _same(a, b)


def _same(x: object, y: object) -> bool:
    """Equality of offers' values: arrays by value, dataclasses and tuples part by part."""
    if isinstance(x, np.ndarray):
        return np.array_equal(x, y)
    if hasattr(x, "__dataclass_fields__"):
        return type(x) is type(y) and all(
            _same(getattr(x, f.name), getattr(y, f.name)) for f in fields(x)
        )
    if isinstance(x, tuple):
        return isinstance(y, tuple) and len(x) == len(y) and all(map(_same, x, y))
    return x == y
