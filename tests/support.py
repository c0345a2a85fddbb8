"""Helpers for the tests: compose configs exactly as the CLI does."""

from __future__ import annotations

from sim.compose import compose_config as _compose
from sim.config import CustsimConfig

SMALL = ["population.size=2000", "steps=60", "progress=off"]


def compose_config(*overrides: str) -> CustsimConfig:
    """The validated config the CLI would run for these overrides."""
    return _compose(overrides)


def small_config(*overrides: str) -> CustsimConfig:
    """A quick config: 2,000 customers, 60 days, plus `overrides`."""
    return compose_config(*SMALL, *overrides)
