"""The config groups of a config package: one option per `conf/<group>/<option>.yaml`.

Defaults come from the `defaults` list of the package's `config.yaml`; the policies
registered as schemas in Hydra's ConfigStore are options too (`policy=hi_lo`). The
commands' `--help` lists them, and `compose` names a misspelt option's alternatives
from them, with the options of the user config directory (`user_config_dir`; read
from its file names, without Hydra, so that `--help` stays fast).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

import yaml


@dataclass(frozen=True)
class Group:
    """A config group: its options, its default (None: none) and how it is selected."""

    name: str
    options: tuple[str, ...]
    default: str | None
    in_defaults: bool  # listed in conf/config.yaml's defaults (else added with +name=)
    #: where every option is placed at once (`channel@channels.email: email` in the defaults
    #: list: "channels"); "" for a group whose one chosen option is the node
    package: str = ""


#: the environment variable that names the user config directory (`user_config_dir`)
USER_CONFIG_ENV = "CUSTSIM_CONFIG_DIR"


def user_config_dir() -> Path:
    """Where a user's own options live (the first of these set): the user config directory.

    `$CUSTSIM_CONFIG_DIR`, else `$XDG_CONFIG_HOME/custsim`, else `~/.config/custsim`.
    Laid out like the package's conf/ (`population/<name>.yaml`, `market/<name>.yaml`,
    ...); every custsim command searches it after the package
    (`hydra_plugins.custsim_searchpath`), and `custsim-calibrate` writes there.
    """
    given = os.environ.get(USER_CONFIG_ENV)
    if given:
        return Path(given).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base).expanduser() / "custsim"


def user_options() -> dict[str, tuple[str, ...]]:
    """Config group -> the options in the user config directory (`<dir>/<group>/*.yaml`)."""
    folder = user_config_dir()
    if not folder.is_dir():
        return {}
    found = {}
    for group in sorted(p for p in folder.iterdir() if p.is_dir()):
        names = sorted(f.stem for f in group.glob("*.yaml"))
        if names:
            found[group.name] = tuple(names)
    return found


def _yaml_options(folder: Traversable) -> tuple[str, ...]:
    """The options of a group folder: its *.yaml names, never a `*_schema`."""
    names = (p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml"))
    return tuple(sorted(n for n in names if not n.endswith("_schema")))


def _stored_options(group: str) -> tuple[str, ...]:
    """The options of `group` that live in Hydra's ConfigStore, not in YAML files.

    Only the `policy` group has such options: every shipped policy's schema
    (`policy=hi_lo`), read from the policies' decorators without importing them
    (`custsim.policies.registry.declared_options`), so that `--help` is fast.
    """
    from custsim.policies.registry import declared_options

    return declared_options() if group == "policy" else ()


def _options(group: str, folder: Traversable) -> tuple[str, ...]:
    """A group's options: its YAML files and the schemas stored under it, never a `*_schema`."""
    names = {*_yaml_options(folder), *_stored_options(group)}
    return tuple(sorted(n for n in names if not n.endswith("_schema")))


def _group_folders(folder: Traversable, prefix: str = "") -> list[tuple[str, Traversable]]:
    """(group name, folder) of every folder below `folder` that holds YAML options."""
    found = []
    for child in sorted(folder.iterdir(), key=lambda p: p.name):
        if child.is_dir() and not child.name.startswith(("_", ".")):
            name = f"{prefix}{child.name}"
            if _yaml_options(child):
                found.append((name, child))
            found.extend(_group_folders(child, f"{name}/"))
    return found


def _defaults(root: Traversable) -> tuple[dict[str, str | None], dict[str, str]]:
    """Group -> default option of the primary config's defaults list; group -> package.

    A group placed under a package option by option (`channel@channels.email: email`)
    has no default option; its package is the second mapping's ("channels").
    """
    config = yaml.safe_load(root.joinpath("config.yaml").read_text()) or {}
    chosen: dict[str, str | None] = {}
    packages: dict[str, str] = {}
    for entry in config.get("defaults", []):
        if isinstance(entry, dict):
            for key, value in entry.items():
                group = key.removeprefix("override ").removeprefix("optional ").strip()
                group, at, package = group.partition("@")
                if at:
                    packages[group] = package.rsplit(".", 1)[0]
                else:
                    chosen[group] = value
    return chosen, packages


def config_groups(package: str = "custsim.conf", user: bool = False) -> list[Group]:
    """Every config group of `package` with its options and default.

    `user`: with the options of the user config directory (`user_options`; a group
    only it has too). In the order of the defaults list, then the groups it does not
    name, by name.
    """
    root = resources.files(package)
    defaults, packages = _defaults(root)
    order = {name: i for i, name in enumerate(defaults)}
    options = {name: _options(name, folder) for name, folder in _group_folders(root)}
    for name, names in (user_options() if user else {}).items():
        options[name] = tuple(sorted({*options.get(name, ()), *names}))
    groups = [
        Group(name, names, defaults.get(name), name in defaults, packages.get(name, ""))
        for name, names in options.items()
    ]
    return sorted(groups, key=lambda g: (order.get(g.name, len(order)), g.name))
