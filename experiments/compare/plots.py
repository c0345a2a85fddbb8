"""Figures of a policy-versus-baseline comparison (`custsim-compare`).

Three PNGs from the tables of :mod:`custsim.experiments.compare.lift`: the relative lift
of every firm and market KPI with its 95% interval, the promotion bump split into switching,
pulled-forward and category-expansion units (van Heerde, Leeflang & Wittink
2004), and the focal firm's mean daily units under both arms. Figures use the
object API and the Okabe-Ito palette of :mod:`custsim.experiments.plots`, and are closed once saved.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import StrMethodFormatter

from custsim.experiments.plots import PALETTE, PROMO_ALPHA, closing_figure, promo_spans, save_png
from custsim.sim.kpis import UNIT_FORMATS, kpi

UP, DOWN, NEUTRAL = PALETTE[0], PALETTE[5], "0.6"  # blue, vermillion, grey
POLICY_COLOR, BASELINE_COLOR = PALETTE[0], PALETTE[1]
PART_COLORS = {"switching": PALETTE[1], "pulled_forward": PALETTE[4], "expansion": PALETTE[2]}
PART_LABELS = {
    "switching": "switching S",
    "pulled_forward": "pulled forward T",
    "expansion": "category expansion E",
}
STYLE: dict[str, Any] = {
    "font.size": 10, "axes.titlesize": 11, "axes.spines.top": False,
    "axes.spines.right": False, "axes.grid": True, "grid.alpha": 0.3,
}  # fmt: skip


@dataclass(frozen=True)
class Labels:
    """What the figures name: the focal firm, both arms' policies and the replications."""

    focal: str
    policy: str
    baseline: str
    replications: int

    @property
    def versus(self) -> str:
        """'policy hi_lo vs baseline none, 5 paired replications'."""
        return (
            f"policy {self.policy} vs baseline {self.baseline}, "
            f"{self.replications} paired replications"
        )


def plot_comparison(
    table: pd.DataFrame, daily: pd.DataFrame, labels: Labels, out_dir: Path
) -> list[Path]:
    """Write lift.png, decomposition.png and focal_units.png into `out_dir`.

    Args:
        table: the comparison table (`lift.lift_table` + `decomposition_table`).
        daily: `lift.daily_lift` of the focal firm's units, plus a ``promo``
            column (share of replications in which the policy arm promoted that day).
        labels: names for titles and legends.
        out_dir: created if missing.

    Returns:
        The three paths, in that order.

    """
    out_dir.mkdir(parents=True, exist_ok=True)
    with plt.rc_context(STYLE):
        return [
            plot_lift(table, labels, out_dir / "lift.png"),
            plot_decomposition(table, labels, out_dir / "decomposition.png"),
            plot_focal_units(daily, labels, out_dir / "focal_units.png"),
        ]


def plot_lift(table: pd.DataFrame, labels: Labels, path: Path) -> Path:
    """Horizontal bars of relative lift (% of baseline) with 95% CI whiskers, firm and market KPIs.

    Bars are blue for a gain and vermillion for a loss; metrics whose baseline
    mean is 0 (no relative lift) are left out.
    """
    rows = table[table["scope"].isin(["firm", "market"]) & np.isfinite(table["lift_pct"])]
    rows = rows.iloc[::-1]  # first metric on top
    scale = 100 / rows["baseline_mean"].abs()
    pct, low, high = rows["lift_pct"], rows["ci_low"] * scale, rows["ci_high"] * scale
    names = [
        f"{labels.focal if s == 'firm' else 'market'} {kpi(m, s).label}"
        for s, m in zip(rows.scope, rows.metric, strict=True)
    ]
    colors = [UP if v > 0 else DOWN if v < 0 else NEUTRAL for v in pct]
    with closing_figure(figsize=(9, 0.42 * len(rows) + 1.6)) as (fig, ax):
        y = np.arange(len(rows))
        ax.barh(y, pct, color=colors, height=0.6)
        xerr = np.clip([pct - low, high - pct], 0, None)  # clip rounding below 0
        ax.errorbar(pct, y, xerr=xerr, fmt="none", ecolor="0.15", capsize=3)
        ax.axvline(0, color="0.2", lw=0.9)
        ax.set_yticks(y, names)
        ax.grid(axis="y", visible=False)
        ax.set_xlabel("lift, % of baseline mean (whiskers: 95% CI)")
        ax.set_title(f"Relative lift of firm {labels.focal} and market KPIs\n{labels.versus}")
        return save_png(fig, path)


