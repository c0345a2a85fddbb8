"""Finding 2: frequent deep promotions erode reference prices; a promotion leaves a dip, not a lift.

Published: the more often and the deeper a brand is promoted, the lower the
price consumers expect to pay for it (Kalwani & Yim 1992, *Journal of Marketing
Research* 29(1), 90-100), the reference-price mechanism behind Kopalle, Rao &
Assuncao (1996, *Marketing Science* 15(1), 60-85); in the long run promotions
make consumers more price- and promotion-sensitive (Mela, Gupta & Lehmann 1997,
*JMR* 34(2), 248-261). After a promotion, sales dip below baseline (van Heerde,
Leeflang & Wittink 2000, *JMR* 37(3), 383-395) and then return to it:
permanent promotion effects are virtually absent (Pauwels, Hanssens & Siddarth
2002, *JMR* 39(4), 421-440; Nijs et al. 2001, *Marketing Science* 20(1), 1-22).

Mechanism: every shopping trip moves a customer's reference price towards the
price seen, r <- (1 - theta) r + theta p (`custsim.agents.reference_price`; a framed
cut is partly kept out of memory, `custsim.agents.framing`), so a calendar of frequent,
deep cuts drags r below the regular price. A promotion also fills pantries
(`custsim.agents.inventory`): stocked-up customers skip the next occasions (the dip),
after which stock, references and choice return to where they were.

Arms (same seeds, common random numbers): the focal firm on its everyday price;
a 2 x 2 of promotion calendars (rare or frequent, shallow or deep, one week per
promotion); and a single one-week promotion. Measures, per seed:

- erosion = 1 - mean reference price of the focal brand held by shoppers over
  the last `tail_days` / regular price;
- dip = units in the `dip_days` after the single promotion / everyday-price
  units - 1; lasting = the same from week `settle_weeks` + 1 to the end.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from custsim.experiments.findings import arms
from custsim.experiments.findings.framework import Check, Experiment, FindingResult, estimate
from custsim.policies.edlp import EverydayPriceConfig
from custsim.sim.config import CustsimConfig

if TYPE_CHECKING:
    from matplotlib.axes import Axes

NUMBER = 2
TITLE = "Promotions erode reference prices"
CITATION = (
    "Kalwani & Yim (1992), JMR 29(1), 90-100; Kopalle, Rao & Assuncao (1996), Marketing "
    "Science 15(1), 60-85; Mela, Gupta & Lehmann (1997), JMR 34(2), 248-261; van Heerde, "
    "Leeflang & Wittink (2000), JMR 37(3), 383-395; Pauwels, Hanssens & Siddarth (2002), "
    "JMR 39(4), 421-440"
)
CALENDARS = ("rare_shallow", "rare_deep", "frequent_shallow", "frequent_deep")
# At the fast-test size (8,000 customers, 4 seeds) the lasting effect's CI is +-1% to +-2.5%
# and its mean moves by up to 1% from one set of seeds to another, so +-margin (3%) is
# checked at full size and +-5% at the fast size (a lasting effect of 7% still fails).
FAST_MARGIN = 0.05


@dataclass(frozen=True)
class Params:
    """The analysis's knobs (`finding.params`)."""

    depth: dict[str, float] = field(default_factory=lambda: {"shallow": 0.1, "deep": 0.3})
    every: dict[str, int] = field(default_factory=lambda: {"rare": 56, "frequent": 14})
    tail_days: int = 56  # erosion: the reference price over the run's last days
    oneoff_day: int = 29  # first day of the single promotion
    oneoff_depth: float = 0.25
    dip_days: int = 14  # after the single promotion
    settle_weeks: int = 8  # weeks after it before "lasting" is measured
    margin: float = 0.03  # no lasting effect: within +-margin of baseline


def arm_configs(base: CustsimConfig, p: Params) -> dict[str, CustsimConfig]:
    """Every arm's config: everyday price, the four calendars, one single promotion."""
    configs = {"edlp": replace(base, policy=EverydayPriceConfig())}
    for name in CALENDARS:
        often, deep = name.split("_")
        configs[name] = arms.with_policy(base, depth=p.depth[deep], every=p.every[often])
    single = dict(depth=p.oneoff_depth, every=base.steps, start=p.oneoff_day)
    configs["oneoff"] = arms.with_policy(base, **single)
    return configs


def simulate_arms(experiment: Experiment, base: CustsimConfig, p: Params) -> dict[str, np.ndarray]:
    """Daily focal series per arm: arrays (seeds, len(arms.DAILY), steps)."""
    configs = arm_configs(base, p)
    runs = [experiment.seeds(c) for c in configs.values()]
    flat = experiment.run([c for r in runs for c in r], arms.focal_daily)
    n = len(runs[0])
    return {k: np.stack(flat[i * n : (i + 1) * n]) for i, k in enumerate(configs)}


