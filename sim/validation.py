"""Validating a composed config against the schema of `custsim.sim.config`, one line per problem.

Ranges (`custsim.sim.rules`) and unknown keys are checked on every field, every firm's
policy (typed by its schema, `custsim.sim.policy_config`) and a composition's parts; then
the relations between fields; then the memory the run needs (`custsim.sim.memory`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

from omegaconf import DictConfig, OmegaConf

from custsim.sim.config import (
    ANALYSES,
    MOVED_KEYS,
    ArrivalsConfig,
    ConfigError,
    CustsimConfig,
    Dist,
    TraitOverride,
    policy_channels,
)
from custsim.sim.market import FRAMES
from custsim.sim.memory import memory_problem
from custsim.sim.network import network_problem
from custsim.sim.policy_config import policy_key, typed_policy
from custsim.sim.rules import Rule, shorten_values, shown
from custsim.sim.traits import trait_problems


def _join(key: str, name: object) -> str:
    return f"{key}.{name}" if key else str(name)


def _unknown_keys(obj: Any, key: str) -> list[str]:
    """Attributes of a config dataclass that its schema does not declare (`+typo=value`)."""
    names = [f.name for f in dataclasses.fields(obj)]
    extra = [k for k in vars(obj) if k not in names]
    allowed = ", ".join(n for n in names if n != "_target_") or "(none)"
    where = f"{key} keys" if key else "root keys"
    return [
        f"{_join(key, k)}={shown(getattr(obj, k))}: "
        + (
            f"moved to {MOVED_KEYS[_join(key, k)]}"
            if _join(key, k) in MOVED_KEYS
            else f"no such key; {where} are: {allowed}"
        )
        for k in extra
    ]


def _walk(obj: Any, key: str, meta: Mapping[str, Any]) -> list[str]:
    """Collect 'key=value: rule' problems below one config node (ranges, unknown keys)."""
    if meta.get("policy"):
        problems = []
        for where, node in _policy_nodes(obj, key):
            typed, found = typed_policy(node, where)
            problems += found or _walk(typed, where, {})
        return problems
    if isinstance(obj, Dist | TraitOverride):  # a trait's moments (None: not set)
        rules = {"mean": meta.get("rule"), "sd": meta.get("sd_rule", Rule(lo=0.0))}
        return [
            p
            for part, rule in rules.items()
            if getattr(obj, part) is not None
            for p in _check(getattr(obj, part), f"{key}.{part}", rule)
        ]
    if dataclasses.is_dataclass(obj):
        problems = _unknown_keys(obj, key)
        for f in dataclasses.fields(obj):
            problems += _walk(getattr(obj, f.name), _join(key, f.name), f.metadata)
        return problems
    if isinstance(obj, dict):
        return [p for k, v in obj.items() for p in _walk(v, _join(key, k), {})]
    return _check(obj, key, meta.get("rule"))


def _check(value: Any, key: str, rule: Rule | None) -> list[str]:
    if rule is None or rule.allows(value):
        return []
    return [f"{key}={shown(value)}: {rule.describe(value)}"]


def _policy_nodes(obj: Any, key: str) -> list[tuple[str, Any]]:
    """(key, node) of a policy field: one policy, or a list of them (a composition's parts)."""
    return (
        [(f"{key}.{k}", node) for k, node in enumerate(obj)]
        if isinstance(obj, list)
        else [(key, obj)]
    )


def _policy_relations(node: Any, key: str, firm: str, firms: tuple[str, ...]) -> list[str]:
    """A policy's cross-field rules (its config's `problems`), its parts' too."""
    typed, found = typed_policy(node, key)
    if found or not dataclasses.is_dataclass(typed):
        return []  # conversion problems are reported with the ranges
    problems = (
        [f"{key}.{p}" for p in typed.problems(firm, firms)] if hasattr(typed, "problems") else []
    )
    for f in dataclasses.fields(typed):
        if f.metadata.get("policy"):
            for where, part in _policy_nodes(getattr(typed, f.name), _join(key, f.name)):
                problems += _policy_relations(part, where, firm, firms)
    return problems


def _market_checks(cfg: CustsimConfig) -> list[str]:
    """Firms, the focal firm, the launched brand and every firm's policy."""
    firms, focal = cfg.market.firms, cfg.market.focal
    names = tuple(firms)
    if not firms:
        return ["market.firms={}: at least one firm is required"]
    problems = []
    if focal not in firms:
        problems.append(f"market.focal={focal!r}: must be one of: {', '.join(firms)}")
    launched = cfg.market.launch.brand
    if launched is not None and launched not in firms:
        problems.append(f"market.launch.brand={launched!r}: must be one of: {', '.join(firms)}")
    for name, firm in firms.items():
        key = policy_key(name, focal)
        node = cfg.policy if key == "policy" else firm.policy
        problems += _policy_relations(node, key, name, names)
    for key, channel in policy_channels(cfg):
        if channel not in cfg.channels:
            known = ", ".join(sorted(cfg.channels)) or "(none: conf/channel/*.yaml)"
            problems.append(f"{key}={channel!r}: no such channel; channels are: {known}")
    own = firms[focal].policy if focal in firms else None
    if own is not None and _target(own) != "custsim.policies.edlp.EverydayPrice":
        problems.append(
            f"market.firms.{focal}.policy: {focal} is the focal firm (market.focal), "
            "whose policy is the root `policy` (e.g. policy=hi_lo)"
        )
    return problems


def _target(node: Any) -> str | None:
    return node.get("_target_") if isinstance(node, dict) else getattr(node, "_target_", None)


def _analysis_problems(names: list[str]) -> list[str]:
    """`analysis`: every name one of `ANALYSES`, e.g. "analysis=['foo']: unknown analysis; ..."."""
    if all(n in ANALYSES for n in names):
        return []
    return [f"analysis={shown(list(names))}: unknown analysis; analyses are: {', '.join(ANALYSES)}"]


def _cross_checks(cfg: CustsimConfig) -> list[str]:
    """Constraints that involve several fields."""
    problems = _analysis_problems(cfg.analysis)
    segments = cfg.population.segments
    if not segments:
        problems.append("population.segments={}: at least one segment is required")
    total = sum(s.share for s in segments.values())
    if segments and not math.isclose(total, 1.0, abs_tol=1e-6):
        problems.append(f"population.segments.*.share sums to {total:g}: shares must sum to 1")
    problems += trait_problems(cfg.population)
    problems += _arrival_problems(cfg.population.arrivals, cfg.population.prospects)
    for table in ("perceived", "encoding"):
        for frame, v in getattr(cfg.population.framing, table).items():
            if frame not in FRAMES:
                problems.append(
                    f"population.framing.{table}.{frame}: unknown frame; frames are: "
                    + ", ".join(FRAMES)
                )
            elif not (0 <= v <= (1 if table == "encoding" else 10)):
                allowed = "[0, 1]" if table == "encoding" else "[0, 10]"
                problems.append(f"population.framing.{table}.{frame}={v!r}: must be in {allowed}")
    problems += _market_checks(cfg)
    net = cfg.network
    network = network_problem(net.kind, cfg.population.size, net.mean_degree)
    if network is not None:
        problems.append(network)
    return problems


def _arrival_problems(arrivals: ArrivalsConfig, prospects: float = 0.0) -> list[str]:
    """`population.arrivals`: each kind's own keys, and only those; no prospects beside them."""
    key, kind = "population.arrivals", arrivals.kind
    problems = []
    if kind == "empirical":
        w = arrivals.daily
        if not w or any(not math.isfinite(v) or v < 0 for v in w) or sum(w) <= 0:
            problems.append(
                f"{key}.daily={shown(list(w))}: needs weights >= 0 for days 1, 2, ... with a "
                "positive sum (e.g. first purchases per day)"
            )
    elif arrivals.daily:
        problems.append(
            f"{key}.daily={shown(list(arrivals.daily))}: used only with {key}.kind=empirical"
        )
    if kind == "poisson" and arrivals.rate <= 0:
        problems.append(f"{key}.rate={arrivals.rate!r}: must be > 0 with {key}.kind=poisson")
    for name in ("rate", "present"):
        if kind != "poisson" and getattr(arrivals, name) != 0:
            value = getattr(arrivals, name)
            problems.append(f"{key}.{name}={value!r}: used only with {key}.kind=poisson")
    if kind != "none" and prospects > 0:
        problems.append(
            f"population.prospects={prospects!r}: prospects enter only when acquired; "
            f"use it with {key}.kind=none"
        )
    if kind == "none" and arrivals.first_purchase:
        problems.append(f"{key}.first_purchase=true: needs arrivals ({key}.kind=empirical|poisson)")
    return problems


FIRM_FACTS = ("price", "cost", "quality")


def no_such_firm(name: str, known: str) -> str:
    """The line for a firm name that is not in the market (`known`: the firms, comma-separated)."""
    return (
        f"market.firms.{name}: no such firm; firms are: {known} (a new firm needs price, "
        f"cost and quality: '+market.firms={{{name}: {{price: 7, cost: 4, quality: 3}}}}')"
    )


def _missing_firm_facts(cfg: DictConfig) -> list[str]:
    """Firms without price, cost or quality: a misspelt firm name, or a new firm half given."""
    firms = OmegaConf.select(cfg, "market.firms", throw_on_missing=False)
    if not isinstance(firms, DictConfig):
        return []
    missing = {n: [k for k in FIRM_FACTS if OmegaConf.is_missing(firms[n], k)] for n in firms}
    known = ", ".join(n for n, m in missing.items() if not m)
    problems = []
    for name, facts in missing.items():
        if len(facts) == len(FIRM_FACTS):
            problems.append(no_such_firm(name, known))
        elif facts:
            problems.append(
                f"market.firms.{name}.{facts[0]}: missing; a new firm needs price, cost and quality"
            )
    return problems


def _missing_channel_costs(cfg: DictConfig) -> list[str]:
    """Channels without a cost per contact (a channel added without one)."""
    channels = OmegaConf.select(cfg, "channels", throw_on_missing=False)
    if not isinstance(channels, DictConfig):
        return []
    return [
        f"channels.{name}.cost: missing; a channel needs its money per contact sent"
        for name in channels
        if OmegaConf.is_missing(channels[name], "cost")
    ]


def _typed(cfg: DictConfig) -> CustsimConfig:
    """The dataclass tree of a composed config; a missing or mistyped value is a ConfigError."""
    try:
        return OmegaConf.to_object(cfg)
    except Exception as err:  # OmegaConf raises several types; all name the key
        key = getattr(err, "full_key", "") or "config"
        msg = str(getattr(err, "msg", err)).splitlines()[0]
        raise ConfigError(shorten_values(f"{key}: {msg}")) from err


def validate(cfg: DictConfig | CustsimConfig) -> CustsimConfig:
    """Check every range and cross-field rule, and that the run fits in memory; return it typed.

    Order: firms missing their facts; then ranges and unknown keys (every field,
    every firm's policy and a composition's parts); then, when those hold, the
    relations between fields (shares, firms, policies' cross-field rules, the
    network); then the memory the run needs (`custsim.sim.memory.memory_problem`).

    Raises:
        ConfigError: one line per problem, 'key=value: what is allowed'.

    """
    missing = []
    if isinstance(cfg, DictConfig):
        missing = _missing_firm_facts(cfg) + _missing_channel_costs(cfg)
    if missing:
        raise ConfigError("\n".join(shorten_values(p) for p in missing))
    typed = _typed(cfg) if isinstance(cfg, DictConfig) else cfg
    problems = _walk(typed, "", {}) or _cross_checks(typed)
    if not problems:
        problems = [p for p in [memory_problem(typed)] if p is not None]
    if problems:
        raise ConfigError("\n".join(shorten_values(p) for p in problems))
    return typed
