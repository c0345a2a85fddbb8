"""Finding 9: social influence makes market shares more unequal and less predictable.

Published (Salganik, Dodds & Watts 2006): 14,341 participants downloaded 48
unknown songs, either independently or in one of eight "worlds" where they saw
how often each song had been downloaded in their world. In both experiments
the social-influence worlds were more unequal (Gini coefficient of the songs'
market shares) and less predictable (U, the spread of a song's share across
worlds) than the independent condition, more so when the popularity signal
was stronger; the best songs rarely did poorly and the worst rarely did well.

custsim: eight brands at one price and of graded quality (`conf/market/
parallel_worlds.yaml`), a fresh market, one world per seed. A shopper's utility
for brand j gains w_i S_ij, where S_ij is the recency-weighted share of its
network neighbours who bought j (`custsim.agents.social`): brands that happen to lead
early are seen more and chosen more (cumulative advantage). Independent worlds
have no network; social worlds multiply every persona's w_i by the strength.

Measures, per world (final share m_j = the brand's share of units over the run):
    G = sum_j sum_k |m_j - m_k| / (2 J sum_k m_k)                    (Gini)
    U = (1 / J) sum_j mean over pairs of worlds (w, v) |m_jw - m_jv|  (Salganik's U)
U is computed within groups of `group` worlds (paired seeds across strengths).
Params: `strengths`, `group`, `bottom_half_max`.
"""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from custsim.experiments.findings.framework import Check, Experiment, FindingResult, estimate
from custsim.experiments.plots import PALETTE, closing_figure, save_png
from custsim.sim.config import CustsimConfig
from custsim.sim.runner import RunResult

NUMBER = 9
TITLE = "Social influence: more unequal and less predictable market shares"
CITATION = (
    "Salganik, M. J., Dodds, P. S. & Watts, D. J. (2006). Experimental study of inequality "
    "and unpredictability in an artificial cultural market. Science 311(5762), 854-856."
)


def final_shares(run: RunResult) -> NDArray[np.float64]:
    """Each brand's share of the units sold over the whole run (firm order)."""
    units = np.nansum(run.model.recorder.firm["units"], axis=0)
    return units / max(units.sum(), 1.0)


def gini(shares: NDArray[np.float64]) -> float:
    """Gini coefficient of one world's shares: sum_j sum_k |m_j - m_k| / (2 J sum m)."""
    gaps = np.abs(shares[:, None] - shares[None, :]).sum()
    return float(gaps / (2 * len(shares) * shares.sum()))


def unpredictability(worlds: NDArray[np.float64]) -> float:
    """Salganik's U for shares (W worlds, J brands): mean |m_jw - m_jv| over pairs, then brands."""
    upper = np.triu_indices(len(worlds), k=1)
    gaps = np.abs(worlds[:, None, :] - worlds[None, :, :])[upper]
    return float(gaps.mean())


def grouped_u(worlds: NDArray[np.float64], group: int) -> list[float]:
    """U of each consecutive group of `group` worlds (all worlds as one group if fewer)."""
    size = min(group, len(worlds))
    return [unpredictability(worlds[k : k + size]) for k in range(0, len(worlds) - size + 1, size)]


def arm_overrides(cfg: CustsimConfig, strength: float) -> list[str]:
    """Independent worlds (no network) at strength 0, else every social weight times strength."""
    if strength == 0:
        return ["network=none"]
    overrides = []
    for name, seg in cfg.population.segments.items():
        key = f"population.segments.{name}.social_weight"
        overrides += [
            f"{key}.mean={strength * seg.social_weight.mean!r}",
            f"{key}.sd={strength * seg.social_weight.sd!r}",
        ]
    return overrides


