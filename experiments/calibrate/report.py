"""What `custsim-calibrate` prints and what its report.md says.

Both read a finished `Calibration` (`custsim.experiments.calibrate.job`): the log and
its split, the stage-1 and stage-2 estimates with their standard errors, and the
holdout errors of custsim and BG/NBD side by side, judged against the goals of the
calibration (holdout repeat transactions within `TOTAL_GOAL` of the actual total, a
weekly tracking error below BG/NBD's).
"""

from __future__ import annotations

import math
from dataclasses import fields
from pathlib import Path
from typing import Any

#: the holdout total a forecast should reach: within 5% of the actual repeat transactions
TOTAL_GOAL = 0.05

PARAMETER_TEXT = {
    "rate_mean": "mean occasion rate (a day)",
    "rate_sd": "sd of the occasion rate",
    "dropout_mean": "mean dropout per repeat",
    "dropout_sd": "sd of the dropout",
}


def _se(value: float | None) -> str:
    return "n/a" if value is None or not math.isfinite(value) else f"{value:.4g}"


def parameter_rows(cal: Any) -> list[tuple[str, str, str, str]]:
    """(stage, parameter, estimate, standard error) for both stages."""
    rows = []
    bg, bg_se = cal.closed.bgnbd.params, cal.closed.bgnbd.std_errors
    for f in fields(bg):
        rows.append(("BG/NBD", f.name, f"{getattr(bg, f.name):.4g}", _se(getattr(bg_se, f.name))))
    gg = cal.closed.gamma_gamma
    if gg is not None:
        for f in fields(gg.params):
            est, se = getattr(gg.params, f.name), getattr(gg.std_errors, f.name)
            rows.append(("Gamma-Gamma", f.name, f"{est:.4g}", _se(se)))
    se = cal.fit.std_errors
    for name in type(cal.fit.process).NAMES:
        est = getattr(cal.fit.process, name)
        rows.append(("custsim", PARAMETER_TEXT[name], f"{est:.4g}", _se(getattr(se, name, None))))
    return rows


def error_rows(cal: Any) -> list[tuple[str, str, str, str, str]]:
    """(model, holdout total vs actual, its error, weekly MAPE holdout, by-frequency MAE)."""
    rows = []
    for name, e in cal.errors.items():
        rows.append(
            (
                name,
                f"{e.total_forecast:,.0f} vs {e.total_actual:,.0f}",
                f"{e.total_error:+.1%}",
                f"{e.weekly_mape_holdout:.1%}",
                f"{e.conditional_mae:.3f}",
            )
        )
    return rows


def verdict(cal: Any) -> list[str]:
    """Whether custsim met the goals, in sentences (and what is missing where it did not)."""
    ours, theirs = cal.errors["custsim"], cal.errors["BG/NBD"]
    lines = []
    total_ok = abs(ours.total_error) <= TOTAL_GOAL
    weekly_ok = ours.weekly_mape_holdout < theirs.weekly_mape_holdout
    lines.append(
        f"Holdout total: custsim {ours.total_error:+.1%} of the actual repeat transactions "
        f"({'within' if total_ok else 'outside'} the {TOTAL_GOAL:.0%} goal; BG/NBD "
        f"{theirs.total_error:+.1%})."
    )
    lines.append(
        f"Weekly tracking in the holdout: custsim MAPE {ours.weekly_mape_holdout:.1%}, BG/NBD "
        f"{theirs.weekly_mape_holdout:.1%} ({'below' if weekly_ok else 'not below'} BG/NBD's)."
    )
    if not (total_ok and weekly_ok):
        lines.append(
            "Where the model falls short, the likely missing mechanisms: seasonality (weekly "
            "peaks and dips a stationary occasion rate cannot follow), reactivation of lapsed "
            "customers (custsim's dropout is for good), an early burst of second purchases "
            "soon after the first (more quick single repeats than a Poisson rate gives), and "
            "spend heterogeneity (every simulated transaction is one unit at the store's price)."
        )
    return lines


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)]
    fmt = "  ".join(f"{{:<{w}}}" if i < 2 else f"{{:>{w}}}" for i, w in enumerate(widths))
    return [fmt.format(*header), *(fmt.format(*r) for r in rows)]


def _markdown_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return lines + ["| " + " | ".join(str(x) for x in r) + " |" for r in rows]


def _comparison_table(frame: Any, key: str, title: str, observed: str) -> list[str]:
    """A markdown table of observed vs simulated values (`fit._comparison`'s frame)."""
    rows = [
        (getattr(r, key), f"{r.data:.4f}", f"{r.custsim:.4f}", f"{r.z:+.1f}")
        for r in frame.itertuples()
    ]
    return _markdown_table((title, observed, "custsim", "z"), rows)


