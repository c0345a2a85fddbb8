"""Configs for tests, custsim's own and a policy author's: composed exactly as the CLI does.

`small_config` is a quick run (2,000 customers, 60 days) for checking a policy or a
mechanism end to end, e.g. `CustsimModel(small_config("policy=hi_lo"), ...)`.
"""

from __future__ import annotations

from custsim.sim.compose import compose_config as _compose
from custsim.sim.config import CustsimConfig

SMALL = ["population.size=2000", "steps=60", "progress=off"]


def compose_config(*overrides: str, config_name: str = "config") -> CustsimConfig:
    """The validated config the CLI would run for these overrides.

    `config_name`: the root config (`conf/<config_name>.yaml`), e.g. "compare" for
    `custsim-compare` (its tool's config module must be imported: it registers the schema).
    """
    return _compose(overrides, config_name)


def small_config(*overrides: str) -> CustsimConfig:
    """A quick config: 2,000 customers, 60 days, plus `overrides`."""
    return compose_config(*SMALL, *overrides)
