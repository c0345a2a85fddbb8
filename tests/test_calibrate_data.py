"""The calibration's transaction log: reading and checking it, customer-days, the split by date."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from custsim.experiments.calibrate import data
from custsim.experiments.calibrate.data import Columns, DataError
from custsim.experiments.crm.datasets import load_cdnow_sample


def write_csv(tmp_path: Path, text: str, name: str = "log.csv") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def one_line_error(source: str, columns: Columns | None = None) -> str:
    with pytest.raises(DataError) as err:
        data.read_transactions(source, columns or Columns())
    message = str(err.value)
    assert len(message.splitlines()) == 1, message
    assert message.startswith(f"data={source}: "), message
    return message


# --------------------------------------------------------------------------- reading


def test_the_shipped_cdnow_sample_reads_as_the_crm_loader_gives_it() -> None:
    frame = data.read_transactions("cdnow_sample", Columns())
    cdnow = load_cdnow_sample()
    assert list(frame.columns) == ["customer", "date", "amount", "quantity"]
    assert frame.dtypes.to_dict() == {
        "customer": np.dtype("int64"),
        "date": np.dtype("datetime64[ns]"),
        "amount": np.dtype("float64"),
        "quantity": np.dtype("int64"),
    }
    expected = cdnow[frame.columns.tolist()].astype({"date": "datetime64[ns]"})
    pd.testing.assert_frame_equal(frame, expected)


def test_csv_and_parquet_files_read_alike_with_mapped_columns(tmp_path: Path) -> None:
    text = (
        "id,when,value,units,brand\n"
        "b,1997-01-02,10.5,2,x\na,1997-01-01T10:30,3,1,y\nb,19970105,0,1,x\n"
    )
    columns = Columns(customer="id", date="when", amount="value", quantity="units", product="brand")
    frame = data.read_transactions(write_csv(tmp_path, text, "LOG.CSV"), columns)
    assert frame["customer"].tolist() == ["b", "a", "b"]
    assert frame["date"].tolist() == [
        pd.Timestamp(d) for d in ("1997-01-02", "1997-01-01", "1997-01-05")
    ]
    assert frame["amount"].tolist() == [10.5, 3.0, 0.0]
    assert frame["quantity"].tolist() == [2, 1, 1]
    assert frame["product"].tolist() == ["x", "y", "x"]
    for suffix in (".parquet", ".PQ"):
        path = tmp_path / f"log{suffix}"
        pd.read_csv(tmp_path / "LOG.CSV").to_parquet(path)
        pd.testing.assert_frame_equal(data.read_transactions(str(path), columns), frame)


def test_yyyymmdd_integers_as_in_the_original_cdnow_file(tmp_path: Path) -> None:
    source = write_csv(tmp_path, "customer,date,amount\n1,19970101,1.0\n1,19970215,2.0\n")
    frame = data.read_transactions(source, Columns())
    assert frame["date"].tolist() == [pd.Timestamp("1997-01-01"), pd.Timestamp("1997-02-15")]
    assert frame["quantity"].tolist() == [1, 1]  # no quantity column: one unit per row


def test_unit_price_is_read_when_mapped(tmp_path: Path) -> None:
    source = write_csv(tmp_path, "customer,date,amount,price\n1,1997-01-01,4.0,2.0\n")
    frame = data.read_transactions(source, Columns(unit_price="price"))
    assert frame["unit_price"].tolist() == [2.0]


def test_a_missing_file_and_an_unknown_suffix(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.csv")
    assert one_line_error(missing) == f"data={missing}: no such file"
    other = write_csv(tmp_path, "customer,date,amount\n", "log.txt")
    message = one_line_error(other)
    assert "unknown file type '.txt'" in message
    assert ".csv, .parquet, .pq" in message and "cdnow_sample" in message
    assert "(no suffix)" in one_line_error("cdnow")


def test_empty_and_unreadable_files(tmp_path: Path) -> None:
    assert one_line_error(write_csv(tmp_path, "", "empty.csv")).endswith("the file is empty")
    header_only = write_csv(tmp_path, "customer,date,amount\n", "header.csv")
    assert one_line_error(header_only).endswith("no transactions (the log has no rows)")
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"not a parquet file\n at all")
    assert "cannot read it as a Parquet file" in one_line_error(str(broken))
    ragged = write_csv(tmp_path, 'customer,date,amount\n1,1997-01-01,"3\n', "ragged.csv")
    assert "cannot read it as a CSV file" in one_line_error(ragged)


def test_a_missing_column_names_the_option_that_maps_it(tmp_path: Path) -> None:
    source = write_csv(tmp_path, "a,b,c\n1,1997-01-01,3\n")
    assert one_line_error(source) == (
        f"data={source}: no column 'customer' "
        "(set calibrate.columns.customer=<name>; columns are: a, b, c)"
    )
    message = one_line_error(source, Columns(customer="a", date="b"))
    assert "no column 'amount' (set calibrate.columns.amount=<name>" in message
    # a quantity column named on purpose must exist; the default name may be absent
    message = one_line_error(source, Columns(customer="a", date="b", amount="c", quantity="units"))
    assert "no column 'units' (set calibrate.columns.quantity=<name>" in message
    message = one_line_error(source, Columns(customer="a", date="b", amount="c", product="brand"))
    assert "calibrate.columns.product=<name>" in message


def test_unreadable_dates_give_the_count_and_the_first_with_its_row(tmp_path: Path) -> None:
    rows = ["1997-01-01"] * 6 + ["1997-13-01", "01/02/1997", "1997-01-05", "yesterday"]
    text = "customer,date,amount\n" + "".join(f"1,{d},1\n" for d in rows)
    source = write_csv(tmp_path, text)
    message = one_line_error(source)
    assert message.startswith(
        f"data={source}: 3 dates in column 'date' cannot be read, "
        "first '1997-13-01' (row 7); allowed: ISO"
    )


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (
            "1,1997-01-01,1\n,1997-01-02,2\n",
            "1 customer ids in column 'customer' are missing, first at row 2",
        ),
        (
            "1,1997-01-01,\n1,1997-01-02,\n",
            "2 amounts in column 'amount' are missing, first at row 1",
        ),
        (
            "1,1997-01-01,1\n1,1997-01-02,-5\n2,1997-01-02,-1\n",
            "2 amounts in column 'amount' are negative, first -5 (row 2)",
        ),
        (
            "1,1997-01-01,$3\n",
            "1 amounts in column 'amount' are not finite numbers, first '$3' (row 1)",
        ),
        ("1,1997-01-01,inf\n", "1 amounts in column 'amount' are not finite numbers"),
    ],
)
def test_bad_customers_and_amounts_are_counted_with_the_first_row(
    tmp_path: Path, body: str, needle: str
) -> None:
    source = write_csv(tmp_path, "customer,date,amount\n" + body)
    assert needle in one_line_error(source)


@pytest.mark.parametrize(
    ("quantity", "needle"),
    [
        ("-1", "1 quantities in column 'quantity' are negative or not whole, first -1 (row 2)"),
        ("1.5", "1 quantities in column 'quantity' are negative or not whole, first 1.5 (row 2)"),
        ("", "1 quantities in column 'quantity' are missing, first at row 2"),
    ],
)
def test_bad_quantities(tmp_path: Path, quantity: str, needle: str) -> None:
    source = write_csv(
        tmp_path, f"customer,date,amount,quantity\n1,1997-01-01,1,1\n1,1997-01-02,1,{quantity}\n"
    )
    assert needle in one_line_error(source)


# --------------------------------------------------------------------------- customer-days


def tiny_frame() -> pd.DataFrame:
    """Customer 'z' first buys on day 0, 'b' and 'a' on day 2 (a tie: by id), 'b' twice that day."""
    rows = [
        ("b", "1997-01-03 09:00", 1.0, 1),
        ("z", "1997-01-01", 2.0, 1),
        ("b", "1997-01-03 17:00", 4.0, 2),
        ("a", "1997-01-03", 8.0, 1),
        ("z", "1997-01-10", 16.0, 3),
    ]
    frame = pd.DataFrame(rows, columns=["customer", "date", "amount", "quantity"])
    frame["date"] = pd.to_datetime(frame["date"], format="ISO8601").dt.normalize()
    return frame


def test_a_customers_transactions_on_one_day_count_as_one() -> None:
    log = data.daily_log(tiny_frame())
    assert log.ids.tolist() == ["z", "a", "b"]
    assert log.origin == pd.Timestamp("1997-01-01") and log.last == pd.Timestamp("1997-01-10")
    assert (log.rows, log.merged, log.n_customers) == (5, 1, 3)
    expected = pd.DataFrame(
        {
            "customer": [0, 0, 1, 2],
            "day": [0, 9, 2, 2],
            "amount": [2.0, 16.0, 8.0, 5.0],
            "quantity": [1, 3, 1, 3],
            "transactions": [1, 1, 1, 2],
        }
    )
    pd.testing.assert_frame_equal(log.days, expected)
    assert log.first_day.tolist() == [0, 2, 2]


def test_the_cdnow_sample_as_customer_days() -> None:
    log = data.daily_log(data.read_transactions("cdnow_sample", Columns()))
    # 6,919 transactions of 2,357 customers; 223 rows share a customer and day with another
    assert (log.rows, log.n_customers, len(log.days), log.merged) == (6919, 2357, 6696, 223)
    assert np.all(np.diff(log.first_day) >= 0)
    assert log.first_day.max() == (pd.Timestamp("1997-03-25") - log.origin).days
    assert log.days["amount"].sum() == pytest.approx(load_cdnow_sample()["amount"].sum())


# --------------------------------------------------------------------------- split


@pytest.fixture(scope="module")
def cdnow_log() -> data.TransactionLog:
    return data.daily_log(data.read_transactions("cdnow_sample", Columns()))


def test_the_cdnow_split_weeks_1_to_39_and_40_to_78(cdnow_log: data.TransactionLog) -> None:
    split = data.split_by_date(cdnow_log, "1997-09-30")
    assert (split.until_day, split.end_day, split.excluded) == (272, 545, 0)
    assert split.end == pd.Timestamp("1998-06-30")
    # 2,357 first purchases + 2,457 calibration repeats (FHL 2005a); 1,882 holdout customer-days
    assert len(split.calibration()) == 2357 + 2457
    assert len(split.holdout()) == 1882


def test_customers_born_after_until_are_left_out() -> None:
    split = data.split_by_date(data.daily_log(tiny_frame()), "1997-01-02", "1997-01-09")
    assert split.excluded == 2 and split.log.n_customers == 1
    assert split.log.ids.tolist() == ["z"]
    assert (split.log.rows, split.log.merged) == (2, 0)
    assert split.log.last == pd.Timestamp("1997-01-10")
    assert split.calibration()["day"].tolist() == [0]
    assert split.holdout().empty  # day 9 is after end_day 8


@pytest.mark.parametrize(
    ("until", "end", "message"),
    [
        (
            "1996-01-01",
            None,
            "calibrate.until=1996-01-01: the calibration period is empty: "
            "the log starts on 1997-01-01",
        ),
        (
            "1998-06-30",
            None,
            "calibrate.until=1998-06-30: no holdout: the log ends on 1998-06-30; "
            "calibrate.until must be before it",
        ),
        ("1999-01-01", None, "calibrate.until=1999-01-01: no holdout: the log ends on 1998-06-30"),
        ("30/09/1997", None, "calibrate.until=30/09/1997: not a date (allowed: ISO dates"),
        ("1997-09-30", "soon", "calibrate.end=soon: not a date"),
        (
            "1997-09-30",
            "1998-07-01",
            "calibrate.end=1998-07-01: after the log's last date 1998-06-30",
        ),
        (
            "1997-09-30",
            "1997-09-30",
            "calibrate.end=1997-09-30: not after calibrate.until=1997-09-30",
        ),
    ],
)
def test_bad_split_dates_are_one_line_naming_the_key(
    cdnow_log: data.TransactionLog, until: str, end: str | None, message: str
) -> None:
    with pytest.raises(DataError) as err:
        data.split_by_date(cdnow_log, until, end)
    assert len(str(err.value).splitlines()) == 1
    assert str(err.value).startswith(message), str(err.value)


def test_split_dates_may_be_yyyymmdd_and_carry_a_time_of_day(
    cdnow_log: data.TransactionLog,
) -> None:
    a = data.split_by_date(cdnow_log, "19970930", "1998-01-01T12:00")
    b = data.split_by_date(cdnow_log, "1997-09-30", "1998-01-01")
    assert (a.until_day, a.end_day) == (b.until_day, b.end_day) == (272, 365)


@st.composite
def logs_and_dates(draw: st.DrawFn) -> tuple[pd.DataFrame, int, int | None]:
    n = draw(st.integers(2, 40))
    customer = draw(st.lists(st.integers(0, 9), min_size=n, max_size=n))
    day = draw(st.lists(st.integers(0, 60), min_size=n, max_size=n))
    frame = pd.DataFrame(
        {
            "customer": customer,
            "date": pd.Timestamp("2020-02-27") + pd.to_timedelta(day, unit="D"),
            "amount": draw(st.lists(st.floats(0, 100), min_size=n, max_size=n)),
            "quantity": draw(st.lists(st.integers(0, 5), min_size=n, max_size=n)),
        }
    )
    first, last = min(day), max(day)
    if first == last:
        frame.loc[0, "date"] += pd.Timedelta(days=1)
        last += 1
    until = draw(st.integers(first, last - 1))
    end = draw(st.none() | st.integers(until + 1, last))
    return frame, until - first, None if end is None else end - first


@given(logs_and_dates())
def test_the_split_never_lets_a_holdout_row_into_calibration(
    case: tuple[pd.DataFrame, int, int | None],
) -> None:
    frame, until, end = case
    log = data.daily_log(frame)
    iso = lambda offset: str((log.origin + pd.Timedelta(days=offset)).date())  # noqa: E731
    split = data.split_by_date(log, iso(until), None if end is None else iso(end))
    end_day = (log.last - log.origin).days if end is None else end
    assert (split.until_day, split.end_day) == (until, end_day)
    calibration, holdout = split.calibration(), split.holdout()
    assert np.all(calibration["day"] <= until)
    assert np.all((holdout["day"] > until) & (holdout["day"] <= end_day))
    # the two parts partition the cohort's customer-days up to end_day
    cohort = split.log.days
    expected = cohort[cohort["day"] <= end_day].reset_index(drop=True)
    pd.testing.assert_frame_equal(
        pd.concat([calibration, holdout]).sort_values(["customer", "day"]).reset_index(drop=True),
        expected,
    )
    # the cohort: everyone whose first purchase is on or before until, nobody else
    firsts = frame.groupby("customer")["date"].min()
    born = (firsts - log.origin).dt.days
    assert sorted(split.log.ids) == sorted(born[born <= until].index)
    assert split.excluded == int((born > until).sum())
    assert split.log.rows == int(frame["customer"].isin(split.log.ids).sum())
    assert split.log.rows - split.log.merged == len(cohort)
