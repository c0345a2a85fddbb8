"""Finding 3: hi-lo vs everyday pricing. Loss aversion favours a constant price, gain seeking hi-lo.

Published: with demand that depends on prices and reference prices, a constant
price is optimal when consumers weigh losses more than gains, a cyclical
(hi-lo) policy when they weigh gains more (Kopalle, Rao & Assuncao 1996,
"Asymmetric reference price effects and dynamic pricing policies",
*Marketing Science* 15(1), 60-85; Greenleaf 1995, *Marketing Science* 14(1),
82-104). The rationale is explicitly distinct from passing inventory on to
consumers (stockpiling).

Mechanism: hi-lo cuts the price by d for `duration` days every `every` days.
References settle near the average price seen (`custsim.agents.reference_price`), so
promotion days are felt as gains, b eta v(r - p) with v(x) = x^alpha, and the
regular days in between as losses, -b eta lambda (p - r)^beta
(`custsim.agents.prospect`). Raising lambda makes the many small losses outweigh the
few large gains.

Design (Kopalle et al.'s setting): both arms charge the same time-average
price, EDLP the regular price P every day and hi-lo P_h = P / (1 - d f) with
f = duration / every the share of promotion days, shown as a plain price (no
frame, no "was" price). Demand works through prices and reference prices only:
stockpiling and deal proneness are switched off in every segment. Loss aversion
is swept, lambda the same for every customer; each seed uses the same
population across arms and lambdas (common random numbers). The measure is the
paired revenue difference after a warm-up, hi-lo / EDLP - 1, and lambda* where
it crosses zero. The full model (stockpiling and deal proneness at their
defaults) is run alongside for comparison.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from custsim.experiments.findings import arms
from custsim.experiments.findings.framework import Check, Experiment, FindingResult, estimate
from custsim.policies.edlp import EverydayPriceConfig
from custsim.sim.config import CustsimConfig
from custsim.sim.runner import RunResult

NUMBER = 3
TITLE = "Hi-lo vs everyday pricing"
CITATION = (
    "Kopalle, Rao & Assuncao (1996), Marketing Science 15(1), 60-85; "
    "Greenleaf (1995), Marketing Science 14(1), 82-104"
)
WORLDS = {"reference_only": "prices and reference prices only", "full_model": "full model"}
OFF_IN_KOPALLE = ("stockpiling", "deal_proneness")  # channels outside Kopalle et al.'s model
LAMBDA_RANGE = (1.0, 3.0)  # where the crossing must lie


@dataclass(frozen=True)
class Params:
    """The analysis's knobs (`finding.params`)."""

    lambdas: list[float] = field(default_factory=lambda: [0.5, 1.0, 1.5, 2.0, 2.5, 3.0])
    warmup: int = 56  # days before revenue is counted (references settle)
    full_model: bool = True  # also run the full model, for comparison


def focal_money(run: RunResult) -> np.ndarray:
    """The focal firm's daily revenue and margin, shape (2, steps): a reducer."""
    ts = run.timeseries
    mine = ts[ts["firm"] == run.model.cfg.market.focal]
    return mine[["revenue", "margin"]].to_numpy(dtype=np.float64).T


def hilo_regular_price(base: CustsimConfig) -> float:
    """P_h = P / (1 - depth * duration / every): hi-lo's time-average price equals P."""
    pol, price = base.policy, base.market.firms[base.market.focal].price
    return price / (1.0 - pol.depth * pol.duration / pol.every)


def world(base: CustsimConfig, name: str) -> CustsimConfig:
    """The base config in one of `WORLDS`: Kopalle et al.'s channels only, or everything."""
    if name == "full_model":
        return base
    for trait in OFF_IN_KOPALLE:
        base = arms.with_trait(base, trait, 0.0)
    return base


