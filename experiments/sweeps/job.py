"""One job of a sweep: its `status.json`, whether it is complete (resume), its failures.

Every job writes `status.json` into its job directory (ok or failed, the error,
its task overrides, seed, wall time and job number). A job is complete, and a
rerun of the sweep skips it, when its directory holds an ok `status.json` for the
same overrides, a `kpis.json`, and result files that read back with the expected
shape: `timeseries.parquet` with steps x firms rows and, when the run wrote it,
`customers.parquet` with one row per customer. Anything else is run again.
"""

from __future__ import annotations

import json
import traceback
from pathlib import Path
from typing import Any

from custsim.sim import results

STATUS_FILE = "status.json"
#: overrides that do not change a job's results: not columns, not part of the job's identity
IGNORED_KEYS: tuple[str, ...] = ("progress", "sweep", "threads")


def override_items(overrides: list[str]) -> dict[str, str]:
    """Task overrides as {key: value string}; `+`/`++`/`~` prefixes dropped from the key."""
    items = {}
    for line in overrides:
        key, _, value = line.partition("=")
        items[key.lstrip("+~")] = value
    return items


def job_identity(overrides: list[str]) -> dict[str, str]:
    """The overrides that decide a job's results (`IGNORED_KEYS` left out)."""
    return {k: v for k, v in override_items(overrides).items() if k not in IGNORED_KEYS}


def as_seed(value: Any) -> int | None:
    """A seed as an int (None when absent or not an integer), so the column stays homogeneous."""
    try:
        return None if value is None else int(str(value))
    except ValueError:
        return None


def seed_of(overrides: list[str]) -> int | None:
    """The job's `seed` override as an int (`as_seed`)."""
    return as_seed(override_items(overrides).get("seed"))


def read_status(job_dir: Path) -> dict[str, Any] | None:
    """The job's `status.json`, or None when absent or unreadable."""
    try:
        return json.loads((job_dir / STATUS_FILE).read_text())
    except (OSError, ValueError):
        return None


def parquet_rows(path: Path, *, read: bool) -> int:
    """Rows of the Parquet file at `path` (its footer; the whole table if `read`)."""
    import pyarrow.parquet as pq

    if read:
        return pq.read_table(path).num_rows
    return pq.ParquetFile(path).metadata.num_rows


def outputs_intact(job_dir: Path) -> bool:
    """Whether the job's result files read back with the shape its config implies.

    `kpis.json` parses; `timeseries.parquet` reads, with steps x firms rows; with
    `write_customers`, `customers.parquet` has `population.size` rows (its footer
    is read, not the whole file, so that checking a large sweep stays quick).
    """
    from omegaconf import OmegaConf

    try:
        kpis = json.loads((job_dir / results.COMPLETE_MARKER).read_text())
        cfg = OmegaConf.load(job_dir / "config.yaml")
        steps_by_firms = int(kpis["steps"]) * len(kpis["firms"])
        if parquet_rows(job_dir / "timeseries.parquet", read=True) != steps_by_firms:
            return False
        if cfg.get("write_customers", True):
            size = int(cfg.population.size)
            return parquet_rows(job_dir / "customers.parquet", read=False) == size
        return True
    except Exception:  # unreadable, truncated or missing: not intact
        return False


def is_complete(job_dir: Path, overrides: list[str]) -> bool:
    """Whether `job_dir` holds an intact ok run of these overrides (see the module docstring)."""
    status = read_status(job_dir)
    return (
        status is not None
        and status.get("status") == "ok"
        and (job_dir / results.COMPLETE_MARKER).is_file()
        and job_identity(status.get("overrides") or []) == job_identity(overrides)
        and outputs_intact(job_dir)
    )


def describe_error(err: BaseException) -> str:
    """'<type>: <message>' on one line."""
    message = "; ".join(line for line in str(err).splitlines() if line.strip())
    return f"{type(err).__name__}: {message}"


def write_status(
    job_dir: Path,
    *,
    error: BaseException | str | None,
    overrides: list[str],
    seed: Any,
    wall_seconds: float,
    job_num: int | None,
) -> Path:
    """Write `status.json` atomically; on failure also `error.txt` (the traceback, if any).

    `error` is the exception the job raised, or a description of what went wrong
    outside it (a worker that died). `seed` is stored as an int where it is one.
    """
    if error is not None:
        text = error if isinstance(error, str) else "".join(traceback.format_exception(error))
        results.write_text(text.rstrip("\n") + "\n", job_dir / "error.txt")
    data = {
        "status": "ok" if error is None else "failed",
        "error": error if error is None or isinstance(error, str) else describe_error(error),
        "overrides": list(overrides),
        "seed": as_seed(seed),
        "wall_seconds": round(wall_seconds, 3),
        "job_num": job_num,
    }
    return results.write_json(data, job_dir / STATUS_FILE)


def remove_partial_files(directory: Path) -> list[Path]:
    """Delete the temporary files an interrupted atomic write left in `directory` (`.*.tmp`)."""
    removed = []
    for path in (*directory.glob(".*.tmp"), *directory.glob("plots/.*.tmp")):
        path.unlink(missing_ok=True)
        removed.append(path)
    return removed


def clear_job(job_dir: Path) -> None:
    """Remove a previous attempt's markers before a job (re)runs."""
    for name in (STATUS_FILE, results.COMPLETE_MARKER, "error.txt"):
        (job_dir / name).unlink(missing_ok=True)
