"""`hydra/sweeper=custsim`: Hydra's basic sweeper with planned jobs (`sim.sweep_plan`).

Hydra instantiates sweepers only from the `hydra_plugins` namespace, so this thin
class lives here; the planning itself is `sim.sweep_plan.plan_jobs`.
"""

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from hydra._internal.config_loader_impl import get_overrides_dirname
from hydra._internal.core_plugins.basic_sweeper import BasicSweeper, BasicSweeperConf
from hydra.core.config_store import ConfigStore
from hydra.core.override_parser.overrides_parser import OverridesParser

from sim.config import ConfigError
from sim.sweep import write_status
from sim.sweep_plan import Plan, plan_jobs
from sim.sweep_progress import record_job, set_total


@dataclass
class CustsimSweeperConf(BasicSweeperConf):
    """The basic sweeper's settings (`max_batch_size`, `params`)."""

    _target_: str = "hydra_plugins.custsim_sweeper.custsim_sweeper.CustsimSweeper"


ConfigStore.instance().store(group="hydra/sweeper", name="custsim", node=CustsimSweeperConf)


class CustsimSweeper(BasicSweeper):
    """Cartesian sweeps like `basic`; jobs are planned, not validated all-or-nothing."""

    def validate_batch_is_legal(self, batch: Sequence[Sequence[str]]) -> None:
        """Nothing to do: `get_job_batch` has composed every job it returns."""

    def get_job_batch(self) -> Sequence[Sequence[str]]:
        """The next batch, planned: inapplicable overrides dropped, failures recorded."""
        batch = super().get_job_batch()
        try:
            plan = plan_jobs(batch, self._compose)
        except ConfigError as err:  # a misspelt key: nothing has run yet
            print(f"custsim: config error: {err}", file=sys.stderr)
            sys.exit(2)
        for line in plan.notes():
            print(f"[sweep] {line}", file=sys.stderr)
        self._record_failures(plan)
        set_total(len(plan.jobs) + len(plan.failed))
        return plan.jobs

    def _compose(self, overrides: list[str]) -> object:
        loader = self.hydra_context.config_loader
        return loader.load_sweep_config(master_config=self.config, sweep_overrides=overrides)

    def _record_failures(self, plan: Plan) -> None:
        """A status.json (failed, with the error) in each uncomposable job's directory."""
        sweep_dir = Path(self.config.hydra.sweep.dir)
        for overrides, error in plan.failed:
            name = self._job_dirname(overrides)
            seed = next((o.split("=", 1)[1] for o in overrides if o.startswith("seed=")), None)
            status = {"overrides": overrides, "seed": seed, "job_num": None, "wall_seconds": 0.0}
            write_status(sweep_dir / name, error=ConfigError(error), **status)
            record_job(sweep_dir, name, "failed", 0.0)

    def _job_dirname(self, overrides: list[str]) -> str:
        """The directory Hydra would give the job (`hydra.job.override_dirname`)."""
        naming = self.config.hydra.job.config.override_dirname
        parsed = OverridesParser.create().parse_overrides(overrides)
        exclude = list(naming.exclude_keys)
        return get_overrides_dirname(parsed, exclude, naming.item_sep, naming.kv_sep)
