"""Composing configs outside `@hydra.main`, and one-line messages for composition errors.

The CLI composes a single run's overrides once before handing over to Hydra, so
a misspelt key, a wrong type or an unknown option fails at once with one line
(key, value, what is allowed) and before Hydra creates any output directory.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from hydra import compose, initialize_config_module
from hydra.errors import ConfigCompositionException, MissingConfigException
from omegaconf import DictConfig
from omegaconf.errors import ConfigAttributeError, ConfigKeyError, OmegaConfBaseException

from custsim.sim.config import MOVED_KEYS, ConfigError, CustsimConfig, register_configs
from custsim.sim.groups import USER_CONFIG_ENV as USER_CONFIG_ENV  # re-exported
from custsim.sim.groups import user_config_dir as user_config_dir  # re-exported
from custsim.sim.groups import user_options
from custsim.sim.rules import cut, shorten_values
from custsim.sim.traits import unknown_trait
from custsim.sim.validation import validate

CONFIG_MODULE = "custsim.conf"
CONFIG_NAME = "config"


def override_key(override: str) -> str:
    """The key an override sets: '+policy.depth=0.2' -> 'policy.depth'."""
    return override.lstrip("+~").split("=", 1)[0]


def compose_raw(overrides: Sequence[str] = (), config_name: str = CONFIG_NAME) -> DictConfig:
    """The composed (unvalidated) config for `overrides`, as the command would build it.

    `config_name`: the root config, `conf/<config_name>.yaml`: `config` for a run
    (`CustsimConfig`), or a tool's own root (`compare`, `optimize`, `sensitivity`,
    `findings`: the run's config plus the tool's block), whose schema the tool's
    config module registers when imported.
    """
    register_configs()
    with initialize_config_module(CONFIG_MODULE, version_base="1.3"):
        return compose(config_name, overrides=list(overrides))


def compose_config(overrides: Sequence[str] = (), config_name: str = CONFIG_NAME) -> CustsimConfig:
    """Compose `conf/<config_name>.yaml` with `overrides` and validate it (any root's schema).

    Every failure is a `ConfigError` with one line per problem.
    """
    return compose_checked(overrides, config_name)[1]


def compose_checked(
    overrides: Sequence[str] = (), config_name: str = CONFIG_NAME
) -> tuple[DictConfig, CustsimConfig]:
    """`compose_config`, with the composition it validated (to derive further configs from).

    Every failure is a `ConfigError` with one line per problem.
    """
    schema = next((o for o in overrides if _group_option(o)[1].endswith("_schema")), None)
    if schema is not None:  # the policies' schemas are in the policy group, but not options
        raise ConfigError(_options_line(schema, _group_option(schema)[0]))
    try:
        cfg = compose_raw(overrides, config_name)
    except Exception as err:  # Hydra and OmegaConf raise several exception types
        raise ConfigError(describe_composition_error(err, overrides, config_name)) from err
    return cfg, validate(cfg)


def _group_option(override: str) -> tuple[str, str]:
    """(group, option) of a config-group override; ('', '') for any other override.

    '+policy@market.firms.B.policy=hi_lo' -> ('policy', 'hi_lo').
    """
    key, _, value = override.lstrip("+~").partition("=")
    group = key.split("@", 1)[0]
    return (group, value) if group in group_options() else ("", "")


@cache
def _package_options() -> dict[str, tuple[str, ...]]:
    from custsim.sim.groups import config_groups

    return {g.name: g.options for g in config_groups(CONFIG_MODULE)}


def group_options() -> dict[str, tuple[str, ...]]:
    """Config group -> its options: conf/<group>/*.yaml (never a `*_schema`), and the user's.

    The package's are listed once per process; the user config directory's
    (`user_config_dir`) are read on each call (a calibration may have just added one).
    """
    groups = dict(_package_options())
    for group, names in user_options().items():
        groups[group] = tuple(sorted({*groups.get(group, ()), *names}))
    return groups


def _options_line(given: str, group: str) -> str:
    return f"{cut(given)}: must be one of: {', '.join(group_options().get(group, ()))}"


def _last_given(overrides: Sequence[str], key: str) -> str:
    """The last override that sets `key` (the one used), else one below or above it, else key."""
    keys = [override_key(o) for o in overrides]
    for match in (
        lambda k: k == key,
        lambda k: k.split("@", 1)[0] == key,
        lambda k: key.startswith(f"{k}.") or k.startswith(f"{key}."),
    ):
        found = [o for o, k in zip(overrides, keys, strict=True) if match(k)]
        if found:
            return found[-1]
    return key


def describe_composition_error(
    err: Exception, overrides: Sequence[str], config_name: str = CONFIG_NAME
) -> str:
    """One line naming the override used (key and value) and what is allowed."""
    if isinstance(err, MissingConfigException) and err.options:
        group, _, option = (err.missing_cfg_file or "").rpartition("/")
        chosen = [o for o in overrides if _group_option(o) == (group, option)]
        return _options_line(chosen[-1] if chosen else _last_given(overrides, group), group)
    cause = err
    while (deeper := _cause_of(cause)) is not None:
        cause = deeper
    if isinstance(cause, OmegaConfBaseException) and getattr(cause, "full_key", None):
        given = _last_given(overrides, cause.full_key)
        firm = _unknown_firm(override_key(given), overrides, config_name)
        if firm is not None:
            return firm
        trait = unknown_trait(given)  # population.traits.<no such trait>
        if trait is not None:
            return trait
        moved = moved_key(given)  # a key that moved into a mechanism's block
        if moved is not None:
            return moved
        if isinstance(cause, ConfigKeyError | ConfigAttributeError):  # compare.* in a plain run
            return shorten_values(_no_such_key(given, cause))
        if str(getattr(cause, "msg", "")).startswith("Invalid type assigned"):
            return shorten_values(_new_entry_line(given, cause.full_key, overrides))
        first = str(cause.msg if hasattr(cause, "msg") else cause).splitlines()[0]
        return shorten_values(f"{cut(given)}: {first}")
    return shorten_values(" ".join(str(err).split()))


#: the typed mappings of the config a user adds entries to, with an example entry
NEW_ENTRIES = {
    "channels": "{flyer: {cost: 0.3, delivery: 0.9, open: 0.5, response: 0.05}}",
    "market.firms": "{D: {price: 7, cost: 4, quality: 3}}",
}


def _new_entry_line(given: str, entry: str, overrides: Sequence[str]) -> str:
    """The line for a key of a new entry set on its own ('+channels.flyer.cost=0.3').

    A new entry of a typed mapping (`NEW_ENTRIES`) is given whole, as a mapping;
    `entry` is the new entry's name OmegaConf reports.
    """
    for mapping, example in NEW_ENTRIES.items():
        for override in overrides:
            if override_key(override).startswith(f"{mapping}.{entry}."):
                return (
                    f"{cut(override)}: a new entry of {mapping} is given whole, as a mapping: "
                    f"'+{mapping}={example}'"
                )
    return f"{cut(given)}: invalid type"


def _cause_of(err: BaseException) -> BaseException | None:
    """What raised `err`: its cause, or the error a Hydra composition error was raised handling.

    Hydra raises a group file's composition error (`+finding=framing` in a root
    without `finding`) while handling OmegaConf's, without naming it as the cause.
    """
    if err.__cause__ is not None:
        return err.__cause__
    return err.__context__ if isinstance(err, ConfigCompositionException) else None


def _no_such_key(given: str, cause: OmegaConfBaseException) -> str:
    """'KEY=VALUE: no such key; <parent> keys are: ...', as validation words an unknown key."""
    node = getattr(cause, "parent_node", None)
    parent = node if isinstance(node, DictConfig) else None
    where = str(parent._get_full_key(None)) if parent is not None else ""
    names = [str(k) for k in (parent or {}) if k not in ("_target_", "hydra")]
    keys = f"{where} keys" if where else "root keys"
    return f"{cut(given)}: no such key; {keys} are: {', '.join(names) or '(none)'}"


def moved_key(override: str) -> str | None:
    """The one line for a key that moved into a mechanism's block (`MOVED_KEYS`), else None.

    'population.storage_limit=4' -> 'population.storage_limit=4: moved to
    population.inventory.capacity'.
    """
    given = override.lstrip("+~")
    new = MOVED_KEYS.get(override_key(given))
    return None if new is None else f"{cut(given)}: moved to {new}"


def _unknown_firm(key: str, overrides: Sequence[str], config_name: str) -> str | None:
    """The no-such-firm line when `key` sets something of a firm the market does not have."""
    parts = key.split(".")
    if len(parts) < 3 or parts[:2] != ["market", "firms"]:
        return None
    from custsim.sim.validation import no_such_firm  # local: validation loads the network module

    prefix = f"market.firms.{parts[2]}"
    rest = [o for o in overrides if not f"{override_key(o)}.".startswith(f"{prefix}.")]
    try:
        known = list(compose_raw(rest, config_name).market.firms)
    except Exception:  # the other overrides fail too: the original message is the clearer one
        return None
    return None if parts[2] in known else no_such_firm(parts[2], ", ".join(known))
