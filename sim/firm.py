"""Firms: few, stateful Mesa agents, each holding a pluggable policy."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import mesa
import numpy as np

from custsim.sim.market import FirmSpec, MarketObs, Offer, StepOutcome

if TYPE_CHECKING:
    from custsim.policies.base import Policy


class Firm(mesa.Agent):
    """A competing firm: regular price, unit cost, and the policy that sets its offers."""

    def __init__(
        self, model: mesa.Model, spec: FirmSpec, policy: Policy, rng: np.random.Generator
    ) -> None:
        super().__init__(model)
        self.spec = spec
        self.policy = policy
        self.policy_rng = rng
        self.offer: Offer = Offer(price=spec.regular_price)

    @property
    def name(self) -> str:
        """The firm's name (its key in `market.firms`)."""
        return self.spec.name

    def post_offer(self, obs: MarketObs) -> Offer:
        """Ask the policy for today's offer and remember it."""
        self.offer = self.policy.offers(obs, self.policy_rng)
        return self.offer

    def settle(self, outcome: StepOutcome) -> None:
        """Pass the day's outcome to the policy."""
        self.policy.settle(outcome)


def firm_specs(
    firms: Mapping[str, Any], channels: Mapping[str, Any] | None = None
) -> tuple[FirmSpec, ...]:
    """The firms' fixed facts, in config order (index j = position).

    `channels`: the run's channels (`channels`), whose cost per contact every firm knows.
    """
    names = tuple(firms)
    costs = tuple((name, float(c.cost)) for name, c in sorted((channels or {}).items()))
    return tuple(
        FirmSpec(name, j, float(f.price), float(f.cost), names, costs)
        for j, (name, f) in enumerate(firms.items())
    )