def plot_decomposition(table: pd.DataFrame, labels: Labels, path: Path) -> Path:
    """The bump B (with its 95% CI) beside a stacked bar of S, T and E with their shares of B.

    Positive parts stack up from zero and negative parts down from zero, so the
    stacked bar's net height is B = S + T + E.
    """
    dec = table[table["scope"] == "decomposition"].set_index("metric")
    bump = dec.loc["bump"]
    with closing_figure(figsize=(8, 5.5)) as (fig, ax):
        ax.bar(0, bump["lift"], color=POLICY_COLOR, width=0.6)
        err = np.clip([[bump["lift"] - bump["ci_low"]], [bump["ci_high"] - bump["lift"]]], 0, None)
        ax.errorbar(0, bump["lift"], yerr=err, fmt="none", ecolor="0.15", capsize=4)
        if bump["lift"] == 0 and dec.loc["switching", "lift"] == 0:
            note = "no promotion days in the policy arm: B = S = 0"
            ax.set_xlabel(note, color="0.3")
        _stack_parts(ax, dec)
        ax.axhline(0, color="0.2", lw=0.9)
        ax.set_xticks([0, 1], ["bump B", "B = S + T + E"])
        ax.set_xlim(-0.6, 2.4)
        ax.yaxis.set_major_formatter(StrMethodFormatter(f"{{x:{UNIT_FORMATS['units']}}}"))
        ax.set_ylabel(f"extra units of firm {labels.focal}")
        ax.set_title(
            f"Where firm {labels.focal}'s promotion units came from "
            f"(van Heerde et al. 2004)\n{labels.versus}"
        )
        return save_png(fig, path)


def _stack_parts(ax: Axes, dec: pd.DataFrame) -> None:
    """Stack S, T, E at x = 1 and label each with its value and share of B."""
    up = down = 0.0
    for part, color in PART_COLORS.items():
        value = float(dec.loc[part, "lift"])
        if value == 0:
            continue
        bottom = up if value >= 0 else down
        ax.bar(1, value, bottom=bottom, color=color, width=0.6)
        share = dec.loc[f"{part}_share", "lift"]
        share_text = f" ({share:.0%} of B)" if np.isfinite(share) else ""
        ax.annotate(
            f"{PART_LABELS[part]}: {value:+,.0f}{share_text}",
            (1.32, bottom + value / 2),
            va="center",
            color="0.1",
        )
        if value >= 0:
            up += value
        else:
            down += value


def plot_focal_units(daily: pd.DataFrame, labels: Labels, path: Path) -> Path:
    """Mean daily focal units under both arms (top) and their paired daily lift with 95% CI.

    Days on which the policy arm promoted in at least half the replications are shaded.
    """
    days = daily["day"].to_numpy()
    spans = promo_spans(list(days), (daily["promo"] >= 0.5).tolist())
    with closing_figure(nrows=2, sharex=True, figsize=(11, 7), height_ratios=(3, 2)) as (fig, axes):
        top, bottom = axes
        for ax in axes:
            for start, end in spans:
                ax.axvspan(start, end, color=POLICY_COLOR, alpha=PROMO_ALPHA, lw=0, zorder=0)
        top.plot(days, daily["baseline"], color=BASELINE_COLOR, lw=1.6)
        top.plot(days, daily["policy"], color=POLICY_COLOR, lw=1.6)
        top.set(ylabel="units per day", title=f"Mean daily units of firm {labels.focal}")
        top.set_ylim(bottom=0)
        bottom.fill_between(days, daily["ci_low"], daily["ci_high"], color="0.6", alpha=0.4, lw=0)
        bottom.plot(days, daily["lift"], color="0.1", lw=1.2)
        bottom.axhline(0, color="0.2", lw=0.9)
        bottom.set(xlabel="day", ylabel="policy - baseline", title="Daily lift (band: 95% CI)")
        handles = [
            Line2D([], [], color=POLICY_COLOR, lw=1.6, label=f"policy {labels.policy}"),
            Line2D([], [], color=BASELINE_COLOR, lw=1.6, label=f"baseline {labels.baseline}"),
            Patch(color=POLICY_COLOR, alpha=0.25, label="promotion days"),
        ]
        fig.legend(handles=handles, loc="outside right upper", frameon=False)
        fig.suptitle(f"Firm {labels.focal} units: {labels.versus}", fontweight="bold")
        return save_png(fig, path)
