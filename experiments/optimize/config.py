"""`custsim-optimize`'s root config: one run's config plus the `optimize` block.

`OptimizeRun` is registered as `optimize_schema` and composed from `conf/optimize.yaml`
(`defaults: [config, optimize_schema, _self_]`): `optimize.*` keys exist for this
command only. The block itself, `OptimizeConfig`, is declared in
`custsim.experiments.optimize.settings`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hydra.core.config_store import ConfigStore

from custsim.experiments.optimize.settings import (
    CONFIG_NAME,
    DEFAULT_OPTIMIZE_PARAMS,
    OptimizeConfig,
)
from custsim.sim.config import CustsimConfig

__all__ = ["CONFIG_NAME", "DEFAULT_OPTIMIZE_PARAMS", "OptimizeConfig", "OptimizeRun"]


@dataclass
class OptimizeRun(CustsimConfig):
    """Root config of `custsim-optimize`: a run's config (every trial's base) and `optimize`."""

    optimize: OptimizeConfig = field(default_factory=OptimizeConfig)


ConfigStore.instance().store(name="optimize_schema", node=OptimizeRun)
