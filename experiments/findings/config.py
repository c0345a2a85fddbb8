"""The findings' root config: one run's config plus the `finding` block.

A named experiment is two configs. `conf/experiment/<name>.yaml` is its setting
(model overrides only), so a plain `custsim +experiment=<name>` runs it. The
analysis's own settings (seeds, fast-test overrides, params) are the `finding`
block, `conf/finding/<name>.yaml`, which exists only under this root
(`FindingRun`, registered as `findings_schema`, composed from `conf/findings.yaml`):
`Experiment.config` composes `+experiment=<name> +finding=<name>` there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hydra.core.config_store import ConfigStore

from custsim.sim.config import CustsimConfig
from custsim.sim.rules import bounded

CONFIG_NAME = "findings"  # conf/findings.yaml


@dataclass
class FindingConfig:
    """A named experiment's analysis settings (`conf/finding/<name>.yaml`).

    `name` selects the analysis module `custsim.experiments.findings.<name>`; it runs
    `seeds` replications (seeds seed, ..., seed + seeds - 1); `fast` holds the
    overrides that shrink it for the fast test; `params` are the analysis's own
    settings (documented in its module).
    """

    name: str = ""
    seeds: int = bounded(5, 1, cap=1_000_000)
    fast: list[str] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class FindingRun(CustsimConfig):
    """Root config of the findings: a run's config (every arm's) and `finding`."""

    finding: FindingConfig = field(default_factory=FindingConfig)


ConfigStore.instance().store(name="findings_schema", node=FindingRun)