def erosion(series: np.ndarray, regular: float, tail_days: int) -> np.ndarray:
    """Per seed: 1 - (mean reference price over the last `tail_days`) / regular price."""
    ref = arms.row(series, "mean_reference_price")[:, -tail_days:]
    return 1.0 - np.nanmean(ref, axis=1) / regular


def single_promotion_effects(
    series: dict[str, np.ndarray], p: Params, duration: int
) -> dict[str, np.ndarray]:
    """Per seed, units / everyday-price units - 1: promotion week, dip after it, lasting."""
    promo, base = arms.row(series["oneoff"], "units"), arms.row(series["edlp"], "units")
    end = p.oneoff_day + duration  # first day after the promotion
    settle = end + 7 * p.settle_weeks
    windows = {
        "bump": (p.oneoff_day, duration),
        "dip": (end, p.dip_days),
        "lasting": (settle, promo.shape[1] - settle + 1),
    }
    return {
        name: arms.window_sum(promo, *w) / arms.window_sum(base, *w) - 1.0
        for name, w in windows.items()
    }


def measure(series: dict[str, np.ndarray], base: CustsimConfig, p: Params) -> dict[str, np.ndarray]:
    """Every per-seed quantity the checks and the table use."""
    regular = base.market.firms[base.market.focal].price
    out = {f"erosion_{k}": erosion(series[k], regular, p.tail_days) for k in ("edlp", *CALENDARS)}
    out["frequency_effect"] = out["erosion_frequent_deep"] - out["erosion_rare_deep"]
    out["depth_effect"] = out["erosion_frequent_deep"] - out["erosion_frequent_shallow"]
    return out | single_promotion_effects(series, p, base.policy.duration)


def checks(
    values: dict[str, np.ndarray], base: CustsimConfig, p: Params, margin: float | None = None
) -> list[Check]:
    """Erosion (beyond the latitude band), its frequency and depth effects, dip, no lasting lift.

    No lasting lift: the CI within +-`margin` of baseline (default `p.margin`).
    """
    margin = p.margin if margin is None else margin
    band = max(s.latitude for s in base.population.segments.values())
    deep, often = p.depth["deep"], p.every["frequent"]
    specs = [
        (
            "erosion_frequent_deep",
            f"reference price below regular after {deep:.0%} off every {often} days (share)",
            "expected price falls with promotions (Kalwani & Yim 1992; Kopalle et al. 1996)",
            f"> latitude band {band:.0%} (CI above)",
            lambda lo, hi: lo > band,
        ),
        (
            "frequency_effect",
            f"erosion: every {often} minus every {p.every['rare']} days",
            "more frequent promotions, lower expected price (Kalwani & Yim 1992)",
            "> 0 (CI above 0)",
            lambda lo, hi: lo > 0,
        ),
        (
            "depth_effect",
            f"erosion: {deep:.0%} minus {p.depth['shallow']:.0%} off",
            "deeper promotions, lower expected price (Kalwani & Yim 1992)",
            "> 0 (CI above 0)",
            lambda lo, hi: lo > 0,
        ),
        (
            "dip",
            f"units in the {p.dip_days} days after a one-week promotion vs none",
            "post-promotion dip (van Heerde, Leeflang & Wittink 2000)",
            "< 0 (CI below 0)",
            lambda lo, hi: hi < 0,
        ),
        (
            "lasting",
            f"units from week {p.settle_weeks + 1} after the promotion vs none",
            "no permanent effect (Pauwels, Hanssens & Siddarth 2002; Nijs et al. 2001)",
            f"CI inside +-{margin:.0%}",
            lambda lo, hi: -margin <= lo and hi <= margin,
        ),
    ]
    out = []
    for key, metric, published, criterion, rule in specs:
        mean, lo, hi = estimate(values[key])
        out.append(Check(metric, published, mean, lo, hi, criterion, bool(rule(lo, hi))))
    return out


def daily_table(series: dict[str, np.ndarray]) -> pd.DataFrame:
    """Mean over seeds, per arm and day: shelf price, reference price, units."""
    frames = []
    for arm, x in series.items():
        mean = x.mean(axis=0)
        frame = pd.DataFrame({name: mean[i] for i, name in enumerate(arms.DAILY)})
        frames.append(frame.assign(arm=arm, day=np.arange(1, x.shape[2] + 1)))
    return pd.concat(frames, ignore_index=True)


