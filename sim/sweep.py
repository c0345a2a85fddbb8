"""Hydra multiruns of `custsim` that survive failures, resume and aggregate themselves.

Every job writes `status.json` into its job directory (ok or failed, the error,
its task overrides, seed, wall time and job number). A job whose directory
already holds an ok `status.json` for the same overrides and a `kpis.json` is
skipped, so rerunning a sweep into the same `hydra.sweep.dir` reruns only the
missing and failed jobs. Job directories are named by `hydra.job.override_dirname`
(conf/config.yaml), which Hydra builds from the sorted overrides, so a job keeps
its directory when the sweep values are reordered or extended.

`SweepCallback` (registered under `hydra.callbacks`) shows the sweep's progress
(`sim.sweep_progress`) and, at the end, calls `aggregate_sweep`, which `custsim-report` also runs on
stored results:

- `results.parquet`: one row per job: `job, status, error, seed, wall_seconds,
  job_num`, one column per task override (key -> value string; not `seed` and not
  the testing/display keys in `IGNORED_KEYS`), `focal_firm`, and the KPIs
  flattened as `firm.<name>.<kpi>` and `customers.<kpi>` (NaN for failed jobs);
- `timeseries.parquet`: every ok job's timeseries with a `job` column first;
- `summary.csv`: one row per configuration (every override but `seed`):
  `config`, the override columns, `n_jobs`, `n_ok`, and per KPI
  `<kpi>.mean, <kpi>.ci_low, <kpi>.ci_high` (95% t-interval across seeds);
- `failed.csv`: `job, status, error, seed, overrides` of every job not ok;
- `plots/summary.png`: the focal firm's revenue, margin and units per
  configuration, mean with 95% CI error bars.
"""

from __future__ import annotations

import json
import math
import sys
import traceback
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from sim import results
from sim.lift import estimate
from sim.runner import show_progress
from sim.sweep_progress import SweepProgress

STATUS_FILE = "status.json"
#: overrides that do not change a job's results: not columns, not part of the job's identity
IGNORED_KEYS: tuple[str, ...] = ("fail_on_seed", "progress", "sweep")
FIXED_COLUMNS = ["job", "status", "error", "seed", "wall_seconds", "job_num"]
FOCAL_KPIS = ("revenue", "margin", "units")
REPORT_KPIS = ("revenue", "margin", "units", "unit_share")
CONFIDENCE = 0.95


# ---------------------------------------------------------------- one job


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


def read_status(job_dir: Path) -> dict[str, Any] | None:
    """The job's `status.json`, or None when absent or unreadable."""
    try:
        return json.loads((job_dir / STATUS_FILE).read_text())
    except (OSError, ValueError):
        return None


def is_complete(job_dir: Path, overrides: list[str]) -> bool:
    """Whether `job_dir` holds an ok run of these overrides (status ok and kpis.json)."""
    status = read_status(job_dir)
    return (
        status is not None
        and status.get("status") == "ok"
        and (job_dir / results.COMPLETE_MARKER).is_file()
        and job_identity(status.get("overrides") or []) == job_identity(overrides)
    )


def describe_error(err: BaseException) -> str:
    """'<type>: <message>' on one line."""
    message = "; ".join(line for line in str(err).splitlines() if line.strip())
    return f"{type(err).__name__}: {message}"


def write_status(
    job_dir: Path,
    *,
    error: BaseException | None,
    overrides: list[str],
    seed: Any,
    wall_seconds: float,
    job_num: int | None,
) -> Path:
    """Write `status.json` atomically; on failure also `error.txt` with the traceback."""
    if error is not None:
        tb = "".join(traceback.format_exception(error))
        results.write_text(tb, job_dir / "error.txt")
    data = {
        "status": "ok" if error is None else "failed",
        "error": None if error is None else describe_error(error),
        "overrides": list(overrides),
        "seed": seed,
        "wall_seconds": round(wall_seconds, 3),
        "job_num": job_num,
    }
    return results.write_json(data, job_dir / STATUS_FILE)


