"""Finding 12: customers whose complaint is resolved come back more than those who never complained.

Published (TARP, the Technical Assistance Research Programs studies for the White
House Office of Consumer Affairs, 1979-1986, as reported by Goodman 1999 and in
Hart, Heskett & Sasser 1990): of customers who had a problem, the share who
would buy again from the firm climbs a ladder. Problems costing over $100: 9%
of those who did not complain, 19% of those who complained and were not
satisfied, 54% of those whose complaint was resolved, 82% of those whose
complaint was resolved quickly; problems under $5: 37%, 46%, 70%, 95%.

custsim: the focal firm's service fails on a share of purchases (a felt loss of
`failure_severity` through v). A buyer who felt a loss L complains with
P = 1 - exp(-k (1 + l_v H) L), more readily the more loyal to the brand (H, the
Guadagni & Little habit: loyalty activates voice, Hirschman 1970), so the
complainers are the customers who had most reason to stay. An answered
complaint is felt as v(b C) + h 2^(-wait / half-life)
(`custsim.agents.experience.recovery_experience`). Arms (common random numbers:
the same seeds): each problem size (`params.problems`: the large and the small
failure) with complaints left unanswered, answered after two weeks, and answered
the next morning (`params.handling`). The service records (incidents.parquet)
say who had a problem and complained; the purchase log who bought from the firm
again in the `window` days after the first `start` days following the first
failure (customers whose first failure leaves the whole window inside the run).

Rungs: `silent` (did not complain; the unanswered arm), `unresolved`
(complained, never answered), `resolved` (answered after `handling.resolved`'s
delay), `quickly` (answered the next morning).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from custsim.experiments.findings.framework import Check, Experiment, FindingResult, estimate
from custsim.experiments.plots import PALETTE, closing_figure, save_png
from custsim.sim.runner import RunResult

NUMBER = 12
TITLE = "Complaint ladder: a resolved complaint brings customers back (TARP)"
CITATION = (
    "Technical Assistance Research Programs (1979, 1986). Consumer complaint handling in "
    "America. White House Office of Consumer Affairs; as reported by Goodman, J. (1999), "
    "Basic facts on customer complaint behavior and the impact of service on the bottom line, "
    "Competitive Advantage 9(1), 1-5, and Hart, C. W. L., Heskett, J. L. & Sasser, W. E. "
    "(1990), The profitable art of service recovery, Harvard Business Review 68(4), 148-156. "
    "Hirschman, A. O. (1970). Exit, Voice, and Loyalty. Harvard University Press."
)
#: the ladder's rungs, bottom to top
RUNGS = ("silent", "unresolved", "resolved", "quickly")
#: the rung each handling arm's complainers stand on
COMPLAINERS = {"none": "unresolved", "resolved": "resolved", "quickly": "quickly"}


def first_problems(run: RunResult) -> pd.DataFrame:
    """Each customer's first service failure at the focal firm, and whether they came back.

    Columns: customer, day, complained, answered (day; -1 never), back (bought from
    the firm in days (day + start, day + start + window]). Only failures early
    enough for the whole window to lie inside the run.
    """
    model = run.model
    params, focal = model.cfg.finding.params, model.cfg.market.focal
    start, window = int(params["start"]), int(params["window"])
    incidents = model.service_log.incident_frame()
    failed = incidents[(incidents["firm"] == focal) & incidents["failed"]]
    first = failed.drop_duplicates("customer")
    first = first[first["day"] <= model.cfg.steps - start - window]
    purchases = model.purchase_log.frame()
    at_firm = purchases.loc[purchases["firm"] == focal, ["customer", "day"]]
    later = first[["customer", "day"]].merge(at_firm, on="customer", suffixes=("", "_bought"))
    gap = later["day_bought"] - later["day"]
    came_back = later.loc[(gap > start) & (gap <= start + window), "customer"]
    back = first["customer"].isin(came_back).to_numpy()
    return first[["customer", "day", "complained", "answered"]].assign(back=back)


def ladder_rates(run: RunResult) -> dict[str, float]:
    """Share who came back among the silent and the complainers of one run, and their counts."""
    first = first_problems(run)
    spoke = first["complained"].to_numpy()
    back = first["back"].to_numpy()
    return {
        "silent": float(back[~spoke].mean()),
        "complainers": float(back[spoke].mean()),
        "silent_n": int((~spoke).sum()),
        "complainers_n": int(spoke.sum()),
        "complaint_share": float(spoke.mean()),
    }


def ladders(runs: dict[tuple[str, str], list[dict[str, float]]], problem: str) -> np.ndarray:
    """(seeds, 4) the rungs' come-back shares for one problem size, seed by seed."""
    none = runs[(problem, "none")]
    rows = [[r["silent"] for r in none]]
    rows += [[r["complainers"] for r in runs[(problem, arm)]] for arm in COMPLAINERS]
    return np.array(rows).T


def ladder_table(runs: dict[tuple[str, str], list[dict[str, float]]], params: Any) -> pd.DataFrame:
    """Per problem size and rung: the share who came back (mean, 95% CI) and the published one."""
    rows = []
    for problem in params["problems"]:
        values = ladders(runs, problem)
        for k, rung in enumerate(RUNGS):
            mean, low, high = estimate(values[:, k])
            rows.append(
                {
                    "problem": problem,
                    "rung": rung,
                    "came_back": mean,
                    "ci_low": low,
                    "ci_high": high,
                    "published": params["published"][problem][k] / 100.0,
                }
            )
    return pd.DataFrame(rows)


