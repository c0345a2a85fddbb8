"""Finding 4: price and promotion elasticities, and where a promotion's extra units come from.

Published: across 1,851 price elasticities from 81 studies the mean is -2.62
(Bijmolt, van Heerde & Pieters 2005, "New empirical generalizations on the
determinants of price elasticity", *Journal of Marketing Research* 42(2),
141-156); the mean short-term elasticity of temporary price cuts is -3.63 (the
same meta-analysis, as quoted by van Heerde & Neslin 2008, *Handbook of
Marketing Decision Models*, ch. 5). A promotion's bump in unit sales splits
into cross-brand (switching), cross-period (pulled forward) and category
expansion effects, each about one third on average (van Heerde, Leeflang &
Wittink 2004, *Marketing Science* 23(3), 317-334; van Heerde, Gupta & Wittink
2003, *JMR* 40(4), 481-491, who show that the 84% switching share of Gupta's
1988 *elasticity* decomposition is about one third of *unit sales*).

Mechanism: logit choice on a_ij - b_i p_ij + reference and deal terms
(`custsim.sim.stages.terms`); a temporary cut adds a felt gain against the reference and a
visible deal, and fills pantries (`custsim.agents.inventory`), so a promotion is more
elastic than a regular price change whose reference has adapted.

Measures (same seed, common random numbers, against the everyday price):

- regular elasticity, central arc over `regular_window` days from a permanent
  +-x step: e = ln(q+ / q-) / ln((1 + x) / (1 - x));
- promotional elasticity over the promotion week, as in multiplicative
  (SCAN*PRO-type) store models: e = ln(q_promo / q_0) / ln(1 - d);
- decomposition (`custsim.experiments.compare.lift.promotion_decomposition`): bump B, switching S,
  pulled forward T, expansion E = B - S - T over the whole run; shares S/B, T/B, E/B.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from custsim.experiments.compare.lift import promotion_decomposition
from custsim.experiments.findings import arms
from custsim.experiments.findings.framework import Check, Experiment, FindingResult, estimate
from custsim.policies.edlp import EverydayPriceConfig
from custsim.policies.price_change import PriceChangeConfig
from custsim.sim.config import CustsimConfig

NUMBER = 4
TITLE = "Price and promotion elasticities"
CITATION = (
    "Bijmolt, van Heerde & Pieters (2005), JMR 42(2), 141-156; van Heerde, Leeflang & "
    "Wittink (2004), Marketing Science 23(3), 317-334; van Heerde, Gupta & Wittink (2003), "
    "JMR 40(4), 481-491; Gupta (1988), JMR 25(4), 342-355"
)
REGULAR_RANGE = (-4.0, -1.5)  # around the meta-analytic mean -2.62
PROMO_RANGE = (-5.0, -2.0)  # around the short-term promotional mean -3.63
SHARE_RANGE = (0.1, 0.6)  # each source "about one third": present, none dominant
SOURCES = {"switching": "switching", "pulled_forward": "pulled forward", "expansion": "expansion"}


@dataclass(frozen=True)
class Params:
    """The analysis's knobs (`finding.params`)."""

    change: float = 0.05  # the permanent step, +-
    day: int = 29  # first day of the step and of the promotion
    regular_window: int = 100  # days the regular elasticity is measured over


def arm_configs(base: CustsimConfig, p: Params) -> dict[str, CustsimConfig]:
    """Everyday price, the two permanent steps and the single promotion (`base` runs hi_lo)."""
    base = replace(base, steps=p.day + p.regular_window - 1)
    configs = {"baseline": replace(base, policy=EverydayPriceConfig())}
    for name, sign in (("up", 1), ("down", -1)):
        configs[name] = replace(base, policy=PriceChangeConfig(change=sign * p.change, day=p.day))
    configs["promo"] = arms.with_policy(base, start=p.day, every=base.steps)
    return configs


def simulate_arms(experiment: Experiment, base: CustsimConfig, p: Params) -> dict[str, list]:
    """Per arm, per seed: every firm's daily units and promotion flags."""
    configs = arm_configs(base, p)
    runs = [experiment.seeds(c) for c in configs.values()]
    flat = experiment.run([c for r in runs for c in r], arms.market_units)
    n = len(runs[0])
    return {k: flat[i * n : (i + 1) * n] for i, k in enumerate(configs)}


def focal_units(frames: list[pd.DataFrame], focal: str) -> np.ndarray:
    """The focal firm's daily units, shape (seeds, steps)."""
    return np.stack([f.loc[f["firm"] == focal, "units"].to_numpy(np.float64) for f in frames])


def elasticities(runs: dict[str, list], base: CustsimConfig, p: Params) -> dict[str, np.ndarray]:
    """Per seed: regular (central, rise-only, cut-only) and promotional elasticities."""
    focal = base.market.focal
    q = {k: focal_units(v, focal) for k, v in runs.items()}
    total = {k: arms.window_sum(v, p.day, p.regular_window) for k, v in q.items()}
    x, depth = p.change, base.policy.depth
    week = {k: arms.window_sum(q[k], p.day, base.policy.duration) for k in ("promo", "baseline")}
    return {
        "regular": arms.log_response(total["up"], total["down"]) / np.log((1 + x) / (1 - x)),
        "regular_rise": arms.log_response(total["up"], total["baseline"]) / np.log(1 + x),
        "regular_cut": arms.log_response(total["down"], total["baseline"]) / np.log(1 - x),
        "promotional": arms.log_response(week["promo"], week["baseline"]) / np.log(1 - depth),
    }


