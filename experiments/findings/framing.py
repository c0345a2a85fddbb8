"""Finding 8: how a discount and a points message are framed changes what customers do.

Published:
- rule of 100 (Chen, Monroe & Lou 1998; Berger 2013): a cut reads bigger as a
  percentage on prices below about 100 and as an amount above;
- "pay 80%" reads as a bigger saving, and sells more, than "20% off" (Kim & Kramer 2006);
- a message framed as a loss to avoid moves loss-averse people more than the
  same message framed as a gain (Tversky & Kahneman 1981; credit-card usage in
  the field: Ganzach & Karsahi 1995).

custsim (`custsim.agents.framing`, `custsim.agents.loyalty`): a cut of c off list price L reads as
M * c with M = c_f (100 / L)^phi for percentages ("x% off", "pay y%") and
c_f (L / 100)^phi for amounts (numerosity); c_f = 1.1 for "pay y%". A
loss-framed points message multiplies the points' value by lambda_i for members
holding points.

Analysis: the closed-form crossover of M; then simulated uptake of the same
20%-off offer (units during the offer above a no-offer run, same seed) under
each frame, in the same market at list prices 8 x `scales` (prices and costs x
s, price sensitivity / s, reference weight x s^(1 - alpha), so the prospect-
theory terms are unchanged and only the numbers on the shelf move); "pay 80%"
against "20% off" at the first scale; focal units under loss- vs gain-framed
points messages, with the default loss aversion and with lambda = 1.
Params (`finding.params`): `scales`, `pay_frame`, `points` (the points arms'
overrides), `phi_grid` (price range of the closed-form curve).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from custsim.agents import framing
from custsim.experiments.findings.framework import Check, Experiment, FindingResult, estimate
from custsim.experiments.plots import PALETTE, closing_figure, save_png
from custsim.sim.config import CustsimConfig
from custsim.sim.runner import RunResult

NUMBER = 8
TITLE = "Framing: the rule of 100, 'pay 80%', and loss-framed points messages"
CITATION = (
    "Chen, S.-F. S., Monroe, K. B. & Lou, Y.-C. (1998), Journal of Retailing 74(3), 353-372; "
    "Berger, J. (2013), Contagious, ch. 2; Kim, H. M. & Kramer, T. (2006), Marketing Letters "
    "17, 311-321; Tversky, A. & Kahneman, D. (1981), Science 211, 453-458; Ganzach, Y. & "
    "Karsahi, N. (1995), Journal of Business Research 32(1), 11-17."
)
FRAMES = ("percent_off", "amount_off")


def focal_units(run: RunResult) -> pd.Series:
    """The focal firm's units per day (index: day)."""
    ts = run.timeseries
    return ts[ts["firm"] == run.model.cfg.market.focal].set_index("day")["units"]


def rescaled(cfg: CustsimConfig, scale: float) -> list[str]:
    """Overrides for the same market with every price x `scale`.

    Prices and costs x s, price sensitivity b / s and reference weight eta x
    s^(1 - alpha): b eta v(s x) = b eta v(x) for v(x) = x^alpha on both sides.
    """
    out = []
    for name, firm in cfg.market.firms.items():
        out += [f"market.firms.{name}.price={firm.price * scale}"]
        out += [f"market.firms.{name}.cost={firm.cost * scale}"]
    for name, seg in cfg.population.segments.items():
        if seg.gain_curvature != seg.loss_curvature:
            raise ValueError(f"segment {name}: rescaling needs gain_curvature == loss_curvature")
        key, eta = f"population.segments.{name}", scale ** (1.0 - seg.gain_curvature)
        for trait, factor in (("price_sensitivity", 1.0 / scale), ("reference_weight", eta)):
            dist = getattr(seg, trait)
            out += [
                f"{key}.{trait}.mean={dist.mean * factor}",
                f"{key}.{trait}.sd={dist.sd * factor}",
            ]
    return out


def no_loss_aversion(cfg: CustsimConfig) -> list[str]:
    """Overrides giving every customer lambda = 1."""
    return ["population.traits.loss_aversion.mean=1.0", "population.traits.loss_aversion.sd=0.0"]


