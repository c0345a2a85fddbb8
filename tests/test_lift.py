"""compare.lift: paired-t lift, its coverage, the value of pairing, the promotion split."""

import numpy as np
import pandas as pd
import pytest

from custsim.experiments.compare.lift import (
    TABLE_COLUMNS,
    daily_lift,
    decomposition_table,
    lift_table,
    mean_ci,
    paired_lift,
    promotion_decomposition,
    rfm_classes,
    rfm_metrics,
    run_metrics,
)
from custsim.policies.crm import rfm
from custsim.policies.crm.records import FirmRecords

T_975_3DF = 3.182446305284263  # t quantile 0.975 with 3 degrees of freedom (tables)


def test_paired_lift_hand_computed():
    policy = np.array([10.0, 12.0, 14.0, 11.0])
    baseline = np.array([8.0, 9.0, 13.0, 10.0])
    # d = 2, 3, 1, 1: mean 1.75, s^2 = (0.0625 + 1.5625 + 0.5625 + 0.5625) / 3 = 2.75 / 3
    se = np.sqrt(2.75 / 3) / 2
    out = paired_lift(policy, baseline)
    assert out["lift"] == pytest.approx(1.75)
    assert out["lift_se"] == pytest.approx(se)
    assert out["ci_low"] == pytest.approx(1.75 - T_975_3DF * se)
    assert out["ci_high"] == pytest.approx(1.75 + T_975_3DF * se)
    assert out["baseline_mean"] == pytest.approx(10.0)
    assert out["policy_mean"] == pytest.approx(11.75)
    assert out["lift_pct"] == pytest.approx(17.5)
    assert out["replications"] == 4


def test_paired_lift_edge_cases():
    same = paired_lift(np.array([3.0, 5.0, 4.0]), np.array([3.0, 5.0, 4.0]))
    assert same["lift"] == same["lift_se"] == same["ci_low"] == same["ci_high"] == 0.0
    assert np.isnan(paired_lift(np.array([1.0, 2.0]), np.zeros(2))["lift_pct"])
    # the relative lift keeps the sign of the lift when the baseline is negative
    assert paired_lift(np.array([-1.0, -1.0]), np.array([-2.0, -2.0]))["lift_pct"] == 50.0
    with pytest.raises(ValueError, match="paired"):
        paired_lift(np.ones(3), np.ones(4))
    with pytest.raises(ValueError, match="at least 2"):
        mean_ci([1.0])


def test_ci_covers_true_difference_at_nominal_rate():
    """400 seeded experiments of R = 5 correlated normal pairs, true lift 0.5.

    The t quantile matters at R = 5: a normal quantile (1.96 instead of 2.78)
    would cover only about 88% of the time.
    """
    rng = np.random.default_rng(20240501)
    reps, true_lift, covered = 5, 0.5, 0
    for _ in range(400):
        common = rng.normal(10.0, 2.0, reps)  # the shared replication effect (CRN)
        baseline = common + rng.normal(0.0, 0.5, reps)
        policy = common + true_lift + rng.normal(0.0, 0.5, reps)
        out = paired_lift(policy, baseline)
        covered += out["ci_low"] <= true_lift <= out["ci_high"]
    assert 0.92 <= covered / 400 <= 0.98


def test_pairing_gives_a_narrower_interval_than_independent_arms():
    rng = np.random.default_rng(7)
    reps = 10
    common = rng.normal(100.0, 10.0, reps)
    baseline = common + rng.normal(0.0, 1.0, reps)
    policy = common + 3.0 + rng.normal(0.0, 1.0, reps)
    paired = paired_lift(policy, baseline)
    independent_se = np.sqrt(policy.var(ddof=1) / reps + baseline.var(ddof=1) / reps)
    assert paired["lift_se"] < independent_se / 3
    assert paired["ci_low"] > 0  # the lift is detected with pairing ...
    assert paired["lift"] - 2 * independent_se < 0  # ... and would be lost in the noise without


def test_lift_table_rows_and_columns():
    policy = [{("firm", "units"): 12.0, ("market", "mean_clv"): 2.0} for _ in range(3)]
    baseline = [{("firm", "units"): 10.0, ("market", "mean_clv"): 2.0} for _ in range(3)]
    table = lift_table(policy, baseline)
    assert list(table.columns) == list(TABLE_COLUMNS)
    assert list(zip(table.scope, table.metric, strict=True)) == [
        ("firm", "units"),
        ("market", "mean_clv"),
    ]
    assert table.lift.tolist() == [2.0, 0.0] and table.lift_pct.tolist() == [20.0, 0.0]
    with pytest.raises(ValueError, match="same metrics"):
        lift_table(policy, [{("firm", "units"): 1.0}] * 3)
    with pytest.raises(ValueError, match="baseline replications"):
        lift_table(policy, baseline[:2])


