"""`custsim-crm`'s figures: one PNG each, in the project's plot style (`experiments.plots`).

* `rfm_heatmap.png`: customers by R score (rows) and F score (columns), coloured by
  the cell's share of the firm's spend, with the four named classes' shares of
  customers and of spend beside it;
* `pareto.png`: the Pareto curve of spend with the A/B/C tiers and the share of
  customers making 80% of it;
* `gains.png`: cumulative gains of each early-warning score against true churn;
* `clv.png`: predicted vs realised spend over the rest of the run, by decile of the
  prediction (drawn only when the as-of day has a future);
* `lifecycle.png`: customers per lifecycle stage at each checkpoint day.

Each function reads frames of a `custsim.experiments.crm.job.CRMReport` and writes one file.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import PercentFormatter

from custsim.experiments.plots import _STYLE, PALETTE, closing_figure, save_png

if TYPE_CHECKING:
    from custsim.experiments.crm.report import CRMReport

GREY = "#999999"


def draw_all(report: CRMReport, out: Path) -> list[Path]:
    """Every figure of the report into `out` (created if missing).

    Returns:
        The paths written, in the module doc's order.

    """
    out.mkdir(parents=True, exist_ok=True)
    with plt.rc_context(_STYLE):
        paths = [
            rfm_heatmap(report, out / "rfm_heatmap.png"),
            pareto(report, out / "pareto.png"),
            gains(report, out / "gains.png"),
        ]
        if report.has_future:
            paths.append(clv(report, out / "clv.png"))
        paths.append(lifecycle(report, out / "lifecycle.png"))
    return paths


def _title(report: CRMReport, what: str) -> str:
    return f"{what}: firm {report.firm}, day {report.as_of} of {report.steps}"


def rfm_heatmap(report: CRMReport, path: Path) -> Path:
    """R x F grid coloured by share of spend (counts printed), and the four classes' shares."""
    per = report.rfm
    total = per["monetary"].sum() or 1.0
    grid = per.pivot_table(
        index="r", columns="f", values="monetary", aggfunc="sum", fill_value=0.0
    ).reindex(index=range(5, 0, -1), columns=range(1, 6), fill_value=0.0)
    count = (
        per.groupby(["r", "f"])
        .size()
        .unstack(fill_value=0)
        .reindex(index=range(5, 0, -1), columns=range(1, 6), fill_value=0)
    )
    share = grid / total
    with closing_figure(ncols=2, figsize=(12, 4.8), width_ratios=(1.1, 1)) as (fig, (ax, bx)):
        im = ax.imshow(share.to_numpy(), cmap="Blues", vmin=0.0)
        for (i, j), v in np.ndenumerate(share.to_numpy()):
            dark = v > 0.6 * share.to_numpy().max()
            ax.text(
                j,
                i,
                f"{v:.0%}\n{count.iloc[i, j]:,}",
                ha="center",
                va="center",
                fontsize=9,
                color="white" if dark else "black",
            )
        ax.set_xticks(range(5), [str(c) for c in range(1, 6)])
        ax.set_yticks(range(5), [str(r) for r in range(5, 0, -1)])
        ax.set_xlabel("frequency score F (5 = most purchases)")
        ax.set_ylabel("recency score R (5 = most recent)")
        ax.set_title("share of spend (and customers) per R x F cell")
        ax.grid(False)
        fig.colorbar(im, ax=ax, format=PercentFormatter(1.0), shrink=0.8)
        seg = report.segments[report.segments["scheme"] == "four"]
        y = np.arange(len(seg))
        bx.barh(y - 0.2, seg["share_customers"], 0.4, color=PALETTE[4], label="customers")
        bx.barh(y + 0.2, seg["share_spend"], 0.4, color=PALETTE[0], label="spend")
        labels = [
            c.replace("_", " ") + (f"\ntrue churn {ch:.0%}" if np.isfinite(ch) else "")
            for c, ch in zip(seg["class"], seg["true_churn_rate"], strict=True)
        ]
        bx.set_yticks(y, labels)
        bx.invert_yaxis()
        bx.xaxis.set_major_formatter(PercentFormatter(1.0))
        bx.set_title("RFM classes: share of customers and of spend")
        bx.legend(loc="lower right", bbox_to_anchor=(1.0, 0.02))
        fig.suptitle(_title(report, "RFM"))
        return save_png(fig, path)


