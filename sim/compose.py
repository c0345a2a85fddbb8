"""Composing configs outside `@hydra.main`, and one-line messages for composition errors.

The CLI composes a single run's overrides once before handing over to Hydra, so
a misspelt key, a wrong type or an unknown option fails at once with one line
(key, value, what is allowed) and before Hydra creates any output directory.
"""

from __future__ import annotations

from collections.abc import Sequence

from hydra import compose, initialize_config_module
from hydra.errors import MissingConfigException
from omegaconf import DictConfig
from omegaconf.errors import OmegaConfBaseException

from sim.config import ConfigError, CustsimConfig, register_configs, validate

CONFIG_MODULE = "conf"
CONFIG_NAME = "config"


def override_key(override: str) -> str:
    """The key an override sets: '+policy.depth=0.2' -> 'policy.depth'."""
    return override.lstrip("+~").split("=", 1)[0]


def compose_raw(overrides: Sequence[str] = ()) -> DictConfig:
    """The composed (unvalidated) config for `overrides`, as `custsim` would build it."""
    register_configs()
    with initialize_config_module(CONFIG_MODULE, version_base="1.3"):
        return compose(CONFIG_NAME, overrides=list(overrides))


def compose_config(overrides: Sequence[str] = ()) -> CustsimConfig:
    """Compose and validate; every failure is a `ConfigError` with one line per problem."""
    try:
        cfg = compose_raw(overrides)
    except Exception as err:  # Hydra and OmegaConf raise several exception types
        raise ConfigError(describe_composition_error(err, overrides)) from err
    return validate(cfg)


def describe_composition_error(err: Exception, overrides: Sequence[str]) -> str:
    """One line naming the override (key and value) and what is allowed."""
    if isinstance(err, MissingConfigException) and err.options:
        group = (err.missing_cfg_file or "").split("/")[0]
        given = next((o for o in overrides if o.lstrip("+~").startswith(f"{group}=")), group)
        return f"{given}: must be one of: {', '.join(sorted(err.options))}"
    cause = err
    while cause.__cause__ is not None:
        cause = cause.__cause__
    if isinstance(cause, OmegaConfBaseException) and getattr(cause, "full_key", None):
        key = cause.full_key
        given = next((o for o in overrides if o.lstrip("+~").split("=")[0].startswith(key)), key)
        first = str(cause.msg if hasattr(cause, "msg") else cause).splitlines()[0]
        return f"{given}: {first}"
    return " ".join(str(err).split())
