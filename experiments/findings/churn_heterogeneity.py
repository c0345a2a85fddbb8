"""Finding 11: heterogeneous constant churn makes cohort retention rise with tenure.

Published (Fader & Hardie 2007): of 1,000 "regular" customers of a contract
service, 631, 468, 382 and 326 were still there after 1-4 annual renewals, so
the retention rate rose from 0.631 to 0.741, 0.816 and 0.853 (1,000 "high end"
customers: 869, 743, 653, 593). The shifted-beta-geometric (sBG) model
explains the rise without any customer growing more loyal: customer i leaves
at each renewal with a constant probability theta_i ~ Beta(alpha, beta), so

    S(t) = B(alpha, beta + t) / B(alpha, beta),  r_t = (beta + t - 1) / (alpha + beta + t - 1),

and the high-theta customers leave first: the survivors' mean theta is
alpha / (alpha + beta + t). Fitted: regular alpha = 0.704, beta = 1.182
(S = 627, 474, 388, 332); high end alpha = 0.668, beta = 3.806 (851, 747, 670, 610).

custsim: population `subscribers` (one segment per cohort): every customer
renews once a year (`occasions.timing: regular`) and drops out after an
occasion with its own constant p_i ~ Beta(alpha, beta) (`custsim.agents.churn`; no
dissatisfaction term). A customer with churn_day in ((k-1) T, k T] left at
renewal k (T = 1 / occasion rate).

Params: `cohorts` (segment -> alpha, beta and the observed survivors per
1,000), `tolerance` (relative distance allowed from the sBG closed form).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

from custsim.agents.churn import sbg_retention, sbg_survival
from custsim.experiments.findings.framework import Check, Experiment, FindingResult, estimate
from custsim.experiments.plots import PALETTE, closing_figure, save_png
from custsim.sim.runner import RunResult

NUMBER = 11
TITLE = "Heterogeneous churn: cohort retention rises with tenure (sBG)"
CITATION = (
    "Fader, P. S. & Hardie, B. G. S. (2007). How to project customer retention. "
    "Journal of Interactive Marketing 21(1), 76-90."
)


def cohort_survival(run: RunResult) -> pd.DataFrame:
    """Per segment and renewal k = 0..K: share still active and their mean churn probability."""
    cfg, frame = run.model.cfg, run.customers
    rows = []
    for name, seg in cfg.population.segments.items():
        mine = frame[frame["segment"] == name]
        period = 1.0 / seg.occasion_rate.mean
        left = mine["churn_day"].to_numpy()
        for k in range(int(cfg.steps / period + 1e-9) + 1):
            alive = (left == -1) | (left > k * period)
            rows.append(
                {
                    "cohort": name,
                    "period": k,
                    "survival": alive.mean(),
                    "mean_churn_probability": mine["dropout"].to_numpy()[alive].mean(),
                }
            )
    return pd.DataFrame(rows)


def survival_table(runs: list[pd.DataFrame], cohorts: dict[str, Any], seed: int) -> pd.DataFrame:
    """Every seed's survival with the sBG closed form and the observed data beside it."""
    table = pd.concat([r.assign(seed=seed + k) for k, r in enumerate(runs)], ignore_index=True)
    extra = []
    for name, c in cohorts.items():
        mine = table["cohort"] == name
        k = table.loc[mine, "period"].to_numpy()
        closed = sbg_survival(c["alpha"], c["beta"], int(k.max()))
        observed = np.full(int(k.max()) + 1, np.nan)
        given = np.array(c["survivors"], dtype=float)[: len(observed)] / c["survivors"][0]
        observed[: len(given)] = given
        extra.append(
            pd.DataFrame(
                {
                    "sbg_survival": closed[k],
                    "observed_survival": observed[k],
                    "sbg_mean_churn_probability": c["alpha"] / (c["alpha"] + c["beta"] + k),
                },
                index=table.index[mine],
            )
        )
    return table.join(pd.concat(extra))


def retention(survival: np.ndarray) -> np.ndarray:
    """Retention rates r_t = S(t) / S(t - 1), t = 1..K."""
    return survival[1:] / survival[:-1]


