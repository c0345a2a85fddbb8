"""The firms' service records: service incidents with their complaint tickets, survey answers.

Kept with the purchase log (`custsim.sim.config.records_purchases`) when the run has
the experience chain, and written beside purchases.parquet: a firm's complaint
desk and survey office keep these records, and analyses of what happened after a
problem (the complaint ladder) or a survey answer (top-box loyalty) read them.

`incidents.parquet` (`INCIDENT_COLUMNS`): one row per purchase whose service
failed or that the buyer complained about, ordered by day, then customer: day,
customer, firm, failed (the service failed on this purchase), complained (the
buyer complained to the firm), opened (the day of the customer's open complaint
with the firm this complaint joined: today for a new one; -1 without a
complaint), answered (the day the firm answered that complaint; -1: never) and
compensation (paid with the answer; 0 without one).

`surveys.parquet` (`SURVEY_COLUMNS`): one row per survey answer, ordered by day,
firm, customer: day, customer, firm, score (likelihood to recommend, 0..10).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import NDArray

#: the incident log's columns and their dtypes, in order (incidents.parquet)
INCIDENT_COLUMNS = {
    "day": "int32",
    "customer": "int64",
    "firm": "category",
    "failed": "bool",
    "complained": "bool",
    "opened": "int32",
    "answered": "int32",
    "compensation": "float64",
}
#: the survey log's columns and their dtypes, in order (surveys.parquet)
SURVEY_COLUMNS = {"day": "int32", "customer": "int64", "firm": "category", "score": "int8"}
#: bytes one incident row takes while the run goes on (`custsim.sim.memory`)
BYTES_PER_INCIDENT = 4 + 8 + 2 + 1 + 1 + 4


@dataclass
class ServiceLog:
    """Incidents, complaint answers and survey answers of a run (`firms`: names, firm order)."""

    firms: tuple[str, ...]
    incidents: list[tuple[NDArray, ...]] = field(default_factory=list)
    answers: list[tuple[NDArray, ...]] = field(default_factory=list)
    surveys: list[tuple[NDArray, ...]] = field(default_factory=list)

    def add_incidents(
        self,
        day: int,
        customers: NDArray[np.int64],
        firms: NDArray[np.int64],
        failed: NDArray[np.bool_],
        complained: NDArray[np.bool_],
        opened: NDArray[np.int32],
    ) -> None:
        """Today's buyers (one purchase each) whose service failed or who complained.

        `opened` is each buyer's open complaint day with the firm bought from after
        today's voice (read only where `complained`).
        """
        keep = failed | complained
        if not keep.any():
            return
        who = customers[keep]
        order = np.argsort(who, kind="stable")
        opened = np.where(complained[keep], opened[keep], -1)
        self.incidents.append(
            (
                np.full(len(who), day, dtype=np.int32),
                who[order].astype(np.int64),
                firms[keep][order].astype(np.int16),
                failed[keep][order],
                complained[keep][order],
                opened[order].astype(np.int32),
            )
        )

    def add_answers(
        self,
        day: int,
        firm: int,
        customers: NDArray[np.int64],
        opened: NDArray[np.int32],
        compensation: NDArray[np.float64],
    ) -> None:
        """Firm `firm` answered the complaints `customers` opened on `opened` today."""
        self.answers.append(
            (
                np.full(len(customers), day, dtype=np.int32),
                np.full(len(customers), firm, dtype=np.int16),
                np.asarray(customers, dtype=np.int64),
                np.asarray(opened, dtype=np.int32),
                np.asarray(compensation, dtype=np.float64),
            )
        )

    def add_survey(
        self, day: int, firm: int, customers: NDArray[np.int64], scores: NDArray[np.int8]
    ) -> None:
        """Firm `firm`'s survey of today: the customers asked (sorted) and their answers."""
        self.surveys.append(
            (
                np.full(len(customers), day, dtype=np.int32),
                np.asarray(customers, dtype=np.int64),
                np.full(len(customers), firm, dtype=np.int16),
                np.asarray(scores, dtype=np.int8),
            )
        )

    @property
    def rows(self) -> int:
        """Incident rows logged so far."""
        return sum(len(block[0]) for block in self.incidents)

    def incident_frame(self) -> pd.DataFrame:
        """One row per incident (`INCIDENT_COLUMNS`), each complaint with its answer."""
        names = list(INCIDENT_COLUMNS)[:6]
        frame = _joined(self.incidents, names, INCIDENT_COLUMNS)
        answers = _joined(
            self.answers,
            ["answered", "firm", "customer", "opened", "compensation"],
            {"firm": "int16", "answered": "int32", "compensation": "float64"},
        )
        frame = frame.merge(answers, on=["firm", "customer", "opened"], how="left", sort=False)
        frame["answered"] = frame["answered"].fillna(-1).astype("int32")
        frame["compensation"] = frame["compensation"].fillna(0.0)
        frame.loc[~frame["complained"], ["answered", "compensation"]] = (-1, 0.0)
        return _named(frame[list(INCIDENT_COLUMNS)], self.firms, INCIDENT_COLUMNS)

    def survey_frame(self) -> pd.DataFrame:
        """One row per survey answer (`SURVEY_COLUMNS`), by day, firm, customer."""
        frame = _joined(self.surveys, list(SURVEY_COLUMNS), SURVEY_COLUMNS)
        return _named(frame, self.firms, SURVEY_COLUMNS)


def _joined(
    blocks: list[tuple[NDArray, ...]], names: list[str], kinds: dict[str, str]
) -> pd.DataFrame:
    """The blocks' arrays joined column by column (empty columns of `kinds` without blocks)."""
    columns = {}
    for k, name in enumerate(names):
        kind = "int16" if kinds.get(name) == "category" else kinds.get(name, "int64")
        parts = [block[k] for block in blocks]
        columns[name] = np.concatenate(parts) if parts else np.zeros(0, dtype=kind)
    return pd.DataFrame(columns)


def _named(frame: pd.DataFrame, firms: tuple[str, ...], kinds: dict[str, str]) -> pd.DataFrame:
    """`frame` with firm codes as the categorical of firm names and the columns' dtypes."""
    frame = frame.reset_index(drop=True)
    frame["firm"] = pd.Categorical.from_codes(frame["firm"].to_numpy(), categories=list(firms))
    return frame.astype({k: v for k, v in kinds.items() if k != "firm"})