def shares_table(cfg: CustsimConfig, shares: dict[float, NDArray]) -> pd.DataFrame:
    """One row per (strength, world, brand): quality, final share and the world's Gini."""
    firms = list(cfg.market.firms)
    quality = [cfg.market.firms[f].quality for f in firms]
    rows = []
    for strength, worlds in shares.items():
        for w, world in enumerate(worlds):
            g = gini(world)
            for j, firm in enumerate(firms):
                rows.append(
                    {
                        "strength": strength,
                        "world": cfg.seed + w,
                        "firm": firm,
                        "quality": quality[j],
                        "share": world[j],
                        "gini": g,
                    }
                )
    return pd.DataFrame(rows)


def summary(shares: dict[float, NDArray], group: int) -> pd.DataFrame:
    """Per strength: mean Gini and U with 95% CIs across worlds (Gini) and groups (U)."""
    rows = []
    for strength, worlds in shares.items():
        g = estimate([gini(w) for w in worlds])
        u = estimate(grouped_u(worlds, group))
        rows.append({"strength": strength, "gini": g[0], "gini_low": g[1], "gini_high": g[2]})
        rows[-1] |= {"u": u[0], "u_low": u[1], "u_high": u[2]}
    return pd.DataFrame(rows)


def rank_share(worlds: NDArray, brand: int, top: bool) -> tuple[float, float, float]:
    """Share of worlds where `brand` finishes in the top (or bottom) half, with a 95% CI."""
    rank = (worlds > worlds[:, [brand]]).sum(axis=1)  # 0: the leader
    half = worlds.shape[1] // 2
    return estimate((rank < half) if top else (rank >= half))


def checks(shares: dict[float, NDArray], params: dict[str, Any]) -> list[Check]:
    """Inequality and unpredictability, strongest social influence vs independent worlds."""
    strengths = sorted(shares)
    off, on = shares[strengths[0]], shares[strengths[-1]]
    d_gini = estimate([gini(s) - gini(i) for s, i in zip(on, off, strict=True)])
    u_on, u_off = grouped_u(on, params["group"]), grouped_u(off, params["group"])
    d_u = estimate(np.subtract(u_on, u_off))
    u_ratio = float(np.mean(u_on) / np.mean(u_off))
    gini_means = [np.mean([gini(w) for w in shares[s]]) for s in strengths]
    step = min((b - a for a, b in pairwise(gini_means)), default=np.nan)
    best_low = rank_share(on, 0, top=False)
    worst_high = rank_share(on, on.shape[1] - 1, top=True)
    cap = params["bottom_half_max"]
    return [
        Check(
            f"Gini of final shares, social (x{strengths[-1]:g}) minus independent worlds",
            "> 0: social-influence worlds more unequal than the independent world, both "
            "experiments (Salganik et al. 2006, Fig. 2A)",
            *d_gini,
            "CI above 0",
            d_gini[1] > 0,
        ),
        Check(
            "smallest rise in mean Gini from one strength to the next ("
            + ", ".join(f"{s:g}" for s in strengths)
            + ")",
            "stronger social signal (experiment 2) gave more inequality than the weaker (exp. 1)",
            step,
            np.nan,
            np.nan,
            "above 0: Gini strictly increasing in strength",
            step > 0,
        ),
        Check(
            f"unpredictability U, social minus independent (groups of {params['group']} worlds)",
            "> 0: U higher with social influence in both experiments (Salganik et al. 2006, "
            "Fig. 2B)",
            *d_u,
            f"CI above 0 (or, with one group, U ratio {u_ratio:.2f} above 1.5)",
            d_u[1] > 0 if np.isfinite(d_u[1]) else u_ratio > 1.5,
        ),
        Check(
            "share of social worlds where the best brand finishes in the bottom half",
            "'the best songs rarely did poorly' (Salganik et al. 2006)",
            *best_low,
            f"at most {cap:.0%}",
            best_low[0] <= cap,
        ),
        Check(
            "share of social worlds where the worst brand finishes in the top half",
            "'the worst rarely did well' (Salganik et al. 2006)",
            *worst_high,
            f"at most {cap:.0%}",
            worst_high[0] <= cap,
        ),
    ]