def arm_overrides(cfg: CustsimConfig) -> dict[str, list[str]]:
    """Every arm's overrides, by name: '<frame>@<scale>', 'pay', and the points arms."""
    params = cfg.finding.params
    arms = {}
    for scale in params["scales"]:
        market = rescaled(cfg, scale)
        for frame in FRAMES:
            arms[f"{frame}@{scale}"] = [*market, f"policy.frame={frame}"]
    arms["pay"] = [*rescaled(cfg, params["scales"][0]), f"policy.frame={params['pay_frame']}"]
    for lam, extra in (("", []), ("_lambda1", no_loss_aversion(cfg))):
        for message in ("gain", "loss"):
            arms[f"{message}{lam}"] = [*params["points"], f"policy.message={message}", *extra]
    return arms


def crossover(prices: Sequence[float], ratio: Sequence[float]) -> float:
    """Price where log(ratio) first crosses 0, interpolated in log price (nan if never)."""
    x, y = np.log(np.asarray(prices)), np.log(np.asarray(ratio))
    for i in np.flatnonzero(np.sign(y[:-1]) != np.sign(y[1:])):
        return float(np.exp(x[i] - y[i] * (x[i + 1] - x[i]) / (y[i + 1] - y[i])))
    return float("nan")


def closed_form(cfg: CustsimConfig) -> pd.DataFrame:
    """Perceived cut of a 20% discount (share of the list price) by frame, over list prices."""
    low, high = cfg.finding.params["phi_grid"]
    prices = np.geomspace(low, high, 200)
    phi, constants = cfg.population.framing.numerosity, dict(cfg.population.framing.perceived)
    frames = (*FRAMES, cfg.finding.params["pay_frame"])
    rows = {"price": prices}
    for frame in frames:
        mult = [framing.perceived_multiplier((frame,), [p], phi, constants)[0] for p in prices]
        rows[frame] = 0.2 * np.array(mult)
    return pd.DataFrame(rows)


def uptake(units: list[pd.Series], start: int, duration: int) -> np.ndarray:
    """Per seed: units sold during the offer above the pre-offer pace (as many days before it).

    Arms that differ only in the frame are identical until the offer starts, so
    they share the baseline, and two frames sell alike exactly where their
    uptakes are equal.
    """
    before = slice(start - duration, start - 1)
    during = slice(start, start + duration - 1)
    return np.array([u.loc[during].sum() - u.loc[before].sum() for u in units])


def simulated(units: dict[str, list[pd.Series]], cfg: CustsimConfig) -> pd.DataFrame:
    """Per seed and list price: uptake of each frame and the percent / amount ratio."""
    start, duration = cfg.policy.start, cfg.policy.duration
    rows = []
    for scale in cfg.finding.params["scales"]:
        price = cfg.market.firms[cfg.market.focal].price * scale
        pct, amt = (uptake(units[f"{f}@{scale}"], start, duration) for f in FRAMES)
        rows += [
            {"seed": seed, "price": price, "percent_off": p, "amount_off": a, "ratio": p / a}
            for seed, (p, a) in enumerate(zip(pct, amt, strict=True))
        ]
    return pd.DataFrame(rows)


def points_effect(units: dict[str, list[pd.Series]], suffix: str) -> np.ndarray:
    """Per seed: focal units under the loss-framed message / under the gain-framed one - 1."""
    pairs = zip(units[f"loss{suffix}"], units[f"gain{suffix}"], strict=True)
    return np.array([loss.sum() / gain.sum() - 1.0 for loss, gain in pairs])


def summary(
    curve: pd.DataFrame, sims: pd.DataFrame, pay: np.ndarray, points: dict[str, np.ndarray]
) -> pd.DataFrame:
    """The numbers behind the figure, long: part, label, x, value, ci_low, ci_high."""
    rows = [
        {"part": "closed_form", "label": frame, "x": p, "value": v, "ci_low": v, "ci_high": v}
        for frame in curve.columns[1:]
        for p, v in zip(curve["price"], curve[frame], strict=True)
    ]
    for price, group in sims.groupby("price"):
        mean, low, high = estimate(group["ratio"])
        rows.append(
            {
                "part": "uptake_ratio",
                "label": "percent/amount",
                "x": price,
                "value": mean,
                "ci_low": low,
                "ci_high": high,
            }
        )
    bars = {"pay 80% / 20% off": pay + 0.0, **{k: v + 1.0 for k, v in points.items()}}
    for label, values in bars.items():
        mean, low, high = estimate(values)
        rows.append(
            {
                "part": "ratio",
                "label": label,
                "x": np.nan,
                "value": mean,
                "ci_low": low,
                "ci_high": high,
            }
        )
    return pd.DataFrame(rows)