def timeseries(units: dict[str, list[int]], promo_a: list[int]) -> pd.DataFrame:
    """One row per (day, firm); firm A promotes on the `promo_a` days."""
    days = len(next(iter(units.values())))
    rows = [
        {"day": d, "firm": f, "units": u[d - 1], "promo": f == "A" and d in promo_a}
        for d in range(1, days + 1)
        for f, u in units.items()
    ]
    return pd.DataFrame(rows)


BASELINE = timeseries({"A": [10] * 6, "B": [8] * 6, "C": [5] * 6}, promo_a=[1])
POLICY = timeseries(
    {"A": [10, 10, 30, 28, 6, 8], "B": [8, 8, 4, 5, 8, 7], "C": [5, 5, 3, 4, 5, 5]},
    promo_a=[3, 4],
)


def test_decomposition_hand_checked():
    # change: A 0 0 +20 +18 -4 -2; B 0 0 -4 -3 0 -1; C 0 0 -2 -1 0 0; promo days 3, 4
    # (the policy arm's; the baseline's day-1 flag is ignored)
    parts = promotion_decomposition(POLICY, BASELINE, "A")
    assert parts == {
        "bump": 38.0,  # 20 + 18
        "switching": 10.0,  # -(-4 - 3 - 2 - 1)
        "pulled_forward": 7.0,  # -(-4 - 2 - 1) on days 1, 2, 5, 6
        "expansion": 21.0,  # 38 - 10 - 7 = the category change 32 - 8 - 3
        "promo_days": 2.0,
    }
    assert parts["bump"] == parts["switching"] + parts["pulled_forward"] + parts["expansion"]


def test_decomposition_identity_holds_exactly_on_random_series():
    rng = np.random.default_rng(3)
    for _ in range(20):
        days = 30
        units = {f: rng.poisson(40, days).tolist() for f in "ABC"}
        more = {
            f: (np.array(u) + rng.integers(-5, 9, days)).clip(0).tolist() for f, u in units.items()
        }
        promo = rng.choice(np.arange(1, days + 1), size=8, replace=False).tolist()
        parts = promotion_decomposition(timeseries(more, promo), timeseries(units, []), "A")
        assert parts["bump"] == parts["switching"] + parts["pulled_forward"] + parts["expansion"]
        total = sum(np.sum(more[f]) - np.sum(units[f]) for f in "ABC")
        assert parts["expansion"] == total


def test_no_promotion_days_means_no_bump_and_no_switching():
    policy = timeseries({"A": [11, 9, 12], "B": [8, 8, 7], "C": [5, 6, 5]}, promo_a=[])
    baseline = timeseries({"A": [10, 10, 10], "B": [8, 8, 8], "C": [5, 5, 5]}, promo_a=[])
    parts = promotion_decomposition(policy, baseline, "A")
    assert parts["bump"] == 0 and parts["switching"] == 0 and parts["promo_days"] == 0
    assert parts["pulled_forward"] == -2.0  # minus the category change +2
    assert parts["expansion"] == 2.0


def test_decomposition_rejects_unpaired_series():
    with pytest.raises(ValueError, match="same days"):
        promotion_decomposition(POLICY, BASELINE[BASELINE.day < 6], "A")


def test_decomposition_table_means_and_shares():
    parts = [
        {"bump": 40.0, "switching": 10.0, "pulled_forward": 10.0, "expansion": 20.0},
        {"bump": 60.0, "switching": 30.0, "pulled_forward": 10.0, "expansion": 20.0},
    ]
    table = decomposition_table(parts).set_index("metric")
    assert list(table.reset_index().columns) == [
        "metric",
        *[c for c in TABLE_COLUMNS if c != "metric"],
    ]
    assert (table.scope == "decomposition").all()
    assert table.loc["bump", "lift"] == 50.0 and table.loc["switching", "lift"] == 20.0
    assert table.loc["switching_share", "lift"] == pytest.approx(0.4)
    shares = table.loc[["switching_share", "pulled_forward_share", "expansion_share"], "lift"]
    assert shares.sum() == pytest.approx(1.0)
    none = decomposition_table([dict.fromkeys(parts[0], 0.0)] * 2).set_index("metric")
    assert np.isnan(none.loc["switching_share", "lift"])