def clear_job(job_dir: Path) -> None:
    """Remove a previous attempt's markers before a job (re)runs."""
    for name in (STATUS_FILE, results.COMPLETE_MARKER, "error.txt"):
        (job_dir / name).unlink(missing_ok=True)


# ---------------------------------------------------------------- the sweep


def job_dirs(sweep_dir: Path) -> list[Path]:
    """Every job directory below `sweep_dir` (holding `.hydra/` or `status.json`), sorted."""
    found = {p.parent for p in sweep_dir.rglob(".hydra") if p.is_dir()}
    found |= {p.parent for p in sweep_dir.rglob(STATUS_FILE)}
    found.discard(sweep_dir)
    return sorted(found, key=lambda p: p.relative_to(sweep_dir).as_posix())


def flatten_kpis(kpis: dict[str, Any]) -> dict[str, Any]:
    """`firm.<name>.<kpi>` and `customers.<kpi>` columns from a kpis.json dict."""
    flat = {}
    for firm, values in kpis.get("firms", {}).items():
        for kpi, value in values.items():
            flat[f"firm.{firm}.{kpi}"] = value
    for kpi, value in kpis.get("customers", {}).items():
        flat[f"customers.{kpi}"] = value
    return flat


def _job_row(sweep_dir: Path, job_dir: Path) -> tuple[dict[str, Any], list[str], dict]:
    """One results row, its override keys in order, and the kpis (empty unless ok)."""
    name = job_dir.relative_to(sweep_dir).as_posix()
    status = read_status(job_dir)
    if status is None:
        overrides_file = job_dir / ".hydra" / "overrides.yaml"
        overrides = _read_overrides_yaml(overrides_file)
        status = {"status": "incomplete", "error": "no status.json (killed or still running)"}
    else:
        overrides = status.get("overrides") or []
    row: dict[str, Any] = {
        "job": name,
        "status": status.get("status"),
        "error": status.get("error"),
        "seed": status.get("seed"),
        "wall_seconds": status.get("wall_seconds"),
        "job_num": status.get("job_num"),
    }
    keys = [k for k in job_identity(overrides) if k != "seed"]
    row.update({k: job_identity(overrides)[k] for k in keys})
    kpis: dict[str, Any] = {}
    marker = job_dir / results.COMPLETE_MARKER
    if row["status"] == "ok" and marker.is_file():
        kpis = json.loads(marker.read_text())
    return row, keys, kpis


def _read_overrides_yaml(path: Path) -> list[str]:
    from omegaconf import OmegaConf

    try:
        return [str(x) for x in OmegaConf.load(path)]
    except Exception:  # absent or unreadable: no overrides known
        return []


def collect(sweep_dir: Path) -> tuple[pd.DataFrame, list[str], pd.DataFrame]:
    """(results table, override columns, concatenated timeseries) of every job below `sweep_dir`."""
    rows, override_cols, kpi_rows, frames = [], [], [], []
    for job_dir in job_dirs(sweep_dir):
        row, keys, kpis = _job_row(sweep_dir, job_dir)
        override_cols += [k for k in keys if k not in override_cols]
        row["focal_firm"] = kpis.get("focal_firm")
        rows.append(row)
        kpi_rows.append(flatten_kpis(kpis))
        if kpis and (job_dir / "timeseries.parquet").is_file():
            ts = pd.read_parquet(job_dir / "timeseries.parquet")
            ts.insert(0, "job", row["job"])
            frames.append(ts)
    columns = [*FIXED_COLUMNS, *override_cols, "focal_firm"]
    table = pd.DataFrame(rows, columns=columns)
    kpi_table = pd.DataFrame(kpi_rows, index=table.index)
    table = pd.concat([table, kpi_table.astype(float)], axis=1)
    for col in ("error", "focal_firm", *override_cols):
        table[col] = table[col].astype(object)
    timeseries = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame({"job": []})
    return table, override_cols, timeseries


