"""purchases.parquet: written when the run records purchases, in the declared format, streamed.

The file (`custsim.sim.purchases.COLUMNS`) ties out with customers.parquet and
kpis.json; its row groups do not change its rows; `analysis=[crm]` records it.
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from custsim.sim import purchases
from custsim.sim.config import records_purchases
from custsim.sim.memory import estimated_bytes
from custsim.sim.runner import simulate
from custsim.sim.testing import small_config

RUN = ("steps=40", "policy=stamp_card", "plots=false")


def run_into(directory: Path, *overrides: str) -> Path:
    simulate(small_config(*RUN, *overrides), directory)
    return directory


@pytest.fixture(scope="module")
def recorded(tmp_path_factory) -> Path:
    """A run asking for the crm analysis, so recording purchases."""
    return run_into(tmp_path_factory.mktemp("crm"), "analysis=[crm]")


@pytest.fixture(scope="module")
def plain(tmp_path_factory) -> Path:
    return run_into(tmp_path_factory.mktemp("plain"))


def test_the_file_is_written_only_when_the_run_records_purchases(plain, recorded):
    assert not (plain / "purchases.parquet").exists()
    assert (recorded / "purchases.parquet").exists()
    assert not records_purchases(small_config())
    assert records_purchases(small_config("analysis=[crm]"))
    assert records_purchases(small_config("record_purchases=true"))


def test_recording_leaves_the_results_unchanged(plain, recorded):
    for name in ("timeseries.parquet", "customers.parquet", "kpis.json"):
        assert (plain / name).read_bytes() == (recorded / name).read_bytes(), name


def test_columns_and_dtypes_are_the_declared_ones(recorded):
    log = pd.read_parquet(recorded / "purchases.parquet")
    assert list(log.columns) == list(purchases.COLUMNS)
    assert {c: str(t) for c, t in log.dtypes.items()} == purchases.COLUMNS
    assert list(log["firm"].cat.categories) == ["A", "B", "C"]  # the firms, in firm order
    np.testing.assert_array_equal(log["spend"], log["quantity"] * log["price"])
    assert log["day"].between(1, 40).all() and (log["quantity"] >= 1).all()


def test_rows_are_ordered_by_day_then_customer(recorded):
    log = pd.read_parquet(recorded / "purchases.parquet", columns=["day", "customer"])
    day, customer = log["day"].to_numpy(), log["customer"].to_numpy()
    step = np.diff(day)
    assert (step >= 0).all()
    assert (np.diff(customer)[step == 0] > 0).all()  # one purchase a day at most per customer


def test_the_log_ties_out_with_customers_and_kpis(recorded):
    log = pd.read_parquet(recorded / "purchases.parquet")
    customers = pd.read_parquet(recorded / "customers.parquet")
    firms = json.loads((recorded / "kpis.json").read_text())["firms"]
    assert len(log) == customers["purchases"].sum()
    per_customer = log.groupby("customer")["spend"].sum()
    np.testing.assert_allclose(
        per_customer, customers.set_index("customer")["spend"].loc[per_customer.index]
    )
    by_firm = log.groupby("firm", observed=False)
    for name, kpis in firms.items():
        assert by_firm["spend"].sum()[name] == pytest.approx(kpis["revenue"], abs=0.005)
        assert by_firm["quantity"].sum()[name] == kpis["units"]
        assert len(log[log["firm"] == name]) == customers[f"purchases_{name}"].sum()
    stamped = log[(log["firm"] == "A") & (log["reward"] == 0)]
    assert (stamped["points"] >= 1).all()  # the stamp of the purchase itself


def test_several_row_groups_hold_the_same_rows_as_one(recorded, tmp_path, monkeypatch):
    monkeypatch.setattr(purchases, "PURCHASES_PER_GROUP", 500)
    small = run_into(tmp_path, "record_purchases=true")
    groups = pq.ParquetFile(small / "purchases.parquet").metadata.num_row_groups
    assert groups > 1 and pq.ParquetFile(recorded / "purchases.parquet").num_row_groups == 1
    pd.testing.assert_frame_equal(
        pd.read_parquet(small / "purchases.parquet"),
        pd.read_parquet(recorded / "purchases.parquet"),
    )


def test_frames_join_whole_days_and_concatenate_to_the_frame():
    log = purchases.PurchaseLog(("A", "B"))
    assert len(list(log.frames())) == 1 and log.frame().empty  # an empty table, not none
    for day in range(1, 6):
        ids = np.array([4, 1, 7][: day % 3 + 1])  # unsorted: each block is sorted by customer
        one = np.ones(len(ids))
        log.add(day, ids, ids % 2, one.astype(int), 2.5 * one, one, 0 * one)
    frames = list(log.frames(rows_per_group=3))
    assert [len(f) for f in frames] == [5, 3, 3] and log.rows == 11  # days of 2, 3, 1, 2, 3
    assert all(f["day"].is_monotonic_increasing for f in frames)
    pd.testing.assert_frame_equal(pd.concat(frames, ignore_index=True), log.frame())
    assert log.frame().loc[log.frame()["day"] == 2, "customer"].tolist() == [1, 4, 7]


def test_a_failed_log_write_leaves_no_completion_marker(tmp_path, monkeypatch):
    def broken(self, rows_per_group=None):
        raise OSError("disk full")
        yield

    monkeypatch.setattr(purchases.PurchaseLog, "frames", broken)
    with pytest.raises(OSError, match="disk full"):
        run_into(tmp_path, "analysis=[crm]", "steps=5")
    assert not (tmp_path / "kpis.json").exists()
    assert not (tmp_path / "purchases.parquet").exists()


def test_the_memory_estimate_counts_the_log():
    plain, logged = small_config(), small_config("analysis=[crm]")
    extra = estimated_bytes(logged) - estimated_bytes(plain)
    assert extra >= 2000 * 60 * 0.05 * purchases.BYTES_PER_PURCHASE  # measured: 0.05 a day