def test_run_metrics_per_segment():
    kpis = ("revenue", "margin", "units", "unit_share", "repeat_rate", "retention")
    columns = {m: [1.0, 2.0] for m in (*kpis, "clv_per_customer")}
    firm_kpis = pd.DataFrame({"firm": ["A", "B"], **columns})
    market = {"active_at_end": 3, "retention": 0.75, "repeat_purchase_rate": 0.5, "mean_clv": 1.5}
    customers = pd.DataFrame(
        {
            "segment": pd.Categorical(["x", "x", "x", "y"], categories=["x", "y"]),
            "purchases": [9, 9, 9, 9],  # market-wide totals: not the focal firm's ledger
            "spend": [99.0] * 4,
            "margin": [99.0] * 4,
            "clv": [99.0] * 4,
            "purchases_B": [0, 1, 3, 2],
            "spend_B": [0.0, 8.0, 24.0, 16.0],
            "margin_B": [0.0, 3.0, 9.0, 6.0],  # net of rewards and points liability
            "clv_B": [0.0, 2.0, 7.0, 5.0],
            "churned": [True, False, False, False],
        }
    )
    m = run_metrics(firm_kpis, market, customers, "B")
    assert m["firm", "revenue"] == 2.0 and m["market", "retention"] == 0.75
    assert m["segment:x", "spend"] == 32.0 and m["segment:x", "margin"] == 12.0
    assert m["segment:x", "clv"] == 3.0
    assert m["segment:x", "retention"] == pytest.approx(2 / 3)
    assert m["segment:x", "repeat_rate"] == 0.5  # one of B's two buyers bought twice or more
    assert m["segment:y", "repeat_rate"] == 1.0 and m["segment:y", "retention"] == 1.0


def test_rfm_classes_are_four_classes_and_none():
    """Ten buyers scored by quintiles (Hughes 1994) and a row that never bought: class none."""
    n = 11
    count = np.r_[np.arange(1, 11), 0]
    last = np.r_[np.arange(10, 110, 10, dtype=float), -np.inf]
    records = FirmRecords(
        as_of=111.0,
        first_purchase_day=np.r_[np.ones(10), np.inf],
        last_purchase_day=last,
        purchase_count=count,
        spend=count * 10.0,
        points=np.zeros(n),
    )
    codes = rfm_classes(records)
    scores = rfm.rfm_scores(records)
    four = rfm.four_classes(scores.r, scores.f, scores.m)
    assert codes.dtype == np.int8 and codes[-1] == 4  # "none"
    assert (codes[:-1] == four[:-1]).all()
    assert codes[-2] == 0  # the most recent, most frequent, biggest spender: high_value


def test_rfm_metrics_sum_to_the_firm():
    classes = np.array([0, 0, 2, 4, 4], dtype=np.int8)
    spend = np.array([10.0, 20.0, 5.0, 0.0, 3.0])
    margin = np.array([4.0, 8.0, 2.0, 0.0, 1.0])
    clv = np.array([3.0, 7.0, 1.0, 0.0, 1.0])
    m = rfm_metrics(classes, spend, margin, clv)
    assert m["rfm:high_value", "customers"] == 2 and m["rfm:high_value", "spend"] == 30.0
    assert m["rfm:high_value", "clv"] == 5.0 and m["rfm:none", "margin"] == 1.0
    assert np.isnan(m["rfm:important_to_retain", "clv"])  # an empty class has no mean
    assert m["rfm:important_to_retain", "margin"] == 0.0
    total = sum(v for (s, k), v in m.items() if k == "margin")
    assert total == margin.sum()


def test_daily_lift():
    policy = np.array([[5.0, 7.0], [7.0, 9.0]])
    baseline = np.array([[5.0, 6.0], [7.0, 6.0]])
    daily = daily_lift(policy, baseline)
    assert daily.day.tolist() == [1, 2]
    assert daily.lift.tolist() == [0.0, 2.0]
    assert daily.policy.tolist() == [6.0, 8.0] and daily.baseline.tolist() == [6.0, 6.0]
    assert daily.ci_low[0] == daily.ci_high[0] == 0.0 and daily.ci_low[1] < 2.0 < daily.ci_high[1]


@pytest.mark.parametrize("r", [2, 3, 5, 10, 30, 1000])
def test_the_interval_uses_students_t_quantile_exactly(r):
    from scipy import stats

    x = np.arange(r, dtype=np.float64) ** 1.5
    got = mean_ci(x)
    half = float(stats.t.ppf(0.975, df=r - 1)) * float(x.std(ddof=1) / np.sqrt(r))
    assert got["ci_high"] == got["mean"] + half and got["ci_low"] == got["mean"] - half
