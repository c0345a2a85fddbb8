"""The root configs a command composes, and composing any of them by name.

A plain run composes `conf/config.yaml` (`CustsimConfig`); each tool composes its
own root, `conf/<tool>.yaml`: the run's config plus the tool's block, whose schema
the tool's config module registers in Hydra's ConfigStore when imported. So that a
notebook can compose a tool's root without knowing which module that is,
`compose_config` imports it first (this is the front door's `custsim.compose_config`).
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import import_module
from typing import Any

#: a tool's root config name (conf/<name>.yaml) -> the module that registers its schema
ROOT_MODULES = {
    "calibrate": "custsim.experiments.calibrate.config",
    "compare": "custsim.experiments.compare.config",
    "optimize": "custsim.experiments.optimize.config",
    "sensitivity": "custsim.experiments.sensitivity.config",
    "findings": "custsim.experiments.findings.config",
    "abtest": "custsim.experiments.abtest.config",
}


def register_root(config_name: str) -> None:
    """Register root `config_name`'s schema in Hydra's ConfigStore (a tool's: its module)."""
    if config_name in ROOT_MODULES:
        import_module(ROOT_MODULES[config_name])  # registers <config_name>_schema


def compose_config(overrides: Sequence[str] = (), config_name: str = "config") -> Any:
    """The validated config of `overrides` under root `config_name` (any command's root).

    Raises:
        ConfigError: one line per problem, as the command line gives it.

    """
    from custsim.sim.compose import compose_config as compose

    register_root(config_name)
    return compose(overrides, config_name)
