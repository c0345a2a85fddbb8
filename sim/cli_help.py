"""The `--help` text of every custsim command, and the config groups it lists.

A help text is: the usage line, what the command does, its main options, the
config groups with their options (read from the `conf` package: one option per
`conf/<group>/<option>.yaml`, defaults from the `defaults` list of
`conf/config.yaml`), three or more examples and notes (where outputs go).
Hydra's own `--help` prints the whole composed config, hundreds of lines; the
Hydra commands print this text instead, before Hydra starts (`exit_on_help`),
and keep Hydra's `--hydra-help`.

Only the standard library and PyYAML are imported here: help must be fast.
"""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable

import yaml

HELP_FLAGS = frozenset({"-h", "--help"})
WIDTH = 100
INDENT = "  "
#: what a Hydra-based command accepts besides key=value overrides
HYDRA_FLAGS = (
    ("--cfg job", "print the composed config of these overrides and exit (YAML)"),
    ("--info", "print Hydra's search path, defaults tree and config sources"),
    ("--hydra-help", "Hydra's own help (flags, launcher and sweeper)"),
)


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
    """The options of `group` stored in Hydra's ConfigStore: the policies (`policy=hi_lo`).

    Hydra's own groups (`hydra/...`) are left out: what its plugins store there depends
    on which plugins were imported.
    """
    from hydra.core.config_store import ConfigStore

    from custsim.sim.config import register_configs  # the schemas, not the engine

    if group.startswith("hydra/"):
        return ()
    register_configs()
    try:
        names = ConfigStore.instance().list(group)
    except OSError:  # no such group in the store
        return ()
    return tuple(n.removesuffix(".yaml") for n in names)


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


def _wrap(text: str, indent: str, hanging: str) -> list[str]:
    """Lines of `text` wrapped to WIDTH, the first indented by `indent`, the rest by `hanging`."""
    return textwrap.wrap(
        text, WIDTH, initial_indent=indent, subsequent_indent=hanging, break_on_hyphens=False
    )


def format_groups(groups: Sequence[Group]) -> list[str]:
    """The config groups section: `  policy: composed, hi_lo, ... (default: none)`."""
    lines = ["Config groups (choose an option with group=option, e.g. policy=hi_lo):"]
    for g in groups:
        if g.default is not None:
            how = f"(default: {g.default})"
        elif g.in_defaults:
            how = f"(none by default; {g.name}=<option>)"
        else:
            how = f"(add with +{g.name}=<option>)"
        lines += _wrap(f"{g.name}: {', '.join(g.options)} {how}", INDENT, INDENT * 3)
    return lines


def _table(rows: Sequence[tuple[str, str]]) -> list[str]:
    """Two columns: a term and its explanation (on the next line when the term is long)."""
    width = min(max((len(term) for term, _ in rows), default=0), 30)
    lines = []
    for term, what in rows:
        hanging = INDENT + " " * (width + 2)
        if len(term) > width:
            lines += [INDENT + term, *_wrap(what, hanging, hanging)]
        else:
            lines += _wrap(f"{term.ljust(width)}  {what}", INDENT, hanging)
    return lines


def format_help(
    usage: str,
    description: str,
    options: Sequence[tuple[str, str]],
    examples: Sequence[tuple[str, str]],
    notes: Sequence[str] = (),
    groups: bool = True,
    hydra: bool = True,
) -> str:
    """A command's help text.

    Args:
        usage: the usage line after `usage: `, e.g. `custsim [-m] [KEY=VALUE ...]`.
        description: what the command does (paragraphs separated by blank lines).
        options: (option, what it does) rows: the command's main options.
        examples: (command line, what it does) rows; three or more.
        notes: further paragraphs (where outputs go, exit status).
        groups: list the config groups of the `conf` package.
        hydra: list Hydra's flags (`--cfg job`, `--info`, `--hydra-help`).

    """
    lines = [f"usage: {usage}", ""]
    for paragraph in description.strip().split("\n\n"):
        lines += [*_wrap(" ".join(paragraph.split()), "", ""), ""]
    lines += ["Options:", *_table(options), ""]
    if hydra:
        lines += ["Hydra flags:", *_table(HYDRA_FLAGS), ""]
    if groups:
        lines += [*format_groups(config_groups()), ""]
    lines.append("Examples:")
    for command, what in examples:
        lines += [INDENT + command, *_wrap(what, INDENT * 3, INDENT * 3)]
    for paragraph in notes:
        lines += ["", *_wrap(" ".join(paragraph.split()), "", "")]
    return "\n".join(lines) + "\n"


def wants_help(argv: Sequence[str]) -> bool:
    """Whether the command line asks for help (`-h` or `--help`; not `--hydra-help`)."""
    return any(arg in HELP_FLAGS for arg in argv)


def exit_on_help(argv: Sequence[str], text: Callable[[], str]) -> None:
    """Print `text()` and exit 0 when `argv` asks for help; otherwise return."""
    if wants_help(argv):
        sys.stdout.write(text())
        sys.exit(0)