def pareto(report: CRMReport, path: Path) -> Path:
    """Cumulative share of spend vs share of customers, best first, with the ABC tiers."""
    curve = report.pareto
    tiers = report.abc
    with closing_figure(figsize=(7, 5)) as (fig, ax):
        ax.plot(curve["share_customers"], curve["share_spend"], color=PALETTE[0], lw=2)
        ax.plot([0, 1], [0, 1], color=GREY, ls="--", lw=1, label="equal value")
        left = 0.0
        for (_, row), colour in zip(tiers.iterrows(), PALETTE[4:7], strict=False):
            right = left + row["share_customers"]
            ax.axvspan(left, right, color=colour, alpha=0.15)
            label = (
                f"{row['tier']}\n{row['share_customers']:.0%} cust.\n{row['share_spend']:.0%} spend"
            )
            ax.text((left + right) / 2, 0.05, label, ha="center", fontsize=9)
            left = right
        s80 = report.numbers["share_for_80"]
        ax.plot([s80, s80, 0], [0, 0.8, 0.8], color=PALETTE[5], lw=1, ls=":")
        ax.annotate(
            f"{s80:.0%} of customers make 80% of spend",
            (s80, 0.8),
            xytext=(0.02, 0.84),
            fontsize=10,
            color=PALETTE[5],
        )
        ax.xaxis.set_major_formatter(PercentFormatter(1.0))
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        ax.set_xlabel("share of customers (highest spend first)")
        ax.set_ylabel("share of spend")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1.02)
        ax.set_title(_title(report, f"Pareto curve (Gini {report.numbers['gini']:.2f})"))
        return save_png(fig, path)


def gains(report: CRMReport, path: Path) -> Path:
    """Share of true churners caught vs share of customers contacted, per warning score."""
    with closing_figure(figsize=(7, 5)) as (fig, ax):
        auc = report.warning.set_index("method")["auc"]
        for colour, (name, table) in zip(
            PALETTE, report.gains.groupby("method", sort=False), strict=False
        ):
            x = np.r_[0.0, table["cum_share_customers"]]
            y = np.r_[0.0, table["cum_gain"]]
            ax.plot(x, y, marker="o", ms=3, color=colour, label=f"{name} (AUC {auc[name]:.2f})")
        ax.plot([0, 1], [0, 1], color=GREY, ls="--", lw=1, label="random")
        ax.xaxis.set_major_formatter(PercentFormatter(1.0))
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        ax.set_xlabel("share of customers contacted (highest risk first)")
        ax.set_ylabel("share of true churners caught")
        ax.legend(loc="lower right")
        ax.set_title(_title(report, "Early warning gains"))
        return save_png(fig, path)


def clv(report: CRMReport, path: Path) -> Path:
    """Mean predicted vs realised future spend per decile of the BG/NBD + Gamma-Gamma prediction."""
    frame = report.clv
    rank = frame["predicted_spend"].rank(method="first")
    decile = np.ceil(rank / len(frame) * 10).clip(1, 10).astype(int)
    by = frame.groupby(decile)[["predicted_spend", "realised_spend", "naive_spend"]].mean()
    x = by.index.to_numpy()
    with closing_figure(figsize=(8, 5)) as (fig, ax):
        ax.bar(
            x - 0.2, by["predicted_spend"], 0.4, color=PALETTE[0], label="predicted (BG/NBD x GG)"
        )
        ax.bar(x + 0.2, by["realised_spend"], 0.4, color=PALETTE[1], label="realised")
        ax.plot(x, by["naive_spend"], color=GREY, marker="o", ls="--", label="naive (past rate)")
        ax.set_xticks(x)
        ax.set_xlabel("decile of predicted spend (1 = lowest)")
        ax.set_ylabel(f"mean spend per customer, days {report.as_of + 1}-{report.steps}")
        ax.legend(loc="upper left")
        n = report.numbers
        ax.set_title(_title(report, f"Predicted vs realised spend (MAE {n['mae_spend']:.2f})"))
        return save_png(fig, path)


def lifecycle(report: CRMReport, path: Path) -> Path:
    """Stacked customers per lifecycle stage at each checkpoint day."""
    sizes = report.stage_sizes.set_index("day")
    with closing_figure(figsize=(8, 5)) as (fig, ax):
        colours = [PALETTE[4], PALETTE[2], PALETTE[0], PALETTE[1], PALETTE[5]]
        ax.stackplot(
            sizes.index, sizes.T.to_numpy(), labels=list(sizes.columns), colors=colours, alpha=0.85
        )
        ax.set_xlabel("day")
        ax.set_ylabel("customers")
        ax.legend(loc="upper left", ncols=len(sizes.columns), fontsize=9)
        ax.set_ylim(0, sizes.sum(axis=1).max() * 1.15)
        ax.set_title(_title(report, "Lifecycle stages over time"))
        return save_png(fig, path)
