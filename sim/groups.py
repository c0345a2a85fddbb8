"""The config groups of a config package: one option per `conf/<group>/<option>.yaml`.

Defaults come from the `defaults` list of the package's `config.yaml`; the policies
registered as schemas in Hydra's ConfigStore are options too (`policy=hi_lo`). The
commands' `--help` lists them, and `compose` names a misspelt option's alternatives
from them.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable

import yaml


@dataclass(frozen=True)
class Group:
    """A config group: its options, its default (None: none) and how it is selected."""

    name: str
    options: tuple[str, ...]
    default: str | None
    in_defaults: bool  # listed in conf/config.yaml's defaults (else added with +name=)


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


def _defaults(root: Traversable) -> dict[str, str | None]:
    """Group -> default option of the primary config's defaults list."""
    config = yaml.safe_load(root.joinpath("config.yaml").read_text()) or {}
    chosen: dict[str, str | None] = {}
    for entry in config.get("defaults", []):
        if isinstance(entry, dict):
            for key, value in entry.items():
                group = key.removeprefix("override ").removeprefix("optional ").strip()
                chosen[group] = value
    return chosen


def config_groups(package: str = "custsim.conf") -> list[Group]:
    """Every config group of `package` with its options and default.

    In the order of the defaults list, then the groups it does not name, by name.
    """
    root = resources.files(package)
    defaults = _defaults(root)
    order = {name: i for i, name in enumerate(defaults)}
    groups = [
        Group(name, _options(name, folder), defaults.get(name), name in defaults)
        for name, folder in _group_folders(root)
    ]
    return sorted(groups, key=lambda g: (order.get(g.name, len(order)), g.name))
