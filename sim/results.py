"""Writing a run's results: atomically, so a killed run never leaves a file that looks complete.

Every file is written to a temporary name in the same directory and renamed into
place (`os.replace` is atomic on POSIX). `kpis.json` is written last: a run
directory holding it is complete. The customer table is streamed: built and
written one row group (`ROWS_PER_GROUP` customers) at a time from the state
arrays, so a run of 1e7 customers never holds the whole table; so is the
purchase log (`custsim.sim.purchases.PurchaseLog.frames`, whole days per row group).
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from custsim.agents.experience import CAUSES
from custsim.sim.state import CustomerState
from custsim.sim.traits import RECORDED

COMPLETE_MARKER = "kpis.json"
#: customers per row group of customers.parquet: pyarrow's default maximum row group, so the
#: streamed file has the row groups, and the bytes, of one `DataFrame.to_parquet` of the table
ROWS_PER_GROUP = 1024 * 1024


@contextmanager
def atomic_path(path: Path):
    """Yield a temporary path beside `path`; rename it onto `path` if the block succeeds.

    The file has the permissions of any file the process creates (0o666 & ~umask,
    0644 under the usual umask 022), like the files Hydra writes beside it.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:  # created as open() creates: mode 0o666 less the umask (mkstemp's is 0600)
        tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            break
        except FileExistsError:  # a name already taken (chance 2**-48): draw another
            continue
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_atomic(path: Path, writer: Callable[[Path], None]) -> Path:
    """Call `writer(tmp)` and move the result onto `path`."""
    with atomic_path(path) as tmp:
        writer(tmp)
    return path


def write_parquet(df: pd.DataFrame, path: Path) -> Path:
    """DataFrame to Parquet (no index), atomically."""
    return write_atomic(path, lambda tmp: df.to_parquet(tmp, index=False, engine="pyarrow"))


def write_parquet_groups(frames: Iterable[pd.DataFrame], path: Path) -> Path:
    """DataFrames (same columns) to one Parquet file, one row group each, atomically.

    Each frame is converted and written as `write_parquet` would (no index,
    snappy), so frames of `ROWS_PER_GROUP` rows give the file `write_parquet`
    writes for their concatenation, holding one frame at a time.
    """
    import pyarrow as pa  # imported when writing (as pandas' to_parquet does)
    import pyarrow.parquet as pq

    def write(tmp: Path) -> None:
        writer = None
        try:
            for frame in frames:
                table = pa.Table.from_pandas(frame, preserve_index=False)
                if writer is None:
                    writer = pq.ParquetWriter(tmp, table.schema, compression="snappy")
                writer.write_table(table)
        finally:
            if writer is not None:
                writer.close()

    return write_atomic(path, write)


def write_json(data: dict[str, Any], path: Path) -> Path:
    """Dict to indented JSON (NumPy scalars converted), atomically."""
    text = json.dumps(data, indent=2, default=_to_builtin) + "\n"
    return write_atomic(path, lambda tmp: tmp.write_text(text))


def write_text(text: str, path: Path) -> Path:
    """Text file, atomically."""
    return write_atomic(path, lambda tmp: tmp.write_text(text))


