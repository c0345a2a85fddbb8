"""Checks of the Hydra overrides on a command line: the launcher plugin and the output directories.

Both would otherwise fail inside Hydra with a traceback: a launcher whose plugin
is not installed when the sweep starts, an output directory that cannot be
created when the run starts. Nothing is created here.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import yaml

from custsim.sim.rules import cut

#: Hydra launcher options that plugins provide -> (the plugin's module, custsim's extra)
LAUNCHER_PLUGINS = {
    "submitit_slurm": ("hydra_plugins.hydra_submitit_launcher", "slurm"),
    "submitit_local": ("hydra_plugins.hydra_submitit_launcher", "slurm"),
    "ray": ("hydra_plugins.hydra_ray_launcher", "ray"),
    "ray_aws": ("hydra_plugins.hydra_ray_launcher", "ray"),
}
OUTPUT_DIRS = ("hydra.run.dir", "hydra.sweep.dir")


def _plugin_option(name: str) -> str:
    """The plugin option a launcher option builds on: the first entry of its defaults list."""
    path = resources.files("custsim.conf").joinpath("hydra", "launcher", f"{name}.yaml")
    if not path.is_file():
        return name  # a plugin's own option, e.g. hydra/launcher=ray
    defaults = (yaml.safe_load(path.read_text()) or {}).get("defaults", [])
    return next((d for d in defaults if isinstance(d, str) and d != "_self_"), name)


def launcher_problem(name: str) -> str | None:
    """'hydra/launcher=NAME: ... pip install ...' when the launcher's plugin is not installed."""
    module, extra = LAUNCHER_PLUGINS.get(_plugin_option(name), (None, None))
    if module is None or importlib.util.find_spec(module) is not None:
        return None
    return (
        f"hydra/launcher={name}: its plugin ({module.split('.')[-1]}) is not installed; "
        f"pip install 'custsim[{extra}]'"
    )


def directory_problem(key: str, value: str) -> str | None:
    """Why the output directory `value` (of `key`) cannot be made, or None.

    An empty path is refused (Hydra would write into the current directory).
    Otherwise the deepest existing ancestor must be a directory, and its first
    missing child must be creatable (tried, then removed) or, when the whole
    path exists, writable. Paths with interpolations (${now:...}) are Hydra's.
    """
    if not value.strip():
        return f"{key}='': must be a directory path (empty writes into the current directory)"
    if "${" in value:
        return None
    path = Path(value)
    base = path
    while not base.exists() and base.parent != base:
        base = base.parent
    if not base.is_dir():
        return f"{key}={cut(value)}: {cut(str(base))} is a file, not a directory"
    if base == path:
        ok = os.access(path, os.W_OK | os.X_OK)
        return None if ok else f"{key}={cut(value)}: the directory is not writable"
    first = base / path.relative_to(base).parts[0]
    try:
        first.mkdir()
        first.rmdir()
    except OSError as err:
        return f"{key}={cut(value)}: cannot create {cut(str(first))} ({err.strerror})"
    return None


def hydra_problems(args: Sequence[str]) -> list[str]:
    """Problems of the launcher and output-directory overrides among `args`, the last given."""
    given: dict[str, str] = {}
    for arg in args:
        key, sep, value = arg.lstrip("+~").partition("=")
        if sep and (key == "hydra/launcher" or key in OUTPUT_DIRS):
            given[key] = value
    problems = []
    if "hydra/launcher" in given:
        problems.append(launcher_problem(given.pop("hydra/launcher")))
    problems += [directory_problem(key, value) for key, value in given.items()]
    return [p for p in problems if p is not None]
