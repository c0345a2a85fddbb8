"""Hydra multiruns of `custsim` that survive failures, resume, aggregate and say how they went.

Every job writes `status.json` into its job directory (`custsim.experiments.sweeps.job`); a rerun
into the same `hydra.sweep.dir` skips the complete ones, so only missing, failed
or damaged jobs run again. Job directories are named by
`hydra.job.override_dirname` (conf/config.yaml), which Hydra builds from the
sorted overrides, so a job keeps its directory when the sweep values are
reordered or extended. The sweeper (`hydra_plugins/custsim_sweeper`) writes
`plan.json`, the list of every planned job, when the sweep starts.

The sweep's Hydra callback (`custsim.experiments.sweeps.callback.SweepCallback`)
shows its progress and, at the end, calls `aggregate_sweep`, which `custsim-report`
also runs on stored results, prints the summary and exits with status 1 when a
job failed, did not run, or the aggregation failed:

- `results.parquet`: one row per job, planned or found: `job, status, error,
  seed, wall_seconds, job_num`, one column per task override (key -> value
  string; not `seed` and not the testing/display keys in `IGNORED_KEYS`),
  `focal_firm`, and the KPIs flattened as `firm.<name>.<kpi>` and
  `customers.<kpi>` (NaN unless ok); when a policy names a channel (kpis.json
  "reach" and "channels"), also `reach.<firm>.<kpi>` (the firm's contacts, all
  channels) and `channel.<firm>.<channel>.<kpi>` for every (firm, channel) that
  sent a contact in some job of the sweep (the others are all zeros, left out).
  `status` is ok, failed, `incomplete` (a job directory without status.json:
  killed or still running) or `missing` (planned, never started); `seed` is an
  integer column;
- `timeseries.parquet`: every ok job's timeseries with a `job` column first;
- `summary.csv`: one row per configuration (every override but `seed`):
  `config`, the override columns, `n_jobs`, `n_ok`, and per KPI
  `<kpi>.mean, <kpi>.ci_low, <kpi>.ci_high` (95% t-interval across seeds), with
  the focal firm's `focal.<kpi>` (its reach KPIs too, when there are any);
- `failed.csv`: `job, status, error, seed, overrides` of every job not ok;
- `plots/summary.png`: the focal firm's revenue, margin and units per
  configuration, mean with 95% CI error bars;
- with reach KPIs and `policy.every` swept (`custsim.experiments.sweeps.frequency`):
  `frequency_response.csv` and `plots/frequency_response.png`, the focal firm's
  responses, opt-outs and margin against the frequency of its messages.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from custsim.experiments.sweeps.frequency import (
    FREQUENCY_PLOT,
    FREQUENCY_TABLE,
    frequency_response,
    plot_frequency_response,
)
from custsim.experiments.sweeps.job import (
    STATUS_FILE,
    as_seed,
    job_identity,
    read_status,
    seed_of,
)
from custsim.experiments.sweeps.plan import read_plan
from custsim.sim import results
from custsim.sim.kpis import format_value
from custsim.sim.kpis import label as kpi_label

FIXED_COLUMNS = ["job", "status", "error", "seed", "wall_seconds", "job_num"]
PLOT_KPIS = ("revenue", "margin", "units")
REPORT_KPIS = ("revenue", "margin", "units", "unit_share")
#: the focal firm's reach KPIs in summary.csv and the printed report, when there are any
REACH_REPORT_KPIS = ("contacts", "opt_outs", "conversions", "contact_cost")
CONFIDENCE = 0.95
#: the sweep-level files `aggregate_sweep` writes (removed when a sweep (re)starts)
TABLES = (
    "results.parquet",
    "timeseries.parquet",
    "summary.csv",
    "failed.csv",
    "plots/summary.png",
    FREQUENCY_TABLE,
    FREQUENCY_PLOT,
)
#: kpis.json keys of the reach KPIs -> their column prefixes (`flatten_kpis`)
REACH_PREFIXES = ("reach.", "channel.")
NOT_RUN = "planned, not run"
#: not-ok jobs listed by name in the printed report (the rest are in failed.csv)
LISTED_FAILURES = 10


# ---------------------------------------------------------------- the sweep


def job_dirs(sweep_dir: Path) -> list[Path]:
    """Every job directory below `sweep_dir` (holding `.hydra/` or `status.json`), sorted."""
    found = {p.parent for p in sweep_dir.rglob(".hydra") if p.is_dir()}
    found |= {p.parent for p in sweep_dir.rglob(STATUS_FILE)}
    found.discard(sweep_dir)
    return sorted(found, key=lambda p: p.relative_to(sweep_dir).as_posix())


def flatten_kpis(kpis: dict[str, Any]) -> dict[str, Any]:
    """`firm.<name>.<kpi>` and `customers.<kpi>` columns from a kpis.json dict.

    With reach KPIs (kpis.json "reach", per firm, and "channels", per firm and
    channel) also `reach.<firm>.<kpi>` and `channel.<firm>.<channel>.<kpi>`.
    """
    flat = {}
    for firm, values in kpis.get("firms", {}).items():
        for kpi, value in values.items():
            flat[f"firm.{firm}.{kpi}"] = value
    for kpi, value in kpis.get("customers", {}).items():
        flat[f"customers.{kpi}"] = value
    for firm, values in kpis.get("reach", {}).items():
        for kpi, value in values.items():
            flat[f"reach.{firm}.{kpi}"] = value
    for firm, channels in kpis.get("channels", {}).items():
        for channel, values in channels.items():
            for kpi, value in values.items():
                flat[f"channel.{firm}.{channel}.{kpi}"] = value
    return flat


def drop_unused_channels(kpi_table: pd.DataFrame) -> pd.DataFrame:
    """`kpi_table` without the columns of (firm, channel) pairs that sent no contact in any job."""
    unused = []
    for col in kpi_table.columns:
        if col.startswith("channel.") and col.endswith(".contacts"):
            if not (kpi_table[col].fillna(0) > 0).any():
                stem = col.removesuffix("contacts")
                unused += [c for c in kpi_table.columns if c.startswith(stem)]
    return kpi_table.drop(columns=unused)


def remove_tables(sweep_dir: Path) -> None:
    """Delete the sweep-level tables of an earlier attempt, so none outlives its sweep."""
    for name in TABLES:
        try:
            (sweep_dir / name).unlink(missing_ok=True)
        except OSError:  # something else in the way: aggregation reports it
            pass


def job_names(sweep_dir: Path, plan: list[dict[str, Any]]) -> list[str]:
    """Every job of the sweep: the planned ones and any job directory found, sorted."""
    found = {p.relative_to(sweep_dir).as_posix() for p in job_dirs(sweep_dir)}
    found |= {e["job"] for e in plan if e["job"]}  # "" is the sweep dir itself: not a job's
    return sorted(found)


def _unfinished(job_dir: Path, planned: dict[str, Any] | None) -> tuple[dict, list[str]]:
    """(status, overrides) of a job without status.json: failed planning, incomplete or missing."""
    overrides = list((planned or {}).get("overrides") or [])
    if planned is not None and planned.get("error"):
        return {"status": "failed", "error": planned["error"]}, overrides
    if (job_dir / ".hydra").is_dir():
        overrides = _read_overrides_yaml(job_dir / ".hydra" / "overrides.yaml") or overrides
        return {"status": "incomplete", "error": "no status.json (killed or still running)"}, (
            overrides
        )
    return {"status": "missing", "error": NOT_RUN}, overrides


def _job_row(
    sweep_dir: Path, name: str, planned: dict[str, Any] | None
) -> tuple[dict[str, Any], list[str], dict]:
    """One results row, its override keys in order, and the kpis (empty unless ok)."""
    job_dir = sweep_dir / name
    status = read_status(job_dir)
    if status is None:
        status, overrides = _unfinished(job_dir, planned)
    else:
        overrides = status.get("overrides") or []
    identity = job_identity(overrides)
    row: dict[str, Any] = {
        "job": name,
        "status": status.get("status"),
        "error": status.get("error"),
        "seed": as_seed(status["seed"]) if "seed" in status else seed_of(overrides),
        "wall_seconds": status.get("wall_seconds"),
        "job_num": status.get("job_num"),
    }
    keys = [k for k in identity if k != "seed"]
    row.update({k: identity[k] for k in keys})
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
    """(results table, override columns, concatenated timeseries) of every job of the sweep."""
    plan = {e["job"]: e for e in read_plan(sweep_dir)}
    rows, override_cols, kpi_rows, frames = [], [], [], []
    for name in job_names(sweep_dir, list(plan.values())):
        row, keys, kpis = _job_row(sweep_dir, name, plan.get(name))
        override_cols += [k for k in keys if k not in override_cols]
        row["focal_firm"] = kpis.get("focal_firm")
        rows.append(row)
        kpi_rows.append(flatten_kpis(kpis))
        if kpis and (sweep_dir / name / "timeseries.parquet").is_file():
            ts = pd.read_parquet(sweep_dir / name / "timeseries.parquet")
            ts.insert(0, "job", row["job"])
            frames.append(ts)
    columns = [*FIXED_COLUMNS, *override_cols, "focal_firm"]
    table = pd.DataFrame(rows, columns=columns)
    table["seed"] = table["seed"].astype("Int64")
    kpi_table = drop_unused_channels(pd.DataFrame(kpi_rows, index=table.index))
    table = pd.concat([table, kpi_table.astype(float)], axis=1)
    for col in ("error", "focal_firm", *override_cols):
        table[col] = table[col].astype(object)
    timeseries = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame({"job": []})
    return table, override_cols, timeseries


def kpi_columns(table: pd.DataFrame) -> list[str]:
    """The flattened KPI columns of a results table."""
    return [
        c for c in table.columns if c.startswith(("firm.", "customers.", "focal.", *REACH_PREFIXES))
    ]


def mean_ci(values: pd.Series) -> tuple[float, float, float]:
    """Mean and 95% t-interval of the non-NaN values (NaN bounds below two values)."""
    from custsim.experiments.compare.lift import estimate  # SciPy: only when aggregating

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
    """`table` plus `focal.<kpi>` columns: each row's own focal firm's KPIs.

    With reach KPIs also the focal firm's `focal.<kpi>` of `REACH_REPORT_KPIS`
    (its `reach.<firm>.<kpi>`, all its channels).
    """
    out = table.copy()
    reach = any(c.startswith("reach.") for c in table.columns)
    for kpi, prefix in [
        *((k, "firm") for k in REPORT_KPIS),
        *((k, "reach") for k in (REACH_REPORT_KPIS if reach else ())),
    ]:
        values = [
            row.get(f"{prefix}.{row['focal_firm']}.{kpi}", np.nan)
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
    from custsim.experiments.plots import PALETTE, closing_figure, save_png

    n = max(len(summary), 1)
    with closing_figure(ncols=len(PLOT_KPIS), figsize=(4.2 * len(PLOT_KPIS), 2.2 + 0.35 * n)) as (
        fig,
        axes,
    ):
        y = np.arange(len(summary))
        for ax, kpi in zip(axes, PLOT_KPIS, strict=True):
            col = f"focal.{kpi}"
            if f"{col}.mean" in summary:
                mean = summary[f"{col}.mean"].to_numpy(dtype=float)
                low = (mean - summary[f"{col}.ci_low"].to_numpy(dtype=float)).clip(min=0)
                high = (summary[f"{col}.ci_high"].to_numpy(dtype=float) - mean).clip(min=0)
                err = np.nan_to_num(np.vstack([low, high]))
                ax.errorbar(mean, y, xerr=err, fmt="o", color=PALETTE[0], capsize=4)
            ax.set_title(f"focal firm {kpi_label(kpi, 'firm')}")
            ax.set_yticks(y, summary["config"] if kpi == PLOT_KPIS[0] else [""] * len(y))
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
    agg = {
        "results": table,
        "summary": summary,
        "failed": failed,
        "timeseries": timeseries,
        "paths": paths,
    }
    frequency = frequency_response(table, override_cols)
    if frequency is not None:  # reach KPIs and policy.every swept
        text = frequency.to_csv(index=False)
        paths["frequency"] = results.write_text(text, sweep_dir / FREQUENCY_TABLE)
        paths["frequency_plot"] = plot_frequency_response(frequency, sweep_dir / FREQUENCY_PLOT)
        agg["frequency"] = frequency
    return agg


def format_report(agg: dict[str, Any], sweep_dir: Path, prog: str = "custsim") -> str:
    """Configurations x the focal firm's key KPIs (mean [95% CI]) and the failed jobs.

    `prog`: the command whose line names failed.csv (the sweep's own, or custsim-report).
    """
    summary = agg["summary"]
    lines = _kpi_block(summary, REPORT_KPIS)
    if "focal.contacts.mean" in summary:  # a policy named a channel: the focal firm's contacts
        lines += ["", *_kpi_block(summary, REACH_REPORT_KPIS)]
    if "frequency_plot" in agg.get("paths", {}):
        lines += ["", f"frequency-response curve: {agg['paths']['frequency_plot']}"]
    table, failed = agg["results"], agg["failed"]
    lines += ["", job_counts(table)]
    listed = failed.head(LISTED_FAILURES).itertuples()
    lines += [f"  {r.status}: {r.job}: {r.error}" for r in listed]
    if len(failed) > LISTED_FAILURES:
        lines.append(f"  ... and {len(failed) - LISTED_FAILURES} more")
    lines.append(f"sweep results: {sweep_dir}")
    if len(failed):
        lines.append(failure_line(table, sweep_dir, prog))
    return "\n".join(lines)


def _kpi_block(summary: pd.DataFrame, kpis: tuple[str, ...]) -> list[str]:
    """A header and one line per configuration: each focal KPI's mean [95% CI]."""
    width = max([len("configuration"), *(len(s) for s in summary["config"])])
    lines = [f"{'configuration':<{width}}     ok" + "".join(f"  {'focal ' + k:>30}" for k in kpis)]
    for _, row in summary.iterrows():
        cells = f"{row['config']:<{width}}  {row['n_ok']:>2}/{row['n_jobs']:<2}"
        for kpi in kpis:
            mean, low, high = (
                row.get(f"focal.{kpi}.{s}", math.nan) for s in ("mean", "ci_low", "ci_high")
            )
            mean, low, high = (format_value(kpi, v, missing="-") for v in (mean, low, high))
            cells += f"  {f'{mean} [{low}, {high}]':>30}"
        lines.append(cells)
    return lines


def job_counts(table: pd.DataFrame) -> str:
    """'6 jobs, 4 ok, 1 failed, 1 missing' (incomplete and missing only when there are any)."""
    counts = table["status"].value_counts()
    line = f"{len(table)} jobs, {counts.get('ok', 0)} ok, {counts.get('failed', 0)} failed"
    return line + "".join(f", {counts[s]} {s}" for s in ("incomplete", "missing") if s in counts)


def failure_line(table: pd.DataFrame, sweep_dir: Path, prog: str = "custsim") -> str:
    """The report's last line when a job is not ok: how many, and where failed.csv is."""
    bad = int((table["status"] != "ok").sum())
    what = "failed" if table["status"].isin(["ok", "failed"]).all() else "failed or did not finish"
    return f"{prog}: {bad} of {len(table)} jobs {what}: {sweep_dir / 'failed.csv'}"
