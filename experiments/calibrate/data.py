"""A firm's transaction log: read and check it, fold it into customer-days, split it by date.

`read_transactions` reads a shipped data set (`SHIPPED`) or a CSV / Parquet file and checks
it: every problem is a `DataError`, one line that starts with ``data=<source>: `` and says
what is wrong, where (the column, how many rows, the first bad value and its row: rows
count the data rows from 1, the header not counted) and what is allowed.

`daily_log` folds the transactions into customer-days: several transactions of one customer
on one calendar day count as one transaction, their amounts and quantities summed, as in
Fader, Hardie & Lee (2005a), "'Counting your customers' the easy way", *Marketing Science*
24(2), 275-284, and in `custsim.experiments.crm.btyd.summarise_transactions`.

`split_by_date` cuts the cohort's customer-days at `calibrate.until` into a calibration
period (day <= until_day) and a holdout (until_day < day <= end_day). The cohort is the
customers whose first purchase is on or before `until`: a customer born in the holdout has
no calibration data and is left out (`Split.excluded`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from custsim.experiments.calibrate.settings import ColumnsConfig
from custsim.experiments.crm.datasets import load_cdnow_sample


class DataError(ValueError):
    """A transaction log custsim cannot calibrate on (one line: what, where, what is allowed)."""


#: data=<name> for the data sets shipped with the package (the CDNOW 1/10 sample of
#: Fader & Hardie, from the MIT-licensed `lifetimes` package: experiments/crm/data/README.md)
SHIPPED: dict[str, Callable[[], pd.DataFrame]] = {"cdnow_sample": load_cdnow_sample}
#: file suffixes `read_transactions` reads (case-insensitive) and the reader of each
READERS: dict[str, str] = {".csv": "CSV", ".parquet": "Parquet", ".pq": "Parquet"}
#: the date formats a date column may use (the error for unreadable dates lists them)
DATE_FORMATS = "ISO dates such as 1997-01-31 or 1997-01-31T10:15, or yyyymmdd such as 19970131"


#: the log's column names (`calibrate.columns`, declared with the command's settings)
Columns = ColumnsConfig
#: `calibrate.columns` of the firm's other records, not of the transaction log
NOT_IN_LOG = frozenset({"score"})


def read_transactions(source: str, columns: Columns) -> pd.DataFrame:
    """Read and check a transaction log.

    Reads `source`: a name in `SHIPPED`, or a path to a .csv, .parquet or .pq file (suffix
    case-insensitive). Writes nothing.

    Dates are read as ISO 8601 (format="ISO8601"), and 8-digit integers as yyyymmdd (the
    original CDNOW file); nothing else is guessed (no day-first reading of 01/02/1997).

    Args:
        source: The data set (``data=``).
        columns: The column names (``calibrate.columns``).

    Returns:
        One row per transaction, in file order: customer (the ids as read), date
        (datetime64[ns], the time of day dropped), amount (float64), quantity (int64; 1
        when there is no quantity column), then product and unit_price (float64) when mapped.

    Raises:
        DataError: one line, ``data=<source>: ...``: no such file, an unknown suffix, an
            unreadable or empty file, a missing column, unreadable dates, missing customer
            ids, amounts that are missing, not numbers or negative, quantities that are
            missing, negative or not whole.

    """
    raw = load_table(source)
    if raw.empty:
        raise DataError(f"data={source}: no transactions (the log has no rows)")
    where = f"data={source}: "
    names = _column_names(raw, columns, where)
    out = pd.DataFrame(index=pd.RangeIndex(len(raw)))
    out["customer"] = customer_column(raw[names["customer"]], names["customer"], where)
    out["date"] = date_column(raw[names["date"]], names["date"], where)
    out["amount"] = _money(raw[names["amount"]], names["amount"], "amounts", where)
    if "quantity" in names:
        out["quantity"] = _quantities(raw[names["quantity"]], names["quantity"], where)
    else:
        out["quantity"] = np.ones(len(raw), dtype=np.int64)
    if "product" in names:
        out["product"] = raw[names["product"]].to_numpy()
    if "unit_price" in names:
        out["unit_price"] = _money(
            raw[names["unit_price"]], names["unit_price"], "unit prices", where
        )
    return out


def load_table(source: str, key: str = "data") -> pd.DataFrame:
    """The raw table of `source` (a shipped name or a file), every failure a one-line DataError.

    `key`: the option that named it, which starts every error (only `data` may name a
    shipped data set).
    """
    if key == "data" and source in SHIPPED:
        return SHIPPED[source]()
    path = Path(source)
    suffix = path.suffix.lower()
    if suffix not in READERS:
        allowed = ", ".join(READERS)
        shipped = ", ".join(SHIPPED)
        raise DataError(
            f"{key}={source}: unknown file type {suffix or '(no suffix)'!r} "
            f"(allowed: {allowed} files"
            + (f", or a shipped data set: {shipped})" if key == "data" else ")")
        )
    if not path.exists():
        raise DataError(f"{key}={source}: no such file")
    kind = READERS[suffix]
    try:
        return pd.read_csv(path) if kind == "CSV" else pd.read_parquet(path)
    except pd.errors.EmptyDataError:
        raise DataError(f"{key}={source}: the file is empty") from None
    except (OSError, ValueError, UnicodeDecodeError, pd.errors.ParserError, ImportError) as err:
        reason = (str(err).strip().splitlines() or [type(err).__name__])[0]
        raise DataError(f"{key}={source}: cannot read it as a {kind} file: {reason}") from None


def _column_names(raw: pd.DataFrame, columns: Columns, where: str) -> dict[str, str]:
    """Option name -> column of `raw` for the columns to read; a missing one is a DataError."""
    present = [str(c) for c in raw.columns]
    names = {}
    for option, name in vars(columns).items():
        if name is None or option in NOT_IN_LOG:
            continue
        if name not in raw.columns:
            if option == "quantity" and name == Columns.quantity:
                continue  # the default quantity column is optional: one unit per row
            raise DataError(
                f"{where}no column {name!r} (set calibrate.columns.{option}=<name>; "
                f"columns are: {', '.join(present)})"
            )
        names[option] = name
    return names


def first_bad(bad: NDArray[np.bool_], values: pd.Series) -> tuple[int, object, int]:
    """How many rows are bad, the first bad value and its row (counted from 1)."""
    rows = np.flatnonzero(bad)
    return len(rows), values.iloc[rows[0]], int(rows[0]) + 1


def customer_column(values: pd.Series, column: str, where: str) -> pd.Series:
    """The customer ids as read; missing ids are a DataError."""
    missing = values.isna().to_numpy()
    if missing.any():
        count, _, row = first_bad(missing, values)
        raise DataError(
            f"{where}{count} customer ids in column {column!r} are missing, first at row {row}"
        )
    return values.reset_index(drop=True)


def date_column(values: pd.Series, column: str, where: str) -> pd.Series:
    """Dates normalised to the day (datetime64[ns]); unreadable ones are a DataError."""
    parsed = parse_dates(values)
    bad = parsed.isna().to_numpy()
    if bad.any():
        count, value, row = first_bad(bad, values)
        raise DataError(
            f"{where}{count} dates in column {column!r} cannot be read, "
            f"first {str(value)!r} (row {row}); allowed: {DATE_FORMATS}"
        )
    return parsed.reset_index(drop=True)


def parse_dates(values: pd.Series) -> pd.Series:
    """Read dates: datetimes as they are, integers as yyyymmdd, text as ISO 8601 or yyyymmdd.

    Reads `values`; returns datetime64[ns] normalised to the day (a time zone is dropped,
    keeping the local wall time), NaT where a value cannot be read.
    """
    if pd.api.types.is_datetime64_any_dtype(values):
        parsed = values if values.dt.tz is None else values.dt.tz_localize(None)
    elif pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        number = pd.to_numeric(values, errors="coerce").astype(float)
        whole = number.notna() & (number % 1 == 0) & (number >= 1e7) & (number < 1e8)
        text = pd.Series(pd.NA, index=values.index, dtype="string")
        text[whole] = number[whole].astype(np.int64).astype(str)
        parsed = pd.to_datetime(text, format="%Y%m%d", errors="coerce")
    else:
        parsed = pd.to_datetime(
            values.astype("string").str.strip(), format="ISO8601", errors="coerce"
        )
    return parsed.astype("datetime64[ns]").dt.normalize()


def number_column(values: pd.Series, column: str, what: str, where: str) -> NDArray[np.float64]:
    """`values` as finite floats; missing or non-numeric ones are a DataError."""
    missing = values.isna().to_numpy()
    if missing.any():
        count, _, row = first_bad(missing, values)
        raise DataError(
            f"{where}{count} {what} in column {column!r} are missing, first at row {row}"
        )
    if pd.api.types.is_bool_dtype(values):
        numbers = pd.Series(np.nan, index=values.index)
    else:
        numbers = pd.to_numeric(values, errors="coerce").astype(float)
    bad = ~np.isfinite(numbers.to_numpy())
    if bad.any():
        count, value, row = first_bad(bad, values)
        raise DataError(
            f"{where}{count} {what} in column {column!r} are not finite numbers, "
            f"first {str(value)!r} (row {row})"
        )
    return numbers.to_numpy()


def _money(values: pd.Series, column: str, what: str, where: str) -> NDArray[np.float64]:
    """Amounts or unit prices: finite numbers >= 0 (float64)."""
    numbers = number_column(values, column, what, where)
    negative = numbers < 0
    if negative.any():
        count, value, row = first_bad(negative, values)
        raise DataError(
            f"{where}{count} {what} in column {column!r} are negative, first {value} (row {row}); "
            f"{what} must be >= 0 (remove returns and refunds first)"
        )
    return numbers


def _quantities(values: pd.Series, column: str, where: str) -> NDArray[np.int64]:
    """Quantities: whole numbers >= 0 (int64)."""
    numbers = number_column(values, column, "quantities", where)
    bad = (numbers < 0) | (numbers % 1 != 0)
    if bad.any():
        count, value, row = first_bad(bad, values)
        raise DataError(
            f"{where}{count} quantities in column {column!r} are negative or not whole, "
            f"first {value} (row {row}); quantities must be whole numbers >= 0"
        )
    return numbers.astype(np.int64)


@dataclass(frozen=True)
class TransactionLog:
    """A cohort's transactions as customer-days.

    Several transactions of a customer on one day count as one, amounts and quantities
    summed (Fader, Hardie & Lee 2005a; `merged` says how many rows were folded).

    Attributes:
        days: One row per customer and day, sorted by customer, day: customer (int64 codes
            0..n-1, in order of first purchase, ties by id), day (int64, days since
            `origin`, origin = day 0), amount (float64), quantity (int64) and transactions
            (int64: the log rows folded into this customer-day).
        ids: The original id of each code (``ids[code]``).
        origin: The first date in the log (day 0).
        last: The last date in the log.
        rows: Transactions read.
        merged: Rows folded into another row of the same customer and day (rows - len(days)).

    """

    days: pd.DataFrame
    ids: pd.Index
    origin: pd.Timestamp
    last: pd.Timestamp
    rows: int
    merged: int

    @property
    def n_customers(self) -> int:
        """Number of customers (codes 0..n-1)."""
        return len(self.ids)

    @cached_property
    def first_day(self) -> NDArray[np.int64]:
        """Day of each customer's first purchase, by code (non-decreasing, by construction)."""
        customer = self.days["customer"].to_numpy()
        starts = np.flatnonzero(np.r_[True, customer[1:] != customer[:-1]])
        return self.days["day"].to_numpy()[starts]


