"""The calibration report's figures: tracking, frequency, conditional expectations, spend, trials.

Styled as the run's figures (`custsim.experiments.plots`): the log in black, custsim in
the palette's first colour, BG/NBD dashed in its second; a dotted line marks the end of
the calibration period. The tracking and conditional-expectation plots are those of
Fader, Hardie & Lee (2005a, figures 3-5). Each function writes one PNG and returns it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from custsim.experiments.plots import _STYLE, PALETTE, closing_figure, save_png

ACTUAL = "black"
CUSTSIM, BGNBD = PALETTE[0], PALETTE[1]


def _until_line(ax, until_week: float) -> None:
    ax.axvline(until_week + 0.5, color="grey", linestyle=":", linewidth=1.2)
    top = ax.get_ylim()[1]
    ax.text(until_week + 0.5, top, " holdout", va="top", ha="left", fontsize=8, color="grey")
    ax.text(until_week + 0.5, top, "calibration ", va="top", ha="right", fontsize=8, color="grey")


def tracking_figure(
    fig: Figure,
    ax,
    weeks: np.ndarray,
    actual: np.ndarray,
    custsim: np.ndarray,
    bgnbd: np.ndarray,
    until_week: int,
    cumulative: bool,
) -> None:
    """Draw weekly or cumulative repeat transactions of the three sources on `ax`.

    `weeks` numbered from 1; the dotted line is drawn at `until_week + 0.5`, between
    the calibration period's last week and the holdout's first.
    """
    series = [(actual, "actual", ACTUAL, "-"), (custsim, "custsim", CUSTSIM, "-")]
    series.append((bgnbd, "BG/NBD", BGNBD, "--"))
    for values, label, color, style in series:
        y = np.cumsum(values) if cumulative else values
        ax.plot(weeks, y, color=color, linestyle=style, linewidth=1.4, label=label)
    ax.set_xlabel("week")
    ax.set_ylabel("cumulative repeat transactions" if cumulative else "repeat transactions")
    ax.set_ylim(bottom=0)
    _until_line(ax, until_week)
    ax.legend(loc="upper left" if cumulative else "upper right", frameon=False)


def plot_tracking_pair(
    path: Path,
    weeks: np.ndarray,
    actual: np.ndarray,
    custsim: np.ndarray,
    bgnbd: np.ndarray,
    until_week: int,
) -> Path:
    """Weekly (left) and cumulative (right) repeat transactions: actual, custsim, BG/NBD."""
    with plt.rc_context(_STYLE), closing_figure(ncols=2, figsize=(11, 4)) as (fig, axes):
        for ax, cumulative in zip(axes, (False, True), strict=True):
            tracking_figure(fig, ax, weeks, actual, custsim, bgnbd, until_week, cumulative)
        axes[0].set_title("Weekly repeat transactions")
        axes[1].set_title("Cumulative repeat transactions")
        return save_png(fig, path)


def _grouped_bars(ax, labels: Sequence[str], columns: list[tuple[np.ndarray, str, str]]) -> None:
    x = np.arange(len(labels))
    width = 0.8 / len(columns)
    for k, (values, label, color) in enumerate(columns):
        ax.bar(x + (k - (len(columns) - 1) / 2) * width, values, width, label=label, color=color)
    ax.set_xticks(x, labels)


def plot_frequency(
    path: Path,
    labels: Sequence[str],
    actual: np.ndarray,
    simulated: np.ndarray,
    bgnbd: np.ndarray | None = None,
) -> Path:
    """Customers by calibration-period repeat transactions 0..7+ (FHL 2005a figure 2)."""
    columns = [(actual, "actual", ACTUAL), (simulated, "custsim", CUSTSIM)]
    if bgnbd is not None:
        columns.append((bgnbd, "BG/NBD", BGNBD))
    with plt.rc_context(_STYLE), closing_figure(figsize=(7, 4)) as (fig, ax):
        _grouped_bars(ax, labels, columns)
        ax.set_xlabel("repeat transactions in the calibration period")
        ax.set_ylabel("customers")
        ax.set_title("Calibration-period frequency")
        ax.legend(frameon=False)
        return save_png(fig, path)


def plot_conditional(
    path: Path,
    labels: Sequence[str],
    actual: np.ndarray,
    custsim: np.ndarray,
    bgnbd: np.ndarray,
) -> Path:
    """Mean holdout repeat transactions by calibration frequency (FHL 2005a figure 5)."""
    x = np.arange(len(labels))
    with plt.rc_context(_STYLE), closing_figure(figsize=(7, 4)) as (fig, ax):
        ax.plot(x, actual, color=ACTUAL, marker="o", label="actual")
        ax.plot(x, custsim, color=CUSTSIM, marker="s", label="custsim")
        ax.plot(x, bgnbd, color=BGNBD, marker="^", linestyle="--", label="BG/NBD")
        ax.set_xticks(x, labels)
        ax.set_xlabel("repeat transactions in the calibration period")
        ax.set_ylabel("mean repeat transactions in the holdout")
        ax.set_title("Conditional expectations")
        ax.legend(frameon=False)
        return save_png(fig, path)


def plot_spend(path: Path, actual: np.ndarray, simulated: np.ndarray) -> Path:
    """Spend per repeat transaction, actual vs simulated, on a common log grid (means marked).

    A source without a positive amount is left out (NaN amounts are ignored); with
    neither, the figure says so.
    """
    a, s = np.asarray(actual, float), np.asarray(simulated, float)
    positive = np.concatenate([a[a > 0], s[s > 0]])
    with plt.rc_context(_STYLE), closing_figure(figsize=(7, 4)) as (fig, ax):
        if positive.size:
            bins = np.geomspace(positive.min(), positive.max() * 1.001, 40)
            for values, label, color in ((a, "actual", ACTUAL), (s, "custsim", CUSTSIM)):
                if (values > 0).any():
                    mean = np.nanmean(values)
                    ax.hist(
                        values[values > 0],
                        bins=bins,
                        histtype="step",
                        density=True,
                        color=color,
                        linewidth=1.4,
                        label=f"{label} (mean {mean:,.2f})",
                    )
                    ax.axvline(mean, color=color, linestyle=":", linewidth=1)
            ax.set_xscale("log")
        ax.set_xlabel("spend per repeat transaction")
        ax.set_ylabel("density")
        ax.set_title("Spend per transaction")
        if positive.size:
            ax.legend(frameon=False)
        else:
            ax.text(0.5, 0.5, "no repeat transactions", transform=ax.transAxes, ha="center")
        return save_png(fig, path)


def plot_fit_trace(path: Path, objective: np.ndarray, best_so_far: np.ndarray) -> Path:
    """Stage 2's distance Q by trial and the best so far (log scale)."""
    trials = np.arange(len(objective))
    with plt.rc_context(_STYLE), closing_figure(figsize=(7, 4)) as (fig, ax):
        ax.scatter(trials, objective, s=10, color=CUSTSIM, alpha=0.6, label="trial")
        ax.plot(trials, best_so_far, color=ACTUAL, linewidth=1.4, label="best so far")
        ax.axhline(1.0, color="grey", linestyle=":", linewidth=1, label="sampling noise (Q = 1)")
        ax.set_yscale("log")
        ax.set_xlabel("trial")
        ax.set_ylabel("distance Q")
        ax.set_title("Stage 2: simulated method of moments")
        ax.legend(frameon=False)
        return save_png(fig, path)