def cohort_checks(table: pd.DataFrame, name: str, c: dict[str, Any], tol: float) -> list[Check]:
    """Survivors and rising retention of one cohort against the sBG closed form."""
    mine = table[table["cohort"] == name]
    wide = mine.pivot(index="seed", columns="period", values="survival").to_numpy()
    horizon = wide.shape[1] - 1
    closed = sbg_survival(c["alpha"], c["beta"], horizon)
    gap = np.abs(wide.mean(axis=0)[1:] / closed[1:] - 1.0).max()
    shown = min(4, horizon, len(c["survivors"]) - 1)
    survivors = estimate(1000 * wide[:, shown])
    rates = np.array([retention(s) for s in wide])
    mean_rates, closed_rates = rates.mean(axis=0), sbg_retention(c["alpha"], c["beta"], horizon)
    rising = bool(np.all(np.diff(mean_rates) > 0))
    rate_gap = np.abs(mean_rates / closed_rates - 1.0).max()
    observed = np.array(c["survivors"], dtype=float)
    sbg = f"sBG({c['alpha']:g}, {c['beta']:g})"
    return [
        Check(
            f"{name} cohort: survivors per 1,000 after {shown} renewals",
            f"{observed[shown]:g} observed, {1000 * closed[shown]:.0f} by the {sbg} "
            "(Fader & Hardie 2007)",
            *survivors,
            f"every renewal 1-{horizon} within {tol:.0%} of the sBG (largest gap {gap:.1%})",
            gap <= tol,
        ),
        Check(
            f"{name} cohort: retention rate, renewal {horizon} minus renewal 1",
            "rises: "
            + ", ".join(f"{r:.3f}" for r in retention(observed))
            + f" observed; sBG {closed_rates[0]:.3f} -> {closed_rates[-1]:.3f}",
            *estimate(rates[:, -1] - rates[:, 0]),
            f"rates strictly rising and each within {tol:.0%} of the sBG (largest gap "
            f"{rate_gap:.1%})",
            rising and rate_gap <= tol,
        ),
    ]


def run(experiment: Experiment) -> FindingResult:
    """Simulate the cohorts over the seeds and compare survivors with the sBG."""
    cfg = experiment.config()
    params = cfg.finding.params
    runs = experiment.run(experiment.seeds(cfg), cohort_survival)
    table = survival_table(runs, params["cohorts"], cfg.seed)
    checks = [
        check
        for name, c in params["cohorts"].items()
        for check in cohort_checks(table, name, c, params["tolerance"])
    ]
    return FindingResult(
        name="churn_heterogeneity",
        title=TITLE,
        citation=CITATION,
        checks=checks,
        table=table,
        plot=lambda path: plot(table, path),
        notes=[
            f"{cfg.population.size} customers ({len(params['cohorts'])} cohorts), annual "
            f"renewals over {cfg.steps} days, {cfg.finding.seeds} seeds; churn "
            "probabilities drawn from each cohort's published Beta(alpha, beta)",
        ],
    )


def plot(table: pd.DataFrame, path: Path) -> Path:
    """Survivors, retention rates and the survivors' mean churn probability, per cohort."""
    means = table.groupby(["cohort", "period"], sort=False).mean(numeric_only=True)
    with closing_figure(ncols=3, figsize=(16, 5.2)) as (fig, axes):
        for color, cohort in zip(PALETTE, dict.fromkeys(table["cohort"]), strict=False):
            m = means.loc[cohort]
            k = m.index.to_numpy()
            axes[0].plot(k, 1000 * m["sbg_survival"], color=color, lw=2, label=f"{cohort}: sBG")
            axes[0].plot(
                k, 1000 * m["survival"], "o", color=color, ms=7, label=f"{cohort}: custsim"
            )
            axes[0].plot(k, 1000 * m["observed_survival"], "x", color="0.15", ms=8, mew=2)
            rate, closed = (
                retention(m["survival"].to_numpy()),
                retention(m["sbg_survival"].to_numpy()),
            )
            observed = retention(m["observed_survival"].to_numpy())
            axes[1].plot(k[1:], closed, color=color, lw=2)
            axes[1].plot(k[1:], rate, "o", color=color, ms=7)
            axes[1].plot(k[1:], observed, "x", color="0.15", ms=8, mew=2)
            axes[2].plot(k, m["sbg_mean_churn_probability"], color=color, lw=2)
            axes[2].plot(k, m["mean_churn_probability"], "o", color=color, ms=7)
        axes[0].plot([], [], "x", color="0.15", ms=8, mew=2, label="observed (Fader & Hardie)")
        axes[0].set(xlabel="renewals (years)", ylabel="customers still active, per 1,000")
        axes[0].set_title("Survivors of a cohort of 1,000", fontweight="bold")
        axes[0].legend(frameon=False, fontsize=9)
        axes[1].set(xlabel="renewal t", ylabel="retention rate S(t) / S(t - 1)")
        axes[1].set_title("Retention rises with tenure...", fontweight="bold")
        axes[2].set(xlabel="renewals survived", ylabel="mean churn probability of survivors")
        axes[2].set_title("...because the likely leavers leave first", fontweight="bold")
        axes[2].set_ylim(bottom=0)
        for ax in axes:
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        fig.suptitle(
            "Every customer's churn probability is constant; the cohort's is not "
            "(lines: sBG closed form; dots: custsim)",
            fontweight="bold",
        )
        return save_png(fig, path)
