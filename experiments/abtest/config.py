"""`custsim-abtest`'s root config: one run's config plus the `abtest` block.

`AbtestRun` is registered as `abtest_schema` and composed from `conf/abtest.yaml`
(`defaults: [config, abtest_schema, override policy: campaign, _self_]`), so the
`abtest.*` keys exist for this command only. The block, `AbtestConfig`, is declared
in `custsim.experiments.abtest.settings`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hydra.core.config_store import ConfigStore

from custsim.experiments.abtest.settings import CONFIG_NAME, AbtestConfig
from custsim.sim.config import CustsimConfig

__all__ = ["CONFIG_NAME", "AbtestConfig", "AbtestRun"]


@dataclass
class AbtestRun(CustsimConfig):
    """Root config of `custsim-abtest`: a run's config (every world) and `abtest`."""

    abtest: AbtestConfig = field(default_factory=AbtestConfig)


ConfigStore.instance().store(name="abtest_schema", node=AbtestRun)
