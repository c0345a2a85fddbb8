"""The sweep's Hydra callback: a progress bar over the jobs, then the sweep's tables.

Registered under `hydra.callbacks` (conf/config.yaml), so Hydra builds it for every
run, a single one too: this module imports only Hydra's callback base class, and
the aggregation (pandas, SciPy, `custsim.experiments.sweeps.aggregate`) only when a
multirun ends.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hydra.experimental.callback import Callback

if TYPE_CHECKING:
    from omegaconf import DictConfig

    from custsim.experiments.sweeps.progress import SweepProgress


def count_jobs(config: DictConfig) -> int | None:
    """How many jobs the basic sweeper launches for this multirun (None if unknown)."""
    try:
        from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
        from hydra.core.override_parser.overrides_parser import OverridesParser

        params = config.hydra.sweeper.get("params") or {}
        lines = [f"{k}={v}" for k, v in params.items()] + list(config.hydra.overrides.task)
        parsed = OverridesParser.create().parse_overrides(lines)
        return sum(len(batch) for batch in BasicSweeper.split_arguments(parsed, None))
    except Exception:  # another sweeper, or sweep syntax needing the config loader
        return None


class SweepCallback(Callback):
    """A progress bar over the sweep's jobs; aggregation when the multirun ends."""

    def __init__(self) -> None:
        self.progress: SweepProgress | None = None

    def __getstate__(self) -> dict[str, Any]:
        """Launchers pickle the callbacks to their workers; the progress stays here."""
        return {"progress": None}

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        """Count the jobs about to run and start following their progress."""
        from custsim.experiments.sweeps.progress import SweepProgress
        from custsim.sim.runner import show_progress

        bar = show_progress(str(config.get("progress", "auto")))
        sweep_dir = Path(config.hydra.sweep.dir)
        self.progress = SweepProgress(sweep_dir, count_jobs(config), bar).start()

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        """Close the progress bar, aggregate, print the summary; exit 1 unless every job is ok.

        The exit (SystemExit, which Hydra lets through) is how a scheduler learns
        that a job failed or did not run, or that the tables could not be written.
        """
        from custsim.experiments.sweeps.aggregate import aggregate_sweep, format_report, job_names
        from custsim.experiments.sweeps.job import STATUS_FILE, describe_error, read_status
        from custsim.experiments.sweeps.plan import PLAN_FILE, read_plan

        if self.progress is not None:
            self.progress.stop()
        sweep_dir = Path(config.hydra.sweep.dir)
        if not (sweep_dir / PLAN_FILE).is_file() and not any(sweep_dir.rglob(STATUS_FILE)):
            return  # not a custsim sweep
        if not job_names(sweep_dir, read_plan(sweep_dir)):  # one job, in the sweep dir itself
            print(f"[sweep] no job directories below {sweep_dir}; not aggregated", file=sys.stderr)
            status = read_status(sweep_dir) or {}
            if status.get("status") != "ok":
                sys.exit(1)
            return
        try:
            agg = aggregate_sweep(sweep_dir)
        except Exception as err:  # the jobs' results stay; the exit status says so
            print(
                f"custsim: sweep failed: aggregation failed: {describe_error(err)} "
                f"(the jobs' results are in {sweep_dir}; custsim-report {sweep_dir} retries)",
                file=sys.stderr,
            )
            sys.exit(1)
        print(format_report(agg, sweep_dir), flush=True)
        if len(agg["failed"]):
            sys.exit(1)
