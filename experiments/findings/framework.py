"""Named experiments that reproduce published findings: the shared machinery.

A finding is two configs, its setting `conf/experiment/<name>.yaml`
(`# @package _global_`: model overrides, which a plain `custsim +experiment=<name>`
runs) and its analysis settings `conf/finding/<name>.yaml` (the `finding` block,
which exists only under the findings' root, `custsim.experiments.findings.config`),
and an analysis module,
`custsim.experiments.findings.<name>`, that runs it and returns a `FindingResult`:
one `Check` per published number, each with custsim's value, its 95%
confidence interval across seeds, the published value and the pass criterion.

`Experiment` composes the config of every arm the analysis needs (the
experiment, its fast overrides when asked, the user's overrides, then the
arm's own: composed once, each arm derived from that by key where it can be,
`custsim.experiments.batch.Base`), `simulate_many` runs configs on the batch
runner's local workers and keeps only what a reducer extracts from each run (a
RunResult holds the whole model and does not travel between processes).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from custsim.experiments.batch import Base, Failed, run_batch
from custsim.experiments.compare.lift import estimate  # noqa: F401  (the analyses' mean and CI)
from custsim.experiments.findings.config import CONFIG_NAME, FindingRun
from custsim.sim.compose import compose_config
from custsim.sim.config import CustsimConfig
from custsim.sim.runner import RunResult


@dataclass(frozen=True)
class Experiment:
    """How to compose the configs of one named experiment.

    Attributes:
        name: the experiment (`conf/experiment/<name>.yaml`).
        fast: apply the experiment's `finding.fast` overrides (the fast test size).
        overrides: the user's overrides, applied after the fast ones.
        n_jobs: local processes for `simulate_many`.

    """

    name: str
    fast: bool = False
    overrides: tuple[str, ...] = ()
    n_jobs: int = 1

    def config(self, *arm: str) -> FindingRun:
        """The validated config of one arm: experiment, fast, user, then `arm` overrides."""
        fast = fast_overrides(self.name) if self.fast else ()
        return base_of((*setting(self.name), *fast, *self.overrides)).compose(arm)

    def seeds(self, cfg: FindingRun) -> list[FindingRun]:
        """`cfg` once per replication seed: seed, ..., seed + finding.seeds - 1."""
        return [replace(cfg, seed=cfg.seed + r) for r in range(cfg.finding.seeds)]

    def run[T](self, cfgs: Sequence[FindingRun], reduce: Callable[[RunResult], T]) -> list[T]:
        """`simulate_many` on this experiment's cores."""
        return simulate_many(cfgs, reduce, self.n_jobs)


def setting(name: str) -> list[str]:
    """The overrides that compose finding `name`: its setting, its analysis settings, quiet."""
    return [f"+experiment={name}", f"+finding={name}", "progress=off"]


@functools.cache
def base_of(overrides: tuple[str, ...]) -> Base:
    """The experiment's composed base (once per process and set of overrides)."""
    return Base(overrides, CONFIG_NAME)


@functools.cache
def fast_overrides(name: str) -> tuple[str, ...]:
    """The experiment's `finding.fast` overrides (composed once per process)."""
    return tuple(compose_config(setting(name), CONFIG_NAME).finding.fast)


def simulate_many[T](
    cfgs: Sequence[CustsimConfig], reduce: Callable[[RunResult], T], n_jobs: int = 1
) -> list[T]:
    """`reduce(simulate(cfg))` for every config, in order, on `n_jobs` warm local workers.

    `reduce` must be a module-level function (it is pickled to the workers).
    Results do not depend on `n_jobs`: every run is seeded by its own config.

    Raises:
        RuntimeError: when a run failed (a finding needs every run).

    """
    out = run_batch(cfgs, reduce, n_jobs)
    failed = [r for r in out if isinstance(r, Failed)]
    if failed:
        raise RuntimeError(f"{len(failed)} of {len(out)} runs failed; first: {failed[0].error}")
    return out


@dataclass(frozen=True)
class Check:
    """One published number against custsim's.

    Attributes:
        metric: what was measured, e.g. 'sales loss / sales gain after a 10% price change'.
        published: the published value and its source, as text.
        value: custsim's estimate (mean across seeds).
        ci_low, ci_high: its 95% confidence interval (nan with one seed).
        criterion: the pass rule in words, e.g. 'ratio > 1.2 (CI above 1)'.
        passed: whether custsim's numbers meet the criterion.

    """

    metric: str
    published: str
    value: float
    ci_low: float
    ci_high: float
    criterion: str
    passed: bool

    def as_row(self) -> dict[str, Any]:
        """A row of the findings table."""
        return {
            "metric": self.metric,
            "published": self.published,
            "value": self.value,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "criterion": self.criterion,
            "passed": self.passed,
        }


@dataclass
class FindingResult:
    """What one named experiment found.

    Attributes:
        name: the experiment's name.
        title: one line, e.g. 'Reference-price asymmetry'.
        citation: the published source(s).
        checks: the published numbers and custsim's.
        table: the numbers behind the figure (written as details.parquet).
        plot: draws the figure into the given PNG path and returns it.
        seconds: wall time of the analysis.
        notes: lines for the report (sizes, seeds, what a number means).
        fast: run at the fast-test size (`finding.fast`), not full size.

    """

    name: str
    title: str
    citation: str
    checks: list[Check]
    table: pd.DataFrame
    plot: Callable[[Path], Path] | None = None
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    fast: bool = False

    @property
    def passed(self) -> bool:
        """True when every check passed."""
        return all(c.passed for c in self.checks)

    def checks_frame(self) -> pd.DataFrame:
        """One row per check, the finding's name first."""
        rows = [{"finding": self.name, **c.as_row()} for c in self.checks]
        return pd.DataFrame(rows)
