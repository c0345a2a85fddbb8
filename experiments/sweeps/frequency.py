"""The frequency-response curve of a sweep over how often the focal firm messages its customers.

A sweep over `policy.every` (the days between a campaign's sends; optionally over
`policy.channel` and other keys) whose jobs report reach KPIs (kpis.json "reach")
gets, besides its summary, one point per (curve, every): the mean over the ok seeds
and its 95% t-interval (`custsim.experiments.compare.lift.estimate`) of the focal
firm's

- prompted trips per customer, P / N, and attributed purchases (conversions) per
  customer, C / N: the responses;
- opt-outs per customer, O / N: the share of customers the messages lost;
- margin, already net of what the contacts cost (`custsim.sim.metrics.reach_tables`:
  the contact cost is inside the margin);
- contacts per customer and the contact cost (in the table, not the figure),

where P, C, O are the focal firm's reach totals over all its channels
(`reach.<focal>.<kpi>`) and N is the number of customers who arrived
(`customers.customers`). A curve is a value of every other swept key, `policy.channel`
first; when the channel is not swept, the channels the focal firm sent on name the
curve. Frequency grows as `policy.every` falls, so the figure's x axis (log scale)
runs from the longest gap on the left to the shortest on the right.

Attributed purchases are last-touch credit, not the causal lift of the messages
(custsim-compare, or custsim-optimize with `optimize.objective=roi`, measures that).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

FREQUENCY_KEY = "policy.every"
CHANNEL_KEY = "policy.channel"
FREQUENCY_TABLE = "frequency_response.csv"
FREQUENCY_PLOT = "plots/frequency_response.png"
CONFIDENCE = 0.95
#: (column, what it is) of each job's responses; the first four are the figure's panels
METRICS: tuple[tuple[str, str], ...] = (
    ("prompted_per_customer", "prompted trips per customer"),
    ("conversions_per_customer", "attributed purchases per customer"),
    ("opt_outs_per_customer", "opt-outs per customer"),
    ("margin", "margin (net of contact cost)"),
    ("contacts_per_customer", "contacts per customer"),
    ("contact_cost", "contact cost"),
)
PANELS = 4


def job_responses(table: pd.DataFrame, override_cols: list[str]) -> pd.DataFrame | None:
    """One row per ok job: its curve, `policy.every`, seed and `METRICS` (see module doc).

    None unless `policy.every` is swept with numeric values and the jobs have reach KPIs.
    """
    if FREQUENCY_KEY not in override_cols or not any(c.startswith("reach.") for c in table):
        return None
    ok = table[(table["status"] == "ok") & table["focal_firm"].map(lambda f: isinstance(f, str))]
    every = pd.to_numeric(ok[FREQUENCY_KEY], errors="coerce")
    if ok.empty or every.isna().any():
        return None
    others = [c for c in override_cols if c not in ("seed", FREQUENCY_KEY, CHANNEL_KEY)]
    others = [c for c in others if table[c].nunique(dropna=False) > 1]
    rows = []
    for (_, row), gap in zip(ok.iterrows(), every, strict=True):
        focal = row["focal_firm"]
        n = row.get("customers.customers", np.nan)

        def reach(kpi: str, row: pd.Series = row, focal: str = focal) -> float:
            return float(row.get(f"reach.{focal}.{kpi}", np.nan))

        parts = [f"channel={_channel(row, focal)}"]
        parts += [f"{c}={row[c]}" for c in others if isinstance(row[c], str)]
        rows.append(
            {
                "curve": ", ".join(parts),
                FREQUENCY_KEY: float(gap),
                "seed": row["seed"],
                "prompted_per_customer": reach("prompted") / n,
                "conversions_per_customer": reach("conversions") / n,
                "opt_outs_per_customer": reach("opt_outs") / n,
                "margin": float(row.get(f"firm.{focal}.margin", np.nan)),
                "contacts_per_customer": reach("contacts") / n,
                "contact_cost": reach("contact_cost"),
            }
        )
    return pd.DataFrame(rows)


def _channel(row: pd.Series, focal: str) -> str:
    """The job's `policy.channel`, else the channels its focal firm sent on ('none')."""
    value = row.get(CHANNEL_KEY)
    if isinstance(value, str):
        return value
    prefix, suffix = f"channel.{focal}.", ".contacts"
    used = [
        c.removeprefix(prefix).removesuffix(suffix)
        for c in row.index
        if c.startswith(prefix) and c.endswith(suffix) and row[c] > 0
    ]
    return "+".join(sorted(used)) or "none"


