"""What `custsim-crm` reports for one firm: the `CRMReport` and how it reads.

`CRMReport` holds the frames and key numbers `custsim.experiments.crm.job`
computes; `format_summary` is the console summary and `report_markdown` the
run's `crm/<FIRM>/report.md`. The figures (`custsim.experiments.crm.plots`) read
the same report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


@dataclass
class CRMReport:
    """Everything `custsim-crm` computes for one firm at one as-of day.

    Per-customer frames hold the firm's customers at the as-of day (row id in
    `customer`); columns starting with `true_` are the simulation's truth, never
    an input of a score.

    Attributes:
        firm: The firm.
        as_of: The as-of day (records hold purchases of days <= as_of).
        steps: Days of the run.
        population: Customers in the run.
        budget: Retention offers scored for "offers wasted".
        rfm: Per customer: RFM values and scores, classes, ABC tier, lifecycle
            stage, P(alive), truth.
        segments: Per RFM class (four-class and eight-cell schemes): size, value
            shares, true churn rate and persona mix.
        abc: Per ABC tier: size, value shares, true churn.
        clv: Per customer: BG/NBD inputs, P(alive), predicted vs realised future.
        warning: Per early-warning method: flags, precision, recall, AUC, offers.
        gains: Gains table per method (deciles of score).
        lifecycle: Per customer: stage at each checkpoint day (columns day_<d>).
        stage_sizes: Customers per stage (columns) at each checkpoint (rows).
        profiles: Per k-means profile: size, feature means, customers per true persona.
        pareto: Pareto curve points (share of customers, share of spend).
        numbers: Key numbers (concentration, fits, CLV errors, ARI, timings).
        voice: With the experience chain's records: per complaint group and NPS class,
            size and what followed (`custsim.experiments.crm.voice.voice_table`); empty
            without.

    """

    firm: str
    as_of: int
    steps: int
    population: int
    budget: int
    rfm: pd.DataFrame
    segments: pd.DataFrame
    abc: pd.DataFrame
    clv: pd.DataFrame
    warning: pd.DataFrame
    gains: pd.DataFrame
    lifecycle: pd.DataFrame
    stage_sizes: pd.DataFrame
    profiles: pd.DataFrame
    pareto: pd.DataFrame
    numbers: dict[str, Any] = field(default_factory=dict)
    voice: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def customers(self) -> int:
        """The firm's customers at the as-of day."""
        return len(self.rfm)

    @property
    def has_future(self) -> bool:
        """Whether days follow the as-of day (predictions can be scored)."""
        return self.as_of < self.steps


def _pct(v: float) -> str:
    return "-" if not np.isfinite(v) else f"{v:.0%}"


def _num(v: float, digits: int = 2) -> str:
    return "-" if v is None or not np.isfinite(v) else f"{v:.{digits}f}"


def _class_rows(report: CRMReport) -> list[tuple[str, ...]]:
    seg = report.segments[report.segments["scheme"] == "four"]
    persona = [c for c in seg.columns if c.startswith("persona_")]
    rows = []
    for _, s in seg.iterrows():
        top = max(persona, key=lambda c: s[c]) if s["customers"] else None
        mix = f"{top.removeprefix('persona_')} {s[top]:.0%}" if top else "-"
        rows.append(
            (
                str(s["class"]),
                f"{int(s['customers']):,}",
                _pct(s["share_customers"]),
                _pct(s["share_spend"]),
                _pct(s["share_margin"]),
                _pct(s["true_churn_rate"]),
                mix,
            )
        )
    return rows


CLASS_HEAD = ("RFM class", "customers", "share", "spend", "margin", "true churn", "top persona")
WARN_HEAD = ("warning", "flagged", "precision", "recall", "AUC", "useful", "wasted")
VOICE_HEAD = ("heard", "customers", "share", "churn after", "bought after", "spend after")


def _voice_rows(report: CRMReport) -> list[tuple[str, ...]]:
    return [
        (
            str(v["group"]),
            f"{int(v['customers']):,}",
            _pct(v["share"]),
            _pct(v["true_churn_rate"]),
            _pct(v["bought_after"]),
            _num(v["spend_after"]),
        )
        for _, v in report.voice.iterrows()
    ]


def _voice_intro(report: CRMReport) -> str:
    return (
        f"what firm {report.firm} hears (complaints, survey answers by day {report.as_of}) "
        f"and what followed in days {report.as_of + 1}-{report.steps}:"
    )


def _warn_rows(report: CRMReport) -> list[tuple[str, ...]]:
    rows = []
    for _, w in report.warning.iterrows():
        if not np.isfinite(w.get("auc", np.nan)):
            rows.append((str(w["method"]), "-", "-", "-", "-", "-", "not fitted"))
            continue
        rows.append(
            (
                str(w["method"]),
                f"{int(w['flagged']):,}",
                _pct(w["precision"]),
                _pct(w["recall"]),
                f"{w['auc']:.3f}",
                f"{int(w['useful']):,}",
                _pct(w["wasted_share"]),
            )
        )
    return rows


def _text_table(head: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    line = lambda r: "  ".join(  # noqa: E731
        c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))
    )
    return [line(head), *map(line, rows)]


