"""The batch runner: many configurations of one composed base, run on warm local workers.

Every tool that runs the engine many times (sensitivity, optimisation, comparison,
the findings) uses it. Two costs dominate such work when populations are small, and
both are paid once here instead of once per run:

- *Composition.* A Hydra composition takes 0.3-0.7 s; a run of 2,000 customers
  over 180 days takes 0.25 s. `Base` composes the command's overrides once and
  derives each configuration by setting plain keys on a copy of the composed
  config (`OmegaConf.update`), then validates it exactly as a composed one
  (`custsim.sim.validation.validate`: about 0.02 s). A configuration that selects a
  config-group option (`policy=hi_lo`) is composed by Hydra, once per distinct set
  of overrides.
- *Start-up.* Worker processes (`custsim.experiments.workers`) are forked from
  this process, which has the engine imported, and kept warm between batches
  (one per core asked for). Starting them costs about `WORKER_START_SECONDS`, so
  a batch whose runs would take less than twice that on one core
  (`estimated_seconds`) runs in this process until workers are up.

Only what a reducer extracts from each run travels back (a `RunResult` holds the
whole model). A run that fails, or whose worker dies, is returned as a `Failed`
record in its place, so a batch never loses the other runs. Results do not depend
on the number of workers: every run is seeded by its own configuration.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

from hydra.core.global_hydra import GlobalHydra
from omegaconf import DictConfig, OmegaConf

from custsim.experiments import workers
from custsim.experiments.sweeps.job import describe_error
from custsim.sim.compose import CONFIG_NAME, compose_checked, compose_config, override_key
from custsim.sim.config import ConfigError, CustsimConfig

__all__ = ["Base", "Failed", "hydra_set_aside", "progress_bar", "run_batch"]


@contextmanager
def hydra_set_aside() -> Iterator[None]:
    """Let a composition initialise Hydra inside a running `@hydra.main` app.

    Hydra refuses a second initialisation while the app holds GlobalHydra; the
    app's instance is put back afterwards. Outside an app this does nothing.
    """
    held = GlobalHydra.instance().hydra
    GlobalHydra.instance().clear()
    try:
        yield
    finally:
        GlobalHydra.instance().clear()
        if held is not None:
            GlobalHydra.instance().initialize(held)


@dataclass(frozen=True)
class Failed:
    """A run of a batch that raised: the exception's type and message, one line."""

    error: str

    @classmethod
    def of(cls, err: BaseException) -> Failed:
        """The record of `err`: '<type>: <message>' on one line, as a sweep job's status."""
        return cls(describe_error(err))


class Base:
    """A command's overrides composed once; configurations derived from it by key.

    Args:
        overrides: the command's overrides (group options and keys).
        config_name: the root config (`conf/<config_name>.yaml`).
        composed: the composition of `overrides` if it is at hand (a `@hydra.main`
            app's config); composed here otherwise.

    Raises:
        ConfigError: the overrides do not compose or validate (one line per problem).

    """

    def __init__(
        self,
        overrides: Sequence[str] = (),
        config_name: str = CONFIG_NAME,
        composed: DictConfig | None = None,
    ) -> None:
        self.overrides = tuple(overrides)
        self.config_name = config_name
        if composed is None:
            with hydra_set_aside():  # one composition, its errors one line each
                composed, self.config = compose_checked(self.overrides, config_name)
        else:
            self.config = _validate(composed)
        self._raw = composed

    @property
    def composed(self) -> DictConfig:
        """The composition every configuration is derived from (a read-only view: copy it)."""
        return self._raw

    def derive(self, values: Mapping[str, Any] | None = None) -> CustsimConfig:
        """The validated config with each key of `values` set (plain keys, no group options).

        Equal to `compose_config([*overrides, "key=value", ...])` for keys the composed
        config has; a key it does not have is a ConfigError naming it.
        """
        if not values:
            return copy.deepcopy(self.config)  # a config of its own, as a composition's
        raw = copy.deepcopy(self._raw)
        for key, value in values.items():
            if OmegaConf.select(raw, key, default=_ABSENT) is _ABSENT:
                raise ConfigError(
                    f"{key}={value!r}: no such key in the composed config "
                    "(is its policy=... selected?)"
                )
            OmegaConf.update(raw, key, value, merge=False)
        return _validate(raw)

    def compose(self, extra: Sequence[str] = ()) -> CustsimConfig:
        """The validated config of the base overrides plus `extra` overrides (any kind).

        Plain `key=value` overrides are derived (`derive`); a set holding a group
        option or an append (`+key`) is composed by Hydra, once per distinct set.
        """
        plain = {}
        for override in extra:
            key, eq, _ = override.partition("=")
            if not eq or override.startswith(("+", "~")) or "@" in key or _is_group(key):
                return _composed(self.config_name, (*self.overrides, *extra))
            parsed = _parsed(override)
            if parsed is _ABSENT:  # a sweep (a,b or range(...)): not one configuration
                return _composed(self.config_name, (*self.overrides, *extra))
            plain[key] = parsed
        return self.derive(plain)