def decomposition(runs: dict[str, list], focal: str) -> dict[str, np.ndarray]:
    """Per seed: bump, switching, pulled forward, expansion (units) and their shares of the bump."""
    parts = [
        promotion_decomposition(promo, base, focal)
        for promo, base in zip(runs["promo"], runs["baseline"], strict=True)
    ]
    out = {k: np.array([d[k] for d in parts]) for k in ("bump", *SOURCES)}
    return out | {f"{k}_share": out[k] / out["bump"] for k in SOURCES}


def inside(low: float, high: float) -> Callable[[float, float], bool]:
    """The rule 'the CI [lo, hi] lies inside [low, high]'."""
    return lambda lo, hi: low <= lo and hi <= high


def checks(values: dict[str, np.ndarray]) -> list[Check]:
    """Both elasticities in their published ranges, promotions more elastic, three live sources."""
    (r_lo, r_hi), (p_lo, p_hi), (s_lo, s_hi) = REGULAR_RANGE, PROMO_RANGE, SHARE_RANGE
    specs = [
        ("regular", "regular price elasticity (permanent +-5%, 100 days)",
         "-2.62, mean of 1,851 (Bijmolt et al. 2005)", f"CI inside [{r_lo:g}, {r_hi:g}]",
         inside(r_lo, r_hi)),
        ("promotional", "promotional elasticity (one week 25% off)",
         "-3.63, short-term mean (Bijmolt et al. 2005)", f"CI inside [{p_lo:g}, {p_hi:g}]",
         inside(p_lo, p_hi)),
        ("promo_minus_regular", "promotional minus regular elasticity",
         "< 0: temporary cuts more elastic (-3.63 vs -2.62)", "< 0 (CI below 0)",
         lambda lo, hi: hi < 0),
    ]  # fmt: skip
    for key, label in SOURCES.items():
        specs.append(
            (f"{key}_share", f"share of the promotion bump from {label}",
             "about 1/3 each (van Heerde, Leeflang & Wittink 2004)",
             f"CI inside [{s_lo:g}, {s_hi:g}]", inside(s_lo, s_hi))
        )  # fmt: skip
    out = []
    for key, metric, published, criterion, rule in specs:
        mean, lo, hi = estimate(values[key])
        out.append(Check(metric, published, mean, lo, hi, criterion, bool(rule(lo, hi))))
    return out


def summary_table(values: dict[str, np.ndarray]) -> pd.DataFrame:
    """Mean and 95% CI of every per-seed quantity."""
    rows = [
        dict(zip(("quantity", "mean", "ci_low", "ci_high"), (k, *estimate(v)), strict=True))
        for k, v in values.items()
    ]
    return pd.DataFrame(rows)


def plot_figure(summary: pd.DataFrame, path: Path) -> Path:
    """Left: the two elasticities against the meta-analysis; right: the bump's sources."""
    from custsim.experiments.plots import PALETTE, closing_figure, save_png

    s = summary.set_index("quantity")
    with closing_figure(ncols=2, figsize=(12, 4.8), width_ratios=(1, 1.2)) as (fig, (left, right)):
        names, published = ("regular", "promotional"), (-2.62, -3.63)
        x = np.arange(2)
        err = [
            s.loc[list(names), "mean"] - s.loc[list(names), "ci_low"],
            s.loc[list(names), "ci_high"] - s.loc[list(names), "mean"],
        ]
        left.bar(
            x,
            s.loc[list(names), "mean"],
            yerr=err,
            capsize=6,
            color=[PALETTE[0], PALETTE[5]],
            label="custsim (95% CI)",
        )
        left.scatter(
            x,
            published,
            marker="D",
            s=70,
            color="0.1",
            zorder=3,
            label="meta-analytic mean (Bijmolt et al. 2005)",
        )
        left.set_xticks(x, ["regular price\n(permanent 5% step)", "promotion\n(one week 25% off)"])
        left.set(ylabel="elasticity", title="Elasticities at the defaults")
        left.axhline(0, color="0.3", lw=1)
        left.legend(frameon=False, fontsize=9, loc="lower left")
        shares = [s.loc[f"{k}_share", "mean"] for k in SOURCES]
        colors = (PALETTE[1], PALETTE[2], PALETTE[4])
        for row, values in enumerate((shares, [1 / 3] * 3)):
            left_edge = 0.0
            for value, label, color in zip(values, SOURCES.values(), colors, strict=True):
                right.barh(row, value, left=left_edge, color=color, label=label if row else None)
                right.text(left_edge + value / 2, row, f"{value:.0%}", ha="center", va="center")
                left_edge += value
        right.set_yticks([0, 1], ["custsim", "van Heerde et al. 2004\n(about 1/3 each)"])
        right.xaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
        right.set(xlabel="share of the promotion's extra units", title="Where the bump comes from")
        right.legend(frameon=False, ncols=3, loc="upper center", bbox_to_anchor=(0.5, -0.18))
        fig.suptitle("Price and promotion elasticities, and the promotion bump decomposed")
        return save_png(fig, path)


def run(experiment: Experiment) -> FindingResult:
    """Simulate the four arms; check both elasticities and the bump decomposition."""
    base = experiment.config()
    p = Params(**base.finding.params)
    runs = simulate_arms(experiment, base, p)
    values = elasticities(runs, base, p) | decomposition(runs, base.market.focal)
    values["promo_minus_regular"] = values["promotional"] - values["regular"]
    summary = summary_table(values)
    notes = [
        f"regular elasticity from the rise alone {values['regular_rise'].mean():.2f}, "
        f"from the cut alone {values['regular_cut'].mean():.2f}",
        f"{base.finding.seeds} paired seeds per arm, {base.population.size} customers",
    ]
    return FindingResult(
        name=experiment.name,
        title=TITLE,
        citation=CITATION,
        checks=checks(values),
        table=summary,
        plot=lambda path: plot_figure(summary, path),
        notes=notes,
    )
