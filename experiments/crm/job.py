"""`custsim-crm`'s analysis: a firm's customer base as its own records show it, and the truth.

Reads a run directory: `purchases.parquet` (one row per purchase: day, customer,
firm, quantity, price, spend, points, reward; written when the run records
purchases), `kpis.json` and `config.yaml` (steps, firm names, the firm's price and
unit cost) and, for the truth only, three columns of `customers.parquet`
(customer, segment = the true persona, churn_day).

The view at as-of day D is the firm's records at the **end** of day D: its own
purchases of days <= D (`FirmRecords.from_log(..., as_of=D + 1)`, what a policy sees
at the start of day D + 1), so recency 1 is a purchase on day D itself. Every score
(RFM, ABC, BG/NBD and Gamma-Gamma, the early-warning rules and classifier,
lifecycle stages, profiles) is computed from those records and the firm's own
price and cost; none reads a latent trait, a persona or a churn day. The truth
then scores them: true churn (churn_day, the day a customer left the category)
and persona mix per class; each customer's realised purchases and spend at the
firm after D for the CLV prediction (none at D = the run's last day: nothing is
scored then).

`crm_report` computes everything into a `CRMReport` (frames and key numbers,
`custsim.experiments.crm.report`, with the console summary and report.md);
`write_report` writes the files, figures and `report.md`.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from custsim.experiments.crm import btyd
from custsim.experiments.crm.evaluate import (
    auc,
    churn_truth,
    flag_score,
    gains_table,
    learned_warning,
    offers_wasted,
    rfm_features,
)
from custsim.experiments.crm.profiles import (
    behaviour_features,
    compare_with_personas,
    kmeans_profiles,
)
from custsim.experiments.crm.report import (  # noqa: F401  re-exported: the report's face
    CRMReport,
    format_summary,
    header,
    report_markdown,
)
from custsim.experiments.crm.voice import NPS_CLASSES, VoiceRecords, voice_features, voice_table
from custsim.policies.crm import abc, lifecycle, rfm, warning
from custsim.policies.crm.records import FirmRecords

PURCHASES = "purchases.parquet"
#: the columns of purchases.parquet the analysis reads (all but firm, which selects the rows)
LOG_COLUMNS = ("day", "customer", "quantity", "price", "spend", "points", "reward")
#: customers the k-means centres and each learned-warning model are fitted on (a sample
#: drawn with seed 0 when the firm has more; every customer is then assigned or scored)
FIT_SAMPLE = 50_000
#: the early-warning methods, in table order: name -> what it is
METHODS = {
    "recency_30d": "no purchase for more than 30 days",
    "frequency_drop": "current gap > 2 x own mean gap",
    "bgnbd_risk": "1 - P(alive) of the BG/NBD (flag: > 0.5)",
    "learned": (
        "logistic regression on RFM features, 5-fold out-of-fold, each fold fitted on "
        f"a seeded sample of at most {FIT_SAMPLE:,} customers (flag: > 0.5)"
    ),
    # with the experience chain's service records (incidents.parquet, surveys.parquet)
    "voice": "an open complaint or a detractor's last survey answer (score: complaints + 1)",
    "learned_voice": "the learned warning with the complaint and survey features added",
}
#: the methods that read the experience chain's records (only with them)
VOICE_METHODS = ("voice", "learned_voice")
RECENCY_DAYS = 30.0
DROP_MULTIPLE = 2.0
UNIT_DAYS = 7.0  # BG/NBD time unit: weeks, as in the published fits
LIFECYCLE_EVERY = 30  # days between the lifecycle checkpoints
DEFAULT_BUDGET_SHARE = 0.10  # offers: 10% of the firm's customers
KMEANS_STARTS = 4


class CRMInputError(ValueError):
    """Bad input to the analysis: one line naming the value and what is allowed."""


@dataclass(frozen=True)
class RunData:
    """What the analysis reads of a run directory.

    Attributes:
        run_dir: The run directory.
        steps: Days of the run.
        firms: Firm names, in firm order.
        focal: The run's focal firm.
        price: Regular price per firm.
        cost: Unit cost per firm.
        purchases: The path of purchases.parquet (read one firm at a time, `FirmLog.read`).
        persona: True persona (segment) per customer row id.
        churn_day: True churn day per customer row id (-1: active at the end).

    """

    run_dir: Path
    steps: int
    firms: tuple[str, ...]
    focal: str
    price: dict[str, float]
    cost: dict[str, float]
    purchases: Path
    persona: pd.Categorical
    churn_day: np.ndarray

    @property
    def n_customers(self) -> int:
        """Customers in the run (population size)."""
        return len(self.churn_day)


def load_run(run_dir: Path | str) -> RunData:
    """Read the files of a run the analysis needs (see the module doc).

    Raises:
        CRMInputError: A directory that is not a complete run, or a run without
            purchases.parquet.

    """
    run = Path(run_dir)
    if not (run / "kpis.json").is_file():
        raise CRMInputError(f"{run} is not a complete run directory (no kpis.json)")
    if not (run / PURCHASES).is_file():
        raise CRMInputError(
            f"{run} has no {PURCHASES}: rerun with record_purchases=true or analysis=[crm]"
        )
    kpis = json.loads((run / "kpis.json").read_text())
    cfg = yaml.safe_load((run / "config.yaml").read_text())
    specs = cfg["market"]["firms"]
    firms = tuple(kpis["firms"])
    customers = pd.read_parquet(
        run / "customers.parquet", columns=["customer", "segment", "churn_day"]
    )
    order = np.argsort(customers["customer"].to_numpy(), kind="stable")
    return RunData(
        run_dir=run,
        steps=int(kpis["steps"]),
        firms=firms,
        focal=str(kpis.get("focal_firm", firms[0])),
        price={f: float(specs[f]["price"]) for f in firms},
        cost={f: float(specs[f]["cost"]) for f in firms},
        purchases=run / PURCHASES,
        persona=pd.Categorical(customers["segment"].to_numpy()[order]),
        churn_day=customers["churn_day"].to_numpy(dtype=np.int64)[order],
    )


def check_inputs(
    data: RunData, firm: str | None, as_of: int | None, budget: int | None
) -> tuple[str, int]:
    """The firm (default: the run's focal firm) and as-of day (default: the last day).

    Raises:
        CRMInputError: An unknown firm, an as-of day outside 1..steps, a budget < 0.

    """
    firm = data.focal if firm is None else str(firm)
    if firm not in data.firms:
        raise CRMInputError(
            f"--firm {firm}: unknown firm; the run's firms: {', '.join(data.firms)}"
        )
    day = data.steps if as_of is None else int(as_of)
    if not 1 <= day <= data.steps:
        raise CRMInputError(f"--as-of {day}: must be a day of the run, 1..{data.steps}")
    if budget is not None and int(budget) < 0:
        raise CRMInputError(f"--budget {budget}: must be >= 0 (offers to send)")
    return firm, day


@dataclass
class FirmLog:
    """One firm's purchase rows as arrays, in the file's (day, customer) order.

    Days, quantities and customers are int64, money and points float64 (the dtypes the
    scores compute in).
    """

    day: np.ndarray
    customer: np.ndarray
    quantity: np.ndarray
    price: np.ndarray
    spend: np.ndarray
    points: np.ndarray
    reward: np.ndarray

    @classmethod
    def read(cls, path: Path, firm: str) -> FirmLog:
        """The rows of `firm` in purchases.parquet, read one row group at a time.

        Only that firm's rows of each group are kept (so memory holds one group of
        the file and the firm's rows), in the file's order; a log found out of (day,
        customer) order is sorted stably into it.
        """
        import pyarrow as pa
        import pyarrow.parquet as pq

        parts: dict[str, list[np.ndarray]] = {c: [] for c in LOG_COLUMNS}
        file = pq.ParquetFile(path)
        for group in range(file.num_row_groups):
            table = file.read_row_group(group, columns=[*LOG_COLUMNS, "firm"])
            names = table.column("firm").combine_chunks()
            if pa.types.is_dictionary(names.type):
                codes = names.dictionary.to_pylist()
                code = codes.index(firm) if firm in codes else -1
                mine = names.indices.to_numpy(zero_copy_only=False) == code
            else:
                mine = names.to_numpy(zero_copy_only=False) == firm
            for c in LOG_COLUMNS:
                parts[c].append(table.column(c).to_numpy()[mine])
        col = {c: np.concatenate(v) if v else np.empty(0) for c, v in parts.items()}
        step, next_id = np.diff(col["day"]), np.diff(col["customer"])
        if np.any((step < 0) | ((step == 0) & (next_id < 0))):
            order = np.lexsort((col["customer"], col["day"]))
            col = {c: v[order] for c, v in col.items()}
        return cls(
            day=col["day"].astype(np.int64),
            customer=col["customer"].astype(np.int64),
            quantity=col["quantity"].astype(np.int64),
            price=col["price"].astype(float),
            spend=col["spend"].astype(float),
            points=col["points"].astype(float),
            reward=col["reward"].astype(float),
        )

    def until(self, day: int) -> int:
        """Rows of days <= day (the file is ordered by day): a prefix of that length."""
        return int(np.searchsorted(self.day, day, side="right"))

    def records(self, day: int, n: int) -> FirmRecords:
        """The firm's records at the end of `day` (purchases of days <= day)."""
        k = self.until(day)
        return FirmRecords.from_log(
            self.day[:k],
            self.customer[:k],
            self.quantity[:k],
            self.price[:k],
            self.points[:k],
            as_of=day + 1,
            n_customers=n,
        )


def crm_report(
    run_dir: Path | str,
    firm: str | None = None,
    as_of: int | None = None,
    budget: int | None = None,
) -> CRMReport:
    """One firm's CRM analysis of a recorded run (reads the files; writes nothing).

    Args:
        run_dir: A run directory with purchases.parquet (record_purchases=true).
        firm: The firm (default: the run's focal firm).
        as_of: The as-of day, 1..steps (default: the last day, steps).
        budget: Retention offers for "offers wasted" (default: 10% of the firm's customers).

    Returns:
        The report (frames and key numbers).

    Raises:
        CRMInputError: Bad input (one line): see `load_run` and `check_inputs`.

    """
    start = time.perf_counter()
    data = load_run(run_dir)
    firm, day = check_inputs(data, firm, as_of, budget)
    return analyse(data, firm, day, budget, start)


def analyse(
    data: RunData, firm: str, day: int, budget: int | None, start: float | None = None
) -> CRMReport:
    """The analysis of `crm_report` on loaded data (firm and day already checked)."""
    start = time.perf_counter() if start is None else start
    n = data.n_customers
    log = FirmLog.read(data.purchases, firm)
    rec = log.records(day, n)
    mask = rec.customer
    ids = np.flatnonzero(mask)
    k = log.until(day)
    qty_before = np.bincount(log.customer[:k], weights=log.quantity[:k], minlength=n)
    margin = rec.spend - data.cost[firm] * qty_before  # the firm knows its unit cost
    truth = churn_truth(data.churn_day, as_of=day + 1, end=data.steps)
    voice = VoiceRecords.read(data.run_dir, firm, day, n)  # None without the chain's records
    offers = round(DEFAULT_BUDGET_SHARE * len(ids)) if budget is None else int(budget)
    timings: dict[str, float] = {"read": time.perf_counter() - start}

    def lap(name: str, t0: float) -> float:
        t1 = time.perf_counter()
        timings[name] = t1 - t0
        return t1

    t = time.perf_counter()
    scores = rfm.rfm_scores(rec)
    four = rfm.four_classes(scores.r, scores.f, scores.m)
    eight = rfm.eight_cells(*rfm.high_low(scores), mask)
    tiers = abc.abc_tiers(rec.spend, mask)
    summary = abc.abc_summary(rec.spend, mask)
    t = lap("rfm_abc", t)
    clv, fits = _clv(log, rec, day, data.steps, n)
    t = lap("btyd", t)
    p_alive = np.ones(n)
    p_alive[ids] = clv["p_alive"].to_numpy()
    stages, stage_sizes = _lifecycle(log, day, n, ids)
    t = lap("lifecycle", t)

    per = pd.DataFrame(
        {
            "customer": ids,
            "recency": scores.recency[ids],
            "frequency": scores.frequency[ids],
            "monetary": scores.monetary[ids],
            "margin": margin[ids],
            "points": rec.points[ids],
            "r": scores.r[ids],
            "f": scores.f[ids],
            "m": scores.m[ids],
            "rfm_cell": scores.cell[ids],
            "rfm_class": pd.Categorical.from_codes(four[ids], rfm.FOUR_CLASSES),
            "rfm_eight": pd.Categorical.from_codes(eight[ids], rfm.EIGHT_CELLS),
            "abc_tier": pd.Categorical.from_codes(tiers[ids], abc.TIERS),
            "lifecycle": stages[f"day_{day}"].to_numpy(),
            "p_alive": p_alive[ids],
            "true_persona": data.persona[ids],
            "true_churn_day": data.churn_day[ids],
            "true_churned": truth.churned[ids],
            "true_gone": truth.gone[ids],
        }
    )
    segments = _segments(per)
    abc_table = _abc_table(per)
    pareto = _pareto(rec.spend, mask)
    heard = pd.DataFrame()
    if voice is not None:  # what the firm hears: per customer, and what followed each group
        per["complaints"] = voice.complaints[ids]
        per["open_complaint"] = voice.open_complaint[ids]
        per["last_score"] = voice.last_score[ids]
        per["nps_class"] = pd.Categorical.from_codes(voice.nps_class()[ids], NPS_CLASSES)
        after_spend = np.bincount(log.customer[k:], weights=log.spend[k:], minlength=n)
        after = np.bincount(log.customer[k:], minlength=n) > 0
        heard = voice_table(voice, ids, truth.churns_later, after, after_spend)

    warn, gains = _warning(rec, truth, p_alive, offers, voice)
    t = lap("warning", t)
    profiles, match = _profiles(log, rec, data.persona, data.price[firm], k)
    lap("profiles", t)
    timings["total"] = time.perf_counter() - start

    numbers: dict[str, Any] = {
        "customers": len(ids),
        "spend": float(rec.spend[ids].sum()),
        "margin": float(margin[ids].sum()),
        "share_for_80": summary.share_for_80,
        "gini": summary.gini,
        "ari": match.ari if match else float("nan"),
        "purity": match.purity if match else float("nan"),
        "profiles_k": int(profiles["size"].size) if len(profiles) else 0,
        **fits,
        "timings": timings,
    }
    return CRMReport(
        firm=firm,
        as_of=day,
        steps=data.steps,
        population=n,
        budget=offers,
        rfm=per,
        segments=segments,
        abc=abc_table,
        clv=clv,
        warning=warn,
        gains=gains,
        lifecycle=stages,
        stage_sizes=stage_sizes,
        profiles=profiles,
        pareto=pareto,
        numbers=numbers,
        voice=heard,
    )


def _shares(group: pd.core.groupby.DataFrameGroupBy, total: pd.Series) -> pd.DataFrame:
    """Size, spend and margin with their shares, true churn and gone rates per group."""
    out = group.agg(
        customers=("customer", "size"),
        spend=("monetary", "sum"),
        margin=("margin", "sum"),
        true_churn_rate=("true_churned", "mean"),
        true_gone_rate=("true_gone", "mean"),
    )
    out.insert(1, "share_customers", out["customers"] / total["customers"])
    out.insert(3, "share_spend", out["spend"] / total["spend"])
    out.insert(5, "share_margin", out["margin"] / total["margin"])
    return out


def _totals(per: pd.DataFrame) -> pd.Series:
    return pd.Series(
        {"customers": len(per), "spend": per["monetary"].sum(), "margin": per["margin"].sum()}
    )


def _segments(per: pd.DataFrame) -> pd.DataFrame:
    """Per class of both RFM schemes: sizes, value shares, true churn and persona mix."""
    total = _totals(per)
    parts = []
    for scheme, col in (("four", "rfm_class"), ("eight", "rfm_eight")):
        by = per.groupby(col, observed=False)
        table = _shares(by, total)
        mix = pd.crosstab(per[col], per["true_persona"], normalize="index", dropna=False)
        mix = mix.reindex(table.index).fillna(0.0)
        mix.columns = [f"persona_{c}" for c in mix.columns]
        table = table.join(mix)
        table.index = pd.Index(table.index.astype(str), name="class")
        parts.append(table.reset_index().assign(scheme=scheme))
    out = pd.concat(parts, ignore_index=True)
    return out[["scheme", *[c for c in out.columns if c != "scheme"]]]


def _abc_table(per: pd.DataFrame) -> pd.DataFrame:
    """Per ABC tier (ranked on spend): sizes, value shares, spend range, true churn."""
    by = per.groupby("abc_tier", observed=False)
    table = _shares(by, _totals(per))
    table["min_spend"] = by["monetary"].min()
    table["max_spend"] = by["monetary"].max()
    table.index = pd.Index(table.index.astype(str), name="tier")
    return table.reset_index()


def _pareto(spend: np.ndarray, mask: np.ndarray, points: int = 501) -> pd.DataFrame:
    """The Pareto curve of spend at `points` evenly spaced customer shares."""
    x, y = abc.pareto_curve(spend, mask)
    grid = np.linspace(0.0, 1.0, points)
    return pd.DataFrame({"share_customers": grid, "share_spend": np.interp(grid, x, y)})


def _clv(
    log: FirmLog, rec: FirmRecords, day: int, steps: int, n: int
) -> tuple[pd.DataFrame, dict[str, Any]]:
    r"""BG/NBD + Gamma-Gamma fitted by ML on the firm's customers; predicted vs realised future.

    Inputs per customer (weeks): x repeat purchases, t_x, T (`warning.bgnbd_inputs`)
    and m_x, the mean spend of the repeat purchases (the first purchase left out,
    FHL 2005b). Over the rest of the run, t = (steps - day) / 7 weeks:
    predicted purchases E[Y(t) | x, t_x, T] (FHL 2005a eq. 10), predicted spend =
    that x E[M | x, m_x] (Gamma-Gamma, Fader & Hardie 2013 eq. 5; the customer's
    own mean spend if the fit gives q <= 1). A naive benchmark: the customer's spend
    per day so far (days 1..day) x the days left. Realised: the
    customer's purchases and spend at the firm after `day`.
    """
    ids = np.flatnonzero(rec.customer)
    x, t_x, T = (a[ids] for a in warning.bgnbd_inputs(rec, UNIT_DAYS))
    k = log.until(day)
    cust = log.customer[:k]
    first_row = np.unique(cust, return_index=True)[1]  # the file is in day order
    first_spend = np.zeros(n)
    first_spend[cust[first_row]] = log.spend[:k][first_row]
    repeat = rec.spend[ids] - first_spend[ids]
    m_x = np.divide(repeat, x, out=np.zeros_like(repeat), where=x > 0)
    bg = btyd.fit_bgnbd(x, t_x, T)
    p_alive = btyd.bgnbd_prob_alive(bg.params, x, t_x, T)
    fits: dict[str, Any] = {
        "bgnbd": dict(vars(bg.params)),
        "bgnbd_ll": bg.log_likelihood,
        "bgnbd_converged": bg.converged,
    }
    use = (x >= 1) & (m_x > 0)
    gg = btyd.fit_gamma_gamma(x[use], m_x[use]) if use.sum() >= 10 else None
    mean_spend = rec.spend[ids] / (x + 1)
    if gg is not None and gg.params.q > 1:
        spend_per = btyd.gamma_gamma_expected_spend(gg.params, x, m_x)
        fits["gamma_gamma"] = dict(vars(gg.params))
    else:
        spend_per = mean_spend
        fits["gamma_gamma"] = None
    frame = pd.DataFrame(
        {
            "customer": ids,
            "x": x,
            "t_x": t_x,
            "T": T,
            "m_x": m_x,
            "p_alive": p_alive,
            "expected_spend_per_purchase": spend_per,
        }
    )
    days_left = steps - day
    fits["horizon_days"] = days_left
    if days_left == 0:
        for col in ("predicted_purchases", "predicted_spend", "naive_spend"):
            frame[col] = np.nan
        frame["realised_purchases"] = np.nan
        frame["realised_spend"] = np.nan
        return frame, fits
    pred_n = btyd.bgnbd_conditional_expected_transactions(
        bg.params, days_left / UNIT_DAYS, x, t_x, T
    )
    future = slice(k, None)
    real_n = np.bincount(log.customer[future], minlength=n)[ids].astype(float)
    real_s = np.bincount(log.customer[future], weights=log.spend[future], minlength=n)[ids]
    frame["predicted_purchases"] = pred_n
    frame["predicted_spend"] = pred_n * spend_per
    frame["naive_spend"] = rec.spend[ids] / day * days_left
    frame["realised_purchases"] = real_n
    frame["realised_spend"] = real_s
    err = frame["predicted_spend"] - real_s
    fits.update(
        predicted_spend=float(frame["predicted_spend"].sum()),
        realised_spend=float(real_s.sum()),
        predicted_purchases=float(pred_n.sum()),
        realised_purchases=float(real_n.sum()),
        mae_spend=float(np.abs(err).mean()),
        mae_naive=float(np.abs(frame["naive_spend"] - real_s).mean()),
        mae_purchases=float(np.abs(pred_n - real_n).mean()),
        corr_spend=float(np.corrcoef(frame["predicted_spend"], real_s)[0, 1])
        if len(ids) > 1
        else float("nan"),
    )
    return frame, fits


def _warning(
    rec: FirmRecords,
    truth: Any,
    p_alive: np.ndarray,
    budget: int,
    voice: VoiceRecords | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each early-warning method scored against who really churned by the end of the run.

    Per method: a flag (precision, recall) and a score (ROC AUC, gains by decile, and
    the `budget` offers sent to the highest scores: useful if the customer churns
    after the as-of day, wasted if they stay or are already gone). With the firm's
    `voice` records, the voice rule and the learned warning with voice features too.
    """
    mask = rec.customer
    ids = np.flatnonzero(mask)
    target = truth.churned[ids]
    feats = rfm_features(rec)
    n = len(rec)
    overdue = np.zeros(n)
    overdue[ids] = feats["overdue"].to_numpy()
    risk = warning.risk_from_alive(p_alive, mask)
    scores = {
        "recency_30d": (warning.recency_rule(rec, RECENCY_DAYS), np.where(mask, rec.recency, 0.0)),
        "frequency_drop": (warning.frequency_drop_rule(rec, DROP_MULTIPLE), overdue),
        "bgnbd_risk": (risk > 0.5, risk),
    }
    both = 0 < target.sum() < len(target) and min(target.sum(), (~target).sum()) >= 5
    if both:
        learned = learned_warning(feats, target, sample=FIT_SAMPLE)
        score = np.zeros(n)
        score[ids] = learned.oof_score
        scores["learned"] = (score > 0.5, score)
    if voice is not None:
        scores["voice"] = (voice.rule() & mask, np.where(mask, voice.score(), 0.0))
        if both:
            heard = feats.join(voice_features(voice, ids, rec.as_of - 1))
            learned = learned_warning(heard, target, sample=FIT_SAMPLE)
            score = np.zeros(n)
            score[ids] = learned.oof_score
            scores["learned_voice"] = (score > 0.5, score)
    rows, gains = [], []
    for name, (flag, score) in scores.items():
        fs = flag_score(flag[ids], target)
        offer = offers_wasted(score, truth, budget, mask)
        rows.append(
            {
                "method": name,
                "rule": METHODS[name],
                "flagged": fs.flagged,
                "true_positive": fs.true_positive,
                "churners": fs.positives,
                "precision": fs.precision,
                "recall": fs.recall,
                "auc": auc(score[ids], target),
                "offers": offer.sent,
                "useful": offer.useful,
                "wasted_stayers": offer.wasted_stayers,
                "wasted_gone": offer.wasted_gone,
                "wasted_share": offer.wasted_share,
            }
        )
        gains.append(gains_table(score[ids], target).assign(method=name))
    if not both:
        unfitted = ["learned", *(["learned_voice"] if voice is not None else [])]
        rows += [{"method": m, "rule": METHODS[m] + ": not fitted, one class"} for m in unfitted]
    table = pd.DataFrame(rows)
    g = pd.concat(gains, ignore_index=True)
    return table, g[["method", *[c for c in g.columns if c != "method"]]]


def checkpoints(day: int, every: int = LIFECYCLE_EVERY) -> list[int]:
    """Lifecycle checkpoint days: every `every` days, and the as-of day itself."""
    return [*range(every, day, every), day]


def _lifecycle(
    log: FirmLog, day: int, n: int, ids: np.ndarray
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Lifecycle stage of the firm's customers at each checkpoint, and stage sizes over time.

    The view at checkpoint d holds the purchases of days <= d (as of d + 1), as the
    rest of the report; all checkpoints in one pass (`lifecycle.stages_over_time`).
    """
    names = ("none", *lifecycle.STAGES)  # "none": not yet a customer at that checkpoint
    stages = pd.DataFrame({"customer": ids})
    sizes = []
    days = checkpoints(day)
    k = log.until(day)
    views = lifecycle.stages_over_time(log.day[:k], log.customer[:k], [d + 1 for d in days], n)
    for d, code in zip(days, views, strict=True):
        stages[f"day_{d}"] = pd.Categorical.from_codes(code[ids] + 1, names)
        sizes.append(np.bincount(code[code >= 0], minlength=len(lifecycle.STAGES)))
    size_table = pd.DataFrame(sizes, columns=list(lifecycle.STAGES))
    size_table.insert(0, "day", checkpoints(day))
    return stages, size_table


def _profiles(
    log: FirmLog, rec: FirmRecords, persona: pd.Categorical, price: float, k_rows: int
) -> tuple[pd.DataFrame, Any]:
    """k-means profiles of observed behaviour, k = the number of true personas, vs the personas.

    Features (`profiles.behaviour_features`): recency, frequency, monetary, spend per
    purchase, gap regularity (CV), reward share (points use), deal share (purchases
    below the regular price). k is set to the number of personas among the firm's
    customers so that the adjusted Rand index compares like with like.
    """
    ids = np.flatnonzero(rec.customer)
    mine = pd.DataFrame(
        {
            "day": log.day[:k_rows],
            "customer": log.customer[:k_rows],
            "paid": log.price[:k_rows],
            "rewarded": log.reward[:k_rows] > 0,
        }
    )
    feats = behaviour_features(rec, mine, None, price)
    k = len(np.unique(persona.codes[ids]))
    if len(ids) < max(k, 2) * 5:
        return pd.DataFrame(columns=["profile", "size"]), None
    prof = kmeans_profiles(feats, k, n_init=KMEANS_STARTS, sample=FIT_SAMPLE)
    # integer persona codes (sorted names): np.unique on a million strings takes seconds
    codes = persona.codes[ids]
    match = compare_with_personas(prof.labels.to_numpy(), codes)
    match.confusion.index = pd.Index(persona.categories[match.confusion.index], name="persona")
    counts = match.confusion.T.reindex(prof.centres.index).fillna(0).astype(np.int64)
    counts.columns = [f"persona_{c}" for c in counts.columns]
    table = prof.centres.join(counts).reset_index()
    return table, match


# --------------------------------------------------------------------------- outputs


def default_out(run_dir: Path | str, firm: str) -> Path:
    """Where `custsim-crm` writes by default: RUN_DIR/crm/<FIRM>/ (one folder per firm)."""
    return Path(run_dir) / "crm" / firm


def write_report(report: CRMReport, out: Path | str) -> Path:
    """Write the report's files, figures (plots/) and report.md into `out`; return `out`.

    Files: rfm.parquet, clv.parquet, lifecycle.parquet (per customer); segments.csv,
    abc.csv, warning.csv, gains.csv, stage_sizes.csv, profiles.csv, voice.csv (with the
    experience chain's records) (tables);
    plots/*.png; report.md last (a folder with report.md is complete).
    """
    from custsim.experiments.crm import plots  # matplotlib: only when writing
    from custsim.sim import results

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for name in ("rfm", "clv", "lifecycle"):
        results.write_parquet(getattr(report, name), out / f"{name}.parquet")
    tables = ("segments", "abc", "warning", "gains", "stage_sizes", "profiles")
    for name in (*tables, *(["voice"] if len(report.voice) else [])):
        frame = getattr(report, name)
        results.write_atomic(out / f"{name}.csv", lambda tmp, f=frame: f.to_csv(tmp, index=False))
    figures = plots.draw_all(report, out / "plots")
    results.write_text(
        report_markdown(report, [p.relative_to(out) for p in figures]), out / "report.md"
    )
    return out
