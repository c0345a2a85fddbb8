"""Finding 14: only the completely satisfied are truly loyal (Jones & Sasser 1995).

Published (Jones & Sasser 1995, Harvard Business Review 73(6), 88-99): at Xerox,
customers who answered 5, "completely satisfied", on the 1-5 satisfaction survey
were six times as likely to repurchase Xerox equipment over the next 18 months as
those who answered 4, "satisfied". Their figure: in highly competitive markets
loyalty stays low across the "zone of defection" and rises steeply only at the
top of the scale (the relation is convex). Only the 6x is a number; the shape is
direction only.

custsim: with the experience chain on, a purchase of brand j is felt as
e = v(q - q_ref) (quality against the expected; `custsim.agents.experience`),
satisfaction S_ij <- S_ij + rho' (e - S_ij), and the brand utility gains w_S S_ij
(plus trust and habit terms), so a customer more satisfied with the focal firm
buys from it more. The focal firm surveys its whole customer list once, on day
D = `market.firms.<focal>.survey.every` (later surveys on 2D, 3D, ... are
ignored), each answering round(7.5 + 3 S + N(0, survey_noise)) in 0..10
(`likelihood_to_recommend`). The setting (conf/experiment/top_box_loyalty.yaml) is a
highly competitive market, eight brands at one price, every one inconsistent; quality
is expected as the brand promises (`quality_memory` 0: with adaptive expectations a
lucky purchase raises the expectation and the next disappoints, and satisfaction does
not persist long enough to predict 18 months).

Analysis, per seed:

- respondents: the customers who answered on day D and bought from the focal firm
  in the `recent_days` up to it (its current customers; the survey also reaches
  customers who left long ago, the firm cannot tell);
- box: the 0..10 answer on a five-box scale, `params.boxes` (upper answer of each
  box: 0-2, 3-4, 5-6, 7-8, 9-10; the top box is also the NPS "promoters");
- outcome: loyal = at least `loyal_share` of the customer's category purchases
  in the `follow_days` (18 months) after the survey were the focal firm's. With
  shoppers buying every week or two, "bought again within 18 months" is true of
  almost everyone alive, so it cannot be six times more likely anywhere; being
  the firm's customer for most purchases can. Reported beside it (not checked):
  the mean share of the focal firm in those purchases and "still a customer",
  bought from it in the last `end_days` of the window.

Checks: the top-to-second-box ratio of the loyal share (per seed, CI across
seeds) against the published 6x; convexity, the step from box 4 to 5 minus the
step from 3 to 4; and the top box's share of the respondents' later purchases
from the firm against its share of the respondents.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from custsim.experiments.findings.framework import Check, Experiment, FindingResult, estimate
from custsim.experiments.plots import PALETTE, closing_figure, save_png
from custsim.sim.runner import RunResult

NUMBER = 14
TITLE = "Only the completely satisfied are truly loyal (Jones & Sasser 1995)"
CITATION = (
    "Jones, T. O. & Sasser, W. E. (1995). Why satisfied customers defect. "
    "Harvard Business Review 73(6), 88-99."
)
#: the five boxes, bottom to top
BOXES = (1, 2, 3, 4, 5)
#: what each box-level count in a run's record means
COUNTS = ("respondents", "loyal", "still_customer", "focal_purchases", "purchases")


def survey_day(cfg: Any) -> int:
    """D: the focal firm's first survey day, `market.firms.<focal>.survey.every`."""
    return int(cfg.market.firms[cfg.market.focal].survey.every)


def to_box(scores: np.ndarray, upper: list[int]) -> np.ndarray:
    """Box 1..5 of each 0..10 answer: the first box whose upper answer is not below it."""
    return np.searchsorted(np.asarray(upper), np.asarray(scores), side="left") + 1