def data_line(cal: Any) -> str:
    """The log in one line: customers, transactions, merged rows, the split."""
    s, log = cal.split, cal.split.log
    excluded = f", {s.excluded:,} born after the calibration left out" if s.excluded else ""
    return (
        f"{cal.summary.n_customers:,} customers, {log.rows:,} transactions ({log.merged:,} "
        f"on a day already counted merged: several a day count as one){excluded}; calibration "
        f"{log.origin.date()} to {s.until.date()} ({cal.summary.calibration_weeks} weeks), "
        f"holdout to {s.end.date()}"
    )


def voice_rows(voice: Any) -> list[tuple[str, str, str, str, str, str]]:
    """(what the firm hears, parameter, firm, custsim, estimate, std. error) of stage 3."""
    rows = []
    for what, s, fmt in (
        ("complaints per purchase", voice.propensity, "{:.4f}"),
        ("mean survey score", voice.midpoint, "{:.2f}"),
    ):
        if s is None:
            continue
        rows.append(
            (
                what,
                s.key,
                fmt.format(s.target),
                fmt.format(s.achieved),
                f"{s.estimate:.4g}",
                _se(s.std_error),
            )
        )
    if voice.midpoint is not None:
        nps = (f"{voice.records.nps:+.1f}", f"{voice.nps:+.1f}")
        rows.append(("NPS", "(not fitted)", *nps, "", ""))
    return rows


VOICE_HEADER = ("what the firm hears", "parameter", "firm", "custsim", "estimate", "std.err")


def voice_lines(cal: Any) -> list[str]:
    """Stage 3 in sentences: what ran, the records, what could not be reached, how to run it."""
    voice, r = cal.voice, cal.voice.records
    failing = (
        f"its service failing on {r.failure_rate:.1%} of purchases"
        if r.failure_rate is not None
        else "its service never failing (no calibrate.failure_rate)"
    )
    heard = []
    if r.complaints is not None:
        heard.append(f"{r.complaints:,} complaints in {r.transactions:,} transactions")
    if r.scores is not None:
        heard.append(f"{len(r.scores):,} survey answers")
    lines = [
        f"Stage 3 ({voice.runs} run{'s' if voice.runs != 1 else ''}, {voice.seconds:.1f} s): "
        f"the store at the fitted process with the experience chain on, {failing}; the firm's "
        f"records of the calibration period: {', '.join(heard)}.",
    ]
    left = [f"{n:,} of {key}" for key, n in r.left_out.items() if n]
    if left:
        lines.append(f"Left out, by customers not in the log's cohort: {', '.join(left)}.")
    for s in (voice.propensity, voice.midpoint):
        if s is not None and s.note is not None:
            lines.append(f"Note: {s.note}.")
    lines.append(
        f"With the chain on the simulated store makes {voice.purchases:.2f} transactions per "
        "transaction of the log (stage 2 fitted it with the chain off: habit and satisfaction "
        "move purchases too)."
    )
    return lines


def use_lines(cal: Any) -> list[str]:
    """The commands that use the population (with stage 3: the firm's failures and survey)."""
    lines = [
        f"custsim population={cal.name} policy=loyalty_points",
        f"custsim-compare population={cal.name} policy=hi_lo",
    ]
    if getattr(cal, "voice", None) is not None and cal.voice.run_keys():
        lines.append(f"custsim population={cal.name} {' '.join(cal.voice.run_keys())}")
    return lines


def format_summary(cal: Any, cfg: Any, written: tuple[Path, Path]) -> str:
    """The console summary: the log, the estimates, the holdout errors, what to run next."""
    block = cfg.calibrate
    lines = [
        f"custsim-calibrate: {cal.source} -> population '{cal.name}'; {block.trials} trials x "
        f"{cal.summary.n_customers * cal.sim.scale:,} simulated customers, forecast over "
        f"{block.replications} runs ({cal.seconds:.1f} s)",
        "",
        "data: " + data_line(cal),
        "",
        *_table(("stage", "parameter", "estimate", "std.err"), parameter_rows(cal)),
        f"custsim fit: distance Q = {cal.fit.objective:.2f} (BG/NBD fitted to the simulated store "
        "vs fitted to the log, in squared standard errors: 0 the same, 1 one apart)",
        "",
        *_table(
            ("model", "holdout repeat transactions", "error", "weekly MAPE", "by-frequency MAE"),
            error_rows(cal),
        ),
        *verdict(cal),
        "",
    ]
    if getattr(cal, "voice", None) is not None:
        lines += [*_table(VOICE_HEADER, voice_rows(cal.voice)), *voice_lines(cal), ""]
    use = use_lines(cal)
    lines += [
        f"population: {written[1]} (market: {written[0]})",
        f"use it: {use[0]}",
        *(f"        {u}" for u in use[1:]),
    ]
    return "\n".join(lines)


