"""Progress of a whole sweep: jobs done of total, failures, skipped (resumed) jobs, ETA.

Jobs may run in other processes or on other machines (joblib, Ray, SLURM), so
they do not report to the main process directly: each finished job appends one
JSON line to `<sweep dir>/progress.jsonl` (a single small `O_APPEND` write, so
concurrent jobs never interleave on a local or NFS file system), and a thread in
the main process follows that file and draws one progress bar (on a terminal)
or prints one line per job (in logs and CI).
"""

from __future__ import annotations

import json
import os
import sys
import threading
from pathlib import Path
from typing import Any

from tqdm import tqdm

PROGRESS_FILE = "progress.jsonl"
POLL_SECONDS = 0.25
_active: list[SweepProgress] = []  # the progress shown by this process, if any


def set_total(total: int) -> None:
    """Tell the progress shown in this process how many jobs the sweep really launches."""
    for progress in _active:
        progress.set_total(total)


def record_job(sweep_dir: Path, job: str, outcome: str, wall_seconds: float) -> None:
    """Append `{"job", "outcome", "wall_seconds"}` to the sweep's progress file.

    Args:
        sweep_dir: the multirun's `hydra.sweep.dir`.
        job: the job directory relative to it.
        outcome: 'ok', 'failed' or 'skipped' (complete from an earlier run).
        wall_seconds: the job's run time.

    """
    line = json.dumps({"job": job, "outcome": outcome, "wall_seconds": round(wall_seconds, 3)})
    sweep_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(sweep_dir / PROGRESS_FILE, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (line + "\n").encode())
    finally:
        os.close(fd)


def read_records(path: Path, offset: int) -> tuple[list[dict[str, Any]], int]:
    """The complete lines of `path` after byte `offset`, and the new offset."""
    try:
        with path.open("rb") as f:
            f.seek(offset)
            data = f.read()
    except FileNotFoundError:
        return [], offset
    complete = data[: data.rfind(b"\n") + 1]  # a line still being written waits
    records = [json.loads(line) for line in complete.splitlines() if line.strip()]
    return records, offset + len(complete)


class SweepProgress:
    """Follows `progress.jsonl` in a background thread and shows the sweep's progress.

    On a terminal (`bar=True`): one tqdm bar, jobs done / total with the ETA and
    the counts of failed and skipped jobs. Otherwise one line per finished job on
    stderr: `[sweep] 3/12 done, 1 failed, 0 skipped: <job>`.
    """

    def __init__(self, sweep_dir: Path, total: int | None, bar: bool) -> None:
        self.path = Path(sweep_dir) / PROGRESS_FILE
        self.total = total
        self.counts = {"ok": 0, "failed": 0, "skipped": 0}
        self._offset = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._follow, name="sweep-progress", daemon=True)
        self._bar = tqdm(total=total, desc="sweep", unit="job", disable=not bar, file=sys.stderr)

    @property
    def done(self) -> int:
        """Jobs finished so far, whatever their outcome."""
        return sum(self.counts.values())

    def start(self) -> SweepProgress:
        """Forget an earlier attempt's records and start following (nothing is created)."""
        self.path.unlink(missing_ok=True)
        self._thread.start()
        _active.append(self)
        return self

    def set_total(self, total: int) -> None:
        """The number of jobs, once the sweeper has planned them."""
        self.total = total
        self._bar.total = total
        self._bar.refresh()

    def stop(self) -> None:
        """Read the last records, stop the thread and close the bar."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        if self in _active:
            _active.remove(self)
        self._update()
        self._bar.close()

    def _follow(self) -> None:
        while not self._stop.wait(POLL_SECONDS):
            self._update()

    def _update(self) -> None:
        records, self._offset = read_records(self.path, self._offset)
        for record in records:
            self.counts[record["outcome"]] = self.counts.get(record["outcome"], 0) + 1
            self._show(record)

    def _show(self, record: dict[str, Any]) -> None:
        failed, skipped = self.counts["failed"], self.counts["skipped"]
        if not self._bar.disable:
            self._bar.set_postfix(failed=failed, skipped=skipped, refresh=False)
            self._bar.update()
            return
        total = "?" if self.total is None else self.total
        counts = f"{self.done}/{total} done, {failed} failed, {skipped} skipped"
        print(f"[sweep] {counts}: {record['job']}", file=sys.stderr, flush=True)
