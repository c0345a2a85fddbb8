"""`custsim-sensitivity`'s root config: one run's config plus the `sensitivity` block.

`SensitivityRun` is registered as `sensitivity_schema` and composed from
`conf/sensitivity.yaml` (`defaults: [config, sensitivity_schema, _self_]`):
`sensitivity.*` keys exist for this command only. The block itself,
`SensitivityConfig`, is declared in `custsim.experiments.sensitivity.settings`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hydra.core.config_store import ConfigStore

from custsim.experiments.sensitivity.settings import (
    CONFIG_NAME,
    DEFAULT_SENSITIVITY_PARAMS,
    SensitivityConfig,
)
from custsim.sim.config import CustsimConfig

__all__ = ["CONFIG_NAME", "DEFAULT_SENSITIVITY_PARAMS", "SensitivityConfig", "SensitivityRun"]


@dataclass
class SensitivityRun(CustsimConfig):
    """Root config of `custsim-sensitivity`: a run's config (every sample's) and `sensitivity`."""

    sensitivity: SensitivityConfig = field(default_factory=SensitivityConfig)


ConfigStore.instance().store(name="sensitivity_schema", node=SensitivityRun)
