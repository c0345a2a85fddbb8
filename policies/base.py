"""The policy protocol every firm policy implements.

A policy is constructed with its firm's fixed facts (`FirmSpec`) and its config
dataclass, `HiLoPromotion(firm, HiLoConfig(depth=0.3))`: every default and range is
declared once, on the config's fields, and `checked` applies them. It posts one
`Offer` per day from what the firm can observe, and may learn from the day's
outcome. Randomness comes only from the generator passed
in, which the engine derives from the run's seed for this firm.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Protocol, runtime_checkable

import numpy as np

from custsim.sim.market import FirmSpec, MarketObs, Offer, StepOutcome
from custsim.sim.rules import first_problem, shown


@runtime_checkable
class Policy(Protocol):
    """A firm policy: observe, post an offer, settle."""

    def offers(self, obs: MarketObs, rng: np.random.Generator) -> Offer:
        """The firm's offer for day `obs.day`."""
        ...

    def settle(self, outcome: StepOutcome) -> None:
        """Feedback after the day's purchases (policies without learning ignore it)."""
        ...


def checked[C](cfg: C, firm: FirmSpec) -> C:
    """`cfg` itself if every field is in its declared range and its cross-field rules hold.

    The ranges are the fields' `custsim.sim.rules.Rule`s and the cross-field rules the
    config's `problems(firm, firms)`, the same ones `custsim.sim.validation.validate` reports
    for a whole run; a policy built directly from Python is checked by them too.

    Raises:
        ValueError: the first problem, 'key=value: what is allowed'.

    """
    ruled = [(f.name, getattr(cfg, f.name), f.metadata.get("rule")) for f in fields(cfg)]  # type: ignore[arg-type]
    problems = [
        f"{name}={shown(value)}: {rule.describe(value)}"
        for name, value, rule in ruled
        if rule is not None and not rule.allows(value)
    ]
    if hasattr(cfg, "problems"):
        problems += cfg.problems(firm.name, firm.market)
    first_problem(problems)
    return cfg
