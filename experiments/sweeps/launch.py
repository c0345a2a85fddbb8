"""Launching a planned sweep so that a dead worker or an interrupt never costs the other jobs.

- Every job's directory is created before anything is launched; a job whose
  directory cannot be created (a file in the way, a name too long, no
  permission) is that job's failure (`make_job_dirs`), not the sweep's.
- Jobs go to Hydra's launcher in batches (`hydra.sweeper.max_batch_size`, all
  at once by default). When a batch raises, a worker died (SIGKILL, an OOM
  kill, a segfault: the custsim launcher and joblib's both raise and stop the
  pool's other workers too), so its jobs that did not finish (no line in the sweep's
  `progress.jsonl`) are launched again in two halves, each halved again if it
  raises too, down to single jobs: a job whose own launch fails is recorded as
  failed (`worker died ...`) and the sweep goes on. One dead job among n costs
  about 2 log2(n) relaunches, and the others still run in parallel.
- Each job's config is composed once in the sweep's process (`ComposeOnce`):
  the plan composes every job to check it, and a launcher that runs jobs here
  (`basic`, and the ones that compose before submitting) gets a copy instead of
  composing again (about 0.2-0.4 s a job): the custsim launcher's forked workers
  get the composition too; joblib's workers compose their own.
- SIGTERM is handled like Ctrl-C (`stop_on_signals`): the launcher stops its
  workers, any child process still alive is terminated, and the sweep exits
  with status 128 + the signal's number, leaving a directory that a rerun of the
  same command resumes.
"""

from __future__ import annotations

import copy
import os
import re
import signal
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from custsim.experiments.sweeps.job import describe_error, seed_of, write_status
from custsim.experiments.sweeps.progress import PROGRESS_FILE, read_records, record_job

#: seconds a child process gets to exit after SIGTERM before it is killed
CHILD_GRACE_SECONDS = 2.0
EXIT_CODES = re.compile(r"exit codes of the workers are (\{[^}]*\})")

Names = Callable[[Sequence[str]], str]  # a job's overrides -> its directory below the sweep dir


class SweepInterrupted(Exception):
    """The sweep was stopped by a signal (SIGINT or SIGTERM)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def make_job_dirs(
    sweep_dir: Path, jobs: list[list[str]], names: Names
) -> tuple[list[list[str]], list[tuple[list[str], str]]]:
    """(jobs whose directory exists now, [(job, error)] for those whose cannot be created)."""
    ready, failed = [], []
    for job in jobs:
        try:
            (sweep_dir / names(job)).mkdir(parents=True, exist_ok=True)
        except OSError as err:
            failed.append((job, f"cannot create the job directory: {describe_error(err)}"))
        else:
            ready.append(job)
    return ready, failed


def launch_error(err: BaseException) -> str:
    """What a failed launch of one job says: a dead worker and its exit code, or the error."""
    if isinstance(err, BrokenProcessPool):
        codes = EXIT_CODES.search(str(err))
        return f"worker died (exit code {codes.group(1)})" if codes else "worker died"
    return f"launch failed: {describe_error(err)}"


@dataclass
class BatchLauncher:
    """Launches jobs through Hydra's launcher; a batch that raises is retried in halves."""

    launcher: Any  # hydra.plugins.launcher.Launcher
    sweep_dir: Path
    names: Names

    def __post_init__(self) -> None:
        progress = self.sweep_dir / PROGRESS_FILE
        self._offset = progress.stat().st_size if progress.is_file() else 0

    def finished(self) -> set[str]:
        """Jobs of this launch that wrote their progress line (ok, failed or skipped)."""
        records, _ = read_records(self.sweep_dir / PROGRESS_FILE, self._offset)
        return {r["job"] for r in records}

    def launch(self, jobs: list[list[str]], first_num: int) -> list[Any]:
        """Launch `jobs` (numbered from `first_num`); returns the launcher's JobReturns."""
        try:
            return list(self.launcher.launch(jobs, initial_job_idx=first_num))
        except Exception as err:  # a dead worker, or a launcher that could not run the jobs
            done = self.finished()
            left = [job for job in jobs if self.names(job) not in done]
            if len(jobs) == 1:
                for job in left:  # not finished before the launch failed
                    self.record_failure(job, first_num, launch_error(err))
                return []
            print(
                f"[sweep] {launch_error(err)}: {len(left)} unfinished jobs run again",
                file=sys.stderr,
                flush=True,
            )
            half = (len(left) + 1) // 2
            parts = [part for part in (left[:half], left[half:]) if part]
            numbered = [(part, first_num + jobs.index(part[0])) for part in parts]
            return [ret for part, num in numbered for ret in self.launch(part, num)]

    def record_failure(self, job: list[str], num: int, error: str) -> None:
        """A failed status.json and progress line for a job that no worker finished."""
        name = self.names(job)
        status = {"overrides": job, "seed": seed_of(job), "wall_seconds": 0.0, "job_num": num}
        write_status(self.sweep_dir / name, error=error, **status)
        record_job(self.sweep_dir, name, "failed", 0.0)
        print(f"custsim: job failed: {error} ({self.sweep_dir / name})", file=sys.stderr)


