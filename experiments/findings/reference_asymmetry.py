"""Finding 1: reference-price asymmetry. A price rise loses more than an equal cut gains.

Published: consumers respond more strongly to price increases above their
reference price than to equal decreases below it (Kalyanaram & Winer 1995,
"Empirical generalizations from reference price research", *Marketing Science*
14(3), G161-G169); Putler (1992, *Marketing Science* 11(3), 287-309) measured
responses to increases about 2.5 times those to decreases.

Mechanism: on the day of a permanent step of +-x in the focal firm's price,
customers' reference prices r still sit at the old price P. The rise is felt
as a loss, b eta v(-(xP - L r)) with v(-y) = -lambda y^beta, the cut as a gain
b eta (xP - L r)^alpha (`custsim.agents.prospect`, `custsim.agents.reference_price`); with
lambda > 1 and alpha = beta the loss looms larger. References adapt,
r <- (1 - theta) r + theta p on every trip, so the asymmetry is short-run.

Measure: purchases of the focal brand in the first `window` days from the
change, against the same seed without the change (common random numbers):

    lost = -ln(q_rise / q_0),   gained = ln(q_cut / q_0),   ratio = lost / gained.

Log points make equal proportional responses equal (a logit with no loss
aversion, linear in price, gives ratio = 1 for small steps); percentage changes
would not (-30% and +43% are the same log change). Purchases (occasions on
which the brand is chosen) are the brand-choice response of the choice-model
literature; units add the stockpiling a cut below the reference triggers
(`custsim.agents.inventory`), reported alongside. The check is repeated with lambda = 1
in every segment, where the asymmetry must vanish.

Params (`finding.params`): change (fraction, default 0.10), day (first day of
the new price), window (days measured).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from custsim.experiments.findings import arms
from custsim.experiments.findings.framework import Check, Experiment, FindingResult, estimate
from custsim.policies.price_change import PriceChangeConfig
from custsim.sim.config import CustsimConfig

NUMBER = 1
TITLE = "Reference-price asymmetry"
CITATION = (
    "Kalyanaram & Winer (1995), Marketing Science 14(3), G161-G169; "
    "Putler (1992), Marketing Science 11(3), 287-309"
)
ARMS = ("baseline", "rise", "cut")
SETTINGS = {"default": "loss aversion at defaults", "lambda_1": "loss aversion off (lambda = 1)"}
MEASURES = {"buyers": "purchases", "units": "units"}
SYMMETRY_BAND = (0.9, 1.1)  # "vanishes": the ratio within 10% of symmetry
# At the fast-test size (10,000 customers, 12 seeds) the lambda = 1 CI is about +-0.05 and
# one seed in twenty or so is an outlier (0.7), so the CI ends near 0.9 or 1.1 on some seeds:
# the +-10% band is checked at full size, +-20% at the fast size (still rejecting 1.3).
FAST_SYMMETRY_BAND = (0.8, 1.2)
LEAD_DAYS = 7  # days before the change shown in the figure


@dataclass(frozen=True)
class Params:
    """The analysis's knobs (`finding.params`)."""

    change: float = 0.10
    day: int = 15
    window: int = 14


def simulate_arms(
    experiment: Experiment, base: CustsimConfig, p: Params
) -> dict[tuple[str, str], np.ndarray]:
    """Daily focal series per (setting, arm): arrays (seeds, len(arms.DAILY), steps).

    `base` is the experiment's config with the focal firm on its everyday price;
    the rise and the cut replace its policy by `PriceChange` (no second compose).
    """
    base = replace(base, steps=p.day + p.window - 1)
    configs = {
        ("default", "baseline"): base,
        ("default", "rise"): replace(base, policy=PriceChangeConfig(change=p.change, day=p.day)),
        ("default", "cut"): replace(base, policy=PriceChangeConfig(change=-p.change, day=p.day)),
    }
    for arm in ARMS:
        configs["lambda_1", arm] = arms.with_trait(configs["default", arm], "loss_aversion", 1.0)
    keys = list(configs)
    runs = [experiment.seeds(configs[k]) for k in keys]
    flat = experiment.run([c for r in runs for c in r], arms.focal_daily)
    n = len(runs[0])
    return {k: np.stack(flat[i * n : (i + 1) * n]) for i, k in enumerate(keys)}