def rule_of_100_checks(curve: pd.DataFrame, sims: pd.DataFrame) -> list[Check]:
    """The closed-form and the simulated crossover, and the uptake ratio at both ends."""
    closed = crossover(curve["price"], curve["percent_off"] / curve["amount_off"])
    seeds = [crossover(g["price"], g["ratio"]) for _, g in sims.groupby("seed")]
    low_price, high_price = sims["price"].min(), sims["price"].max()
    low = estimate(sims.loc[sims["price"] == low_price, "ratio"])
    high = estimate(sims.loc[sims["price"] == high_price, "ratio"])
    published = "about 100 (Chen, Monroe & Lou 1998; Berger 2013)"
    return [
        Check(
            "price where percent-off and amount-off read alike (closed form)",
            published,
            closed,
            np.nan,
            np.nan,
            "between 50 and 200",
            50 <= closed <= 200,
        ),
        Check(
            "price where percent-off and amount-off sell alike (simulated uptake)",
            published,
            *estimate(seeds),
            "between 50 and 200",
            50 <= np.mean(seeds) <= 200,
        ),
        Check(
            f"uptake, percent-off / amount-off, list price {low_price:g}",
            "> 1: percentages win on cheap items",
            *low,
            "CI above 1",
            low[1] > 1.0,
        ),
        Check(
            f"uptake, percent-off / amount-off, list price {high_price:g}",
            "< 1: amounts win on expensive items",
            *high,
            "CI below 1",
            high[2] < 1.0,
        ),
    ]


def message_checks(pay: np.ndarray, points: dict[str, np.ndarray]) -> list[Check]:
    """'Pay 80%' against '20% off', and loss- against gain-framed points messages."""
    pay_ratio = estimate(pay)
    averse, neutral = estimate(points[""]), estimate(points["_lambda1"])
    return [
        Check(
            "uptake, 'pay 80%' / '20% off', list price 8",
            "> 1: higher perceived savings and purchase intent (Kim & Kramer 2006)",
            *pay_ratio,
            "CI above 1",
            pay_ratio[1] > 1.0,
        ),
        Check(
            "focal units, loss- / gain-framed points message - 1 (default loss aversion)",
            "> 0: loss frames move loss-averse customers more (Ganzach & Karsahi 1995)",
            *averse,
            "CI above 0",
            averse[1] > 0.0,
        ),
        Check(
            "focal units, loss- / gain-framed points message - 1 (lambda = 1)",
            "0: without loss aversion the frame does nothing (Tversky & Kahneman 1981)",
            *neutral,
            "within +-0.005",
            abs(neutral[0]) <= 0.005,
        ),
    ]


def composed_once(experiment: Experiment) -> Experiment:
    """The same experiment with its fast overrides resolved: one composition per arm, not two."""
    if not experiment.fast:
        return experiment
    fast = tuple(experiment.config().finding.fast)
    return replace(experiment, fast=False, overrides=(*fast, *experiment.overrides))


def run(experiment: Experiment) -> FindingResult:
    """Closed-form crossover, then every simulated arm over the seeds."""
    experiment = composed_once(experiment)
    base = experiment.config()
    arms = {name: experiment.config(*over) for name, over in arm_overrides(base).items()}
    n = base.finding.seeds
    units = experiment.run([c for cfg in arms.values() for c in experiment.seeds(cfg)], focal_units)
    by_arm = {name: units[i * n : (i + 1) * n] for i, name in enumerate(arms)}
    curve, sims = closed_form(base), simulated(by_arm, base)
    first = base.finding.params["scales"][0]
    start, duration = base.policy.start, base.policy.duration
    pay = uptake(by_arm["pay"], start, duration) / uptake(
        by_arm[f"percent_off@{first}"], start, duration
    )
    points = {s: points_effect(by_arm, s) for s in ("", "_lambda1")}
    table = summary(
        curve,
        sims,
        pay,
        {"loss / gain message": points[""], "loss / gain message, \u03bb = 1": points["_lambda1"]},
    )
    return FindingResult(
        name="framing",
        title=TITLE,
        citation=CITATION,
        checks=rule_of_100_checks(curve, sims) + message_checks(pay, points),
        table=table,
        plot=lambda path: plot(table, path),
        notes=[
            f"{base.population.size} customers, {n} seeds per arm; {base.policy.depth:.0%} off "
            f"for {duration} days; numerosity phi = {base.population.framing.numerosity}",
        ],
    )