def weekly_lift(series: dict[str, np.ndarray], p: Params) -> pd.DataFrame:
    """Units of the single-promotion arm vs everyday price, by week from the promotion, with CIs."""
    promo, base = arms.row(series["oneoff"], "units"), arms.row(series["edlp"], "units")
    rows = []
    first = p.oneoff_day - 14
    for week in range((promo.shape[1] - first + 1) // 7):
        start = first + 7 * week
        lift = arms.window_sum(promo, start, 7) / arms.window_sum(base, start, 7) - 1
        mean, lo, hi = estimate(lift)
        rows.append({"week": week - 2, "lift": mean, "ci_low": lo, "ci_high": hi})
    return pd.DataFrame(rows)


def calendar_label(name: str, p: Params) -> str:
    """'30% off every 2 weeks' for a calendar name such as 'frequent_deep'."""
    often, deep = name.split("_")
    return f"{p.depth[deep]:.0%} off every {p.every[often] / 7:g} weeks"


def plot_references(ax: Axes, daily: pd.DataFrame, regular: float, p: Params) -> None:
    """Shelf price of the frequent deep calendar and the reference prices it leaves."""
    from custsim.experiments.plots import PALETTE

    freq = daily[daily["arm"] == "frequent_deep"]
    label = f"shelf price, {calendar_label('frequent_deep', p)}"
    ax.step(freq["day"], freq["shelf_price"], where="mid", color=PALETTE[1], lw=1, label=label)
    for arm, color in (("frequent_deep", PALETTE[5]), ("rare_shallow", PALETTE[0])):
        part = daily[daily["arm"] == arm]
        ref = part["mean_reference_price"].rolling(7, min_periods=1, center=True).mean()
        ax.plot(part["day"], ref, color=color, lw=2.6, label=f"reference, {calendar_label(arm, p)}")
    ax.axhline(regular, color="0.3", ls="--", lw=1.2, label="regular price")
    ax.set(xlabel="day", ylabel="price of brand A")
    ax.set_title("Reference prices follow the promotions", fontweight="bold")
    ax.legend(frameon=False, fontsize=9, loc="lower left")


def plot_wake(ax: Axes, weekly: pd.DataFrame) -> None:
    """Weekly units after a single promotion vs none: the dip and the return to baseline."""
    from custsim.experiments.plots import PALETTE

    ax.axhline(0, color="0.3", lw=1)
    for part in (weekly[weekly["week"] < 0], weekly[weekly["week"] > 0]):
        ax.fill_between(
            part["week"], part["ci_low"], part["ci_high"], color=PALETTE[0], alpha=0.25, lw=0
        )
        ax.plot(part["week"], part["lift"], "o-", color=PALETTE[0], lw=2)
    bump = float(weekly.loc[weekly["week"] == 0, "lift"].iloc[0])
    ax.bar(0, 1.0, width=0.8, color=PALETTE[5], alpha=0.5)
    ax.annotate(f"promotion week: {bump:+.0%}", xy=(0.5, 0.2), color=PALETTE[5], fontsize=10)
    ax.set_ylim(-0.3, 0.25)
    ax.yaxis.set_major_formatter(lambda v, _: f"{v:+.0%}")
    ax.set(xlabel="weeks since the promotion", ylabel="units vs. no promotion (95% CI)")
    ax.set_title("One promotion: bump, dip, back to baseline", fontweight="bold")


def plot_figure(
    daily: pd.DataFrame, weekly: pd.DataFrame, regular: float, p: Params, path: Path
) -> Path:
    """Left: shelf vs reference prices under two calendars; right: one promotion's wake."""
    from custsim.experiments.plots import closing_figure, save_png

    with closing_figure(ncols=2, figsize=(13, 4.8)) as (fig, (left, right)):
        plot_references(left, daily, regular, p)
        plot_wake(right, weekly)
        fig.suptitle("Promotions lower reference prices and borrow from the future")
        return save_png(fig, path)


def run(experiment: Experiment) -> FindingResult:
    """Simulate the six arms and check erosion, its drivers, the dip and the return to baseline."""
    base = experiment.config()
    p = Params(**base.finding.params)
    series = simulate_arms(experiment, base, p)
    values = measure(series, base, p)
    daily, weekly = daily_table(series), weekly_lift(series, p)
    summary = pd.DataFrame(
        [
            dict(zip(("quantity", "mean", "ci_low", "ci_high"), (k, *estimate(v)), strict=True))
            for k, v in values.items()
        ]
    )
    regular = base.market.firms[base.market.focal].price
    bump = estimate(values["bump"])
    notes = [
        f"promotion week: units {bump[0]:+.0%} [{bump[1]:+.0%}, {bump[2]:+.0%}] vs none",
        f"{base.finding.seeds} paired seeds per arm, {base.population.size} customers",
    ]
    margin = FAST_MARGIN if experiment.fast else p.margin
    if experiment.fast:
        notes.append(
            f"no lasting effect checked within +-{margin:.0%} at the fast-test size: "
            f"+-{p.margin:.0%} is within seed noise there"
        )
    return FindingResult(
        name=experiment.name,
        title=TITLE,
        citation=CITATION,
        checks=checks(values, base, p, margin),
        table=pd.concat(
            [
                summary.assign(panel="summary"),
                weekly.assign(panel="weekly"),
                daily.assign(panel="daily"),
            ],
            ignore_index=True,
        ),
        plot=lambda path: plot_figure(daily, weekly, regular, p, path),
        notes=notes,
    )