_ABSENT = object()


def _validate(raw: DictConfig) -> CustsimConfig:
    from custsim.sim.validation import validate  # the same checks as a composed config

    return validate(raw)


def _composed(config_name: str, overrides: tuple[str, ...]) -> CustsimConfig:
    """Hydra's composition of `overrides`, once per distinct set (a fresh copy each call)."""
    return copy.deepcopy(_composed_once(config_name, overrides))


@cache
def _composed_once(config_name: str, overrides: tuple[str, ...]) -> CustsimConfig:
    with hydra_set_aside():
        return compose_config(overrides, config_name)


def _is_group(key: str) -> bool:
    from custsim.sim.compose import group_options

    return override_key(key) in group_options()


def _parsed(override: str) -> Any:
    """An override's value as Hydra's grammar reads it (int, float, bool, null, list, string).

    `_ABSENT` for a sweep override (`a,b`, `range(...)`), which is not one value.
    """
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parsed = OverridesParser.create().parse_override(override)
    return _ABSENT if parsed.is_sweep_override() else parsed.value()


#: what starting the workers costs: forking two workers and their first result, measured on
#: the 2-core development machine (quiet), is under 0.1 s; spawned workers (not Linux) take
#: 1.5-2.5 s to import the engine
WORKER_START_SECONDS = 0.1 if workers.start_method() == "fork" else 2.5
#: one simulated day's fixed Python cost, and its cost per customer (N = 2,000 to 1e6)
DAY_SECONDS, CUSTOMER_DAY_SECONDS = 1.2e-3, 7e-8
_workers_started = False  # this process has run a batch on the workers: they are warm


def estimated_seconds(cfgs: Sequence[CustsimConfig]) -> float:
    """One core's time for the runs: sum of steps x (DAY_SECONDS + N x CUSTOMER_DAY_SECONDS)."""
    return sum(c.steps * (DAY_SECONDS + c.population.size * CUSTOMER_DAY_SECONDS) for c in cfgs)


def use_workers(cfgs: Sequence[CustsimConfig], n_jobs: int) -> bool:
    """Whether workers pay: more than one of each, and warm already or worth starting."""
    if n_jobs == 1 or len(cfgs) <= 1:
        return False
    return _workers_started or estimated_seconds(cfgs) > 2 * WORKER_START_SECONDS


def _run_one[T](cfg: CustsimConfig, reduce: Callable[[Any], T]) -> T | Failed:
    """`reduce(simulate(cfg))`, quietly and without files; a `Failed` record if it raises.

    Quietly: no progress bar, and of the run's log only its warnings (the command's
    log would otherwise hold every run's description and timings).
    """
    from custsim.sim.runner import log, simulate  # the engine: imported in the worker

    level = log.level
    log.setLevel(logging.WARNING)
    try:
        return reduce(simulate(replace(cfg, progress="off"), None))
    except Exception as err:  # a failed run is recorded in its place, never fatal
        return Failed.of(err)
    finally:
        log.setLevel(level)


def progress_bar(desc: str, total: int, setting: str) -> Callable[[Iterable[Any]], Iterable[Any]]:
    """A `progress` for `run_batch`: a tqdm bar over `total` runs, shown as `progress=` says."""
    from tqdm import tqdm

    from custsim.sim.runner import show_progress

    def bar(stream: Iterable[Any]) -> Iterable[Any]:
        disable = not show_progress(setting)
        return tqdm(stream, total=total, desc=desc, unit="run", leave=False, disable=disable)

    return bar


def run_batch[T](
    cfgs: Sequence[CustsimConfig],
    reduce: Callable[[Any], T],
    n_jobs: int = 1,
    progress: Callable[[Iterable[Any]], Iterable[Any]] | None = None,
) -> list[T | Failed]:
    """`reduce(simulate(cfg))` for every config, in order, on `n_jobs` warm local workers.

    Args:
        cfgs: validated configurations (e.g. from `Base.derive`).
        reduce: what to keep of each `RunResult`; a module-level function (pickled).
        n_jobs: worker processes at most (1: in this process; `use_workers` decides).
        progress: wraps the stream of finished runs (e.g. a tqdm bar), if given.

    Returns:
        One entry per config, in order: the reduced result, or a `Failed` record.

    """
    global _workers_started
    if use_workers(cfgs, n_jobs):
        from custsim.sim import runner  # noqa: F401  imported before forking: workers inherit it

        ran = workers.map_in_order(_run_one, cfgs, n_jobs, reduce)
        results: Iterable[Any] = (
            Failed(r.error) if isinstance(r, workers.WorkerDied) else r for r in ran
        )
        _workers_started = True
    else:
        results = (_run_one(cfg, reduce) for cfg in cfgs)
    return list(progress(results) if progress is not None else results)
