"""`custsim-compare`'s root config: one run's config plus the `compare` block.

`CompareRun` is registered as `compare_schema` and composed from `conf/compare.yaml`
(`defaults: [config, compare_schema, _self_]`), so `compare.*` keys exist for this
command only: a plain `custsim compare.replications=3` is refused as an unknown key.
The block itself, `CompareConfig`, is declared in `custsim.experiments.compare.settings`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hydra.core.config_store import ConfigStore

from custsim.experiments.compare.settings import CONFIG_NAME, CompareConfig
from custsim.sim.config import CustsimConfig

__all__ = ["CONFIG_NAME", "CompareConfig", "CompareRun"]


@dataclass
class CompareRun(CustsimConfig):
    """Root config of `custsim-compare`: a run's config (both arms) and `compare`."""

    compare: CompareConfig = field(default_factory=CompareConfig)


ConfigStore.instance().store(name="compare_schema", node=CompareRun)