def box_record(run: RunResult) -> dict[str, Any]:
    """One run: per box the respondents and what they did in the 18 months; the answers.

    Returns `COUNTS` as (5,) arrays by box (purchases: category purchases in the
    window; focal_purchases: those from the focal firm), `answers` the (11,)
    histogram of the respondents' 0..10 answers, and `asked` the answers on day D.
    """
    model = run.model
    cfg, params = model.cfg, model.cfg.finding.params
    focal, day = cfg.market.focal, survey_day(cfg)
    follow, recent = int(params["follow_days"]), int(params["recent_days"])
    if cfg.steps < day + follow + 1:
        raise ValueError(f"steps={cfg.steps} leaves no {follow} days after the survey on {day}")
    surveys = model.service_log.survey_frame()
    asked = surveys[(surveys["day"] == day) & (surveys["firm"] == focal)]
    log = model.purchase_log.frame()[["day", "customer", "firm"]]
    at_focal = (log["firm"] == focal).to_numpy()
    days = log["day"].to_numpy()
    current = np.unique(log.loc[at_focal & (days <= day) & (days > day - recent), "customer"])
    asked = asked[asked["customer"].isin(current)]
    after = (days > day) & (days <= day + follow)
    n = cfg.population.size
    bought = np.bincount(log.loc[after, "customer"], minlength=n)
    mine = np.bincount(log.loc[after & at_focal, "customer"], minlength=n)
    late = after & at_focal & (days > day + follow - int(params["end_days"]))
    still = np.zeros(n, dtype=bool)
    still[log.loc[late, "customer"].to_numpy()] = True
    who = asked["customer"].to_numpy()
    scores = asked["score"].to_numpy().astype(int)
    box = to_box(scores, list(params["boxes"]))
    loyal = (bought[who] > 0) & (mine[who] >= float(params["loyal_share"]) * bought[who])

    def by_box(values: np.ndarray) -> np.ndarray:
        return np.bincount(box, weights=values.astype(float), minlength=6)[1:]

    return {
        "respondents": by_box(np.ones(len(who))),
        "loyal": by_box(loyal),
        "still_customer": by_box(still[who]),
        "focal_purchases": by_box(mine[who]),
        "purchases": by_box(bought[who]),
        "answers": np.bincount(scores, minlength=11).astype(float),
        "asked": int((surveys["day"] == day).sum()),
    }


def rates(records: list[dict[str, Any]], count: str) -> np.ndarray:
    """(seeds, 5) the share of each box's respondents with `count` (NaN for an empty box)."""
    num = np.array([r[count] for r in records])
    den = np.array([r["respondents"] for r in records])
    return np.divide(num, den, out=np.full(num.shape, np.nan), where=den > 0)


def focal_share(records: list[dict[str, Any]]) -> np.ndarray:
    """(seeds, 5) the focal firm's share of each box's category purchases in the window."""
    num = np.array([r["focal_purchases"] for r in records])
    den = np.array([r["purchases"] for r in records])
    return np.divide(num, den, out=np.full(num.shape, np.nan), where=den > 0)


def box_table(records: list[dict[str, Any]]) -> pd.DataFrame:
    """Per box: respondents' share, loyal share (mean, 95% CI), the firm's share, still buying."""
    resp = np.array([r["respondents"] for r in records])
    parts = {
        "respondent_share": resp / resp.sum(axis=1, keepdims=True),
        "loyal": rates(records, "loyal"),
        "focal_share": focal_share(records),
        "still_customer": rates(records, "still_customer"),
    }
    rows = []
    for k, box in enumerate(BOXES):
        row: dict[str, Any] = {"box": box, "respondents": resp[:, k].mean()}
        for name, values in parts.items():
            mean, low, high = estimate(values[:, k][~np.isnan(values[:, k])])
            row |= {name: mean, f"{name}_ci_low": low, f"{name}_ci_high": high}
        rows.append(row)
    return pd.DataFrame(rows)


def top_box_checks(records: list[dict[str, Any]], params: Any) -> list[Check]:
    """Top vs second box against the published 6x; convexity; the top box's weight in sales."""
    loyal = rates(records, "loyal")
    ratio = estimate(loyal[:, 4] / loyal[:, 3])
    bar = float(params["ratio_bar"])
    curvature = estimate((loyal[:, 4] - loyal[:, 3]) - (loyal[:, 3] - loyal[:, 2]))
    resp = np.array([r["respondents"] for r in records])
    sales = np.array([r["focal_purchases"] for r in records])
    weight = estimate((sales[:, 4] / sales.sum(axis=1)) / (resp[:, 4] / resp.sum(axis=1)))
    return [
        Check(
            "loyal (most category purchases at the firm over 18 months): top box (9-10) / "
            "second box (7-8)",
            f"{params['published_ratio']}x repurchase, 5 vs 4 of 5 (Xerox; Jones & Sasser 1995)",
            *ratio,
            f"ratio above {bar:g} with CI above 1",
            ratio[0] > bar and ratio[1] > 1.0,
        ),
        Check(
            "convexity: loyal share step box 4 -> 5 minus step box 3 -> 4",
            "positive: flat across the zone of defection, steep at the top "
            "(Jones & Sasser's figure; direction only)",
            *curvature,
            "CI above 0",
            curvature[1] > 0.0,
        ),
        Check(
            "top box's share of the respondents' later purchases from the firm / its share "
            "of the respondents",
            "above 1: the completely satisfied are worth more (direction only)",
            *weight,
            "CI above 1",
            weight[1] > 1.0,
        ),
    ]


