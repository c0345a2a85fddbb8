"""The run's random-number tree: one seed in, independent streams out.

`numpy.random.SeedSequence(seed)` spawns one child per consumer, always in the
same order, so every part of the model has its own reproducible stream and
adding a firm does not shift the population's or the network's draws.

Within a day (`DayDraws`):

- the draws every run makes, for each of today's shoppers, come from the
  `dynamics` stream in one place, in a fixed order: a choice uniform, a
  quantity uniform (also the queue order at a stock-limited offer), a dropout
  uniform and a standard exponential gap to the next occasion;
- each conditional mechanism (win-back, offer-prompted trips, goal abandonment,
  launch awareness, arrivals, the experience chain's quality, service failures,
  complaints and surveys, the firms' contacts) draws from its own child stream, spawned from the
  dynamics seed in the fixed order of `FEATURE_STREAMS` (spawning does not change the
  dynamics generator itself).

So switching a mechanism on, or changing how many numbers it draws, never
shifts the numbers of the shoppers' draws or of another mechanism.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

STREAMS = ("population", "network", "dynamics", "mesa")
#: the conditional mechanisms' own streams, children of the dynamics seed, in spawn order
FEATURE_STREAMS = (
    "winback",
    "offer_trips",
    "goal_abandonment",
    "launch_awareness",
    "arrivals",
    "quality",
    "service",
    "voice",
    "surveys",
    "reach",
    "acquisition",
)


@dataclass(frozen=True)
class FeatureStreams:
    """One generator per conditional mechanism (see the module docstring)."""

    winback: np.random.Generator
    offer_trips: np.random.Generator
    goal_abandonment: np.random.Generator
    launch_awareness: np.random.Generator
    arrivals: np.random.Generator  # who arrives when (drawn once, when the run has arrivals)
    quality: np.random.Generator  # each purchase's quality draw (experience chain)
    service: np.random.Generator  # service failures (experience chain)
    voice: np.random.Generator  # who complains (experience chain)
    surveys: np.random.Generator  # who is surveyed and the answers' noise (experience chain)
    reach: np.random.Generator  # each contact's delivery, opening, opt-out and response
    acquisition: np.random.Generator  # the prospects reached, and each contact's fate


@dataclass(frozen=True)
class RngTree:
    """Named generators for one run, plus one per firm."""

    population: np.random.Generator
    network: np.random.Generator
    dynamics: np.random.Generator
    mesa: np.random.Generator
    firms: tuple[np.random.Generator, ...]
    features: FeatureStreams

    @classmethod
    def from_seed(cls, seed: int, n_firms: int) -> RngTree:
        """Spawn the streams from `seed` (the firms' streams come last)."""
        children = np.random.SeedSequence(seed).spawn(len(STREAMS) + n_firms)
        named = {name: np.random.default_rng(s) for name, s in zip(STREAMS, children, strict=False)}
        firms = tuple(np.random.default_rng(s) for s in children[len(STREAMS) :])
        dynamics_seed = children[STREAMS.index("dynamics")]
        features = FeatureStreams(
            *(np.random.default_rng(s) for s in dynamics_seed.spawn(len(FEATURE_STREAMS)))
        )
        return cls(firms=firms, features=features, **named)


@dataclass(frozen=True)
class DayDraws:
    """The shoppers' random numbers for one day, drawn at once from the dynamics stream.

    Attributes:
        choice: (m,) uniforms for the logit choice.
        quantity: (m,) uniforms for the quantity bought (and the stock-limit queue order).
        dropout: (m,) uniforms for dropout after the occasion.
        gaps: (m,) standard exponential gaps to the next occasion.

    """

    choice: NDArray[np.float64]
    quantity: NDArray[np.float64]
    dropout: NDArray[np.float64]
    gaps: NDArray[np.float64]

    @classmethod
    def draw(cls, rng: np.random.Generator, m: int) -> DayDraws:
        """Three uniforms then one exponential per shopper, always in this order."""
        uniforms = rng.random((3, m))
        return cls(uniforms[0], uniforms[1], uniforms[2], rng.standard_exponential(m))
