"""A policy config node as its schema's dataclass, checked before the run, and the policy it builds.

A policy config is a `_target_` node: the root `policy`, a competitor's
`market.firms.<name>.policy`, or a part of a composition. Nodes from
`conf/policy/` arrive typed (their options extend `<name>_schema`); the default
competitor policy and a composition's parts arrive as plain dicts, typed here by
the schema whose `_target_` they name (`custsim.policies.registry`). A `_target_` of a
user's own class has no schema: it is checked when instantiated.

`build_policy` makes the policy of a node: a shipped policy gets its typed config
(`HiLoPromotion(firm, HiLoConfig(...))`), a user's own class is instantiated by
Hydra with the node's keys as keyword arguments.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from custsim.policies.registry import policy_class, schema_of
from custsim.sim.market import FirmSpec
from custsim.sim.rules import shown

__all__ = ["build_policy", "policy_key", "schema_of", "typed_policy"]


def policy_key(firm: str, focal: str) -> str:
    """Where the policy of `firm` is configured: `policy` or `market.firms.<firm>.policy`.

    The focal firm's (`market.focal`) is the root `policy`; a competitor's is its own.
    """
    return "policy" if firm == focal else f"market.firms.{firm}.policy"


def typed_policy(node: Any, key: str) -> tuple[Any, list[str]]:
    """`node` as its schema's dataclass, and the problems found typing it ('key=value: ...').

    A dataclass is returned as it is; a dict of a shipped policy is merged onto its
    schema (unknown keys and wrong types are problems); other dicts are returned
    unchanged.
    """
    if dataclasses.is_dataclass(node):
        return node, []
    if isinstance(node, DictConfig):
        node = OmegaConf.to_container(node)
    if not isinstance(node, dict) or not isinstance(node.get("_target_"), str):
        return None, [f"{key}={shown(node)}: must be a policy config with a _target_"]
    schema = schema_of(node["_target_"])
    if schema is None:
        return node, []
    names = [f.name for f in dataclasses.fields(schema)]
    allowed = ", ".join(n for n in names if n != "_target_") or "(none)"
    extra = [k for k in node if k not in names]
    if extra:
        return None, [
            f"{key}.{k}={shown(node[k])}: no such key; {key} keys are: {allowed}" for k in extra
        ]
    try:
        return OmegaConf.to_object(OmegaConf.merge(OmegaConf.structured(schema), node)), []
    except Exception as err:  # OmegaConf's validation errors name the key
        name = str(getattr(err, "full_key", "") or "")
        msg = str(getattr(err, "msg", err)).splitlines()[0]
        where = f"{key}.{name}={shown(node.get(name))}" if name in node else key
        return None, [f"{where}: {msg}"]


def build_policy(node: Any, firm: FirmSpec, key: str = "policy") -> Any:
    """The policy of config `node` for `firm`; errors name the key ('policy.depth=2: ...').

    Raises:
        ValueError: the node is not a policy config, or its policy refuses it.

    """
    typed, problems = typed_policy(node, key)
    if problems:
        raise ValueError(problems[0])
    cls = policy_class(type(typed))
    try:
        if cls is not None:
            return cls(firm, typed)
        node = OmegaConf.structured(typed) if dataclasses.is_dataclass(typed) else typed
        return instantiate(node, _partial_=True, _convert_="all", _recursive_=False)(firm=firm)
    except Exception as err:  # instantiate wraps import errors; configs raise ValueError
        cause = err.__cause__ or err
        text = str(cause)
        raise ValueError(
            text if text.startswith(f"{key}.") else
            f"{key}.{text}" if "=" in text else f"{key}: {text}"
        ) from err  # fmt: skip