def daily_log(frame: pd.DataFrame) -> TransactionLog:
    """Fold a checked transaction log into customer-days.

    Reads `frame` (`read_transactions`' columns customer, date, amount, quantity; others
    are ignored); writes nothing. Customers are coded 0..n-1 in order of first purchase,
    ties in the order of their ids.

    Returns:
        The log as customer-days (`TransactionLog`).

    Raises:
        DataError: when `frame` has no rows.

    """
    if frame.empty:
        raise DataError("the transaction log has no rows")
    date = frame["date"].to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
    origin = date.min()
    day = (date - origin).astype(np.int64)
    first = pd.Series(day).groupby(frame["customer"].to_numpy(), sort=True).min()
    ids = first.sort_values(kind="stable").index
    code = ids.get_indexer(frame["customer"])
    table = pd.DataFrame(
        {
            "customer": code.astype(np.int64),
            "day": day,
            "amount": frame["amount"].to_numpy(dtype=np.float64),
            "quantity": frame["quantity"].to_numpy(dtype=np.int64),
            "transactions": np.ones(len(frame), dtype=np.int64),
        }
    )
    days = table.groupby(["customer", "day"], sort=True, as_index=False).sum()
    return TransactionLog(
        days=days,
        ids=pd.Index(ids, name="customer"),
        origin=pd.Timestamp(origin),
        last=pd.Timestamp(date.max()),
        rows=len(frame),
        merged=len(frame) - len(days),
    )


