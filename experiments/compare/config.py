"""`custsim-compare`'s root config: one run's config plus the `compare` block.

`CompareRun` is registered as `compare_schema` and composed from `conf/compare.yaml`
(`defaults: [config, compare_schema, _self_]`), so `compare.*` keys exist for this
command only: a plain `custsim compare.replications=3` is refused as an unknown key.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hydra.core.config_store import ConfigStore

from custsim.sim.config import CustsimConfig
from custsim.sim.rules import bounded

CONFIG_NAME = "compare"  # conf/compare.yaml


@dataclass
class CompareConfig:
    """Settings of `custsim-compare`: the baseline policy and the number of paired replications."""

    baseline: str = "edlp"  # a policy option (conf/policy/ or a registered schema)
    replications: int = bounded(10, 2, cap=100_000)
    n_jobs: int = bounded(2, 1, cap=4096)  # local workers for the paired runs


@dataclass
class CompareRun(CustsimConfig):
    """Root config of `custsim-compare`: a run's config (both arms) and `compare`."""

    compare: CompareConfig = field(default_factory=CompareConfig)


ConfigStore.instance().store(name="compare_schema", node=CompareRun)
