"""Scoring the firm's predictions against the simulation's truth.

A simulation knows what no CRM system does: who really churned and when. Here the
firm-side scores of `custsim.policies.crm` (rules, P(alive), a learned classifier) are scored
against that truth: precision and recall of a flag, the ROC AUC of a score, a gains
(lift) table by decile, and the offers a retention budget wastes.

Truth at an as-of day t (`churn_truth`), from the engine's `churn_day` (-1 while
active): a customer is *already gone* if churn_day < t, *churns later* if t <=
churn_day <= end, and *stays* otherwise. The default target of early warning is
"churned by the end" (gone or churns later), the quantity the recency rule at the
end of a run is judged on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from custsim.policies.crm.records import FirmRecords
from custsim.policies.crm.warning import top_k

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class ChurnTruth:
    """Who had churned before the as-of day, who churns after it, who stays.

    Attributes:
        gone: Churned before the as-of day (churn_day < t).
        churns_later: Churns in [t, end].
        stays: Still active at the end.

    """

    gone: BoolArray
    churns_later: BoolArray
    stays: BoolArray

    @property
    def churned(self) -> BoolArray:
        """Churned by the end: gone or churns later."""
        return self.gone | self.churns_later


def churn_truth(churn_day: ArrayLike, as_of: float, end: float | None = None) -> ChurnTruth:
    """Split customers by their true churn day relative to the as-of day.

    Args:
        churn_day: True churn day per customer, -1 (or any negative) while active.
        as_of: The day of the firm's view.
        end: Last day counted as "later" (None: any day).

    Returns:
        The three disjoint groups.

    """
    c = np.asarray(churn_day, dtype=float)
    churned = c >= 0
    gone = churned & (c < as_of)
    later = churned & (c >= as_of)
    if end is not None:
        later &= c <= end
    return ChurnTruth(gone=gone, churns_later=later, stays=~(gone | later))


@dataclass(frozen=True, slots=True)
class FlagScore:
    """Confusion counts and rates of a binary flag.

    Attributes:
        flagged: Customers flagged.
        true_positive: Flagged and positive.
        positives: Positives in total.
        n: Customers scored.
        precision: TP / flagged (NaN if none flagged).
        recall: TP / positives (NaN if no positive).

    """

    flagged: int
    true_positive: int
    positives: int
    n: int
    precision: float
    recall: float


def flag_score(flag: ArrayLike, truth: ArrayLike, mask: ArrayLike | None = None) -> FlagScore:
    """Precision TP/(TP+FP) and recall TP/(TP+FN) of a flag against the truth.

    Args:
        flag: Predicted positive per customer.
        truth: True positive per customer.
        mask: Customers to score (the firm's customers); None: all.

    Returns:
        Counts and rates.

    """
    f = np.asarray(flag, dtype=bool)
    y = np.asarray(truth, dtype=bool)
    if mask is not None:
        m = np.asarray(mask, dtype=bool)
        f, y = f[m], y[m]
    tp = int((f & y).sum())
    nf, npos = int(f.sum()), int(y.sum())
    return FlagScore(
        flagged=nf,
        true_positive=tp,
        positives=npos,
        n=len(f),
        precision=tp / nf if nf else float("nan"),
        recall=tp / npos if npos else float("nan"),
    )


def auc(score: ArrayLike, truth: ArrayLike) -> float:
    r"""ROC AUC through the Mann-Whitney rank statistic.

    With R_+ the sum of the (mid-)ranks of the n_+ positives among all n scores
    (ties get the average rank, which counts a tied positive-negative pair as 1/2):

    .. math:: \text{AUC} = \frac{R_+ - n_+(n_+ + 1)/2}{n_+ n_-}

    (Mann & Whitney 1947; Hanley & McNeil 1982, "The meaning and use of the area under
    a ROC curve", *Radiology* 143(1)).

    Args:
        score: Higher means more likely positive.
        truth: True labels.

    Returns:
        The AUC in [0, 1]; NaN if either class is empty.

    """
    s = np.asarray(score, dtype=float)
    y = np.asarray(truth, dtype=bool)
    n_pos = int(y.sum())
    n_neg = len(y) - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = stats.rankdata(s, method="average")
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def gains_table(score: ArrayLike, truth: ArrayLike, bins: int = 10) -> pd.DataFrame:
    """Cumulative gains and lift by score decile (decile 1 = highest scores).

    Customers sorted by score, highest first (ties by position), and cut into `bins`
    groups of equal size by rank. Per group: customers, positives, their rate, the lift
    (rate / base rate), and cumulatively the share of all positives caught (gain) and
    the cumulative lift (e.g. Blattberg, Kim & Neslin 2008, *Database Marketing*).

    Args:
        score: Higher means more likely positive.
        truth: True labels.
        bins: Number of groups.

    Returns:
        One row per group: decile, n, positives, rate, lift, cum_share_customers,
        cum_gain, cum_lift.

    """
    s = np.asarray(score, dtype=float)
    y = np.asarray(truth, dtype=bool)
    n = len(s)
    order = np.argsort(-np.where(np.isnan(s), -np.inf, s), kind="stable")
    group = (np.arange(n) * bins) // max(n, 1)
    counts = np.bincount(group, minlength=bins)
    hits = np.bincount(group, weights=y[order].astype(float), minlength=bins)
    base = y.mean() if n else float("nan")
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = hits / counts
        cum_n, cum_hits = np.cumsum(counts), np.cumsum(hits)
        table = pd.DataFrame(
            {
                "decile": np.arange(1, bins + 1),
                "n": counts,
                "positives": hits.astype(np.int64),
                "rate": rate,
                "lift": rate / base,
                "cum_share_customers": cum_n / n,
                "cum_gain": cum_hits / y.sum(),
                "cum_lift": (cum_hits / cum_n) / base,
            }
        )
    return table


@dataclass(frozen=True, slots=True)
class OfferOutcome:
    """Where a budget of K retention offers went.

    Attributes:
        sent: Offers sent (<= K: no more than the eligible customers).
        useful: To customers who churn after the as-of day (could be saved).
        wasted_stayers: To customers who would have stayed anyway.
        wasted_gone: To customers already gone at the as-of day.

    """

    sent: int
    useful: int
    wasted_stayers: int
    wasted_gone: int

    @property
    def wasted_share(self) -> float:
        """Share of the offers sent that were wasted (NaN if none sent)."""
        return (self.wasted_stayers + self.wasted_gone) / self.sent if self.sent else float("nan")


def offers_wasted(
    score: ArrayLike, truth: ChurnTruth, k: int, eligible: ArrayLike | None = None
) -> OfferOutcome:
    """Send K offers to the highest-scored customers; count the useful and wasted ones.

    Args:
        score: Targeting score (risk, value x risk, days overdue...).
        truth: True churn groups at the as-of day.
        k: Budget of offers.
        eligible: Who may get one (the firm's customers, or the flagged ones).

    Returns:
        Counts of offers by outcome.

    """
    ids = top_k(score, k, eligible)
    return OfferOutcome(
        sent=len(ids),
        useful=int(truth.churns_later[ids].sum()),
        wasted_stayers=int(truth.stays[ids].sum()),
        wasted_gone=int(truth.gone[ids].sum()),
    )


def rfm_features(records: FirmRecords) -> pd.DataFrame:
    """Firm-observable features per customer of the firm, for a learned classifier.

    Columns: recency, frequency, monetary (total), aov (spend per purchase), tenure,
    mean_gap (NaN -> tenure for single buyers, the gap they have at least),
    overdue (recency / mean_gap), points. Index: customer row id.

    Args:
        records: The firm's records at the as-of day.

    Returns:
        One row per customer of the firm.

    """
    m = records.customer
    n = records.purchase_count[m].astype(float)
    tenure = records.tenure[m]
    gap = np.where(np.isnan(records.mean_gap[m]), np.maximum(tenure, 1.0), records.mean_gap[m])
    rec = records.recency[m]
    return pd.DataFrame(
        {
            "recency": rec,
            "frequency": n,
            "monetary": records.spend[m],
            "aov": records.spend[m] / n,
            "tenure": tenure,
            "mean_gap": gap,
            "overdue": rec / np.maximum(gap, 1.0),
            "points": records.points[m],
        },
        index=pd.Index(np.flatnonzero(m), name="customer"),
    )


@dataclass(frozen=True)
class LearnedWarning:
    """A cross-validated churn classifier on firm-observable features.

    Attributes:
        model: The estimator refitted on all rows.
        cv_auc: ROC AUC on each held-out fold.
        oof_score: Out-of-fold predicted churn probability per row (each row scored by
            the model fitted without its fold), for gains tables and offers without
            scoring the model on its own training rows.

    """

    model: object
    cv_auc: FloatArray
    oof_score: FloatArray


def learned_warning(
    features: pd.DataFrame,
    target: ArrayLike,
    kind: Literal["logistic", "boosting"] = "logistic",
    folds: int = 5,
    seed: int = 0,
    n_threads: int | None = 1,
    sample: int | None = None,
) -> LearnedWarning:
    """Fit and cross-validate a churn classifier on RFM features (scikit-learn).

    "logistic": standardised features into an L2 logistic regression;
    "boosting": `HistGradientBoostingClassifier` (handles NaN, needs no scaling).
    k-fold cross-validation (Stone 1974, *JRSS B* 36(2)) on
    `sklearn.model_selection.StratifiedKFold` folds shuffled with `seed`: each fold is
    scored by `sklearn.metrics.roc_auc_score` of the model fitted on the other folds.
    With more rows than `sample`, each model (per fold, and the refit) is fitted on
    `sample` of its training rows drawn without replacement by
    `numpy.random.default_rng(seed)`; the folds and the out-of-fold scores still
    cover every row.

    Args:
        features: One row per customer (e.g. `rfm_features`).
        target: True label per row (e.g. churned by the end).
        kind: The model.
        folds: Cross-validation folds.
        seed: Seed of the fold split and of the booster.
        n_threads: Threads for the native (OpenMP/BLAS) code, through threadpoolctl;
            1 by default, since the booster's OpenMP threads slow down by orders of
            magnitude when the machine's cores are busy (a sweep, parallel tests);
            None leaves the libraries' defaults.
        sample: Training rows per fitted model (None: all).

    Returns:
        Refitted model, per-fold AUCs and out-of-fold scores.

    Raises:
        ValueError: For an unknown `kind`.

    """
    from sklearn.base import clone
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from threadpoolctl import threadpool_limits

    if kind == "logistic":
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    elif kind == "boosting":
        model = HistGradientBoostingClassifier(random_state=seed)
    else:
        raise ValueError(f"kind={kind!r}: must be 'logistic' or 'boosting'")
    x = features.to_numpy(dtype=float)
    y = np.asarray(target, dtype=bool)
    split = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    oof = np.empty(len(y))
    cv_auc = np.empty(folds)
    rng = np.random.default_rng(seed)

    def subset(rows: NDArray[np.intp]) -> NDArray[np.intp]:
        if sample is None or len(rows) <= sample:
            return rows
        return np.sort(rng.choice(rows, size=sample, replace=False))

    with threadpool_limits(limits=n_threads):
        for i, (train, test) in enumerate(split.split(x, y)):
            fit_rows = subset(train)
            fold_model = clone(model).fit(x[fit_rows], y[fit_rows])
            oof[test] = fold_model.predict_proba(x[test])[:, 1]
            cv_auc[i] = roc_auc_score(y[test], oof[test])
        every = subset(np.arange(len(y)))
        model.fit(x[every], y[every])
    return LearnedWarning(model=model, cv_auc=cv_auc, oof_score=oof)