@dataclass(frozen=True)
class Split:
    """A cohort's customer-days cut by date into a calibration period and a holdout.

    Attributes:
        log: The cohort only (customers whose first purchase is on or before `until`:
            codes 0..n-1 of the whole log, as codes follow first purchases), its
            customer-days up to the log's last date.
        until_day: Last day of the calibration period (inclusive), days since the origin.
        end_day: Last day of the holdout (inclusive).
        excluded: Customers left out because their first purchase is after `until`.
        until: `calibrate.until`, normalised to the day.
        end: `calibrate.end` (the log's last date when unset), normalised to the day.

    """

    log: TransactionLog
    until_day: int
    end_day: int
    excluded: int
    until: pd.Timestamp
    end: pd.Timestamp

    def calibration(self) -> pd.DataFrame:
        """The cohort's customer-days in the calibration period (day <= until_day)."""
        days = self.log.days
        return days[days["day"].to_numpy() <= self.until_day].reset_index(drop=True)

    def holdout(self) -> pd.DataFrame:
        """The cohort's customer-days in the holdout (until_day < day <= end_day)."""
        day = self.log.days["day"].to_numpy()
        inside = (day > self.until_day) & (day <= self.end_day)
        return self.log.days[inside].reset_index(drop=True)


def _read_date(key: str, value: object) -> pd.Timestamp:
    """A date option (`key`=`value`) as a day; unreadable is a one-line DataError."""
    if isinstance(value, pd.Timestamp | np.datetime64) or hasattr(value, "isoformat"):
        parsed = pd.Series([pd.Timestamp(value)])
    else:
        parsed = parse_dates(pd.Series([value]))
    if parsed.isna().iloc[0]:
        raise DataError(f"{key}={value}: not a date (allowed: {DATE_FORMATS})")
    return pd.Timestamp(parsed.iloc[0]).normalize()


