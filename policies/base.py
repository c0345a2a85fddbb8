"""The policy protocol every firm policy implements.

A policy is constructed with its firm's fixed facts (`FirmSpec`) and its own
parameters, posts one `Offer` per day from what the firm can observe, and may
learn from the day's outcome. Randomness comes only from the generator passed
in, which the engine derives from the run's seed for this firm.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from custsim.sim.market import MarketObs, Offer, StepOutcome


@runtime_checkable
class Policy(Protocol):
    """A firm policy: observe, post an offer, settle."""

    def offers(self, obs: MarketObs, rng: np.random.Generator) -> Offer:
        """The firm's offer for day `obs.day`."""
        ...

    def settle(self, outcome: StepOutcome) -> None:
        """Feedback after the day's purchases (policies without learning ignore it)."""
        ...
