"""The calibration statistics: hand-computed tiny logs, CDNOW against btyd, moments, speed."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from custsim.experiments.calibrate import data, statistics
from custsim.experiments.calibrate.statistics import BLOCK_WEEKS, CohortSummary, summarise
from custsim.experiments.crm import btyd
from custsim.experiments.crm.datasets import load_cdnow_sample

UNTIL, END = "1997-09-30", "1998-06-30"  # CDNOW: weeks 1-39 and 40-78 (FHL 2005a)


def tiny_days() -> pd.DataFrame:
    """3 customers, until_day 13, end_day 27 (4 weeks, 2 of them calibration weeks).

    0: days 0, 3 (two rows), 10 | 20 in the holdout, 30 after the end;
    1: day 2 | 15;  2: day 13 (born on until_day: T = 0) | 14.
    """
    rows = [
        (0, 0, 5.0),
        (0, 3, 1.0),
        (0, 3, 2.0),
        (0, 10, 4.0),
        (0, 20, 8.0),
        (0, 30, 99.0),
        (1, 2, 10.0),
        (1, 15, 20.0),
        (2, 13, 7.0),
        (2, 14, 1.0),
    ]
    return pd.DataFrame(rows, columns=["customer", "day", "amount"])


def test_a_hand_computed_tiny_log() -> None:
    s = summarise(tiny_days(), 3, until_day=13, end_day=27)
    np.testing.assert_array_equal(s.first_day, [0, 2, 13])
    np.testing.assert_array_equal(s.x, [2, 0, 0])
    np.testing.assert_array_equal(s.t_x, [10 / 7, 0, 0])
    np.testing.assert_array_equal(s.T, [13 / 7, 11 / 7, 0])
    np.testing.assert_array_equal(s.holdout_x, [1, 1, 1])
    np.testing.assert_array_equal(s.weekly_repeat, [1, 1, 3, 0])  # days 3 | 10 | 14, 15, 20 | -
    np.testing.assert_array_equal(s.first_spend, [5, 10, 7])
    np.testing.assert_array_equal(s.spend, [3, 4])  # day 3's two rows are one transaction
    np.testing.assert_array_equal(s.gap, [3, 7])
    np.testing.assert_array_equal(s.monetary, [3.5, 0, 0])
    assert s.mean_spend == 3.5 and s.calibration_weeks == 2 and s.n_customers == 3


def test_the_tiny_logs_moments() -> None:
    block = summarise(tiny_days(), 3, until_day=13, end_day=27).moments()
    expected = {
        "repeats": 2 / 3,  # one customer with x = 2
        "freq=0": 2 / 3,
        "freq=2": 1 / 3,
        "recency<=1 x=2-3": 1 / 3,  # t_x / T = 10/13, x = 2
        "ipt<1w": 0.5 / 3,  # gaps of 3 and 7 days: half under a week, half in [1, 2) weeks
        "ipt 1-2w": 0.5 / 3,
        "weeks 1-2": 2 / 3,  # both calibration weeks in one block
    }
    assert block.names == (
        "repeats",
        *(f"freq={k}" for k in range(7)),
        "freq=7+",
        *(
            f"recency<={e} x={g}"
            for g in ("1", "2-3", "4-6", "7+")
            for e in (".25", ".5", ".75", "1")
        ),
        "ipt<1w",
        "ipt 1-2w",
        "ipt 2-4w",
        "ipt 4-8w",
        "ipt 8-16w",
        "ipt>=16w",
        "weeks 1-2",
    )
    want = [expected.get(name, 0.0) for name in block.names]
    np.testing.assert_allclose(block.values, want, rtol=0, atol=1e-15)
    assert block.per_customer.shape == (3, len(block.names))
    np.testing.assert_allclose(
        block.covariance, np.cov(block.per_customer, rowvar=False) / 3, rtol=0, atol=0
    )


def test_bin_edges_are_closed_where_documented() -> None:
    # one customer per recency edge: t_x / T = .25, .5, .75, 1 with T = 4 weeks (28 days)
    # and inter-purchase gaps of exactly 1, 2, 4, 8, 16 weeks
    rows = [(c, 0, 1.0) for c in range(4)] + [(c, 7 * (c + 1), 1.0) for c in range(4)]
    block = summarise(
        pd.DataFrame(rows, columns=["customer", "day", "amount"]), 4, 28, 28
    ).moments()
    values = dict(zip(block.names, block.values, strict=True))
    assert [values[f"recency<={e} x=1"] for e in (".25", ".5", ".75", "1")] == [0.25] * 4
    gaps = [(0, 0, 1.0)] + [(0, d, 1.0) for d in np.cumsum([7, 14, 28, 56, 112])]
    block = summarise(
        pd.DataFrame(gaps, columns=["customer", "day", "amount"]), 1, 300, 300
    ).moments()
    values = dict(zip(block.names, block.values, strict=True))
    ipt = ("ipt<1w", "ipt 1-2w", "ipt 2-4w", "ipt 4-8w", "ipt 8-16w", "ipt>=16w")
    assert [values[name] for name in ipt] == [0, 0.2, 0.2, 0.2, 0.2, 0.2]


def test_row_order_and_split_rows_do_not_matter() -> None:
    days = tiny_days()
    a = summarise(days, 3, 13, 27)
    b = summarise(days.sample(frac=1, random_state=3), 3, 13, 27)
    for name in (
        "first_day",
        "x",
        "t_x",
        "T",
        "holdout_x",
        "weekly_repeat",
        "first_spend",
        "spend",
        "gap",
    ):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    np.testing.assert_array_equal(a.moments().per_customer, b.moments().per_customer)


@pytest.mark.parametrize(
    ("days", "n", "until", "end", "needle"),
    [
        (tiny_days(), 4, 13, 27, "every customer 0..3 must buy on or before day 13"),
        (tiny_days(), 3, 12, 27, "every customer 0..2 must buy on or before day 12"),
        (tiny_days(), 2, 13, 27, "customer codes must be 0..1"),
        (tiny_days(), 3, 13, 12, "end_day=12 is before until_day=13"),
    ],
)
def test_bad_inputs_are_refused(
    days: pd.DataFrame, n: int, until: int, end: int, needle: str
) -> None:
    with pytest.raises(ValueError, match=needle):
        summarise(days, n, until, end)


@st.composite
def cohorts(draw: st.DrawFn) -> tuple[pd.DataFrame, int, int, int]:
    n = draw(st.integers(1, 8))
    until = draw(st.integers(0, 30))
    end = draw(st.integers(until, 60))
    first = draw(st.lists(st.integers(0, until), min_size=n, max_size=n))
    extra = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, 70)), max_size=30))
    rows = [(c, f) for c, f in enumerate(first)] + [(c, max(d, first[c])) for c, d in extra]
    frame = pd.DataFrame(rows, columns=["customer", "day"])
    frame["amount"] = np.arange(len(frame), dtype=float)
    return frame, n, until, end


@given(cohorts())
def test_weekly_repeats_add_up_and_the_holdout_never_reaches_the_moments(
    case: tuple[pd.DataFrame, int, int, int],
) -> None:
    days, n, until, end = case
    s = summarise(days, n, until, end)
    assert s.weekly_repeat.sum() == s.x.sum() + s.holdout_x.sum()
    assert len(s.weekly_repeat) == end // 7 + 1
    assert np.all(s.t_x <= s.T) and np.all((s.t_x > 0) == (s.x > 0))
    calibration_only = summarise(days[days["day"] <= until], n, until, end)
    np.testing.assert_array_equal(s.moments().per_customer, calibration_only.moments().per_customer)
    per_customer = s.moments().per_customer
    blocks = -(-s.calibration_weeks // BLOCK_WEEKS)
    weeks = per_customer[:, -blocks:]
    np.testing.assert_array_equal(weeks.sum(axis=1), s.x)
    # the week holding until_day may hold holdout days: its moment counts the calibration days only
    cut = calibration_only.weekly_repeat[: s.calibration_weeks]
    cut = np.add.reduceat(cut, np.arange(0, len(cut), BLOCK_WEEKS)) if len(cut) else cut
    np.testing.assert_array_equal(weeks.sum(axis=0), cut)


# --------------------------------------------------------------------------- CDNOW


@pytest.fixture(scope="module")
def cdnow_split() -> data.Split:
    log = data.daily_log(data.read_transactions("cdnow_sample", data.Columns()))
    return data.split_by_date(log, UNTIL)


@pytest.fixture(scope="module")
def cdnow_summary(cdnow_split: data.Split) -> CohortSummary:
    return statistics.summarise_split(cdnow_split)


def test_cdnow_x_tx_T_equal_btyd_to_the_float(
    cdnow_split: data.Split, cdnow_summary: CohortSummary
) -> None:
    rf = btyd.summarise_transactions(
        load_cdnow_sample(), "customer", "date", "amount", UNTIL, unit="W"
    )
    by_id = np.argsort(cdnow_split.log.ids.to_numpy(), kind="stable")
    np.testing.assert_array_equal(
        cdnow_split.log.ids.to_numpy()[by_id], rf.customer.astype(np.int64)
    )
    np.testing.assert_array_equal(cdnow_summary.x[by_id], rf.frequency)
    np.testing.assert_array_equal(cdnow_summary.t_x[by_id], rf.recency)
    np.testing.assert_array_equal(cdnow_summary.T[by_id], rf.age)
    np.testing.assert_allclose(cdnow_summary.monetary[by_id], rf.monetary, rtol=1e-12)


def test_cdnow_calibration_and_holdout_totals(
    cdnow_split: data.Split, cdnow_summary: CohortSummary
) -> None:
    # FHL 2005a: 2,357 customers, 2,457 repeat transactions in weeks 1-39; 1,882 in weeks 40-78
    s = cdnow_summary
    assert s.n_customers == 2357 and s.calibration_weeks == 39 and len(s.weekly_repeat) == 78
    assert s.x.sum() == 2457 and s.holdout_x.sum() == 1882
    rf = btyd.summarise_transactions(
        load_cdnow_sample(), "customer", "date", "amount", UNTIL, unit="W"
    )
    holdout = btyd.count_transactions(
        load_cdnow_sample(), "customer", "date", UNTIL, END, rf.customer
    )
    by_id = np.argsort(cdnow_split.log.ids.to_numpy(), kind="stable")
    np.testing.assert_array_equal(s.holdout_x[by_id], holdout)
    assert s.weekly_repeat.sum() == s.x.sum() + s.holdout_x.sum()
    assert s.weekly_repeat[:39].sum() == 2457
    assert s.spend.size == 2457 and s.mean_spend == pytest.approx(s.spend.sum() / 2457)


def test_cdnow_moments_equal_the_direct_computation(
    cdnow_split: data.Split, cdnow_summary: CohortSummary
) -> None:
    block = cdnow_summary.moments()
    n = cdnow_summary.n_customers
    cal = cdnow_split.calibration()
    grouped = cal.groupby("customer")["day"]
    x = grouped.size() - 1
    t_x, T = (grouped.max() - grouped.min()) / 7, (272 - grouped.min()) / 7
    direct = {f"freq={k}": (x == k).mean() for k in range(7)} | {"freq=7+": (x >= 7).mean()}
    direct["repeats"] = x.mean()
    ratio = t_x / T
    groups = [("1", 1, 1), ("2-3", 2, 3), ("4-6", 4, 6), ("7+", 7, np.inf)]
    for lo, hi, name in [(0, 0.25, ".25"), (0.25, 0.5, ".5"), (0.5, 0.75, ".75"), (0.75, 1, "1")]:
        for label, fewest, most in groups:
            inside = (x >= fewest) & (x <= most) & (ratio > lo) & (ratio <= hi)
            direct[f"recency<={name} x={label}"] = inside.sum() / n
    gap = (grouped.diff().dropna() / 7).to_frame("gap").join(cal["customer"])
    edges = [(0, 1, "ipt<1w"), (1, 2, "ipt 1-2w"), (2, 4, "ipt 2-4w"), (4, 8, "ipt 4-8w")]
    edges += [(8, 16, "ipt 8-16w"), (16, np.inf, "ipt>=16w")]
    for lo, hi, name in edges:
        inside = (
            gap.assign(hit=(gap["gap"] >= lo) & (gap["gap"] < hi)).groupby("customer")["hit"].mean()
        )
        direct[name] = inside.sum() / n
    repeats = cal[cal.duplicated("customer")]  # every row after a customer's first
    block4 = repeats.groupby(repeats["day"] // 28).size().reindex(range(10), fill_value=0) / n
    direct |= {f"weeks {4 * k + 1}-{min(4 * k + 4, 39)}": block4[k] for k in range(10)}
    np.testing.assert_allclose(
        block.values, [direct[name] for name in block.names], rtol=1e-12, atol=1e-15
    )
    assert block.values[0] == pytest.approx(2457 / 2357)  # the calibration's repeat transactions
    assert block.values[1:9].sum() == pytest.approx(1.0)
    assert block.values[1:9][0] == pytest.approx(1411 / 2357)  # FHL 2005a: 1,411 with no repeat


# --------------------------------------------------------------------------- speed


def best_of(runs: int, call: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return min(times)


def test_summarise_is_fast(cdnow_split: data.Split, capsys: pytest.CaptureFixture[str]) -> None:
    small = best_of(3, lambda: statistics.summarise_split(cdnow_split))
    rng = np.random.default_rng(0)
    n = 100_000
    count = rng.poisson(14, n) + 1
    customer = np.repeat(np.arange(n), count)
    born = np.r_[True, customer[1:] != customer[:-1]]
    day = np.repeat(rng.integers(0, 84, n), count) + np.where(
        born, 0, rng.integers(0, 462, customer.size)
    )
    frame = pd.DataFrame(
        {"customer": customer, "day": day, "amount": rng.gamma(2.0, 15.0, customer.size)}
    )
    frame = frame.sort_values(["day", "customer"], kind="stable")  # a simulated log's order
    large = best_of(3, lambda: summarise(frame, n, 272, 545))
    with capsys.disabled():
        print(
            f"\nsummarise: CDNOW 2,357 customers {small * 1e3:.1f} ms; "
            f"100,000 customers, {len(frame):,} rows {large * 1e3:.0f} ms"
        )
    assert small < 0.05 and large < 1.0
