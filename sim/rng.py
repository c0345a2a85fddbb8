"""The run's random-number tree: one seed in, independent streams out.

`numpy.random.SeedSequence(seed)` spawns one child per consumer, always in the
same order, so every part of the model has its own reproducible stream and
adding a firm does not shift the population's or the network's draws.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

STREAMS = ("population", "network", "dynamics", "mesa")


@dataclass(frozen=True)
class RngTree:
    """Named generators for one run, plus one per firm."""

    population: np.random.Generator
    network: np.random.Generator
    dynamics: np.random.Generator
    mesa: np.random.Generator
    firms: tuple[np.random.Generator, ...]

    @classmethod
    def from_seed(cls, seed: int, n_firms: int) -> RngTree:
        """Spawn the streams from `seed` (the firms' streams come last)."""
        children = np.random.SeedSequence(seed).spawn(len(STREAMS) + n_firms)
        named = {name: np.random.default_rng(s) for name, s in zip(STREAMS, children, strict=False)}
        firms = tuple(np.random.default_rng(s) for s in children[len(STREAMS) :])
        return cls(firms=firms, **named)
