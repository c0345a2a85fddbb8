"""Firm-side CRM scores (policies.crm) and their evaluation (experiments.crm) on hand-made data."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import roc_auc_score

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
from custsim.policies.crm import abc, lifecycle, rfm, warning
from custsim.policies.crm.records import FirmRecords

# --------------------------------------------------------------------------- a hand-made log

AS_OF = 100
# (day, customer, firm, quantity, paid, points, rewarded)
ROWS = [
    (10, 0, 0, 1, 3.0, 1, False),
    (50, 0, 0, 1, 3.0, 2, False),
    (90, 0, 0, 1, 3.0, 3, False),
    (30, 0, 1, 1, 9.0, 0, False),  # another firm's sale: not firm 0's record
    (95, 1, 0, 1, 5.0, 1, False),
    (20, 2, 0, 1, 4.0, 1, False),
    (30, 2, 0, 1, 4.0, 2, False),
    (100, 2, 0, 1, 4.0, 3, False),  # on the as-of day itself: not yet seen
    (60, 3, 0, 2, 3.0, 2, False),
    (70, 3, 0, 2, 3.0, 4, False),
    (80, 3, 0, 2, 3.0, 6, False),
    (85, 3, 0, 2, 3.0, 0, True),
    (40, 4, 0, 1, 1.0, 1, False),
    (50, 5, 1, 1, 2.0, 0, False),  # customer 5 never bought from firm 0
]


def hand_log() -> pd.DataFrame:
    cols = ["day", "customer", "firm", "quantity", "paid", "points", "rewarded"]
    return pd.DataFrame(ROWS, columns=cols)


def records_of(log: pd.DataFrame, as_of: float = AS_OF, firm: int = 0) -> FirmRecords:
    return FirmRecords.from_log(
        log["day"].to_numpy(),
        log["customer"].to_numpy(),
        log["quantity"].to_numpy(),
        log["paid"].to_numpy(),
        log["points"].to_numpy(),
        as_of=as_of,
        n_customers=6,
        firm=log["firm"].to_numpy(),
        firm_index=firm,
    )


def test_records_from_log_by_hand() -> None:
    rec = records_of(hand_log())
    np.testing.assert_array_equal(rec.first_purchase_day, [10, 95, 20, 60, 40, np.inf])
    np.testing.assert_array_equal(rec.last_purchase_day, [90, 95, 30, 85, 40, -np.inf])
    np.testing.assert_array_equal(rec.purchase_count, [3, 1, 2, 4, 1, 0])
    np.testing.assert_allclose(rec.spend, [9, 5, 8, 24, 1, 0])
    np.testing.assert_allclose(rec.points, [3, 1, 2, 0, 1, 0])
    np.testing.assert_array_equal(rec.customer, [True] * 5 + [False])
    np.testing.assert_allclose(rec.recency[:5], [10, 5, 70, 15, 60])
    np.testing.assert_allclose(rec.mean_gap[[0, 2, 3]], [40, 10, 25 / 3])
    assert np.isnan(rec.mean_gap[[1, 4, 5]]).all()


def test_records_from_obs_duck_typed() -> None:
    class Obs:
        day = 7
        first_purchase_day = np.array([1.0, np.inf])
        last_purchase_day = np.array([5.0, -np.inf])
        purchase_count = np.array([2, 0], dtype=np.int32)
        spend = np.array([3.0, 0.0])
        points = np.array([1.0, 0.0])

    rec = FirmRecords.from_obs(Obs())
    assert rec.as_of == 7 and rec.recency[0] == 2 and rec.purchase_count.dtype == np.int64


def test_rfm_scores_and_classes_by_hand() -> None:
    s = rfm.rfm_scores(records_of(hand_log()))
    # five customers: the quintile edges of ranks 1..5 are 1.8, 2.6, 3.4, 4.2, so score = rank
    # recency 10, 5, 70, 15, 60 -> most recent (5 days) scores 5
    np.testing.assert_array_equal(s.r, [4, 5, 1, 3, 2, 0])
    # frequency 3, 1, 2, 4, 1: customers 1 and 4 tie at 1, broken by id ("first")
    np.testing.assert_array_equal(s.f, [4, 1, 3, 5, 2, 0])
    # total spend 9, 5, 8, 24, 1
    np.testing.assert_array_equal(s.m, [4, 2, 3, 5, 1, 0])
    np.testing.assert_array_equal(s.cell[:5], [444, 512, 133, 355, 221])
    # "min" ties: both single buyers score 1
    np.testing.assert_array_equal(
        rfm.rfm_scores(records_of(hand_log()), ties="min").f[:5], [4, 1, 3, 5, 1]
    )
    # per-purchase monetary: 3, 5, 4, 6, 1
    np.testing.assert_array_equal(
        rfm.rfm_scores(records_of(hand_log()), kind="mean").m[:5], [2, 4, 3, 5, 1]
    )

    four = rfm.four_classes(s.r, s.f, s.m)
    names = [rfm.FOUR_CLASSES[c] if c >= 0 else None for c in four]
    # 0: R4 F4 M4 high value; 1: R5 F1 new; 2: R1 F3 M3 important to retain;
    # 3: R3 F5 M5 high value; 4: R2 F2 M1 low value; 5: not a customer
    assert names == ["high_value", "new", "important_to_retain", "high_value", "low_value", None]

    for split in ("score", "median"):
        cells = rfm.eight_cells(*rfm.high_low(s, split), s.customer)
        assert [rfm.EIGHT_CELLS[c] if c >= 0 else None for c in cells] == [
            "best",
            "new_occasional",
            "loyal_at_risk",
            "best",
            "lost",
            None,
        ]
    np.testing.assert_allclose(rfm.class_sizes(four, 4), [2, 1, 1, 1])
    np.testing.assert_allclose(rfm.class_sizes(four, 4, weights=s.monetary), [33, 8, 5, 1])


@pytest.mark.parametrize("n", [1, 2, 7, 37, 1000])
def test_quintile_scores_equal_pandas_qcut_on_ranks(n: int) -> None:
    rng = np.random.default_rng(n)
    values = rng.integers(0, 6, n).astype(float)  # many ties
    ranks = pd.Series(values).rank(method="first")
    if n >= 5:
        expected = pd.qcut(ranks, 5, labels=[1, 2, 3, 4, 5]).astype(int).to_numpy()
        np.testing.assert_array_equal(rfm.quantile_scores(values), expected)
    got = rfm.quantile_scores(values)
    assert got.min() >= 1 and got.max() <= 5
    # "min" ranks equal pandas rank(method="min"); tied values share a score
    np.testing.assert_array_equal(
        rfm.ordinal_ranks(values, "min"), pd.Series(values).rank(method="min").astype(int)
    )
    tied = rfm.quantile_scores(values, ties="min")
    for v in np.unique(values):
        assert len(np.unique(tied[values == v])) == 1


# --------------------------------------------------------------------------- ABC and Gini


def test_abc_by_hand() -> None:
    value = np.array([5.0, 50.0, 2.0, 30.0, 10.0, 3.0, 99.0])
    customer = np.array([True] * 6 + [False])  # the last row is not the firm's customer
    tiers = abc.abc_tiers(value, customer)
    # sorted 50, 30, 10, 5, 3, 2 (total 100); share above each: 0, .5, .8, .9, .95, .98
    assert [abc.TIERS[t] if t >= 0 else None for t in tiers] == ["B", "A", "C", "A", "B", "C", None]
    np.testing.assert_array_equal(abc.value_order(value, customer), [1, 3, 4, 0, 5, 2])
    x, y = abc.pareto_curve(value, customer)
    np.testing.assert_allclose(x, np.arange(7) / 6)
    np.testing.assert_allclose(y, [0, 0.5, 0.8, 0.9, 0.95, 0.98, 1.0])
    assert abc.customer_share_for(value, 0.8, customer) == pytest.approx(2 / 6)
    # Gini: sorted 2, 3, 5, 10, 30, 50; sum (2i - 7) x_i = 326; / (6 * 100)
    assert abc.gini(value, customer) == pytest.approx(326 / 600)
    summary = abc.abc_summary(value, customer)
    assert summary.share_for_80 == pytest.approx(2 / 6) and summary.gini == pytest.approx(326 / 600)
    np.testing.assert_allclose(summary.customers, [2, 2, 2])
    np.testing.assert_allclose(summary.value_share, [0.8, 0.15, 0.05])
    with pytest.raises(ValueError, match="cuts"):
        abc.abc_tiers(value, cuts=(0.8, 0.1))


@pytest.mark.parametrize("n", [1, 2, 10, 1000])
def test_gini_known_vectors(n: int) -> None:
    assert abc.gini(np.full(n, 3.5)) == pytest.approx(0.0, abs=1e-12)
    one = np.zeros(n)
    one[n // 2] = 7.0
    assert abc.gini(one) == pytest.approx((n - 1) / n)


def test_gini_equals_mean_absolute_difference() -> None:
    rng = np.random.default_rng(3)
    v = rng.lognormal(size=300)
    mad = np.abs(v[:, None] - v[None, :]).sum() / (2 * len(v) ** 2 * v.mean())
    assert abc.gini(v) == pytest.approx(mad)
    with pytest.raises(ValueError):
        abc.gini([1.0, -1.0])


# --------------------------------------------------------------------------- early warning


def warning_records() -> FirmRecords:
    return FirmRecords(
        as_of=100.0,
        first_purchase_day=np.array([10, 40, 0, 50, 0, np.inf]),
        last_purchase_day=np.array([90, 60, 80, 50, 90, -np.inf]),
        purchase_count=np.array([5, 3, 2, 1, 10, 0]),
        spend=np.array([50.0, 30.0, 20.0, 10.0, 100.0, 0.0]),
        points=np.zeros(6),
    )


def test_warning_rules_by_hand() -> None:
    rec = warning_records()
    # recency 10, 40, 20, 50, 10, inf; mean gaps 20, 10, 80, -, 10, -
    np.testing.assert_array_equal(warning.recency_rule(rec, 30), [0, 1, 0, 1, 0, 0])
    np.testing.assert_array_equal(warning.frequency_drop_rule(rec, 2.0), [0, 1, 0, 0, 0, 0])
    np.testing.assert_array_equal(warning.frequency_drop_rule(rec, 0.9), [0, 1, 0, 0, 1, 0])
    np.testing.assert_allclose(warning.overdue_days(rec)[[0, 1, 2, 4]], [-10, 30, -60, 0])
    x, t_x, T = warning.bgnbd_inputs(rec, unit_days=7.0)
    np.testing.assert_allclose(x, [4, 2, 1, 0, 9, 0])
    np.testing.assert_allclose(t_x * 7, [80, 20, 80, 0, 90, 0])
    np.testing.assert_allclose(T * 7, [90, 60, 100, 50, 100, 0])
    # the inputs feed btyd's P(alive) (FHL 2005a eq. 11), here with the CDNOW estimates
    params = btyd.BGNBDParams(r=0.243, alpha=4.414, a=0.793, b=2.426)
    alive = btyd.bgnbd_prob_alive(params, x, t_x, T)
    r, a_, a, b = 0.243, 4.414, 0.793, 2.426
    expected1 = 1 / (1 + a / (b + 1) * ((a_ + 60 / 7) / (a_ + 20 / 7)) ** (r + 2))
    assert alive[1] == pytest.approx(expected1)
    risk = warning.risk_from_alive(alive, rec.customer)
    assert risk[5] == 0 and risk[3] == 0  # no repeat yet: alive by construction
    var = warning.value_at_risk(rec.spend, risk)
    np.testing.assert_allclose(var, rec.spend * risk)


def test_top_k_ties_and_eligibility() -> None:
    score = np.array([1.0, 5.0, 3.0, 5.0, np.nan, 3.0])
    np.testing.assert_array_equal(warning.top_k(score, 3), [1, 3, 2])
    np.testing.assert_array_equal(warning.top_k(score, 10), [1, 3, 2, 5, 0, 4])
    eligible = np.array([True, False, True, True, True, False])
    np.testing.assert_array_equal(warning.top_k(score, 2, eligible), [3, 2])
    assert len(warning.top_k(score, 0)) == 0


# --------------------------------------------------------------------------- evaluation


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 5), st.booleans()), min_size=2, max_size=200).filter(
        lambda rows: 0 < sum(y for _, y in rows) < len(rows)
    )
)
def test_auc_equals_sklearn(rows: list[tuple[int, bool]]) -> None:
    score = np.array([s for s, _ in rows], dtype=float)
    truth = np.array([y for _, y in rows])
    assert auc(score, truth) == pytest.approx(roc_auc_score(truth, score))


def test_auc_random_and_degenerate() -> None:
    rng = np.random.default_rng(0)
    score = rng.normal(size=5000)
    truth = rng.random(5000) < 1 / (1 + np.exp(-2 * score))
    assert auc(score, truth) == pytest.approx(roc_auc_score(truth, score))
    assert np.isnan(auc([1.0, 2.0], [True, True]))


def test_flag_score_gains_and_offers_by_hand() -> None:
    flag = np.array([1, 1, 0, 1, 0, 0, 1, 0], dtype=bool)
    truth = np.array([1, 0, 1, 1, 0, 0, 1, 0], dtype=bool)
    fs = flag_score(flag, truth)
    assert (fs.flagged, fs.true_positive, fs.positives) == (4, 3, 4)
    assert fs.precision == 0.75 and fs.recall == 0.75

    score = np.arange(10, 0, -1, dtype=float)  # customer 0 scores highest
    y = np.array([1, 1, 0, 1, 0, 0, 0, 0, 0, 1], dtype=bool)
    table = gains_table(score, y, bins=5)
    np.testing.assert_array_equal(table["positives"], [2, 1, 0, 0, 1])
    np.testing.assert_allclose(table["cum_gain"], [0.5, 0.75, 0.75, 0.75, 1.0])
    np.testing.assert_allclose(table["lift"], [2.5, 1.25, 0, 0, 1.25])
    assert table["cum_lift"].iloc[-1] == pytest.approx(1.0)

    churn_day = np.array([-1, 40, 120, 150, -1, 10, 200])
    truth_groups = churn_truth(churn_day, as_of=100, end=180)
    np.testing.assert_array_equal(truth_groups.gone, [0, 1, 0, 0, 0, 1, 0])
    np.testing.assert_array_equal(truth_groups.churns_later, [0, 0, 1, 1, 0, 0, 0])
    np.testing.assert_array_equal(truth_groups.stays, [1, 0, 0, 0, 1, 0, 1])  # 200 > end
    risk = np.array([0.9, 0.8, 0.7, 0.1, 0.6, 0.95, 0.2])
    out = offers_wasted(risk, truth_groups, k=4)  # to 5, 0, 1, 2
    assert (out.sent, out.useful, out.wasted_stayers, out.wasted_gone) == (4, 1, 1, 2)
    assert out.wasted_share == 0.75


def test_learned_warning_cross_validated() -> None:
    rng = np.random.default_rng(1)
    n = 2000
    first = rng.uniform(0, 200, n)
    count = rng.integers(1, 12, n)
    last = first + rng.uniform(0, 1, n) * (300 - first)
    rec = FirmRecords(
        as_of=300.0,
        first_purchase_day=first,
        last_purchase_day=last,
        purchase_count=count,
        spend=count * rng.uniform(2, 5, n),
        points=np.zeros(n),
    )
    feats = rfm_features(rec)
    churned = rng.random(n) < 1 / (1 + np.exp(-(feats["recency"].to_numpy() - 60) / 15))
    for kind in ("logistic", "boosting"):
        fit = learned_warning(feats, churned, kind=kind, folds=3)
        assert fit.cv_auc.shape == (3,) and fit.cv_auc.mean() > 0.85
        assert auc(fit.oof_score, churned) > 0.85
    # fitted on seeded samples: the same scores twice, every row scored out of fold
    small = learned_warning(feats, churned, folds=3, sample=500)
    again = learned_warning(feats, churned, folds=3, sample=500)
    np.testing.assert_array_equal(small.oof_score, again.oof_score)
    assert auc(small.oof_score, churned) > 0.85
    whole = learned_warning(feats, churned, folds=3)
    np.testing.assert_array_equal(
        learned_warning(feats, churned, folds=3, sample=n).oof_score, whole.oof_score
    )


# --------------------------------------------------------------------------- lifecycle


LIFE_DAYS = {
    0: [180, 190],  # tenure 20: new
    1: [100],  # 100 days since the only purchase: lapsed
    2: [150],  # a single purchase 50 days ago: new (no repeat yet)
    3: [0, 40, 80, 120, 160, 180, 195],  # last gap 15 vs earlier mean 36: growing
    4: [0, 30, 60, 90, 120, 150, 180],  # steady 30-day gaps, tenure 200: mature
    5: [100, 110, 120, 130, 180],  # last gap 50 vs 10 before: declining (log only)
    6: [100, 110, 120, 130, 140, 150],  # open gap 50 vs mean 10: declining
}


def life_log() -> pd.DataFrame:
    rows = [(d, c, 0) for c, days in LIFE_DAYS.items() for d in days] + [(50, 7, 1)]
    log = pd.DataFrame(rows, columns=["day", "customer", "firm"])
    log["quantity"], log["paid"], log["points"], log["rewarded"] = 1, 2.0, 0.0, False
    return log.sample(frac=1.0, random_state=0)  # order must not matter


def test_lifecycle_stages_by_hand() -> None:
    log = life_log()
    cols = (log["day"].to_numpy(), log["customer"].to_numpy())
    rec = FirmRecords.from_log(
        *cols,
        log["quantity"],
        log["paid"],
        None,
        as_of=200,
        n_customers=8,
        firm=log["firm"],
        firm_index=0,
    )
    gaps = lifecycle.gap_stats(*cols, 8, as_of=200, firm=log["firm"].to_numpy(), firm_index=0)
    np.testing.assert_array_equal(gaps.n_gaps, [1, 0, 0, 6, 6, 4, 5, 0])
    assert gaps.last_gap[3] == 15 and gaps.earlier_mean[3] == pytest.approx(36)
    assert gaps.cv[4] == pytest.approx(0.0) and np.isnan(gaps.cv[0])
    g3 = np.diff(LIFE_DAYS[3])
    assert gaps.cv[3] == pytest.approx(g3.std() / g3.mean())
    stages = lifecycle.lifecycle_stage(rec, gaps)
    names = [lifecycle.STAGES[s] if s >= 0 else None for s in stages]
    assert names == ["new", "lapsed", "new", "growing", "mature", "declining", "declining", None]
    # from the records alone (what a policy sees): no gap trend
    no_log = [lifecycle.STAGES[s] for s in lifecycle.lifecycle_stage(rec)[:7]]
    assert no_log == ["new", "lapsed", "new", "mature", "mature", "growing", "declining"]
    sizes = lifecycle.stage_sizes(
        *cols, log["quantity"], log["paid"], [50, 200], 8, firm=log["firm"], firm_index=0
    )
    np.testing.assert_array_equal(sizes, [[0, 2, 0, 0, 0], [2, 1, 1, 2, 1]])


def test_stages_over_time_equal_a_view_per_day() -> None:
    rng = np.random.default_rng(3)
    n, rows = 300, 6000
    day = np.sort(rng.integers(1, 365, rows))
    cust = rng.integers(0, n, rows)
    order = np.lexsort((cust, day))
    day, cust = day[order], cust[order]
    as_of = [31, 61, 91, 200, 271, 366]
    views = list(lifecycle.stages_over_time(day, cust, as_of, n))
    for t, got in zip(as_of, views, strict=True):
        rec = FirmRecords.from_log(
            day, cust, np.ones(rows), np.ones(rows), None, as_of=t, n_customers=n
        )
        gaps = lifecycle.gap_stats(day, cust, n, as_of=t)
        np.testing.assert_array_equal(got, lifecycle.lifecycle_stage(rec, gaps))
    with pytest.raises(ValueError, match="ascending"):
        next(lifecycle.stages_over_time(day[::-1], cust, as_of, n))


# --------------------------------------------------------------------------- profiles


def test_profiles_recover_planted_clusters() -> None:
    rng = np.random.default_rng(5)
    sizes = {"bargain": 400, "loyal": 300, "occasional": 300}
    centres = {  # frequency, aov, gap_cv, deal_share
        "bargain": (6, 2.0, 0.8, 0.9),
        "loyal": (20, 4.0, 0.2, 0.1),
        "occasional": (2, 6.0, 1.5, 0.3),
    }
    parts, personas = [], []
    for name, n in sizes.items():
        f, a, cv, deal = centres[name]
        parts.append(
            pd.DataFrame(
                {
                    "frequency": rng.poisson(f, n) + 1,
                    "aov": rng.normal(a, 0.3, n),
                    "gap_cv": np.abs(rng.normal(cv, 0.1, n)),
                    "deal_share": np.clip(rng.normal(deal, 0.05, n), 0, 1),
                }
            )
        )
        personas += [name] * n
    feats = pd.concat(parts, ignore_index=True)
    prof = kmeans_profiles(feats, k=3)
    match = compare_with_personas(prof.labels, personas)
    assert match.ari > 0.95 and match.purity > 0.98
    assert match.confusion.to_numpy().sum() == 1000 and prof.centres["size"].sum() == 1000
    # centres fitted on a seeded sample, every customer assigned: the same twice
    sampled = kmeans_profiles(feats, k=3, sample=300)
    pd.testing.assert_series_equal(sampled.labels, kmeans_profiles(feats, k=3, sample=300).labels)
    assert compare_with_personas(sampled.labels, personas).ari > 0.95
    assert kmeans_profiles(feats, k=3, sample=1000).inertia == prof.inertia  # no sample needed


def test_behaviour_features_from_log() -> None:
    log = hand_log()
    rec = records_of(log)
    feats = behaviour_features(rec, log, firm=0, regular_price=4.0)
    assert list(feats.index) == [0, 1, 2, 3, 4]
    np.testing.assert_allclose(feats["aov"], [3, 5, 4, 6, 1])
    np.testing.assert_allclose(feats["deal_share"], [1, 0, 0, 1, 1])
    np.testing.assert_allclose(feats["reward_share"], [0, 0, 0, 0.25, 0])
    g3 = np.diff([60, 70, 80, 85])
    assert feats.loc[3, "gap_cv"] == pytest.approx(g3.std() / g3.mean())
    assert feats.loc[0, "gap_cv"] == 0 and feats["gap_cv"].isna().sum() == 3  # 0: gaps 40, 40


# --------------------------------------------------------------------------- scale


def test_million_customers_rfm_and_abc(capsys: pytest.CaptureFixture[str]) -> None:
    rng = np.random.default_rng(7)
    n = 1_000_000
    count = rng.geometric(0.3, n) * (rng.random(n) < 0.8)
    first = np.where(count > 0, rng.uniform(0, 300, n).round(), np.inf)
    last = np.where(count > 0, np.minimum(first + (rng.random(n) * 65).round(), 364), -np.inf)
    rec = FirmRecords(
        as_of=365.0,
        first_purchase_day=first,
        last_purchase_day=last,
        purchase_count=count,
        spend=count * rng.lognormal(1.0, 0.5, n),
        points=np.zeros(n),
    )
    start = time.perf_counter()
    s = rfm.rfm_scores(rec)
    four = rfm.four_classes(s.r, s.f, s.m)
    eight = rfm.eight_cells(*rfm.high_low(s), s.customer)
    t_rfm = time.perf_counter() - start
    start = time.perf_counter()
    summary = abc.abc_summary(rec.spend, rec.customer)
    t_abc = time.perf_counter() - start
    start = time.perf_counter()
    flags = warning.recency_rule(rec) | warning.frequency_drop_rule(rec)
    stages = lifecycle.lifecycle_stage(rec)
    t_rest = time.perf_counter() - start
    with capsys.disabled():
        print(
            f"\n1e6 customers ({int(rec.customer.sum())} of the firm): RFM scores + classes "
            f"{t_rfm:.2f} s, ABC + Pareto + Gini {t_abc:.2f} s, warning + lifecycle {t_rest:.2f} s"
        )
    m = rec.customer
    assert np.all(s.r[m] >= 1) and np.all(four[~m] == -1) and np.all(eight[~m] == -1)
    assert summary.customers.sum() == m.sum() and 0 < summary.gini < 1
    assert summary.gini == pytest.approx(abc.gini(rec.spend, m))
    assert summary.share_for_80 == pytest.approx(abc.customer_share_for(rec.spend, 0.8, m))
    assert flags.sum() > 0 and np.all(stages[m] >= 0)
