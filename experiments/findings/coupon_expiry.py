"""Finding 7: redemptions of a time-limited offer peak at the drop and again just before expiry.

Published (Inman & McAlister 1994): coupon redemptions do not simply decline
after the drop; the expiration date brings a second mode just before it
(weekly redemptions of spaghetti-sauce coupons, A.C. Nielsen panels, explained
by anticipated regret at letting the coupon lapse).

custsim: a running offer adds u_i * (exp(-t / tau_n) + 1 / (1 + D)) to the
offer's utility and prompts extra shopping trips at the same strength
(`custsim.agents.urgency.offer_pull`): novelty fades over the first days, and the
countdown term grows as the D days left run out, but only when the countdown is
shown (`policy.countdown`; hidden in the control arm, where D is unknown).

Analysis: the focal firm's daily units during the offer (all sold at the offer
price: the redemptions), as an index over the middle third of the offer, per
seed; the first and last `edge_days` days are the drop and expiry peaks.
Params (`finding.params`): `hidden`, the control arm's overrides; `edge_days`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from custsim.experiments.findings.framework import Check, Experiment, FindingResult, estimate
from custsim.experiments.plots import PALETTE, closing_figure, save_png
from custsim.sim.runner import RunResult

NUMBER = 7
TITLE = "Coupon expiry: redemptions peak at the drop and just before expiry"
CITATION = (
    "Inman, J. J. & McAlister, L. (1994). Do coupon expiration dates affect consumer "
    "behavior? Journal of Marketing Research 31(3), 423-428."
)
ARMS = ("countdown", "hidden")
CONTEXT_DAYS = 7  # days shown before and after the offer


def focal_units(run: RunResult) -> pd.Series:
    """The focal firm's units per day (index: day)."""
    ts = run.timeseries
    return ts[ts["firm"] == run.model.cfg.market.focal].set_index("day")["units"]


def redemption_index(units: pd.Series, start: int, duration: int) -> pd.Series:
    """Units by day of the offer (0 = the drop), over the mean of the offer's middle third."""
    days = np.arange(start - CONTEXT_DAYS, start + duration + CONTEXT_DAYS)
    offer_day = days - start
    middle = (offer_day >= duration // 3) & (offer_day < duration - duration // 3)
    level = units.reindex(days).to_numpy(dtype=float)
    return pd.Series(level / level[middle].mean(), index=offer_day)


def peaks(index: pd.Series, duration: int, edge: int) -> tuple[float, float]:
    """(drop peak, expiry peak): the mean index over the first and the last `edge` offer days."""
    return float(index.loc[0 : edge - 1].mean()), float(
        index.loc[duration - edge : duration - 1].mean()
    )


def index_table(runs: dict[str, list[pd.Series]]) -> pd.DataFrame:
    """Mean redemption index and its 95% CI across seeds, per arm and day of the offer."""
    rows = []
    for arm, seeds in runs.items():
        for day, values in pd.concat(seeds, axis=1).iterrows():
            mean, low, high = estimate(values)
            rows.append(
                {"arm": arm, "offer_day": day, "index": mean, "ci_low": low, "ci_high": high}
            )
    return pd.DataFrame(rows)


def checks(runs: dict[str, list[pd.Series]], duration: int, edge: int) -> list[Check]:
    """The drop peak, the expiry peak with the countdown shown, and what hiding it changes."""
    shown = [peaks(i, duration, edge) for i in runs["countdown"]]
    hidden = [peaks(i, duration, edge) for i in runs["hidden"]]
    drop = estimate([d for d, _ in shown])
    expiry = estimate([e for _, e in shown])
    shrink = estimate([s[1] - h[1] for s, h in zip(shown, hidden, strict=True)])
    return [
        Check(
            f"redemptions, first {edge} days / middle of the offer (drop peak)",
            "> 1: redemptions are greatest right after the drop (Inman & McAlister 1994)",
            *drop,
            "above 1.2, CI above 1",
            drop[0] > 1.2 and drop[1] > 1.0,
        ),
        Check(
            f"redemptions, last {edge} days / middle of the offer (expiry peak, countdown shown)",
            "> 1: a second mode just before expiry (Inman & McAlister 1994)",
            *expiry,
            "above 1.1, CI above 1",
            expiry[0] > 1.1 and expiry[1] > 1.0,
        ),
        Check(
            "expiry peak: countdown shown - countdown hidden",
            "> 0: the end peak comes from the visible deadline (regret theory)",
            *shrink,
            "above 0.1, CI above 0",
            shrink[0] > 0.1 and shrink[1] > 0.0,
        ),
    ]


def run(experiment: Experiment) -> FindingResult:
    """Simulate the offer with the countdown shown and hidden; compare daily redemptions."""
    shown_cfg = experiment.config()
    params = shown_cfg.finding.params
    hidden_cfg = experiment.config(*params["hidden"])
    start, duration, edge = shown_cfg.policy.start, shown_cfg.policy.duration, params["edge_days"]
    units = experiment.run(
        [*experiment.seeds(shown_cfg), *experiment.seeds(hidden_cfg)], focal_units
    )
    index = [redemption_index(u, start, duration) for u in units]
    n = shown_cfg.finding.seeds
    runs = {"countdown": index[:n], "hidden": index[n:]}
    table = index_table(runs)
    return FindingResult(
        name="coupon_expiry",
        title=TITLE,
        citation=CITATION,
        checks=checks(runs, duration, int(edge)),
        table=table,
        plot=lambda path: plot(table, duration, path),
        notes=[
            f"{shown_cfg.population.size} customers, {n} seeds per arm; "
            f"{shown_cfg.policy.depth:.0%} off for {duration} days from day {start}",
        ],
    )


def plot(table: pd.DataFrame, duration: int, path: Path) -> Path:
    """Daily redemptions over the offer (index of mid-offer sales), countdown shown vs hidden."""
    colors = {"countdown": PALETTE[0], "hidden": PALETTE[1]}
    labels = {"countdown": "countdown shown", "hidden": "countdown hidden (control)"}
    with closing_figure(figsize=(9, 5.2)) as (fig, ax):
        ax.axvspan(-0.5, duration - 0.5, color="0.85", alpha=0.5, lw=0, label="offer running")
        ax.axhline(1.0, color="0.4", lw=1, ls="--")
        for arm in ARMS:
            rows = table[table["arm"] == arm]
            ax.fill_between(
                rows["offer_day"], rows["ci_low"], rows["ci_high"], color=colors[arm], alpha=0.2
            )
            ax.plot(
                rows["offer_day"],
                rows["index"],
                "o-",
                ms=4,
                lw=2.2,
                color=colors[arm],
                label=labels[arm],
            )
        shown = table[table["arm"] == "countdown"].set_index("offer_day")["index"]
        for day, text, side in (
            (0, "drop: novelty", "left"),
            (duration - 1, "expiry: deadline", "right"),
        ):
            ax.annotate(text, (day, shown[day]), xytext=(10 if side == "left" else -10, 6),
                        textcoords="offset points", ha=side, fontweight="bold")  # fmt: skip
        ax.set_xlabel("day of the offer (0: the drop)")
        ax.set_ylabel("units sold / mid-offer level")
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        ax.spines[["top", "right"]].set_visible(False)
        ax.legend(frameon=False, loc="lower center")
        ax.set_title(
            "Coupon expiry: redemptions peak at the drop and again before the deadline,\n"
            "if customers can see it coming (Inman & McAlister 1994)",
            fontweight="bold",
        )
        return save_png(fig, path)
