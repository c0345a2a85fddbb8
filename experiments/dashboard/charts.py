"""The dashboard's live charts, drawn from a running model's recorder.

Each chart is a function `model -> matplotlib Figure` that reads only the
model's public state (`recorder`, `state`, `cfg`, `specs`), never the engine's
internals, and uses the CLI plots' firm colours (`custsim.experiments.plots.firm_colors`). The
x axis spans the whole run, so a chart fills up as the days pass. Figures are
built with `matplotlib.figure.Figure` (no pyplot), safe in the server's threads.
`CHARTS` are drawn for every run; `shown_charts` adds the experience chain's chart
(`experience_chain`) when the run has the chain.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter
from numpy.typing import NDArray

from custsim.agents.experience import CAUSES
from custsim.experiments.dashboard.network_view import draw_network
from custsim.experiments.dashboard.readouts import has_chain
from custsim.experiments.plots import CAUSE_COLORS, firm_colors
from custsim.sim.kpis import label

if TYPE_CHECKING:
    from custsim.experiments.dashboard.model import DashboardModel
    from custsim.sim.model import CustsimModel

FIGSIZE = (5.6, 3.3)
DPI = 90


def new_figure(title: str, rows: int = 1) -> tuple[Figure, list[Axes]]:
    """A figure of `rows` stacked axes sharing the day axis."""
    fig = Figure(figsize=FIGSIZE, dpi=DPI)
    fig.subplots_adjust(left=0.13, right=0.87, top=0.9, bottom=0.14, hspace=0.12)
    axes = list(np.atleast_1d(fig.subplots(rows, 1, sharex=True)))
    axes[0].set_title(title, fontsize=10, loc="left")
    for ax in axes:
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.25)
    axes[-1].set_xlabel("day", fontsize=8)
    return fig, axes


def days_so_far(model: CustsimModel) -> NDArray[np.int64]:
    """Days 1..t simulated so far."""
    return np.arange(1, model.steps + 1)


def firm_series(model: CustsimModel, name: str) -> NDArray[np.float64]:
    """(t, J) recorded values of a firm series up to today."""
    return model.recorder.firm[name][: model.steps]


def frame_days(ax: Axes, model: CustsimModel) -> None:
    """The x axis spans the whole run."""
    ax.set_xlim(0, model.cfg.steps)


def shade_promotions(ax: Axes, model: CustsimModel, j: int, colour: str) -> None:
    """Shade the days firm j promoted."""
    promo = firm_series(model, "promo")[:, j] > 0
    if promo.any():
        days = days_so_far(model)
        ax.fill_between(days, 0, 1, where=promo, step="mid", color=colour, alpha=0.12, lw=0,
                        transform=ax.get_xaxis_transform())  # fmt: skip


def sales_share(model: CustsimModel) -> Figure:
    """Units sold per day and unit share, by firm (the focal firm's promotions shaded)."""
    fig, (units_ax, share_ax) = new_figure("Sales and share by firm", rows=2)
    names = tuple(s.name for s in model.specs)
    colours = firm_colors(names)
    days, units = days_so_far(model), firm_series(model, "units")
    total = units.sum(axis=1, keepdims=True)
    share = np.divide(units, total, out=np.zeros_like(units), where=total > 0)
    for j, name in enumerate(names):
        units_ax.plot(days, units[:, j], color=colours[name], lw=1, label=name)
        share_ax.plot(days, share[:, j], color=colours[name], lw=1)
    focal = names.index(model.cfg.market.focal)
    shade_promotions(units_ax, model, focal, colours[names[focal]])
    units_ax.set_ylim(0, max(10.0, float(units.max(initial=0.0)) * 1.1))
    units_ax.set_ylabel("units / day", fontsize=8)
    share_ax.set_ylabel(label("unit_share"), fontsize=8)
    share_ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    share_ax.set_ylim(0, 1)
    units_ax.legend(fontsize=7, ncols=len(names), loc="upper right")
    frame_days(share_ax, model)
    return fig


def price_reference(model: CustsimModel) -> Figure:
    """Each firm's shelf price against the mean reference price its shoppers hold."""
    fig, (ax,) = new_figure("Shelf price vs average reference price")
    names = tuple(s.name for s in model.specs)
    colours = firm_colors(names)
    days = days_so_far(model)
    shelf, ref = firm_series(model, "shelf_price"), firm_series(model, "mean_reference_price")
    focal = model.cfg.market.focal
    for j, name in enumerate(names):
        width, alpha = (1.6, 1.0) if name == focal else (0.8, 0.45)
        style = {"color": colours[name], "alpha": alpha}
        ax.step(days, shelf[:, j], where="mid", lw=width, label=f"{name} shelf", **style)
        ax.plot(days, ref[:, j], ls="--", lw=width, label=f"{name} reference", **style)
    if model.steps == 0:
        ax.set_ylim(0.9 * model.regular_prices.min(), 1.05 * model.regular_prices.max())
    ax.set_ylabel("price", fontsize=8)
    ax.legend(fontsize=7, ncols=len(names), loc="lower left")
    frame_days(ax, model)
    return fig


def active_customers(model: CustsimModel) -> Figure:
    """Customers still active in the category, and today's shoppers."""
    fig, (ax,) = new_figure("Active customers")
    days = days_so_far(model)
    market = model.recorder.market
    ax.plot(days, market["active_customers"][: model.steps], color="black", lw=1.4, label="active")
    ax.plot(days, market["occasions"][: model.steps], color="grey", lw=0.8, label="shoppers today")
    ax.set_ylim(0, model.cfg.population.size * 1.05)
    ax.set_ylabel("customers", fontsize=8)
    ax.legend(fontsize=7, loc="center right")
    frame_days(ax, model)
    return fig


def loyalty_points(model: CustsimModel) -> Figure:
    """The focal firm's points (or stamps) earned and redeemed per day, and outstanding."""
    fig, (ax,) = new_figure("Points earned and redeemed (firm A's programme)")
    names = tuple(s.name for s in model.specs)
    j = names.index(model.cfg.market.focal)
    days = days_so_far(model)
    earned = np.nan_to_num(firm_series(model, "points_earned")[:, j])
    redeemed = np.nan_to_num(firm_series(model, "points_redeemed")[:, j])
    empty = not earned.any() and not redeemed.any()
    if empty:
        note = "no points yet\n(the loyalty_points and stamp_card policies issue them)"
        ax.text(0.5, 0.6, note, ha="center", va="center", color="grey", transform=ax.transAxes)
    ax.plot(days, earned, color="#0072B2", lw=1, label="earned / day")
    ax.plot(days, redeemed, color="#D55E00", lw=1, label="redeemed / day")
    ax.set_ylabel("points / day", fontsize=8)
    outstanding = ax.twinx()
    held = np.nan_to_num(firm_series(model, "points_outstanding")[:, j])
    outstanding.plot(days, held, color="black", lw=0.8, ls=":", label="outstanding")
    outstanding.tick_params(labelsize=8)
    outstanding.set_ylabel("outstanding", fontsize=8)
    for axis in (ax, outstanding):
        axis.set_ylim(0, 1 if empty else None)
    lines = ax.get_lines() + outstanding.get_lines()
    ax.legend(lines, [line.get_label() for line in lines], fontsize=7, loc="upper left")
    frame_days(ax, model)
    return fig


SMOOTHING_DAYS = 7  # the chain chart's running mean of the day's buyers


def smoothed(values: NDArray[np.float64], days: int = SMOOTHING_DAYS) -> NDArray[np.float64]:
    """(t, J) trailing mean over the last `days` days, skipping NaN (NaN where all are)."""
    seen = ~np.isnan(values)
    total = np.cumsum(np.where(seen, values, 0.0), axis=0)
    count = np.cumsum(seen, axis=0)
    total[days:] -= total[:-days].copy()
    count[days:] -= count[:-days].copy()
    return np.divide(total, count, out=np.full(values.shape, np.nan), where=count > 0)


def losses_by_cause(model: CustsimModel) -> NDArray[np.int64]:
    """(C, J) each firm's losses so far by cause: switches away plus exits (events).

    From the chain's cause ledgers (`ChainState.switches[cause, from, to]` summed over
    `to`, and `ChainState.exits[cause, last brand]` without its never-bought column).
    """
    chain = model.state.chain
    return chain.switches.sum(axis=2) + chain.exits[:, : len(model.specs)]


def experience_chain(model: CustsimModel) -> Figure:
    """Per firm: its buyers' satisfaction and trust (smoothed), and its losses by cause so far.

    Left, from the chain's daily firm series (`custsim.sim.chain.CHAIN_SERIES`): the
    satisfaction S and trust T of the day's buyers of each brand, smoothed over
    `SMOOTHING_DAYS`. Right, each firm's losses so far (switches away to another brand
    and exits from the category, events rather than customers) stacked by the cause the
    ledger puts them down to (`custsim.agents.experience.CAUSES`), so a firm's own faults stand
    apart from plain taste.
    """
    fig = Figure(figsize=FIGSIZE, dpi=DPI)
    fig.subplots_adjust(left=0.11, right=0.98, top=0.9, bottom=0.14, hspace=0.12, wspace=0.32)
    grid = fig.add_gridspec(2, 2, width_ratios=(1.7, 1))
    sat_ax = fig.add_subplot(grid[0, 0])
    trust_ax = fig.add_subplot(grid[1, 0], sharex=sat_ax)
    lost_ax = fig.add_subplot(grid[:, 1])
    sat_ax.set_title("Satisfaction, trust and why customers go", fontsize=10, loc="left")
    names = tuple(s.name for s in model.specs)
    colours = firm_colors(names)
    days = days_so_far(model)
    satisfaction = smoothed(firm_series(model, "satisfaction"))
    trust = smoothed(firm_series(model, "trust"))
    for j, name in enumerate(names):
        sat_ax.plot(days, satisfaction[:, j], color=colours[name], lw=1, label=name)
        trust_ax.plot(days, trust[:, j], color=colours[name], lw=1)
    sat_ax.axhline(0.0, color="0.4", lw=0.6)
    sat_ax.set_ylim(min(-0.5, 1.2 * float(np.nanmin(satisfaction, initial=0.0))), 0.5)
    trust_ax.set_ylim(0, 1)
    sat_ax.set_ylabel("satisfaction", fontsize=8)
    trust_ax.set_ylabel("trust", fontsize=8)
    trust_ax.set_xlabel("day", fontsize=8)
    sat_ax.tick_params(labelbottom=False)
    sat_ax.legend(fontsize=7, ncols=len(names), loc="lower left")
    frame_days(trust_ax, model)
    lost = losses_by_cause(model)
    rows = np.arange(len(names))[::-1]  # the first firm on top
    left = np.zeros(len(names))
    for c, cause in enumerate(CAUSES):
        if lost[c].any():
            lost_ax.barh(rows, lost[c], left=left, color=CAUSE_COLORS[cause], label=cause)
            left += lost[c]
    lost_ax.set_yticks(rows, names)
    lost_ax.set_xlim(0, max(10.0, float(left.max(initial=0.0)) * 1.05))
    lost_ax.set_xlabel("switches away + exits", fontsize=8)
    if left.any():
        lost_ax.legend(fontsize=7, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=3,
                       frameon=False, handlelength=1, columnspacing=0.8)  # fmt: skip
    for ax in (sat_ax, trust_ax, lost_ax):
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.25)
    return fig