def child_pids(parent: int) -> list[int]:
    """Every descendant process of `parent` (psutil if installed, else Linux's /proc)."""
    try:
        import psutil
    except ImportError:
        return _proc_descendants(parent)
    try:
        return [p.pid for p in psutil.Process(parent).children(recursive=True)]
    except psutil.Error:
        return []


def _proc_descendants(parent: int) -> list[int]:
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = [], [parent]
    while frontier:
        kids = [pid for pid, ppid in parents.items() if ppid in frontier]
        found += kids
        frontier = kids
    return found


def stop_children() -> None:
    """SIGTERM to every child process left, SIGKILL to those alive after the grace period."""
    pids = child_pids(os.getpid())
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + CHILD_GRACE_SECONDS
        while time.monotonic() < deadline and (pids := [p for p in pids if _alive(p)]):
            time.sleep(0.05)
        if not pids:
            return


def _alive(pid: int) -> bool:
    try:
        reaped, _ = os.waitpid(pid, os.WNOHANG)  # our own child: reap it if it exited
        if reaped == pid:
            return False
    except ChildProcessError:  # not our child (a grandchild): ask the kernel
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


class ComposeOnce:
    """`load_sweep_config` (Hydra's config loader's) that composes each job's overrides once.

    Later calls with the same overrides get a copy of the first composition (the
    launchers set `hydra.job.num` and `id` on what they get). The compositions stay
    in this process: a launcher that pickles the config loader to its workers
    (joblib's) sends an empty cache, and each worker composes its jobs as before.
    """

    def __init__(self, load_sweep_config: Callable[..., Any]) -> None:
        self.load_sweep_config = load_sweep_config
        self.composed: dict[tuple[int, tuple[str, ...]], Any] = {}

    def __getstate__(self) -> dict[str, Any]:
        """The wrapped loader without the compositions."""
        return {"load_sweep_config": self.load_sweep_config, "composed": {}}

    def remember(self, master_config: Any, sweep_overrides: Sequence[str], composed: Any) -> None:
        """Keep a composition made elsewhere (the sweeper's parallel planning) for later calls."""
        self.composed[(id(master_config), tuple(sweep_overrides))] = composed

    def __call__(self, master_config: Any, sweep_overrides: Sequence[str]) -> Any:
        """The job's config: composed on first call, a copy afterwards."""
        key = (id(master_config), tuple(sweep_overrides))
        if key not in self.composed:
            self.composed[key] = self.load_sweep_config(master_config, list(sweep_overrides))
        return copy.deepcopy(self.composed[key])


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """SIGINT and SIGTERM stop the block, its workers and every child process.

    Both raise KeyboardInterrupt in the main thread (so launchers abort as on
    Ctrl-C); then the children still alive are stopped and SweepInterrupted
    is raised with the signal's number.
    """
    received: list[int] = []

    def interrupt(signum: int, frame: object) -> None:
        received.append(signum)
        raise KeyboardInterrupt(signal.Signals(signum).name)

    watched = (signal.SIGINT, signal.SIGTERM)
    previous = {sig: signal.signal(sig, interrupt) for sig in watched}
    try:
        yield
    except KeyboardInterrupt:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        stop_children()
        raise SweepInterrupted(received[0] if received else signal.SIGINT) from None
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
