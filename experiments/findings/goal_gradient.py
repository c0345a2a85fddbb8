"""Finding 5: stamp-card members buy faster as the reward nears, and slow down after it.

Published (Kivetz, Urminsky & Zheng 2006, Study 1): on the redeemed cards of a
café's "buy 10 coffees, get one free" programme the inter-purchase time fell by
0.7 days, 20%, from the first to the last stamp (t = 2.6); after the free coffee
it jumped back up (post-reward resetting); control customers carrying a card that
led to no reward did not accelerate (they slowed down).

custsim: with visible progress g = stamps / slots, a member shops more often and,
on each trip, buying towards the reward pulls with gamma_i * g * b_i * m_i * R
(`custsim.agents.loyalty.goal_pull`). With progress hidden (`policy.progress_visible:
false`, the control arm) neither term acts.

Analysis (as in the paper): every purchase is logged; for each first card
completed at least `margin_days` before the end, the days from each stamp to
the next purchase at the firm, averaged per stamp position over the customers,
per seed. Params (`finding.params`): `hidden`, the control arm's overrides;
`margin_days`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from custsim.experiments.findings.framework import Check, Experiment, FindingResult, estimate
from custsim.experiments.plots import PALETTE, closing_figure, save_png
from custsim.sim.purchases import card_purchases, first_card_gaps
from custsim.sim.runner import RunResult

NUMBER = 5
TITLE = "Goal gradient: stamp-card purchases accelerate towards the reward"
CITATION = (
    "Kivetz, R., Urminsky, O. & Zheng, Y. (2006). The goal-gradient hypothesis resurrected: "
    "purchase acceleration, illusionary goal progress, and customer retention. "
    "Journal of Marketing Research 43(1), 39-58."
)
ARMS = ("visible", "hidden")


def gaps_by_stamp(run: RunResult) -> pd.Series:
    """Mean days from each stamp to the next purchase on completed first cards (index: stamp)."""
    model = run.model
    firm = [s.name for s in model.specs].index(model.cfg.market.focal)
    slots = int(model.offers.loyalty[firm].threshold)
    cards = card_purchases(model.purchase_log.frame(), firm, slots)
    margin = int(model.cfg.finding.params["margin_days"])
    gaps = first_card_gaps(cards, model.cfg.steps - margin)
    return gaps.groupby("stamp")["gap"].mean().reindex(range(1, slots + 1))


def acceleration(gaps: pd.Series) -> float:
    """1 - IPT(last stamp) / IPT(first stamp): the share by which buying sped up."""
    return 1.0 - gaps.iloc[-2] / gaps.iloc[0]


def reset(gaps: pd.Series) -> float:
    """IPT after the reward / IPT at the last stamp."""
    return gaps.iloc[-1] / gaps.iloc[-2]


def stamp_table(runs: dict[str, list[pd.Series]]) -> pd.DataFrame:
    """Mean inter-purchase time and 95% CI across seeds, per arm and stamp position."""
    rows = []
    for arm, seeds in runs.items():
        frame = pd.concat(seeds, axis=1)
        for stamp, values in frame.iterrows():
            mean, low, high = estimate(values.dropna())
            rows.append(
                {"arm": arm, "stamp": stamp, "ipt_days": mean, "ci_low": low, "ci_high": high}
            )
    return pd.DataFrame(rows)


def checks(runs: dict[str, list[pd.Series]]) -> list[Check]:
    """Acceleration with visible and hidden progress; the post-reward reset against the control."""
    visible = estimate([acceleration(g) for g in runs["visible"]])
    hidden = estimate([acceleration(g) for g in runs["hidden"]])
    paired = [reset(v) / reset(h) for v, h in zip(runs["visible"], runs["hidden"], strict=True)]
    relative_reset = estimate(paired)
    return [
        Check(
            "inter-purchase time, first to last stamp: reduction (progress visible)",
            "0.20 (Kivetz et al. 2006, Study 1: 0.7 days, t = 2.6)",
            *visible,
            "between 0.10 and 0.35 (about the published 95% CI), CI above 0",
            0.10 <= visible[0] <= 0.35 and visible[1] > 0,
        ),
        Check(
            "inter-purchase time, first to last stamp: reduction (progress hidden)",
            "no acceleration without a visible goal (the paper's control cards slowed down)",
            *hidden,
            "at most 0.05",
            hidden[0] <= 0.05,
        ),
        Check(
            "post-reward / last-stamp inter-purchase time, visible over hidden",
            "> 1: purchases slow down again after the reward (post-reward resetting)",
            *relative_reset,
            "above 1.1, CI above 1",
            relative_reset[0] > 1.1 and relative_reset[1] > 1.0,
        ),
    ]


def run(experiment: Experiment) -> FindingResult:
    """Simulate both arms over the seeds, then compare inter-purchase times by stamp."""
    visible_cfg = experiment.config()
    hidden_cfg = experiment.config(*visible_cfg.finding.params["hidden"])
    cfgs = [*experiment.seeds(visible_cfg), *experiment.seeds(hidden_cfg)]
    gaps = experiment.run(cfgs, gaps_by_stamp)
    n = visible_cfg.finding.seeds
    runs = {"visible": gaps[:n], "hidden": gaps[n:]}
    table = stamp_table(runs)
    reduction = float(np.mean([acceleration(g) for g in runs["visible"]]))
    return FindingResult(
        name="goal_gradient",
        title=TITLE,
        citation=CITATION,
        checks=checks(runs),
        table=table,
        plot=lambda path: plot(table, reduction, path),
        notes=[
            f"{visible_cfg.population.size} customers, {visible_cfg.steps} days, {n} seeds per "
            "arm; buy 10, get one free; first cards completed at least "
            f"{visible_cfg.finding.params['margin_days']} days before the end",
        ],
    )


def plot(table: pd.DataFrame, reduction: float, path: Path) -> Path:
    """Days to the next purchase by stamp, visible vs hidden progress, with the post-reward gap."""
    colors = {"visible": PALETTE[0], "hidden": PALETTE[1]}
    labels = {"visible": "progress visible", "hidden": "progress hidden (control)"}
    with closing_figure(figsize=(9, 5.2)) as (fig, ax):
        for arm in ARMS:
            _plot_arm(ax, table[table["arm"] == arm], colors[arm], labels[arm])
        slots = int(table["stamp"].max())
        ticks = [f"{k}\u2192{k + 1}" for k in range(1, slots)] + ["after\nreward"]
        ax.set_xticks(range(1, slots + 1), ticks)
        ax.set_xlabel("stamps on the card (purchase k to k + 1)")
        ax.set_ylabel("days to the next purchase")
        ax.grid(alpha=0.3)
        ax.spines[["top", "right"]].set_visible(False)
        ax.legend(frameon=False, loc="upper left")
        ax.set_title(
            f"Goal gradient: buying speeds up {reduction:.0%} towards the free coffee, "
            "then resets\n(Kivetz, Urminsky & Zheng 2006: 20%)",
            fontweight="bold",
        )
        return save_png(fig, path)


def _plot_arm(ax: Axes, rows: pd.DataFrame, color: str, label: str) -> None:
    """One arm: the card's gaps with their CI band, then the post-reward gap as a hollow marker."""
    card, after = rows.iloc[:-1], rows.iloc[-1]
    ax.fill_between(card["stamp"], card["ci_low"], card["ci_high"], color=color, alpha=0.2)
    ax.plot(card["stamp"], card["ipt_days"], "o-", lw=2.4, color=color, label=label)
    last = card.iloc[-1]
    ax.plot(
        [last["stamp"], after["stamp"]], [last["ipt_days"], after["ipt_days"]], ":", color=color
    )
    err = [[after["ipt_days"] - after["ci_low"]], [after["ci_high"] - after["ipt_days"]]]
    ax.errorbar(after["stamp"], after["ipt_days"], yerr=err, fmt="D", ms=8, mfc="white",
                color=color, capsize=4)  # fmt: skip