def plot(table: pd.DataFrame, path: Path) -> Path:
    """Three panels: the closed-form rule of 100, simulated uptake by price, the message ratios."""
    with closing_figure(ncols=3, figsize=(15, 5), width_ratios=[1.1, 1.1, 0.9]) as (fig, axes):
        _plot_closed_form(axes[0], table[table["part"] == "closed_form"])
        _plot_uptake(axes[1], table[table["part"] == "uptake_ratio"])
        _plot_ratios(axes[2], table[table["part"] == "ratio"])
        for ax in axes:
            ax.grid(alpha=0.3)
            ax.spines[["top", "right"]].set_visible(False)
        fig.suptitle(
            "Framing: the same discount sells differently depending on how it is written",
            fontweight="bold",
        )
        return save_png(fig, path)


def _plot_closed_form(ax: Axes, rows: pd.DataFrame) -> None:
    labels = {
        "percent_off": "'20% off'",
        "amount_off": "'x off' (amount)",
        "pay_percent": "'pay 80%'",
    }
    for color, (frame, label) in zip(PALETTE, labels.items(), strict=False):
        mine = rows[rows["label"] == frame]
        ax.plot(mine["x"], mine["value"], lw=2.4, color=color, label=label)
    ax.axhline(0.2, color="0.4", ls="--", lw=1, label="the actual cut")
    ax.axvline(100, color="0.3", ls=":", lw=1.5)
    ax.set_xscale("log")
    ax.set_xlabel("list price")
    ax.set_ylabel("cut as perceived (share of list price)")
    ax.yaxis.set_major_formatter(lambda y, _: f"{y:.0%}")
    ax.legend(frameon=False, loc="upper right")
    ax.set_title("Rule of 100 (closed form):\npercentages read bigger below 100")


def _plot_uptake(ax: Axes, rows: pd.DataFrame) -> None:
    err = [rows["value"] - rows["ci_low"], rows["ci_high"] - rows["value"]]
    ax.errorbar(
        rows["x"], rows["value"], yerr=err, fmt="o-", ms=7, lw=2.2, capsize=4, color=PALETTE[0]
    )
    ax.axhline(1.0, color="0.4", ls="--", lw=1)
    ax.axvline(100, color="0.3", ls=":", lw=1.5)
    cross = crossover(rows["x"], rows["value"])
    if np.isfinite(cross):
        ax.plot(cross, 1.0, "X", ms=11, color=PALETTE[5])
        ax.annotate(
            f"equal at {cross:.0f}", (cross, 1.0), xytext=(8, 8), textcoords="offset points"
        )
    ax.set_xscale("log")
    ax.set_xlabel("list price (same market, every price scaled)")
    ax.set_ylabel("extra units sold: percent-off / amount-off")
    ax.set_title("Simulated uptake of the same 20% cut:\npercent-off wins on cheap items")


def _plot_ratios(ax: Axes, rows: pd.DataFrame) -> None:
    y = np.arange(len(rows))
    err = [rows["value"] - rows["ci_low"], rows["ci_high"] - rows["value"]]
    colors = [PALETTE[2], PALETTE[3], PALETTE[7]][: len(rows)]
    ax.barh(y, rows["value"] - 1.0, left=1.0, xerr=err, color=colors, capsize=4, height=0.6)
    ax.axvline(1.0, color="0.3", lw=1)
    for i, value in enumerate(rows["value"]):
        text = f"{value - 1:+.1%}" if value != 1.0 else "exactly 0"
        ax.annotate(text, (1.0, i), xytext=(4, -14), textcoords="offset points", fontsize=10)
    ax.set_yticks(y, rows["label"])
    ax.invert_yaxis()
    ax.set_xlabel("ratio (1: no effect)")
    ax.set_title("'Pay 80%' and loss-framed points\nmessages (sales ratios, 95% CI)")
