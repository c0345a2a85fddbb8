"""The policies custsim ships: each registers itself with `@register_policy(name, schema)`.

A policy module declares its config dataclass (the one source of each
parameter's default and range) and decorates its class with the option name
the config group `policy` offers (`policy=hi_lo`). `registered()` imports every
module of this package (discovery: nothing lists them by hand) and returns what
they registered; `custsim.sim.config.register_configs` stores each schema in
Hydra's ConfigStore as `policy/<name>`, so a plain option needs no YAML file.
`conf/policy/*.yaml` holds only real variants, which extend their schema
(`defaults: [loyalty_points, _self_]`).

An alias is an old option name kept working (`policy=none` is `policy=edlp`):
it is stored under both names and `alias_notices` says so on the command line.

`declared_options` reads the same decorators without importing anything (the
modules' source, `ast`), so `--help` can list the options at once.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T", bound=type)

#: modules of the package that hold no policy; `check` runs the engine, so discovery skips it
NOT_POLICIES = frozenset({"base", "check", "registry"})


@dataclass(frozen=True)
class Registered:
    """A shipped policy: its option name, config schema, class and old names."""

    name: str
    schema: type
    policy: type
    aliases: tuple[str, ...] = ()


_REGISTERED: dict[str, Registered] = {}


def register_policy(name: str, schema: type, *, aliases: Sequence[str] = ()) -> Callable[[T], T]:
    """Class decorator: register `cls` as option `name` of the `policy` group, typed by `schema`.

    The schema's `_target_` must name the class, so a `_target_` node in a
    config (a competitor's policy, a composition's part) finds its schema.
    """

    def register(cls: T) -> T:
        target = f"{cls.__module__}.{cls.__qualname__}"
        declared = schema.__dataclass_fields__["_target_"].default
        if declared != target:
            raise TypeError(f"{schema.__name__}._target_ is {declared!r}, not {target!r}")
        taken = _REGISTERED.get(name)
        if taken is not None and taken.policy is not cls:
            raise TypeError(f"policy name {name!r} is taken by {taken.policy.__name__}")
        _REGISTERED[name] = Registered(name, schema, cls, tuple(aliases))
        return cls

    return register


def registered() -> dict[str, Registered]:
    """Every shipped policy by option name (imports the package's policy modules once)."""
    import custsim.policies as package

    for module in pkgutil.iter_modules(package.__path__):
        if not module.ispkg and module.name not in NOT_POLICIES:
            importlib.import_module(f"{package.__name__}.{module.name}")
    return dict(sorted(_REGISTERED.items()))


def declared_options() -> tuple[str, ...]:
    """The option names and aliases the package's `@register_policy` decorators declare.

    Read from the modules' source (nothing is imported): the names `policy_schemas`
    holds once the modules are imported.
    """
    import custsim.policies as package

    names = set()
    for path in sorted(Path(package.__path__[0]).glob("*.py")):
        if path.stem in NOT_POLICIES or path.stem.startswith("_"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ClassDef):
                continue
            for call in node.decorator_list:
                if isinstance(call, ast.Call) and getattr(call.func, "id", "") == "register_policy":
                    names.add(ast.literal_eval(call.args[0]))
                    for kw in call.keywords:
                        if kw.arg == "aliases":
                            names.update(ast.literal_eval(kw.value))
    return tuple(sorted(names))


def policy_schemas() -> dict[str, type]:
    """Option name -> config schema, aliases included (what the ConfigStore holds)."""
    found = {}
    for entry in registered().values():
        for name in (entry.name, *entry.aliases):
            found[name] = entry.schema
    return dict(sorted(found.items()))


def policy_options(with_aliases: bool = True) -> list[str]:
    """Every option of the `policy` group: the registered schemas (and aliases), the variants."""
    from importlib import resources

    folder = resources.files("custsim.conf").joinpath("policy")
    variants = {p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml")}
    names = policy_schemas() if with_aliases else registered()
    return sorted({*names, *variants})


def aliases() -> dict[str, str]:
    """Old option name -> the option it stands for (`none` -> `edlp`)."""
    return {old: e.name for e in registered().values() for old in e.aliases}


def schema_of(target: str) -> type | None:
    """The shipped policy schema whose `_target_` is `target` (None: not a shipped policy)."""
    for entry in registered().values():
        if entry.schema.__dataclass_fields__["_target_"].default == target:
            return entry.schema
    return None


def policy_class(schema: type) -> type | None:
    """The policy class registered with config `schema` (None: not a shipped schema)."""
    return next((e.policy for e in registered().values() if e.schema is schema), None)


def alias_notices(args: Sequence[str]) -> list[str]:
    """One line per alias used on a command line: 'policy=none is an alias of policy=edlp'.

    Reads group overrides of `policy` (`policy=none,hi_lo`, `+policy@market.firms.B.policy=`)
    and `compare.baseline`.
    """
    old = aliases()
    lines = []
    for arg in args:
        key, _, value = arg.lstrip("+~").partition("=")
        if key.split("@", 1)[0] not in ("policy", "compare.baseline"):
            continue
        for name in value.split(","):
            if name in old:
                lines.append(f"{key}={name} is an alias of {key}={old[name]}")
    return lines


def __getattr__(name: str) -> Any:
    """`POLICY_SCHEMAS`: `policy_schemas()`, computed when first asked for."""
    if name == "POLICY_SCHEMAS":
        return policy_schemas()
    raise AttributeError(name)