def ladder_checks(runs: dict[tuple[str, str], list[dict[str, float]]], params: Any) -> list[Check]:
    """Each ladder in order; every rung lower after a large problem; recovery worth more there."""
    large, small = params["problems"]
    rungs = {problem: ladders(runs, problem) for problem in (large, small)}
    checks = []
    for problem in (large, small):
        values, published = rungs[problem], params["published"][problem]
        steps = np.diff(values, axis=1)
        lowest = steps.min(axis=1)
        least = estimate(lowest)
        checks.append(
            Check(
                f"{problem} problem: smallest step up the ladder (silent < unresolved < resolved "
                "< resolved quickly), share who came back",
                " < ".join(f"{p}%" for p in published) + " (TARP)",
                *least,
                "every step positive in every seed, and the mean smallest step's CI above 0",
                bool((steps > 0).all()) and least[1] > 0,
            )
        )
    gap = rungs[small] - rungs[large]
    lowest_gap = estimate(gap.min(axis=1))
    p_large, p_small = params["published"][large], params["published"][small]
    checks.append(
        Check(
            f"every rung: came back after a {small} problem minus after a {large} one (smallest)",
            "all positive: "
            + ", ".join(f"{s - g:+d}" for s, g in zip(p_small, p_large, strict=True))
            + " points (TARP)",
            *lowest_gap,
            "CI above 0",
            lowest_gap[1] > 0,
        )
    )
    recovery = {p: rungs[p][:, -1] - rungs[p][:, 0] for p in (large, small)}
    more = estimate(recovery[large] - recovery[small])
    checks.append(
        Check(
            f"what a quick resolution wins back (quickly - silent), {large} minus {small} problem",
            f"{p_large[-1] - p_large[0] - (p_small[-1] - p_small[0]):+d} points "
            f"({p_large[-1] - p_large[0]} vs {p_small[-1] - p_small[0]}; TARP)",
            *more,
            "CI above 0: recovery is worth more where the problem hurt more",
            more[1] > 0,
        )
    )
    return checks


def run(experiment: Experiment) -> FindingResult:
    """Simulate every problem size and handling arm over the seeds; climb the ladders."""
    cfg = experiment.config()
    params = cfg.finding.params
    arms = [
        (problem, handling, [*p_over, *h_over])
        for problem, p_over in params["problems"].items()
        for handling, h_over in params["handling"].items()
    ]
    cfgs = [c for _, _, over in arms for c in experiment.seeds(experiment.config(*over))]
    rates = experiment.run(cfgs, ladder_rates)
    n = cfg.finding.seeds
    runs = {(p, h): rates[k * n : (k + 1) * n] for k, (p, h, _) in enumerate(arms)}
    table = ladder_table(runs, params)
    shares = {
        p: np.mean([r["complaint_share"] for r in runs[(p, "none")]]) for p in params["problems"]
    }
    counts = {p: np.mean([r["silent_n"] + r["complainers_n"] for r in runs[(p, "none")]])
              for p in params["problems"]}  # fmt: skip
    return FindingResult(
        name="complaint_ladder",
        title=TITLE,
        citation=CITATION,
        checks=ladder_checks(runs, params),
        table=table,
        plot=lambda path: plot(table, path),
        notes=[
            f"{cfg.population.size} customers, {cfg.steps} days, {n} seeds per arm; the focal "
            f"firm's service fails on {cfg.market.firms[cfg.market.focal].service.failure_rate:.0%}"
            " of its purchases; came back: bought from it again "
            f"{params['start']}-{params['start'] + params['window']} days after the first failure",
            *(
                f"{p} problem: {counts[p]:,.0f} customers with a first failure per run, "
                f"{shares[p]:.0%} of them complained"
                for p in params["problems"]
            ),
        ],
    )


def plot(table: pd.DataFrame, path: Path) -> Path:
    """The two ladders, custsim's bars with CIs beside TARP's published shares."""
    labels = ["did not\ncomplain", "complained,\nnot resolved", "resolved", "resolved\nquickly"]
    problems = list(dict.fromkeys(table["problem"]))
    with closing_figure(ncols=len(problems), figsize=(13, 5.2), sharey=True) as (fig, axes):
        for ax, problem, color in zip(axes, problems, PALETTE, strict=False):
            rows = table[table["problem"] == problem]
            x = np.arange(len(RUNGS))
            err = [rows["came_back"] - rows["ci_low"], rows["ci_high"] - rows["came_back"]]
            ax.bar(x - 0.2, 100 * rows["came_back"], 0.4, color=color, label="custsim")
            ax.errorbar(x - 0.2, 100 * rows["came_back"], yerr=100 * np.array(err).clip(0),
                        fmt="none", ecolor="0.2", capsize=4)  # fmt: skip
            ax.bar(x + 0.2, 100 * rows["published"], 0.4, color="0.75", label="TARP (published)")
            for xi, v in zip(x, rows["came_back"], strict=True):
                ax.annotate(f"{v:.0%}", (xi - 0.2, 100 * v), ha="center", va="bottom",
                            xytext=(0, 6), textcoords="offset points", fontsize=9)  # fmt: skip
            ax.set_xticks(x, labels)
            ax.set_title(f"{problem} problem", fontweight="bold")
            ax.set_ylim(0, 105)
            ax.grid(axis="y", alpha=0.3)
            ax.spines[["top", "right"]].set_visible(False)
        axes[0].set_ylabel("% who bought from the firm again")
        axes[0].legend(frameon=False, loc="upper left")
        fig.suptitle(
            "The complaint ladder: voice beats silence, a resolution beats none, a quick one most",
            fontweight="bold",
        )
        return save_png(fig, path)