def run(experiment: Experiment) -> FindingResult:
    """Simulate parallel worlds at each strength (same seeds), then compare G and U."""
    base = experiment.config()
    params = base.finding.params
    strengths = [float(s) for s in params["strengths"]]
    arms = [experiment.config(*arm_overrides(base, s)) for s in strengths]
    results = experiment.run([c for cfg in arms for c in experiment.seeds(cfg)], final_shares)
    n = base.finding.seeds
    shares = {s: np.array(results[k * n : (k + 1) * n]) for k, s in enumerate(strengths)}
    table = shares_table(base, shares)
    stats = summary(shares, params["group"])
    return FindingResult(
        name="social_influence",
        title=TITLE,
        citation=CITATION,
        checks=checks(shares, params),
        table=table,
        plot=lambda path: plot(table, stats, path),
        notes=[
            f"{n} worlds per strength, {base.population.size} customers each, {base.steps} days; "
            f"{len(base.market.firms)} brands at one price, quality "
            f"{max(f.quality for f in base.market.firms.values()):g} down to "
            f"{min(f.quality for f in base.market.firms.values()):g}; social worlds on an "
            f"Erdos-Renyi network of mean degree {base.network.mean_degree:g}",
        ],
    )


def plot(table: pd.DataFrame, stats: pd.DataFrame, path: Path) -> Path:
    """Final shares by brand in every world (independent vs social), then G and U by strength."""
    strengths = sorted(table["strength"].unique())
    off, on = strengths[0], strengths[-1]
    firms = list(dict.fromkeys(table["firm"]))
    colors = {off: "0.55", on: PALETTE[0]}
    labels = {off: "independent worlds", on: f"social worlds (strength x{on:g})"}
    with closing_figure(ncols=3, figsize=(15, 5.2), width_ratios=(2.2, 1, 1)) as (fig, axes):
        left, mid, right = axes
        for k, strength in enumerate((off, on)):
            rows = table[table["strength"] == strength]
            x = rows["firm"].map({f: i for i, f in enumerate(firms)}) + (k - 0.5) * 0.36
            jitter = (rows["world"] % 9 / 8 - 0.5) * 0.16  # worlds side by side
            left.scatter(x + jitter, rows["share"], s=12, alpha=0.5, color=colors[strength])
            means = rows.groupby("firm", sort=False)["share"].mean()
            left.scatter(
                np.arange(len(firms)) + (k - 0.5) * 0.36,
                means.values,
                marker="_",
                s=500,
                lw=3,
                color=colors[strength],
                label=labels[strength],
            )
        left.axhline(1 / len(firms), color="0.3", ls=":", lw=1)
        left.set_xticks(range(len(firms)), [f"{f}\n{q:g}" for f, q in _qualities(table, firms)])
        left.set(xlabel="brand (quality, best left)", ylabel="final market share")
        left.set_title("Every dot is one world's final share", fontweight="bold")
        left.legend(frameon=False, loc="upper right")
        for ax, column, title in (
            (mid, "gini", "Inequality (Gini)"),
            (right, "u", "Unpredictability U"),
        ):
            ax.errorbar(
                stats["strength"],
                stats[column],
                yerr=[
                    stats[column] - stats[f"{column}_low"],
                    stats[f"{column}_high"] - stats[column],
                ],
                fmt="o-",
                lw=2.2,
                capsize=4,
                color=PALETTE[0],
            )
            ax.set_xlabel("social influence strength\n(x every persona's social weight)")
            ax.set_title(title, fontweight="bold")
            ax.set_xticks(strengths)
            ax.set_ylim(bottom=0)
        fig.suptitle(
            "Social influence: the same brands end up more unequal and less predictable "
            "(Salganik, Dodds & Watts 2006)",
            fontweight="bold",
        )
        return save_png(fig, path)


def _qualities(table: pd.DataFrame, firms: list[str]) -> list[tuple[str, float]]:
    """(firm, quality) in firm order."""
    quality = table.drop_duplicates("firm").set_index("firm")["quality"]
    return [(f, float(quality[f])) for f in firms]