def responses(
    series: dict[tuple[str, str], np.ndarray], p: Params, setting: str, measure: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per seed: sales lost to the rise, gained by the cut (log points), and their ratio."""
    total = {
        arm: arms.window_sum(arms.row(series[setting, arm], measure), p.day, p.window)
        for arm in ARMS
    }
    lost = -arms.log_response(total["rise"], total["baseline"])
    gained = arms.log_response(total["cut"], total["baseline"])
    return lost, gained, lost / gained


def summary_table(series: dict[tuple[str, str], np.ndarray], p: Params) -> pd.DataFrame:
    """One row per (setting, measure): mean loss, gain and the ratio with its 95% CI."""
    rows = []
    for setting in SETTINGS:
        for measure in MEASURES:
            lost, gained, ratio = responses(series, p, setting, measure)
            mean, low, high = estimate(ratio)
            rows.append(
                {
                    "setting": setting,
                    "measure": measure,
                    "lost_rise": float(lost.mean()),
                    "gained_cut": float(gained.mean()),
                    "ratio": mean,
                    "ci_low": low,
                    "ci_high": high,
                }
            )
    return pd.DataFrame(rows)


def daily_table(series: dict[tuple[str, str], np.ndarray], p: Params) -> pd.DataFrame:
    """Daily purchase response around the change: |ln(mean arm / mean baseline)| per day.

    Means over seeds first: a ratio of means is far less noisy than a mean of daily ratios.
    """
    first = max(p.day - LEAD_DAYS, 1)
    days = np.arange(first, p.day + p.window)
    rows = []
    for setting in SETTINGS:
        base = arms.row(series[setting, "baseline"], "buyers").mean(axis=0)
        for arm in ("rise", "cut"):
            q = arms.row(series[setting, arm], "buyers").mean(axis=0)
            response = np.abs(arms.log_response(q, base))[days - 1]
            rows.append(
                pd.DataFrame(
                    {"setting": setting, "arm": arm, "day": days - p.day, "response": response}
                )
            )
    return pd.concat(rows, ignore_index=True)


def checks(
    summary: pd.DataFrame, p: Params, band: tuple[float, float] = SYMMETRY_BAND
) -> list[Check]:
    """The asymmetry at defaults (ratio > 1) and its absence with lambda = 1 (CI inside `band`)."""
    pick = summary.set_index(["setting", "measure"])
    default, flat = pick.loc["default", "buyers"], pick.loc["lambda_1", "buyers"]
    metric = (
        f"purchases lost to a {p.change:.0%} rise / gained by a {p.change:.0%} cut "
        f"(log points, first {p.window} days)"
    )
    lo, hi = band
    return [
        Check(
            metric=metric,
            published="> 1: losses loom larger; about 2.5 (Putler 1992); Kalyanaram & Winer 1995",
            value=float(default["ratio"]),
            ci_low=float(default["ci_low"]),
            ci_high=float(default["ci_high"]),
            criterion="ratio > 1 (95% CI above 1)",
            passed=bool(default["ci_low"] > 1),
        ),
        Check(
            metric=metric + ", lambda = 1 in every segment",
            published="1: no loss aversion, no asymmetry (Tversky & Kahneman 1991)",
            value=float(flat["ratio"]),
            ci_low=float(flat["ci_low"]),
            ci_high=float(flat["ci_high"]),
            criterion=f"95% CI inside [{lo:g}, {hi:g}]",
            passed=bool(lo <= flat["ci_low"] and flat["ci_high"] <= hi),
        ),
    ]


def plot_figure(summary: pd.DataFrame, daily: pd.DataFrame, p: Params, path: Path) -> Path:
    """Left: purchases lost (rise) and gained (cut) per day; right: the ratio with CIs."""
    from custsim.experiments.plots import PALETTE, closing_figure, save_png

    colors = {"rise": PALETTE[5], "cut": PALETTE[0]}
    styles = {"default": "-", "lambda_1": ":"}
    with closing_figure(ncols=2, figsize=(12, 4.8), width_ratios=(3, 2)) as (fig, (left, right)):
        for (setting, arm), part in daily.groupby(["setting", "arm"], sort=False):
            verb = "lost after the rise" if arm == "rise" else "gained by the cut"
            label = f"{verb}, {SETTINGS[setting]}"
            left.plot(
                part["day"],
                part["response"],
                color=colors[arm],
                ls=styles[setting],
                lw=2.2,
                label=label,
            )
        left.axvline(-0.5, color="0.4", lw=1)
        left.set(
            xlabel="days since the price change", ylabel="purchases vs. no change (log points)"
        )
        left.set_title(f"A permanent {p.change:.0%} price step on day 0", fontweight="bold")
        left.legend(frameon=False, fontsize=9)
        bars = summary[summary["measure"] == "buyers"].set_index("setting")
        x = np.arange(len(bars))
        err = [bars["ratio"] - bars["ci_low"], bars["ci_high"] - bars["ratio"]]
        right.bar(x, bars["ratio"], color=[PALETTE[5], "0.6"], yerr=err, capsize=6)
        right.axhline(1, color="0.2", lw=1.2, ls="--")
        right.set_xticks(x, ["lambda at defaults", "lambda = 1"])
        right.set_ylabel("loss after rise / gain after cut")
        right.set_title(f"Asymmetry, first {p.window} days (95% CI)", fontweight="bold")
        fig.suptitle("Reference-price asymmetry: a rise hurts more than a cut helps")
        return save_png(fig, path)


def run(experiment: Experiment) -> FindingResult:
    """Simulate the six arms, measure the asymmetry and check it against the literature."""
    base = experiment.config("policy=edlp")
    p = Params(**base.finding.params)
    series = simulate_arms(experiment, base, p)
    summary, daily = summary_table(series, p), daily_table(series, p)
    units = summary.set_index(["setting", "measure"]).loc["default", "units"]
    notes = [
        f"units (purchases plus the stockpiling a cut triggers): ratio {units['ratio']:.2f} "
        f"[{units['ci_low']:.2f}, {units['ci_high']:.2f}]",
        f"{base.finding.seeds} paired seeds per arm, {base.population.size} customers",
    ]
    band = FAST_SYMMETRY_BAND if experiment.fast else SYMMETRY_BAND
    if experiment.fast:
        notes.append(
            f"lambda = 1 checked inside [{band[0]:g}, {band[1]:g}] at the fast-test size: the "
            f"[{SYMMETRY_BAND[0]:g}, {SYMMETRY_BAND[1]:g}] band is within seed noise there"
        )
    return FindingResult(
        name=experiment.name,
        title=TITLE,
        citation=CITATION,
        checks=checks(summary, p, band),
        table=pd.concat([summary.assign(panel="summary"), daily.assign(panel="daily")]),
        plot=lambda path: plot_figure(summary, daily, p, path),
        notes=notes,
    )
