"""`custsim-calibrate`'s root config: one run's config plus `data` and the `calibrate` block.

`CalibrateRun` is registered as `calibrate_schema` and composed from `conf/calibrate.yaml`
(`defaults: [config, calibrate_schema, _self_]`): `data` and `calibrate.*` exist for
this command only. The block itself is declared in `custsim.experiments.calibrate.settings`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hydra.core.config_store import ConfigStore

from custsim.experiments.calibrate.settings import CONFIG_NAME, CalibrateConfig
from custsim.sim.config import CustsimConfig

__all__ = ["CONFIG_NAME", "CalibrateConfig", "CalibrateRun"]


@dataclass
class CalibrateRun(CustsimConfig):
    """Root config of `custsim-calibrate`: the simulations' base, the log and `calibrate`."""

    data: str | None = None  # a CSV or Parquet transaction log, or a shipped one (cdnow_sample)
    calibrate: CalibrateConfig = field(default_factory=CalibrateConfig)


ConfigStore.instance().store(name="calibrate_schema", node=CalibrateRun)