def kpi_columns(table: pd.DataFrame) -> list[str]:
    """The flattened KPI columns of a results table."""
    return [c for c in table.columns if c.startswith(("firm.", "customers.", "focal."))]


def mean_ci(values: pd.Series) -> tuple[float, float, float]:
    """Mean and 95% t-interval of the non-NaN values (NaN bounds below two values)."""
    return estimate(values.dropna().to_numpy(dtype=float), CONFIDENCE)


def config_labels(table: pd.DataFrame, group_cols: list[str]) -> pd.Series:
    """A label per row naming its configuration, e.g. 'policy=hi_lo,steps=20'.

    Keys a job did not set (an override that did not apply to it) are left out.
    """
    if not group_cols:
        return pd.Series("all", index=table.index)
    parts = table[group_cols].astype(object)
    return parts.apply(lambda r: ",".join(f"{k}={v}" for k, v in r.dropna().items()), axis=1)


def with_focal(table: pd.DataFrame) -> pd.DataFrame:
    """`table` plus `focal.<kpi>` columns: each row's own focal firm's KPIs."""
    out = table.copy()
    for kpi in REPORT_KPIS:
        values = [
            row.get(f"firm.{row['focal_firm']}.{kpi}", np.nan)
            if isinstance(row["focal_firm"], str)
            else np.nan
            for _, row in table.iterrows()
        ]
        out[f"focal.{kpi}"] = pd.Series(values, index=table.index, dtype=float)
    return out


def summarise(table: pd.DataFrame, override_cols: list[str]) -> pd.DataFrame:
    """One row per configuration: n_jobs, n_ok and each KPI's mean and 95% CI across seeds."""
    group_cols = [c for c in override_cols if c != "seed"]
    varying = [c for c in group_cols if table[c].nunique(dropna=False) > 1]
    labelled = table.assign(config=config_labels(table, varying or group_cols))
    kpis = kpi_columns(table)
    rows = []
    for label, group in labelled.groupby("config", sort=True):
        ok = group[group["status"] == "ok"]
        row: dict[str, Any] = {"config": label}
        row.update({c: group[c].iloc[0] for c in group_cols})
        row["n_jobs"] = len(group)
        row["n_ok"] = len(ok)
        for kpi in kpis:
            row[f"{kpi}.mean"], row[f"{kpi}.ci_low"], row[f"{kpi}.ci_high"] = mean_ci(ok[kpi])
        rows.append(row)
    columns = ["config", *group_cols, "n_jobs", "n_ok"]
    columns += [f"{k}.{s}" for k in kpis for s in ("mean", "ci_low", "ci_high")]
    return pd.DataFrame(rows, columns=columns)


def plot_summary(summary: pd.DataFrame, path: Path) -> Path:
    """Focal firm revenue, margin and units per configuration: mean and 95% CI error bars."""
    from sim.plots import PALETTE, closing_figure, save_png

    n = max(len(summary), 1)
    with closing_figure(ncols=len(FOCAL_KPIS), figsize=(4.2 * len(FOCAL_KPIS), 2.2 + 0.35 * n)) as (
        fig,
        axes,
    ):
        y = np.arange(len(summary))
        for ax, kpi in zip(axes, FOCAL_KPIS, strict=True):
            col = f"focal.{kpi}"
            if f"{col}.mean" in summary:
                mean = summary[f"{col}.mean"].to_numpy(dtype=float)
                low = (mean - summary[f"{col}.ci_low"].to_numpy(dtype=float)).clip(min=0)
                high = (summary[f"{col}.ci_high"].to_numpy(dtype=float) - mean).clip(min=0)
                err = np.nan_to_num(np.vstack([low, high]))
                ax.errorbar(mean, y, xerr=err, fmt="o", color=PALETTE[0], capsize=4)
            ax.set_title(f"focal firm {kpi}")
            ax.set_yticks(y, summary["config"] if kpi == FOCAL_KPIS[0] else [""] * len(y))
            ax.set_ylim(-0.6, len(y) - 0.4)
            ax.invert_yaxis()
        fig.suptitle(f"Mean per configuration with {CONFIDENCE:.0%} CI across seeds")
        return save_png(fig, path)