def _md_table(head: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    sep = ["---"] + ["---:"] * (len(head) - 1)
    return [f"| {' | '.join(r)} |" for r in [head, tuple(sep), *rows]]


def _clv_line(report: CRMReport) -> str:
    n = report.numbers
    if not report.has_future:
        return (
            f"CLV: day {report.as_of} is the run's last: no future to score the BG/NBD + "
            "Gamma-Gamma predictions against (use --as-of for a mid-run view)"
        )
    bias = n["predicted_spend"] / n["realised_spend"] - 1 if n["realised_spend"] else np.nan
    return (
        f"CLV over days {report.as_of + 1}-{report.steps} (BG/NBD + Gamma-Gamma): predicted "
        f"{n['predicted_spend']:,.0f} vs realised {n['realised_spend']:,.0f} ({bias:+.1%}); "
        f"MAE per customer {n['mae_spend']:.2f} (naive past-rate {n['mae_naive']:.2f}), "
        f"correlation {_num(n['corr_spend'])}"
    )


def _abc_line(report: CRMReport) -> str:
    t = report.abc.set_index("tier")
    tiers = ", ".join(
        f"{k} {int(t.loc[k, 'customers']):,} ({_pct(t.loc[k, 'share_spend'])} of spend)"
        for k in t.index
    )
    n = report.numbers
    return (
        f"ABC: {_pct(n['share_for_80'])} of customers make 80% of spend; "
        f"Gini {n['gini']:.2f}; {tiers}"
    )


def header(report: CRMReport) -> str:
    """The first line: firm, day, customers and time taken."""
    n = report.numbers
    return (
        f"custsim-crm: firm {report.firm} at the end of day {report.as_of} of {report.steps}; "
        f"{report.customers:,} of its customers ({report.population:,} in the run); "
        f"spend {n['spend']:,.0f} ({n['timings']['total']:.1f} s)"
    )


def format_summary(report: CRMReport) -> str:
    """The console summary: classes, ABC concentration, warning scores, CLV error, profile ARI."""
    n = report.numbers
    lines = [header(report), "", *_text_table(CLASS_HEAD, _class_rows(report)), ""]
    lines += [_abc_line(report), ""]
    lines.append(
        f"early warning vs who really churned by day {report.steps}; "
        f"{report.budget:,} offers to the highest scores:"
    )
    lines += [*_text_table(WARN_HEAD, _warn_rows(report)), ""]
    if len(report.voice) and report.has_future:
        lines += [_voice_intro(report), *_text_table(VOICE_HEAD, _voice_rows(report)), ""]
    lines.append(_clv_line(report))
    lines.append(
        f"profiles: k-means (k = {n['profiles_k']}) vs true personas: ARI {_num(n['ari'])}, "
        f"purity {_pct(n['purity'])}"
    )
    return "\n".join(lines)


def report_markdown(report: CRMReport, figures: list[Path]) -> str:
    """report.md: the key numbers as tables, with the figures."""
    n = report.numbers
    fig = {p.stem: p.as_posix() for p in figures}
    bg = n["bgnbd"]
    sizes = report.stage_sizes
    stage_rows = [tuple(str(v) for v in row) for row in sizes.itertuples(index=False)]
    lines = [
        f"# CRM report: firm {report.firm}, end of day {report.as_of} of {report.steps}",
        "",
        f"{report.customers:,} customers of firm {report.firm} ({report.population:,} in the "
        f"run), spend {n['spend']:,.0f}, margin {n['margin']:,.0f}. Every score below is "
        "computed from the firm's own purchase records (days <= the as-of day) and its "
        "price and cost; the truth (churn, personas, future purchases) only scores them.",
        "",
        "## RFM classes",
        "",
        *_md_table(CLASS_HEAD, _class_rows(report)),
        "",
        f"![RFM]({fig['rfm_heatmap']})",
        "",
        "## ABC and concentration",
        "",
        _abc_line(report) + ".",
        "",
        f"![Pareto]({fig['pareto']})",
        "",
        "## Early warning",
        "",
        f"Scored against who really churned by day {report.steps} (true churn day); "
        f"{report.budget:,} offers sent to the highest scores: *useful* if the customer "
        "churns after the as-of day, *wasted* if they stay or are already gone.",
        "",
        *_md_table(WARN_HEAD, _warn_rows(report)),
        "",
        f"![gains]({fig['gains']})",
        "",
        *(
            [
                "## Voice",
                "",
                _voice_intro(report),
                "",
                *_md_table(VOICE_HEAD, _voice_rows(report)),
                "",
            ]
            if len(report.voice) and report.has_future
            else []
        ),
        "## CLV and P(alive)",
        "",
        f"BG/NBD fitted by maximum likelihood on the firm's records (weeks): r = {bg['r']:.3g}, "
        f"alpha = {bg['alpha']:.3g}, a = {bg['a']:.3g}, b = {bg['b']:.3g}, "
        f"LL = {n['bgnbd_ll']:,.1f}. {_clv_line(report)}.",
        "",
    ]
    if "clv" in fig:
        lines += [f"![CLV]({fig['clv']})", ""]
    lines += [
        "## Lifecycle",
        "",
        *_md_table(tuple(sizes.columns), stage_rows),
        "",
        f"![lifecycle]({fig['lifecycle']})",
        "",
        "## Profiles",
        "",
        f"k-means on observed behaviour (k = {n['profiles_k']}, the number of personas) "
        f"against the true personas: adjusted Rand index {_num(n['ari'])}, purity "
        f"{_pct(n['purity'])} (profiles.csv: feature means and customers per persona).",
        "",
    ]
    return "\n".join(lines)