def arm_configs(base: CustsimConfig, p: Params) -> dict[tuple[str, float, str], CustsimConfig]:
    """Configs keyed by (world, lambda, 'hilo' | 'edlp')."""
    focal = base.market.focal
    firms = dict(base.market.firms)
    firms[focal] = replace(firms[focal], price=hilo_regular_price(base))
    hilo = replace(base, market=replace(base.market, firms=firms))
    edlp = replace(base, policy=EverydayPriceConfig())
    configs = {}
    for name in WORLDS if p.full_model else ("reference_only",):
        for lam in p.lambdas:
            for arm, cfg in (("hilo", hilo), ("edlp", edlp)):
                configs[name, lam, arm] = arms.with_trait(world(cfg, name), "loss_aversion", lam)
    return configs


def simulate_arms(experiment: Experiment, base: CustsimConfig, p: Params) -> pd.DataFrame:
    """Per (world, lambda, seed): revenue and margin of both arms after the warm-up."""
    configs = arm_configs(base, p)
    runs = [experiment.seeds(c) for c in configs.values()]
    flat = experiment.run([c for r in runs for c in r], focal_money)
    n, rows = len(runs[0]), []
    for i, (name, lam, arm) in enumerate(configs):
        for seed, money in enumerate(flat[i * n : (i + 1) * n]):
            revenue, margin = money[:, p.warmup :].sum(axis=1)
            rows.append(
                dict(world=name, lam=lam, arm=arm, seed=seed, revenue=revenue, margin=margin)
            )
    wide = pd.DataFrame(rows).pivot_table(
        index=["world", "lam", "seed"], columns="arm", values=["revenue", "margin"]
    )
    return pd.DataFrame(
        {
            "revenue_diff": wide["revenue", "hilo"] / wide["revenue", "edlp"] - 1.0,
            "margin_diff": wide["margin", "hilo"] / wide["margin", "edlp"] - 1.0,
        }
    ).reset_index()


def sweep_table(paired: pd.DataFrame) -> pd.DataFrame:
    """Mean and 95% CI of the revenue and margin differences per (world, lambda)."""
    rows = []
    for (name, lam), part in paired.groupby(["world", "lam"]):
        row = {"world": name, "lam": lam}
        for col in ("revenue_diff", "margin_diff"):
            row[col], row[f"{col}_low"], row[f"{col}_high"] = estimate(part[col])
        rows.append(row)
    return pd.DataFrame(rows)


def per_seed(paired: pd.DataFrame, name: str) -> pd.DataFrame:
    """Revenue differences of one world as a seed x lambda table."""
    part = paired[paired["world"] == name]
    return part.pivot(index="seed", columns="lam", values="revenue_diff")


def checks(paired: pd.DataFrame, p: Params, extrapolate: bool = False) -> list[Check]:
    """Hi-lo wins at the lowest lambda, loses at the highest, the gap falls, lambda* in range.

    A seed's lambda* is where its differences first cross zero on the grid; with
    `extrapolate` (the fast-test size: two lambdas, seeds whose lambda = 3 difference is
    within noise of 0) it is the zero of the line fitted to them, -intercept / slope,
    the same number where they cross and a finite one where they do not.
    """
    grid = per_seed(paired, "reference_only")
    lams = np.array(grid.columns, dtype=float)
    lines = [np.polyfit(lams, row, 1) for row in grid.to_numpy()]
    slope = [line[0] for line in lines]
    if extrapolate:
        cross = [-b / a if a < 0 else np.nan for a, b in lines]
    else:
        cross = [arms.zero_crossing(lams, row) for row in grid.to_numpy()]
    low, high = lams.min(), lams.max()
    lo_l, hi_l = LAMBDA_RANGE
    specs = [
        (grid[low], f"revenue hi-lo / EDLP - 1, gain-seeking lambda = {low:g}",
         "> 0: cyclic pricing optimal when gains loom larger", "> 0 (CI above 0)",
         lambda lo, hi: lo > 0),
        (grid[high], f"revenue hi-lo / EDLP - 1, loss-averse lambda = {high:g}",
         "< 0: constant price optimal when losses loom larger", "< 0 (CI below 0)",
         lambda lo, hi: hi < 0),
        (slope, "change of that difference per unit of lambda",
         "< 0: loss aversion penalises hi-lo", "< 0 (CI below 0)", lambda lo, hi: hi < 0),
        (cross, "lambda* where hi-lo and EDLP earn the same",
         "1 in a linear-demand model (Kopalle et al. 1996)",
         f"in [{lo_l:g}, {hi_l:g}] (CI inside)", lambda lo, hi: lo_l <= lo and hi <= hi_l),
    ]  # fmt: skip
    out = []
    for values, metric, published, criterion, rule in specs:
        mean, lo, hi = estimate(np.asarray(values, dtype=float))
        ok = bool(rule(lo, hi)) and not np.isnan(mean)
        out.append(Check(metric, published, mean, lo, hi, criterion, ok))
    return out


