"""Configs for tests, custsim's own and a policy author's: composed exactly as the CLI does.

`small_config` is a quick run (2,000 customers, 60 days) for checking a policy or a
mechanism end to end, e.g. `CustsimModel(small_config("policy=hi_lo"), ...)`.
"""

from __future__ import annotations

from custsim.sim.compose import compose_config as _compose
from custsim.sim.config import CustsimConfig

SMALL = ["population.size=2000", "steps=60", "progress=off"]


def compose_config(*overrides: str) -> CustsimConfig:
    """The validated config the CLI would run for these overrides."""
    return _compose(overrides)


def small_config(*overrides: str) -> CustsimConfig:
    """A quick config: 2,000 customers, 60 days, plus `overrides`."""
    return compose_config(*SMALL, *overrides)