def report_markdown(
    cal: Any, cfg: Any, figures: dict[str, Path], written: tuple[Path, Path]
) -> str:
    """report.md: the same content as the summary, with the figures and the moments."""
    block = cfg.calibrate

    def figure(key: str, caption: str) -> list[str]:
        if key not in figures:
            return []
        return [f"![{caption}](plots/{figures[key].name})", "", f"*{caption}*", ""]

    moments = cal.fit.moments
    worst = moments.reindex(moments["z"].abs().sort_values(ascending=False).index).head(8)
    lines = [
        f"# Calibration of '{cal.name}' to {cal.source}",
        "",
        data_line(cal) + ".",
        "",
        "## Fitted parameters",
        "",
        "Stage 1 fits BG/NBD and Gamma-Gamma by maximum likelihood on the calibration period "
        "(Fader, Hardie & Lee 2005). Stage 2 fits custsim's own purchase process (gamma "
        "occasion rates, beta dropout after a repeat purchase) by indirect inference, BG/NBD "
        "the auxiliary model: the simulated store's BG/NBD estimates must match the log's; "
        f"{block.trials} trials of Optuna's {block.sampler.upper()} sampler, each a run of "
        f"{cal.summary.n_customers * cal.sim.scale:,} customers ({cal.sim.scale} per customer of "
        "the log); the best trials scored again over fresh seeds; standard errors by the "
        "sandwich formula, the gradient by regression over the trials near the estimate.",
        "",
        *_markdown_table(("stage", "parameter", "estimate", "std. error"), parameter_rows(cal)),
        "",
        f"Distance at the estimate: Q = {cal.fit.objective:.2f} (BG/NBD on the simulated store "
        "vs on the log, in squared standard errors: 0 the same, 1 one apart):",
        "",
        *_comparison_table(cal.fit.auxiliary, "parameter", "BG/NBD", "log"),
        "",
        "The store's price is "
        f"the log's mean spend per transaction, {cal.price:.2f}; its cost assumes a gross margin "
        f"of {block.margin:.0%} (`calibrate.margin`).",
        "",
        f"The calibration statistics furthest from the log's, of {len(moments)} (not fitted: "
        "reported; z is the gap in sampling standard errors):",
        "",
        *_comparison_table(worst, "moment", "moment", "data"),
        "",
        *figure("trials", "Stage 2: distance Q by trial and the best so far."),
        "## The holdout",
        "",
        *_markdown_table(
            ("model", "holdout repeat transactions", "error", "weekly MAPE", "by-frequency MAE"),
            error_rows(cal),
        ),
        "",
        *verdict(cal),
        "",
        *figure("tracking", "Weekly and cumulative repeat transactions: actual, custsim, BG/NBD."),
        *figure("frequency", "Customers by calibration-period repeat transactions."),
        *figure("conditional", "Mean holdout repeat transactions by calibration frequency."),
        *figure("spend", "Spend per repeat transaction: actual vs simulated."),
        *voice_markdown(cal),
        "## Use it",
        "",
        f"The population is `{written[1]}` and brings its market `{written[0]}`:",
        "",
        "```",
        *use_lines(cal),
        "```",
        "",
        "The holdout was read only to score these forecasts; nothing of it entered the fit.",
    ]
    return "\n".join(lines) + "\n"


def voice_markdown(cal: Any) -> list[str]:
    """report.md's section on stage 3 (nothing without the firm's complaints or surveys)."""
    if getattr(cal, "voice", None) is None:
        return []
    keys = " ".join(f"`{k}`" for k in cal.voice.run_keys())
    return [
        "## What the firm hears",
        "",
        "The experience chain's voice and survey, fitted to the firm's own records: the "
        "complaint propensity k so that the simulated complaints per purchase equal the "
        "firm's, the survey midpoint m so that the mean answer does (each by bisection, every "
        "run with the same seed; standard errors by the delta method from the records' "
        "sampling error, customers independent).",
        "",
        *_markdown_table((*VOICE_HEADER[:5], "std. error"), voice_rows(cal.voice)),
        "",
        *voice_lines(cal),
        "",
        "The population holds k and m (`population.experience`); the failures and the survey "
        f"are the firm's, set on the command line that runs with them ({keys}), so that a run "
        "without them keeps stage 2's purchase process.",
        "",
    ]