def plot_figure(sweep: pd.DataFrame, crossing: float, path: Path) -> Path:
    """Revenue and margin of hi-lo relative to EDLP across lambda, with 95% CIs."""
    from matplotlib.ticker import PercentFormatter

    from custsim.experiments.plots import PALETTE, closing_figure, save_png

    colors = {"reference_only": PALETTE[0], "full_model": PALETTE[1]}
    with closing_figure(ncols=2, figsize=(12, 4.8), sharex=True) as (fig, axes):
        for ax, col, what in zip(
            axes, ("revenue_diff", "margin_diff"), ("revenue", "margin"), strict=True
        ):
            for name, part in sweep.groupby("world", sort=False):
                ls = "-" if name == "reference_only" else "--"
                ax.fill_between(
                    part["lam"],
                    part[f"{col}_low"],
                    part[f"{col}_high"],
                    color=colors[name],
                    alpha=0.2,
                    lw=0,
                )
                ax.plot(
                    part["lam"],
                    part[col],
                    "o",
                    ls=ls,
                    color=colors[name],
                    lw=2.2,
                    label=WORLDS[name],
                )
            ax.axhline(0, color="0.2", lw=1)
            ax.axvline(1, color="0.5", lw=1, ls=":")
            ax.yaxis.set_major_formatter(PercentFormatter(1.0))
            ax.set(
                xlabel="loss aversion lambda (1: gains and losses weigh the same)",
                ylabel=f"hi-lo {what} vs. EDLP (95% CI)",
            )
            ax.set_title(f"{what.capitalize()}: hi-lo minus everyday price", fontweight="bold")
        if np.isfinite(crossing):
            axes[0].axvline(crossing, color=PALETTE[5], lw=1.5)
            axes[0].annotate(
                f"lambda* = {crossing:.2f}",
                (crossing, 0),
                xytext=(6, 10),
                textcoords="offset points",
                color=PALETTE[5],
            )
        axes[0].legend(frameon=False, fontsize=9)
        fig.suptitle("Same average price, hi-lo or constant: loss aversion decides")
        return save_png(fig, path)


def run(experiment: Experiment) -> FindingResult:
    """Sweep lambda with paired hi-lo and EDLP arms; check the switch and where it happens."""
    base = experiment.config()
    p = Params(**base.finding.params)
    paired = simulate_arms(experiment, base, p)
    sweep = sweep_table(paired)
    found = checks(paired, p, extrapolate=experiment.fast)
    mean = sweep[sweep["world"] == "reference_only"]
    crossing = arms.zero_crossing(mean["lam"], mean["revenue_diff"])
    notes = [
        f"hi-lo: {base.policy.depth:.0%} off for {base.policy.duration} days every "
        f"{base.policy.every}, regular price {hilo_regular_price(base):.2f} (EDLP "
        f"{base.market.firms[base.market.focal].price:g}); revenue from day {p.warmup + 1}",
        f"{base.finding.seeds} paired seeds per arm, {base.population.size} customers",
    ]
    if experiment.fast:
        notes.append("lambda* per seed: the zero of the line through its differences (fast size)")
    if p.full_model:
        full = sweep[sweep["world"] == "full_model"]
        notes.append(
            "full model (stockpiling and deal proneness on): hi-lo revenue "
            + ", ".join(
                f"{d:+.1%} at {lam:g}"
                for lam, d in zip(full["lam"], full["revenue_diff"], strict=True)
            )
        )
    return FindingResult(
        name=experiment.name,
        title=TITLE,
        citation=CITATION,
        checks=found,
        table=sweep,
        plot=lambda path: plot_figure(sweep, crossing, path),
        notes=notes,
    )
