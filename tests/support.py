"""Helpers for the tests: compose configs exactly as the CLI does."""

from __future__ import annotations

from hydra import compose, initialize_config_module

from sim.config import CustsimConfig, register_configs, validate

register_configs()

SMALL = ["population.size=2000", "steps=60", "progress=off"]


def compose_config(*overrides: str) -> CustsimConfig:
    """The validated config the CLI would run for these overrides."""
    with initialize_config_module("conf", version_base="1.3"):
        cfg = compose("config", overrides=list(overrides))
    return validate(cfg)


def small_config(*overrides: str) -> CustsimConfig:
    """A quick config: 2,000 customers, 60 days, plus `overrides`."""
    return compose_config(*SMALL, *overrides)
