"""`hydra/sweeper=custsim`: Hydra's basic sweeper with planned jobs and a launch that survives.

Hydra instantiates sweepers only from the `hydra_plugins` namespace, so this thin
class lives here. The sweep: every job is planned first (`custsim.experiments.sweeps.plan`: float
ranges tidied, inapplicable overrides dropped, uncomposable jobs recorded, a typo
stops everything with one line and exit 2, an empty sweep exits 1), before any
directory is made; then the sweep directory gets `multirun.yaml` and `plan.json`,
loses the previous attempt's tables and partial files, and each job gets its
directory; then the jobs are launched in batches (`custsim.experiments.sweeps.launch`: a dead
worker fails its job only; SIGTERM and Ctrl-C stop every worker).
"""

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hydra._internal.config_loader_impl import get_overrides_dirname
from hydra._internal.core_plugins.basic_sweeper import BasicSweeper, BasicSweeperConf
from hydra.core.config_store import ConfigStore
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import ValueType
from omegaconf import OmegaConf

from custsim.experiments import workers
from custsim.experiments.cli import fail
from custsim.experiments.sweeps.aggregate import remove_tables
from custsim.experiments.sweeps.job import remove_partial_files, seed_of, write_status
from custsim.experiments.sweeps.launch import (
    BatchLauncher,
    ComposeOnce,
    SweepInterrupted,
    make_job_dirs,
    stop_on_signals,
)
from custsim.experiments.sweeps.plan import Plan, plan_jobs, tidy_ranges, write_plan
from custsim.experiments.sweeps.progress import record_job, set_total
from custsim.sim.config import ConfigError


@dataclass
class CustsimSweeperConf(BasicSweeperConf):
    """The basic sweeper's settings (`max_batch_size`, `params`)."""

    _target_: str = "hydra_plugins.custsim_sweeper.custsim_sweeper.CustsimSweeper"


ConfigStore.instance().store(group="hydra/sweeper", name="custsim", node=CustsimSweeperConf)


def _compose_job(context: tuple[Any, Any, list[list[str]]], i: int) -> Any:
    """Job i's composed config (in a forked worker), or None if it does not compose."""
    load_sweep_config, master_config, jobs = context
    try:
        return load_sweep_config(master_config=master_config, sweep_overrides=list(jobs[i]))
    except Exception:  # the plan composes it again and records the error
        return None