def frequency_response(table: pd.DataFrame, override_cols: list[str]) -> pd.DataFrame | None:
    """Per (curve, policy.every): n_ok and each metric's mean, ci_low, ci_high across the seeds.

    Rows sorted by curve and by `policy.every` (falling: frequency rising). None when the
    sweep has no frequency-response curve (`job_responses`).
    """
    from custsim.experiments.compare.lift import estimate  # SciPy: only when aggregating

    jobs = job_responses(table, override_cols)
    if jobs is None:
        return None
    rows: list[dict[str, Any]] = []
    for (curve, every), group in jobs.groupby(["curve", FREQUENCY_KEY], sort=True):
        row: dict[str, Any] = {"curve": curve, FREQUENCY_KEY: every, "n_ok": len(group)}
        for metric, _ in METRICS:
            values = group[metric].dropna().to_numpy(dtype=float)
            mean, low, high = estimate(values, CONFIDENCE)
            row |= {f"{metric}.mean": mean, f"{metric}.ci_low": low, f"{metric}.ci_high": high}
        rows.append(row)
    out = pd.DataFrame(rows)
    return out.sort_values(["curve", FREQUENCY_KEY], ascending=[True, False], ignore_index=True)


def plot_frequency_response(frequency: pd.DataFrame, path: Path) -> Path:
    """Four panels against `policy.every`: responses, opt-outs, margin; mean and 95% CI bands."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FixedLocator, NullLocator, StrMethodFormatter

    from custsim.experiments.plots import _STYLE, PALETTE, closing_figure, save_png

    gaps = sorted(frequency[FREQUENCY_KEY].unique())
    seeds = int(frequency["n_ok"].max())
    with plt.rc_context(_STYLE), closing_figure(nrows=2, ncols=2, figsize=(11, 7.5)) as (fig, axes):
        for ax, (metric, what) in zip(axes.flat, METRICS[:PANELS], strict=True):
            for i, (curve, rows) in enumerate(frequency.groupby("curve", sort=True)):
                color = PALETTE[i % len(PALETTE)]
                x = rows[FREQUENCY_KEY].to_numpy(dtype=float)
                mean = rows[f"{metric}.mean"].to_numpy(dtype=float)
                low = rows[f"{metric}.ci_low"].to_numpy(dtype=float)
                high = rows[f"{metric}.ci_high"].to_numpy(dtype=float)
                ax.plot(x, mean, "o-", color=color, label=curve)
                ax.fill_between(x, low, high, color=color, alpha=0.18, linewidth=0)
            ax.set_xscale("log")
            ax.xaxis.set_major_locator(FixedLocator(gaps))
            ax.xaxis.set_minor_locator(NullLocator())
            ax.set_xticklabels([f"{g:g}" for g in gaps])
            ax.set_xlim(max(gaps) * 1.15, min(gaps) / 1.15)  # frequency rises to the right
            ax.set_title(what)
            if metric == "margin":
                ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
            ax.set_xlabel(f"{FREQUENCY_KEY}: days between sends (more frequent \u2192)")
        axes.flat[0].legend(loc="best", frameon=False)
        fig.suptitle(
            f"Frequency response of the focal firm: mean over {seeds} seeds "
            f"with {CONFIDENCE:.0%} CI"
        )
        return save_png(fig, path)