def customers_frame(
    state: CustomerState,
    traits: Any,
    firm_names: tuple[str, ...],
    unit_costs: np.ndarray,
    rows: slice = slice(None),
) -> pd.DataFrame:
    """One row per customer: segment, key traits, history, money, offers, churn, references.

    Reads the `rows` customers (a slice, all by default) of `state` and `traits`.

    Per firm j: `spend_<j>`, `margin_<j>` (spend - unit cost x units - rewards
    paid - the value of the points still held: `CustomerState.margin`, whose sum
    over customers is the firm's margin), `clv_<j>` (that margin discounted to
    day 0: `CustomerState.clv`), `purchases_<j>`, `last_purchase_day_<j>` (-1 if
    never) and `reference_price_<j>` (at the end). `spend`, `margin` and `clv`
    are their sums over the firms; `offers_received` / `offers_redeemed` count
    personal offers from every firm. `churned`: the customer left (churn_day >= 0).
    With `population.arrivals`, `arrival_day` is the day the customer arrived (0:
    there from the start, -1: not arrived by the end). With the experience chain:
    `chain_columns`; when a policy names a channel: `reach_columns`.
    """
    r = rows
    purchases, units, spend = state.purchases[:, r], state.units[:, r], state.spend[:, r]
    first = state.first_buy_day[:, r].min(axis=0)
    last_buy = state.last_buy_day[:, r]
    last = last_buy.max(axis=0)
    margin, clv = state.margin(unit_costs, r), state.clv(r)
    start = r.indices(state.size)[0]
    frame = {
        "customer": np.arange(start, start + len(state.active[r]), dtype=np.int64),
        "segment": pd.Categorical.from_codes(
            traits.segment[r], categories=list(traits.segment_names)
        ),
        "first_purchase_day": np.where(np.isfinite(first), first, -1).astype(np.int32),
        "last_purchase_day": np.where(np.isfinite(last), last, -1).astype(np.int32),
        "purchases": purchases.sum(axis=0).astype(np.int32),
        "units": units.sum(axis=0).astype(np.int32),
        "spend": spend.sum(axis=0),
        "margin": margin.sum(axis=0),
        "clv": clv.sum(axis=0),
        "churned": state.churn_day[r] >= 0,
        "churn_day": state.churn_day[r],
        "last_brand": pd.Categorical.from_codes(
            state.last_brand[r].astype(np.int64), categories=list(firm_names)
        ),
        "satisfaction": state.satisfaction[r].astype(np.float64),
        "offers_received": state.offers_received[r],
        "offers_redeemed": state.offers_redeemed[r],
    }
    for j, name in enumerate(firm_names):
        frame[f"reference_price_{name}"] = state.reference[j, r].astype(np.float64)
        frame[f"purchases_{name}"] = purchases[j]
        frame[f"spend_{name}"] = spend[j]
        frame[f"margin_{name}"] = margin[j]
        frame[f"clv_{name}"] = clv[j]
        frame[f"last_purchase_day_{name}"] = np.where(
            np.isfinite(last_buy[j]), last_buy[j], -1
        ).astype(np.int32)
    if state.arrival is not None:  # population.arrivals: the day each customer arrived
        arrival = state.arrival[r].astype(np.float64)
        frame["arrival_day"] = np.where(
            state.arrived()[r], np.where(arrival > 0, np.floor(arrival) + 1, 0), -1
        ).astype(np.int32)
    if state.chain is not None:  # the experience chain: per firm, and why the customer left
        chain_columns(frame, state.chain, firm_names, r)
    if state.reach is not None:  # the firms' contacts: what each paid, who opted out of what
        reach_columns(frame, state.reach, firm_names, r)
    for trait in RECORDED:  # the traits declared with record=True (custsim.sim.config)
        frame[trait] = traits[trait][r].astype(np.float64)
    return pd.DataFrame(frame)


def chain_columns(frame: dict, chain: Any, firm_names: tuple[str, ...], rows: slice) -> None:
    """The experience chain's columns (`custsim.sim.chain.ChainState`), added to `frame`.

    `satisfaction_<j>`, `trust_<j>`, `habit_<j>` at the end; `complaints` made (all
    firms); `churn_cause` of the last churn (`custsim.agents.experience.CAUSES`; missing
    for a customer who never left).
    """
    frame["complaints"] = chain.complaints[rows]
    frame["churn_cause"] = pd.Categorical.from_codes(
        chain.churn_cause[rows].astype(np.int64), categories=list(CAUSES)
    )
    for j, name in enumerate(firm_names):
        frame[f"satisfaction_{name}"] = chain.satisfaction[j, rows].astype(np.float64)
        frame[f"trust_{name}"] = chain.trust[j, rows].astype(np.float64)
        frame[f"habit_{name}"] = chain.habit[j, rows].astype(np.float64)


def reach_columns(frame: dict, reach: Any, firm_names: tuple[str, ...], rows: slice) -> None:
    """The reach's columns (`custsim.sim.reach.ReachState`), added to `frame`.

    Per firm j: `contact_cost_<j>` (what j paid to reach the customer, inside
    `margin_<j>`) and `opted_out_<j>` (the channels of j the customer opted out of);
    with prospects, `acquired_by` (the firm whose contact brought the customer in;
    missing: there from the start, or never came) and `acquisition_cost_<j>` (what j
    paid for contacts to the customer as a prospect, inside `margin_<j>`).
    """
    for j, name in enumerate(firm_names):
        frame[f"contact_cost_{name}"] = reach.contact_cost[j, rows]
        frame[f"opted_out_{name}"] = reach.opted_out[j, :, rows].sum(axis=0).astype(np.int8)
    if reach.acquired_by is not None:  # with prospects: who brought the customer in, at what cost
        frame["acquired_by"] = pd.Categorical.from_codes(
            reach.acquired_by[rows].astype(np.int64), categories=list(firm_names)
        )
        for j, name in enumerate(firm_names):
            frame[f"acquisition_cost_{name}"] = reach.acquisition_cost[j, rows]


def customers_frames(
    state: CustomerState,
    traits: Any,
    firm_names: tuple[str, ...],
    unit_costs: np.ndarray,
    rows_per_group: int = ROWS_PER_GROUP,
) -> Iterator[pd.DataFrame]:
    """`customers_frame` of consecutive blocks of `rows_per_group` customers (at least one)."""
    for start in range(0, max(state.size, 1), rows_per_group):
        rows = slice(start, start + rows_per_group)
        yield customers_frame(state, traits, firm_names, unit_costs, rows)


def _to_builtin(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"cannot serialise {type(obj).__name__}")