class CustsimSweeper(BasicSweeper):
    """Cartesian sweeps like `basic`; jobs are planned, not validated all-or-nothing."""

    def setup(self, *, hydra_context: Any, task_function: Any, config: Any) -> None:
        """The basic sweeper's set-up; the launcher reuses the plan's compositions."""
        super().setup(hydra_context=hydra_context, task_function=task_function, config=config)
        loader = hydra_context.config_loader  # shared with the launcher
        loader.load_sweep_config = ComposeOnce(loader.load_sweep_config)

    def sweep(self, arguments: list[str]) -> Any:
        """Plan every job, prepare the sweep directory, launch (see the module docstring)."""
        plan = self._plan(arguments)
        sweep_dir = Path(self.config.hydra.sweep.dir)
        sweep_dir.mkdir(parents=True, exist_ok=True)
        OmegaConf.save(self.config, sweep_dir / "multirun.yaml")
        remove_tables(sweep_dir)
        remove_partial_files(sweep_dir)
        plan.jobs, unmade = make_job_dirs(sweep_dir, plan.jobs, self._job_dirname)
        plan.failed += unmade
        planned = [(job, None) for job in plan.jobs] + plan.failed
        entries = [{"job": self._job_dirname(j), "overrides": j, "error": e} for j, e in planned]
        write_plan(sweep_dir, entries)
        for line in plan.notes():
            print(f"[sweep] {line}", file=sys.stderr)
        self._record_failures(plan)
        set_total(len(plan.jobs) + len(plan.failed))
        return self._launch(plan.jobs, sweep_dir)

    def _plan(self, arguments: list[str]) -> Plan:
        """Every job of the sweep, planned; exit 2 on a typo, exit 1 when there is no job."""
        parser = OverridesParser.create(config_loader=self.hydra_context.config_loader)
        parsed = parser.parse_overrides([*self._parse_config(), *arguments])
        ranges = {o.get_key_element() for o in parsed if o.value_type == ValueType.RANGE_SWEEP}
        jobs = tidy_ranges([job for b in self.split_arguments(parsed, None) for job in b], ranges)
        self._compose_in_parallel(jobs)
        try:
            plan = plan_jobs(jobs, self._compose)
        except ConfigError as err:  # a misspelt key or a value no job can take: nothing has run
            fail(err)
        if not plan.jobs and not plan.failed:
            fail("the sweep has no jobs", what="sweep failed", status=1)
        return plan

    def _launch(self, jobs: list[list[str]], sweep_dir: Path) -> list[Sequence[Any]]:
        """Launch the jobs in batches; on SIGINT/SIGTERM stop everything and exit 128 + signal."""
        launcher = BatchLauncher(self.launcher, sweep_dir, self._job_dirname)
        returns, num = [], 0
        try:
            with stop_on_signals():
                for batch in self.split_overrides_to_chunks(jobs, self.max_batch_size):
                    returns.append(launcher.launch(batch, num))
                    num += len(batch)
        except SweepInterrupted as stop:
            print(
                f"custsim: sweep interrupted ({stop}): {len(launcher.finished())} of {len(jobs)} "
                f"jobs finished; run the same command with hydra.sweep.dir={sweep_dir} to resume",
                file=sys.stderr,
            )
            sys.exit(128 + stop.signum)
        return returns

    def _compose_in_parallel(self, jobs: list[list[str]]) -> None:
        """Compose the jobs on forked workers, one per core, into the plan's cache.

        A composition takes 0.2-0.4 s; the plan needs every job's, and so did the
        sweep's process one after another. A job whose composition fails here is
        composed again by the plan, which records its error as before.
        """
        loader = self.hydra_context.config_loader
        n_workers = workers.cores()
        if len(jobs) < 2 or n_workers < 2 or workers.start_method() != "fork":
            return
        compose_once = loader.load_sweep_config
        context = (compose_once.load_sweep_config, self.config, jobs)
        try:
            composed = workers.map_forked(_compose_job, len(jobs), n_workers, context)
        except Exception:  # a worker died: the plan composes every job itself
            return
        for job, cfg in zip(jobs, composed, strict=True):
            if cfg is not None:
                compose_once.remember(self.config, job, cfg)

    def _compose(self, overrides: list[str]) -> object:
        loader = self.hydra_context.config_loader
        return loader.load_sweep_config(master_config=self.config, sweep_overrides=overrides)

    def _record_failures(self, plan: Plan) -> None:
        """A failed status.json (where a directory can be made) and progress line per such job."""
        sweep_dir = Path(self.config.hydra.sweep.dir)
        for overrides, error in plan.failed:
            name = self._job_dirname(overrides)
            status = {"overrides": overrides, "seed": seed_of(overrides), "job_num": None}
            try:  # plan.json holds the error where the directory cannot be made
                write_status(sweep_dir / name, error=ConfigError(error), wall_seconds=0.0, **status)
            except OSError:
                pass
            record_job(sweep_dir, name, "failed", 0.0)

    def _job_dirname(self, overrides: Sequence[str]) -> str:
        """The directory Hydra gives the job (`hydra.job.override_dirname`)."""
        naming = self.config.hydra.job.config.override_dirname
        parsed = OverridesParser.create().parse_overrides(list(overrides))
        exclude = list(naming.exclude_keys)
        return get_overrides_dirname(parsed, exclude, naming.item_sep, naming.kv_sep)