def split_by_date(log: TransactionLog, until: str, end: str | None = None) -> Split:
    """Cut `log` at `until` into a calibration period and a holdout ending at `end`.

    Reads `log`; writes nothing. The calibration period is [origin, until], the holdout
    (until, end], both inclusive of their last day; customers whose first purchase is
    after `until` are left out of both (`Split.excluded`).

    Args:
        log: The whole log as customer-days.
        until: ``calibrate.until``, the last day of the calibration period.
        end: ``calibrate.end``, the last day of the holdout (None: the log's last date).

    Returns:
        The split.

    Raises:
        DataError: one line naming the key: a date that cannot be read, `until` before
            the log's first date or not before its last, `end` after the log's last
            date or not after `until`.

    """
    until_ts = _read_date("calibrate.until", until)
    first, last = log.origin.date(), log.last.date()
    if until_ts < log.origin:
        raise DataError(
            f"calibrate.until={until}: the calibration period is empty: the log starts on {first}"
        )
    if until_ts >= log.last:
        raise DataError(
            f"calibrate.until={until}: no holdout: the log ends on {last}; "
            "calibrate.until must be before it"
        )
    end_ts = log.last if end is None else _read_date("calibrate.end", end)
    if end_ts > log.last:
        raise DataError(
            f"calibrate.end={end}: after the log's last date {last} "
            "(calibrate.end must be within the log; unset, it is the last date)"
        )
    if end_ts <= until_ts:
        raise DataError(
            f"calibrate.end={end}: not after calibrate.until={until}; the holdout would be empty"
        )
    until_day = int((until_ts - log.origin).days)
    end_day = int((end_ts - log.origin).days)
    cohort = int(np.searchsorted(log.first_day, until_day, side="right"))
    days = log.days[log.days["customer"].to_numpy() < cohort].reset_index(drop=True)
    rows = int(days["transactions"].sum())
    cohort_log = TransactionLog(
        days=days,
        ids=log.ids[:cohort],
        origin=log.origin,
        last=log.origin + pd.Timedelta(days=int(days["day"].max())),
        rows=rows,
        merged=rows - len(days),
    )
    return Split(
        log=cohort_log,
        until_day=until_day,
        end_day=end_day,
        excluded=log.n_customers - cohort,
        until=until_ts,
        end=end_ts,
    )