def network(model: DashboardModel) -> Figure:
    """The sampled social network, customers coloured by the brand they bought last."""
    view = model.network_view
    shown = f"{len(view.nodes)} of {model.cfg.population.size}"
    fig, (ax,) = new_figure(f"Network ({model.cfg.network.kind}): {shown} customers")
    fig.subplots_adjust(left=0.02, right=0.8, bottom=0.02)
    names = tuple(s.name for s in model.specs)
    state = model.state
    draw_network(ax, view, state.last_brand, state.active, names, firm_colors(names))
    return fig


def to_png(fig: Figure) -> bytes:
    """The figure as PNG bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, facecolor="white")
    return buffer.getvalue()


def chart_png(model: DashboardModel, name: str) -> bytes:
    """Chart `name` of today as PNG, drawn at most once a day (kept in `model.drawn`)."""
    day, png = model.drawn.get(name, (-1, b""))
    if day != model.steps:
        png = to_png(ALL_CHARTS[name](model))
        model.drawn[name] = (model.steps, png)
    return png


CHARTS = {
    "sales": sales_share,
    "prices": price_reference,
    "active": active_customers,
    "points": loyalty_points,
    "network": network,
}
#: the charts drawn only when the run has what they show
CHAIN_CHARTS = {"chain": experience_chain}
ALL_CHARTS = {**CHARTS, **CHAIN_CHARTS}


def shown_charts(model: CustsimModel) -> tuple[str, ...]:
    """The charts for this run, in page order: `CHARTS`, and the chain's after sales when on."""
    names = list(CHARTS)
    if has_chain(model):
        names[names.index("sales") + 1 : names.index("sales") + 1] = list(CHAIN_CHARTS)
    return tuple(names)