def aggregate_sweep(sweep_dir: Path) -> dict[str, Any]:
    """Read every job below `sweep_dir` and write the sweep's tables and plot into it.

    Returns:
        {"results", "summary", "failed", "timeseries"} DataFrames and "paths" written.

    """
    sweep_dir = Path(sweep_dir)
    table, override_cols, timeseries = collect(sweep_dir)
    summary = summarise(with_focal(table), override_cols)
    failed = table.loc[table["status"] != "ok", ["job", "status", "error", "seed"]].copy()
    failed["overrides"] = [
        ",".join(f"{k}={v}" for k, v in table.loc[i, override_cols].dropna().items())
        for i in failed.index
    ]
    paths = {
        "results": results.write_parquet(table, sweep_dir / "results.parquet"),
        "timeseries": results.write_parquet(timeseries, sweep_dir / "timeseries.parquet"),
        "summary": results.write_text(summary.to_csv(index=False), sweep_dir / "summary.csv"),
        "failed": results.write_text(failed.to_csv(index=False), sweep_dir / "failed.csv"),
    }
    paths["plot"] = plot_summary(summary, sweep_dir / "plots" / "summary.png")
    return {
        "results": table,
        "summary": summary,
        "failed": failed,
        "timeseries": timeseries,
        "paths": paths,
    }


def _fmt(value: float, kpi: str) -> str:
    if math.isnan(value):
        return "-"
    if kpi.endswith(("share", "rate", "retention")):
        return f"{value:.1%}"
    return f"{value:,.0f}"


def format_report(agg: dict[str, Any], sweep_dir: Path) -> str:
    """Configurations x the focal firm's key KPIs (mean [95% CI]) and the failed jobs."""
    summary = agg["summary"]
    width = max([len("configuration"), *(len(s) for s in summary["config"])])
    lines = [
        f"{'configuration':<{width}}     ok" + "".join(f"  {'focal ' + k:>30}" for k in REPORT_KPIS)
    ]
    for _, row in summary.iterrows():
        cells = f"{row['config']:<{width}}  {row['n_ok']:>2}/{row['n_jobs']:<2}"
        for kpi in REPORT_KPIS:
            mean, low, high = (
                row.get(f"focal.{kpi}.{s}", math.nan) for s in ("mean", "ci_low", "ci_high")
            )
            cells += f"  {f'{_fmt(mean, kpi)} [{_fmt(low, kpi)}, {_fmt(high, kpi)}]':>30}"
        lines.append(cells)
    table, failed = agg["results"], agg["failed"]
    lines += ["", f"{len(table)} jobs, {len(table) - len(failed)} ok, {len(failed)} failed"]
    lines += [f"  failed: {r.job}: {r.error}" for r in failed.itertuples()]
    lines.append(f"sweep results: {sweep_dir}")
    return "\n".join(lines)


# ---------------------------------------------------------------- the Hydra callback


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
        bar = show_progress(str(config.get("progress", "auto")))
        sweep_dir = Path(config.hydra.sweep.dir)
        self.progress = SweepProgress(sweep_dir, count_jobs(config), bar).start()

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        """Close the progress bar, aggregate the sweep directory and print the summary."""
        if self.progress is not None:
            self.progress.stop()
        sweep_dir = Path(config.hydra.sweep.dir)
        if not any(sweep_dir.rglob(STATUS_FILE)):  # not a custsim sweep
            return
        if not job_dirs(sweep_dir):  # a multirun without overrides ran in the sweep dir itself
            print(f"[sweep] no job directories below {sweep_dir}; not aggregated", file=sys.stderr)
            return
        try:
            agg = aggregate_sweep(sweep_dir)
        except Exception as err:  # never lose the jobs' results over a reporting problem
            print(f"[sweep] aggregation failed: {describe_error(err)}", file=sys.stderr)
            return
        print(format_report(agg, sweep_dir))