def run(experiment: Experiment) -> FindingResult:
    """Simulate the seeds, box the survey answers, follow every respondent 18 months."""
    cfg = experiment.config()
    params = cfg.finding.params
    records = experiment.run(experiment.seeds(cfg), box_record)
    table = box_table(records)
    answers = np.mean([r["answers"] for r in records], axis=0)
    loyal = rates(records, "loyal")
    ratio = float(np.nanmean(loyal[:, 4] / loyal[:, 3]))
    firm = cfg.market.firms[cfg.market.focal]
    return FindingResult(
        name="top_box_loyalty",
        title=TITLE,
        citation=CITATION,
        checks=top_box_checks(records, params),
        table=table,
        plot=lambda path: plot(table, answers, ratio, params, path),
        notes=[
            f"{cfg.population.size} customers, {len(cfg.market.firms)} brands, {cfg.steps} days, "
            f"{cfg.finding.seeds} seeds; quality sd {firm.service.quality_sd:g} per purchase; "
            f"the survey on day {survey_day(cfg)}, {params['follow_days']} days followed",
            f"respondents: {table['respondents'].sum():,.0f} per run (bought from "
            f"{cfg.market.focal} in the {params['recent_days']} days before; of "
            f"{np.mean([r['asked'] for r in records]):,.0f} asked); boxes by answer "
            f"{'/'.join(str(u) for u in params['boxes'])} (upper answers)",
            f"loyal: at least {float(params['loyal_share']):.0%} of the 18 months' category "
            f"purchases at {cfg.market.focal}; still a customer: bought from it in the last "
            f"{params['end_days']} days",
        ],
    )


def plot(table: pd.DataFrame, answers: np.ndarray, ratio: float, params: Any, path: Path) -> Path:
    """Loyal share by box (bars with CIs) with the 5-vs-4 ratio; the answers' distribution."""
    answered = table["respondent_share"].to_numpy()
    upper = [int(u) for u in params["boxes"]]
    spans = [f"{lo}-{hi}" for lo, hi in zip([0, *(u + 1 for u in upper[:-1])], upper, strict=True)]
    labels = [f"{b}\n({a})\n{w:.1%}" for b, a, w in zip(BOXES, spans, answered, strict=True)]
    with closing_figure(ncols=2, figsize=(13, 5.2), width_ratios=[1.3, 1]) as (fig, axes):
        ax = axes[0]
        x = np.arange(len(BOXES))
        mean = 100 * table["loyal"].to_numpy()
        err = 100 * np.array([table["loyal"] - table["loyal_ci_low"],
                              table["loyal_ci_high"] - table["loyal"]])  # fmt: skip
        colors = [PALETTE[4]] * 3 + [PALETTE[0], PALETTE[5]]
        ax.bar(x, mean, 0.6, color=colors)
        ax.errorbar(x, mean, yerr=np.nan_to_num(err).clip(0), fmt="none", ecolor="0.2",
                    capsize=4)  # fmt: skip
        for xi, v in zip(x, mean, strict=True):
            ax.annotate(f"{v:.1f}%", (xi, v), ha="center", va="bottom", xytext=(0, 6),
                        textcoords="offset points", fontsize=9)  # fmt: skip
        ax.annotate(
            f"top box / second box: {ratio:.1f}x\n(Xerox: {params['published_ratio']:g}x)",
            (0.03, 0.95), xycoords="axes fraction", ha="left", va="top", fontweight="bold",
        )  # fmt: skip
        ax.set_xticks(x, labels)
        ax.set_xlabel("survey box (answers; share of the respondents)")
        ax.set_ylabel("% loyal over the next 18 months\n(most category purchases at the firm)")
        ax.set_ylim(0, max(np.nanmax(mean + np.nan_to_num(err[1])), 1.0) * 1.3)
        ax.grid(axis="x", visible=False)
        ax = axes[1]
        share = 100 * answers / answers.sum()
        tone = [colors[k - 1] for k in to_box(np.arange(11), upper)]
        ax.bar(range(11), share, 0.8, color=tone)
        ax.set_xticks(range(11))
        ax.set_xlabel("answer")
        ax.set_ylabel("% of respondents")
        ax.set_title("The answers (current customers)")
        ax.grid(axis="x", visible=False)
        fig.suptitle(
            f"Top-box loyalty: the completely satisfied (box 5) are {ratio:.1f} times as often "
            "loyal as the merely satisfied (box 4)",
            fontweight="bold",
        )
        return save_png(fig, path)
