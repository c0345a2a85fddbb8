"""`hydra/launcher=custsim`: a sweep's jobs on this machine's cores, in forked worker processes.

The default launcher of `custsim -m` (`conf/hydra/launcher/local.yaml`). Against
Hydra's joblib launcher it saves what every job paid twice: a worker composes
nothing (the sweep's process composed every job once already when it planned the
sweep, `custsim.experiments.sweeps.launch.ComposeOnce`), and the workers are forked
from the sweep's process, which has imported the engine, instead of starting fresh
interpreters (`custsim.experiments.workers`); they inherit the composed configs and
Hydra's context, so nothing but a job number and its `JobReturn` is pickled. Where
fork is unavailable (macOS) it hands the jobs to Hydra's joblib launcher. Each
worker limits BLAS/OpenMP to one thread, so `n_jobs` jobs never oversubscribe the
cores.

Each job still runs through Hydra's `run_job`: its own directory, `run.log`,
callbacks and `status.json`, exactly as with any other launcher. A worker that
dies breaks the batch: the launch raises, and the custsim sweeper relaunches the
unfinished jobs in halves (`custsim.experiments.sweeps.launch.BatchLauncher`).
"""

import logging
import signal
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from hydra.core.config_store import ConfigStore
from hydra.core.hydra_config import HydraConfig
from hydra.core.utils import JobReturn, configure_log, filter_overrides, run_job, setup_globals
from hydra.plugins.launcher import Launcher
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, open_dict

log = logging.getLogger(__name__)


@dataclass
class CustsimLauncherConf:
    """`n_jobs`: worker processes; -1 one per core (at most one per job)."""

    _target_: str = "hydra_plugins.custsim_launcher.custsim_launcher.CustsimLauncher"
    n_jobs: int = -1


ConfigStore.instance().store(group="hydra/launcher", name="custsim", node=CustsimLauncherConf)


class CustsimLauncher(Launcher):
    """Runs a batch of jobs on `n_jobs` forked local workers (see the module docstring)."""

    def __init__(self, n_jobs: int = -1) -> None:
        self.n_jobs = n_jobs
        self.config: DictConfig | None = None
        self.hydra_context: HydraContext | None = None
        self.task_function: TaskFunction | None = None

    def setup(
        self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig
    ) -> None:
        """Keep what `launch` needs (Hydra's launcher protocol)."""
        self.config, self.hydra_context, self.task_function = config, hydra_context, task_function

    def workers(self, n_jobs: int) -> int:
        """Worker processes for `n_jobs` jobs: the `n_jobs` setting (-1: one per core), <= the jobs.

        Raises:
            ValueError: `hydra.launcher.n_jobs` is neither -1 nor a positive count.

        """
        if self.n_jobs != -1 and self.n_jobs < 1:
            raise ValueError(
                f"hydra.launcher.n_jobs={self.n_jobs}: must be -1 (one per core) or >= 1"
            )
        from custsim.experiments.workers import cores

        wanted = cores() if self.n_jobs == -1 else self.n_jobs
        return max(1, min(wanted, n_jobs))

    def launch(
        self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int
    ) -> Sequence[JobReturn]:
        """Run every job through Hydra's `run_job` on the workers; their returns, in order."""
        from custsim.experiments import workers

        if workers.start_method() != "fork":  # no fork here (macOS): Hydra's joblib launcher
            return self.joblib_launch(job_overrides, initial_job_idx)
        from custsim.sim import runner  # noqa: F401  imported before forking: workers inherit it

        setup_globals()
        assert self.config is not None and self.hydra_context is not None
        configure_log(self.config.hydra.hydra_logging, self.config.hydra.verbose)
        sweep_dir = Path(str(self.config.hydra.sweep.dir))
        sweep_dir.mkdir(parents=True, exist_ok=True)
        n_workers = self.workers(len(job_overrides))
        log.info(f"custsim launcher: {len(job_overrides)} jobs on {n_workers} forked workers")
        log.info(f"Launching jobs, sweep output dir : {sweep_dir}")
        configs = []
        for i, overrides in enumerate(job_overrides):
            idx = initial_job_idx + i
            log.info(f"\t#{idx} : {' '.join(filter_overrides(overrides))}")
            configs.append(self.job_config(idx, overrides))
        context = _Launch(configs, self.hydra_context, self.task_function)
        return workers.map_forked(_execute, len(configs), n_workers, context, _one_thread)

    def joblib_launch(
        self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int
    ) -> Sequence[JobReturn]:
        """The jobs on Hydra's joblib launcher (fresh processes), where fork is unavailable."""
        from hydra_plugins.hydra_joblib_launcher.joblib_launcher import JoblibLauncher

        joblib = JoblibLauncher(n_jobs=self.n_jobs)
        joblib.setup(
            hydra_context=self.hydra_context, task_function=self.task_function, config=self.config
        )
        return joblib.launch(job_overrides, initial_job_idx)

    def job_config(self, idx: int, overrides: Sequence[str]) -> DictConfig:
        """The job's composed config (the plan's composition) with its number and id."""
        assert self.hydra_context is not None and self.config is not None
        cfg = self.hydra_context.config_loader.load_sweep_config(self.config, list(overrides))
        with open_dict(cfg):
            cfg.hydra.job.id = f"{cfg.hydra.job.name}_{idx}"
            cfg.hydra.job.num = idx
        return cfg


@dataclass(frozen=True)
class _Launch:
    """What the forked workers of one launch inherit: the jobs' configs and Hydra's context."""

    configs: list[DictConfig]
    hydra_context: HydraContext
    task_function: TaskFunction


def _one_thread() -> None:
    """A worker's set-up: one BLAS/OpenMP thread; SIGTERM ends it, Ctrl-C is the sweep's."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _execute(launch: _Launch, i: int) -> JobReturn:
    """Job i of the launch, in a worker (which inherited Hydra's singletons), via `run_job`."""
    config = launch.configs[i]
    setup_globals()
    HydraConfig.instance().set_config(config)
    return run_job(
        hydra_context=launch.hydra_context,
        config=config,
        task_function=launch.task_function,
        job_dir_key="hydra.sweep.dir",
        job_subdir_key="hydra.sweep.subdir",
    )
