"""Result plots for one simulation run.

:func:`plot_run` turns the per-(day, firm) ``timeseries`` table written by the
simulation into three PNG figures: units and unit share by firm, shelf versus
reference prices per firm, and the active customer base with the share of
shopping occasions that ended in the outside option.

Figures are built with the pyplot object API, saved and closed at once, so the
module works under the non-interactive ``Agg`` backend. It does not switch the
backend itself, which would be a process-wide side effect.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator, PercentFormatter

from custsim.agents.experience import CAUSES
from custsim.sim.results import write_atomic

if TYPE_CHECKING:
    from custsim.sim.runner import RunResult

#: Okabe-Ito colour-blind-safe palette; firms get colours in sorted-name order.
PALETTE: tuple[str, ...] = (
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000",
)  # fmt: skip
DPI = 120
PROMO_ALPHA = 0.13
REQUIRED_COLUMNS: frozenset[str] = frozenset(
    {
        "day", "firm", "shelf_price", "regular_price", "units", "unit_share",
        "mean_reference_price", "promo", "active_customers", "occasions", "outside_choices",
    }
)  # fmt: skip
OUTSIDE_COLOR = PALETTE[5]  # vermillion; the outside-option plot shows no firm lines
_STYLE: dict[str, Any] = {
    "font.size": 11, "axes.titlesize": 12, "axes.labelsize": 11, "figure.titlesize": 14,
    "legend.fontsize": 10, "axes.spines.top": False, "axes.spines.right": False,
    "axes.grid": True, "grid.alpha": 0.3, "grid.linewidth": 0.6,
}  # fmt: skip


def firm_colors(firms: Sequence[str]) -> dict[str, str]:
    """Map firm names to fixed palette colours.

    Args:
        firms: Firm names, in any order; duplicates are ignored.

    Returns:
        ``{firm: hex colour}`` assigned in sorted-name order, cycling the palette.

    """
    names = sorted({str(f) for f in firms})
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(names)}


def promo_spans(days: Sequence[float], promo: Sequence[bool]) -> list[tuple[float, float]]:
    """Merge runs of consecutive promotion days into shading spans.

    Args:
        days: Sorted, integer-valued days.
        promo: Whether a promotion ran on each of ``days``.

    Returns:
        ``(start, end)`` x-limits, each run covering its days +/- half a day.

    """
    spans: list[tuple[float, float]] = []
    for day, on in zip(days, promo, strict=True):
        if not on:
            continue
        if spans and day - 0.5 <= spans[-1][1]:
            spans[-1] = (spans[-1][0], day + 0.5)
        else:
            spans.append((day - 0.5, day + 0.5))
    return spans


def plot_run(timeseries: pd.DataFrame, out_dir: Path, smoothing_days: int = 7) -> list[Path]:
    """Write the standard figures for one run.

    Args:
        timeseries: One row per (day, firm) as written by the simulation.
        out_dir: Directory for the PNGs; created if missing.
        smoothing_days: Window, in days, of the centred rolling means.

    Returns:
        Paths of ``sales_share.png``, ``reference_price.png`` and
        ``active_customers.png``, in that order.

    Raises:
        ValueError: If ``timeseries`` is empty or lacks a required column, or if
            ``smoothing_days`` is below 1.

    """
    missing = REQUIRED_COLUMNS - set(timeseries.columns)
    if missing:
        raise ValueError(f"timeseries lacks columns: {sorted(missing)}")
    if timeseries.empty:
        raise ValueError("timeseries is empty")
    if smoothing_days < 1:
        raise ValueError(f"smoothing_days must be >= 1, got {smoothing_days}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    ts = timeseries.assign(firm=timeseries["firm"].astype(str)).sort_values(["day", "firm"])
    colors = firm_colors(ts["firm"].unique())
    with plt.rc_context(_STYLE):
        return [
            _plot_sales_share(ts, colors, smoothing_days, out_dir / "sales_share.png"),
            _plot_reference_price(ts, colors, out_dir / "reference_price.png"),
            _plot_active_customers(ts, smoothing_days, out_dir / "active_customers.png"),
        ]


def draw_run_figures(run: RunResult, out_dir: Path) -> list[Path]:
    """Every figure of one run: `plot_run`'s three, and the loyalty and chain figures.

    `loyalty.png` when a firm runs points, `chain.png` and `defections.png` with the
    experience chain, `reach.png` when a firm sent messages. The figures a run draws
    (`custsim.sim.runner.simulate(..., figures=draw_run_figures)`).
    """
    ts = run.timeseries
    drawn = plot_run(ts, out_dir)
    extra = [plot_loyalty(ts, out_dir), plot_chain(ts, out_dir), plot_reach(ts, out_dir)]
    if run.causes is not None:
        extra.append(plot_defections(run.causes, out_dir))
    return drawn + [path for path in extra if path is not None]


@contextmanager
def closing_figure(**subplots_kwargs: Any) -> Iterator[tuple[Figure, Any]]:
    """Create a figure with ``plt.subplots`` and always close it afterwards."""
    fig, axes = plt.subplots(layout="constrained", **subplots_kwargs)
    try:
        yield fig, axes
    finally:
        plt.close(fig)


def save_png(fig: Figure, path: Path) -> Path:
    """Save ``fig`` as a PNG at the module DPI, atomically (temporary name, then rename)."""
    return write_atomic(
        path, lambda tmp: fig.savefig(tmp, format="png", dpi=DPI, facecolor="white")
    )


def _wide(ts: pd.DataFrame, column: str, fill: Any = np.nan) -> pd.DataFrame:
    """Pivot ``column`` to a day x firm table (firms sorted, all days kept)."""
    agg = "max" if column == "promo" else "mean"
    return ts.groupby(["day", "firm"])[column].agg(agg).unstack("firm", fill_value=fill)


def _smooth[T: (pd.DataFrame, pd.Series)](frame: T, window: int) -> T:
    """Centred rolling mean that tolerates short series and NaN gaps."""
    return frame.rolling(window, min_periods=1, center=True).mean()


def _format_day_axis(ax: Axes, days: pd.Index) -> None:
    """Label the x axis in days with integer ticks and half-day padding."""
    ax.set_xlim(float(days.min()) - 0.5, float(days.max()) + 0.5)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 5, 10], min_n_ticks=1))
    ax.set_xlabel("day")


def _shade(ax: Axes, days: pd.Index, promo: pd.Series, color: str) -> None:
    """Shade each run of promotion days on ``ax`` in ``color``."""
    for start, end in promo_spans(list(days), promo.astype(bool).tolist()):
        ax.axvspan(start, end, color=color, alpha=PROMO_ALPHA, lw=0, zorder=0)


def _marker(days: pd.Index) -> str | None:
    """Use point markers when a series is too short to draw as a line."""
    return "o" if len(days) < 3 else None


def _units_axis(ax: Axes, sold: bool) -> None:
    """Start the units axis at zero with integer ticks; flag runs without sales."""
    ax.yaxis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 5, 10], min_n_ticks=1))
    ax.set_ylim(bottom=0, top=None if sold else 1)
    if not sold:
        ax.text(0.5, 0.5, "no units sold", transform=ax.transAxes, ha="center", color="0.4")


def _plot_sales_share(ts: pd.DataFrame, colors: dict[str, str], window: int, path: Path) -> Path:
    """Units per day (raw and smoothed) above smoothed unit share, by firm."""
    units, share = _wide(ts, "units"), _smooth(_wide(ts, "unit_share"), window)
    promo, days, mk = _wide(ts, "promo", fill=False), units.index, _marker(units.index)
    with closing_figure(nrows=2, sharex=True, figsize=(11, 7.5), height_ratios=(3, 2)) as (
        fig,
        axes,
    ):
        top, bottom = axes
        for firm, color in colors.items():
            for ax in axes:
                _shade(ax, days, promo[firm], color)
            top.plot(days, units[firm], color=color, lw=0.8, alpha=0.45, marker=mk)
            top.plot(days, _smooth(units[firm], window), color=color, lw=2.4, marker=mk)
            bottom.plot(days, share[firm], color=color, lw=2.2, marker=mk)
        _units_axis(top, sold=bool(units.max().max() > 0))
        top.set(ylabel="units per day", title=f"Units sold (thin: daily, bold: {window}-day mean)")
        bottom.set_ylim(0, 1.03)  # headroom so a 100% share is not hidden by the frame
        bottom.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        bottom.set(ylabel="unit share", title=f"Share of units sold ({window}-day mean)")
        _format_day_axis(bottom, days)
        handles = [Line2D([], [], color=c, lw=2.4, label=f"firm {f}") for f, c in colors.items()]
        handles.append(Patch(color="0.5", alpha=0.3, lw=0, label="promotion days"))
        fig.legend(handles=handles, loc="outside right upper", frameon=False)
        fig.suptitle("Sales and unit share by firm", fontweight="bold")
        return save_png(fig, path)


def _plot_reference_price(ts: pd.DataFrame, colors: dict[str, str], path: Path) -> Path:
    """Per firm: shelf price (steps), mean reference price, regular price."""
    shelf, ref = _wide(ts, "shelf_price"), _wide(ts, "mean_reference_price")
    regular, promo = _wide(ts, "regular_price"), _wide(ts, "promo", fill=False)
    days, mk, n = shelf.index, _marker(shelf.index), len(colors)
    size = (max(6.5, 4.6 * n), 4.8)
    with closing_figure(ncols=n, sharey=True, sharex=True, figsize=size, squeeze=False) as (
        fig,
        axes,
    ):
        for ax, (firm, color) in zip(axes[0], colors.items(), strict=True):
            _shade(ax, days, promo[firm], color)
            ax.plot(days, ref[firm], color="0.1", lw=2.6, marker=mk)
            ax.step(days, shelf[firm], where="mid", color=color, lw=1.8, marker=mk)
            ax.plot(days, regular[firm], color="0.5", lw=1.3, ls="--")
            ax.set_title(f"firm {firm}", color=color, fontweight="bold")
            _format_day_axis(ax, days)
        axes[0][0].set_ylabel("price")
        handles = [
            Line2D([], [], color="0.45", lw=1.8, label="shelf price (firm colour)"),
            Line2D([], [], color="0.1", lw=2.6, label="mean reference price"),
            Line2D([], [], color="0.5", lw=1.3, ls="--", label="regular price"),
            Patch(color="0.5", alpha=0.3, lw=0, label="promotion days"),
        ]
        ncols = len(handles) if n > 1 else 2
        fig.legend(handles=handles, loc="outside lower center", ncols=ncols, frameon=False)
        fig.suptitle("Shelf price vs. customers' mean reference price", fontweight="bold")
        return save_png(fig, path)


def _plot_active_customers(ts: pd.DataFrame, window: int, path: Path) -> Path:
    """Active customers with the outside-option share on a secondary axis."""
    daily = ts.groupby("day")[["active_customers", "occasions", "outside_choices"]].first()
    occasions = daily["occasions"].astype(float)
    outside = daily["outside_choices"].astype(float) / occasions.where(occasions > 0)
    days, mk = daily.index, _marker(daily.index)
    with closing_figure(figsize=(11, 4.8)) as (fig, ax):
        ax.plot(days, daily["active_customers"], color="0.1", lw=2.4, marker=mk)
        ax.set_ylim(bottom=0, top=None if daily["active_customers"].max() > 0 else 1)
        ax.set_ylabel("active customers")
        _format_day_axis(ax, days)
        right = ax.twinx()
        right.grid(False)
        right.spines["right"].set_visible(True)
        right.plot(days, outside, color=OUTSIDE_COLOR, lw=0.8, alpha=0.45, marker=mk)
        right.plot(days, _smooth(outside, window), color=OUTSIDE_COLOR, lw=2.2, marker=mk)
        right.set_ylim(0, 1.03)
        right.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        right.set_ylabel("occasions ending in outside option", color=OUTSIDE_COLOR)
        right.tick_params(axis="y", colors=OUTSIDE_COLOR)
        handles = [
            Line2D([], [], color="0.1", lw=2.4, label="active customers (left)"),
            Line2D([], [], color=OUTSIDE_COLOR, lw=2.2, label=f"outside share, {window}-day mean"),
            Line2D([], [], color=OUTSIDE_COLOR, lw=0.8, alpha=0.45, label="outside share, daily"),
        ]
        fig.legend(handles=handles, loc="outside lower center", ncols=3, frameon=False)
        ax.set_title("Active customers and outside-option choices", fontweight="bold")
        return save_png(fig, path)


LOYALTY_FLOWS = (
    ("points_earned", "earned"),
    ("points_redeemed", "redeemed"),
    ("points_expired", "expired"),
)


def plot_loyalty(timeseries: pd.DataFrame, out_dir: Path, smoothing_days: int = 7) -> Path | None:
    """Write ``loyalty.png`` for the firms that run a points programme (None if none does).

    Top: points earned, redeemed and expired per day (smoothed); bottom: points
    outstanding, the programme's liability in points.
    """
    ts = timeseries.assign(firm=timeseries["firm"].astype(str))
    firms = sorted(ts.loc[ts["points_earned"] > 0, "firm"].unique())
    if not firms:
        return None
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    colors = firm_colors(sorted(ts["firm"].unique()))
    styles = dict(zip([name for name, _ in LOYALTY_FLOWS], ("-", "--", ":"), strict=True))
    with (
        plt.rc_context(_STYLE),
        closing_figure(nrows=2, figsize=(11, 7), sharex=True) as (fig, axes),
    ):
        for firm in firms:
            mine = ts[ts["firm"] == firm].set_index("day")
            for column, label in LOYALTY_FLOWS:
                axes[0].plot(
                    mine.index,
                    _smooth(mine[column], smoothing_days),
                    lw=2,
                    ls=styles[column],
                    color=colors[firm],
                    label=f"{firm}: {label}",
                )
            axes[1].plot(
                mine.index,
                mine["points_outstanding"],
                lw=2.4,
                color=colors[firm],
                label=f"{firm}: outstanding",
            )
        axes[0].set_ylabel(f"points per day ({smoothing_days}-day mean)")
        axes[1].set_ylabel("points outstanding")
        for ax in axes:
            ax.set_ylim(bottom=0)
            ax.legend(frameon=False, loc="upper left", ncols=3)
        _format_day_axis(axes[1], ts["day"].drop_duplicates())
        fig.suptitle("Loyalty points: issued, redeemed, lapsed, and still owed", fontweight="bold")
        return save_png(fig, Path(out_dir) / "loyalty.png")


#: `plot_chain`'s panels, top to bottom: column, y label, cumulative
CHAIN_PANELS = (
    ("experience", "felt experience of a purchase", False),
    ("satisfaction", "buyers' satisfaction", False),
    ("trust", "buyers' trust", False),
    ("exits", "customers lost (cumulative)", True),
)


def plot_chain(timeseries: pd.DataFrame, out_dir: Path, smoothing_days: int = 7) -> Path | None:
    """Write ``chain.png``: experience -> satisfaction -> trust -> exits (None without the chain).

    Four panels sharing the day axis, one line per firm, from the chain's daily
    firm series (`custsim.sim.chain.CHAIN_SERIES`), so a firm's service failures
    can be followed down the chain to the customers it loses.
    Experience, satisfaction and trust are the day's buyers' means
    (`custsim.sim.stages.experience.day_series`), smoothed over `smoothing_days`;
    the last panel counts the churns of customers whose last brand was the firm.
    """
    if "trust" not in timeseries:
        return None
    ts = timeseries.assign(firm=timeseries["firm"].astype(str))
    colors = firm_colors(sorted(ts["firm"].unique()))
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    with (
        plt.rc_context(_STYLE),
        closing_figure(nrows=len(CHAIN_PANELS), figsize=(11, 10), sharex=True) as (fig, axes),
    ):
        for firm, mine in ts.groupby("firm", sort=True):
            mine = mine.set_index("day")
            for ax, (column, _, cumulative) in zip(axes, CHAIN_PANELS, strict=True):
                values = mine[column].fillna(0).cumsum() if cumulative else mine[column]
                line = values if cumulative else _smooth(values, smoothing_days)
                ax.plot(mine.index, line, lw=2, color=colors[firm], label=firm)
        for ax, (_, label, _) in zip(axes, CHAIN_PANELS, strict=True):
            ax.set_ylabel(label)
        axes[0].axhline(0.0, color="0.4", lw=0.8)
        axes[2].set_ylim(0.0, 1.0)
        axes[0].legend(frameon=False, loc="upper left", ncols=len(colors))
        _format_day_axis(axes[-1], pd.Index(np.sort(ts["day"].unique())))
        fig.suptitle("From experience to exit, per firm", fontweight="bold")
        return save_png(fig, Path(out_dir) / "chain.png")


#: `plot_reach`'s panels: a column of the reach's daily firm series, its label, cumulative
REACH_PANELS = (
    ("contacts", "sent a day", False),
    ("opened", "opened a day", False),
    ("conversions", "attributed buys, to date", True),
    ("contact_cost", "contact cost, to date", True),
    ("opt_outs", "opt-outs, to date", True),
)


def plot_reach(timeseries: pd.DataFrame, out_dir: Path) -> Path | None:
    """Write ``reach.png``: each firm's contacts, opens, conversions, cost and opt-outs by day.

    None unless some firm sent a contact (the reach's series, `custsim.sim.reach.REACH_SERIES`).
    Firms that sent nothing are left out; daily counts are drawn as they are (a
    campaign's waves show as spikes), the rest cumulated.
    """
    if "contacts" not in timeseries or not timeseries["contacts"].sum():
        return None
    ts = timeseries.assign(firm=timeseries["firm"].astype(str))
    colors = firm_colors(sorted(ts["firm"].unique()))
    sent = ts.groupby("firm")["contacts"].sum()
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    with (
        plt.rc_context(_STYLE),
        closing_figure(nrows=len(REACH_PANELS), figsize=(11, 11), sharex=True) as (fig, axes),
    ):
        for firm, mine in ts[ts["firm"].isin(sent.index[sent > 0])].groupby("firm", sort=True):
            mine = mine.set_index("day")
            for ax, (column, _, cumulative) in zip(axes, REACH_PANELS, strict=True):
                values = mine[column].fillna(0)
                ax.plot(mine.index, values.cumsum() if cumulative else values, lw=1.5,
                        color=colors[firm], label=firm)  # fmt: skip
        for ax, (_, label, _) in zip(axes, REACH_PANELS, strict=True):
            ax.set_ylabel(label)
        axes[0].legend(frameon=False, loc="upper left", ncols=len(colors))
        _format_day_axis(axes[-1], pd.Index(np.sort(ts["day"].unique())))
        fig.suptitle("Reaching customers: what each firm's messages cost and brought",
                     fontweight="bold")  # fmt: skip
        return save_png(fig, Path(out_dir) / "reach.png")


#: colours of the causes of a loss in `plot_defections` (`custsim.agents.experience.CAUSES`)
CAUSE_COLORS = dict(zip(CAUSES, ("0.7", PALETTE[5], PALETTE[1], PALETTE[3], PALETTE[0], PALETTE[2]),
                        strict=True))  # fmt: skip


def plot_defections(causes: dict[str, Any], out_dir: Path) -> Path:
    """Write ``defections.png``: where each firm's customers went, and why.

    Left, the defection matrix: brand switches from the row's firm to the column's,
    and churns (customers who left the category) by the brand they last bought, from
    the run's cause ledgers (`custsim.sim.metrics.cause_tables`). Right, each firm's
    losses (switches away and churns) stacked by cause
    (`custsim.agents.experience.CAUSES`): a firm that loses customers to a service
    problem sees it apart from what a competitor's offer or plain taste takes.
    """
    firms = list(causes["defections"])
    exits = causes["exits"]
    to = [*firms, "left"]
    matrix = np.array(
        [
            [causes["defections"][a].get(b, 0) if b != a else 0 for b in firms]
            + [sum(exits[c][a] for c in CAUSES)]
            for a in firms
        ],
        dtype=float,
    )
    lost = {
        c: np.array([sum(causes["switches"][c][a].values()) + exits[c][a] for a in firms])
        for c in CAUSES
    }
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    with (
        plt.rc_context(_STYLE),
        closing_figure(ncols=2, figsize=(13, 0.9 * len(firms) + 3.2)) as (fig, (left, right)),
    ):
        shown = np.where(np.eye(len(firms), len(to), dtype=bool), np.nan, matrix)
        left.imshow(shown, cmap="Blues", aspect="auto")
        top = np.nanmax(shown) if np.isfinite(shown).any() else 0.0
        for (i, k), v in np.ndenumerate(matrix):
            if k == i:
                left.text(k, i, "\u2014", ha="center", va="center", color="0.5")
                continue
            color = "white" if top and v > 0.6 * top else "0.1"
            left.text(k, i, f"{v:,.0f}", ha="center", va="center", color=color, fontsize=11)
        left.set_xticks(range(len(to)), [*to[:-1], "left the\ncategory"])
        left.set_yticks(range(len(firms)), firms)
        left.set(xlabel="to", ylabel="from")
        left.grid(False)
        left.set_title("Defection matrix: switches and exits", fontweight="bold")
        y = np.arange(len(firms))
        start = np.zeros(len(firms))
        for cause in CAUSES:
            right.barh(y, lost[cause], left=start, color=CAUSE_COLORS[cause], label=cause,
                       height=0.6)  # fmt: skip
            start += lost[cause]
        right.set_yticks(y, firms)
        right.invert_yaxis()
        right.set_xlabel("customers lost: switches away and exits")
        right.set_title("Why each firm lost them", fontweight="bold")
        right.legend(frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.14),
                     ncols=len(CAUSES), fontsize=9)  # fmt: skip
        fig.suptitle("Where customers went, and why", fontweight="bold")
        return save_png(fig, Path(out_dir) / "defections.png")
