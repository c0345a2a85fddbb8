"""What a firm hears from its customers: complaints and survey answers, and what they foretell.

With the experience chain a run's service records sit beside its purchases
(`custsim.sim.service_log`: incidents.parquet, surveys.parquet). A firm's complaint
desk knows who complained to it and whether it has answered; its survey office
knows each respondent's likelihood-to-recommend answer. `VoiceRecords` is that, as of
the end of the as-of day D, per customer row (never a satisfaction, a trust or a
failure the customer did not voice). The NPS classes are Reichheld's (2003, "The
one number you need to grow", HBR 81(12): 46): promoters answer 9-10, passives
7-8, detractors 0-6.

`voice_table` then sets each group of the firm's customers (by complaint status
and by NPS class) beside the truth after D: who left the category and who still
bought from the firm, and what they spent there.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from custsim.agents.experience import DETRACTOR_UP_TO, PROMOTER_FROM

INCIDENTS, SURVEYS = "incidents.parquet", "surveys.parquet"
#: complaint status groups, in table order
COMPLAINT_GROUPS = ("complaint open", "complaint answered", "never complained")
#: Reichheld's NPS classes of the last survey answer, and the customers never asked
NPS_CLASSES = ("promoter", "passive", "detractor", "not asked")
#: the voice features a learned warning adds to the RFM ones (`voice_features`)
FEATURES = ("complaints", "open_complaint", "days_since_complaint", "last_score", "asked")


@dataclass(frozen=True)
class VoiceRecords:
    """One firm's complaints and survey answers per customer row, as of the end of day D.

    Attributes:
        complaints: complaints the customer made to the firm on days <= D.
        open_complaint: a complaint made by D that the firm had not answered by D.
        last_complaint_day: day of the last complaint (-1: none).
        last_score: the customer's last survey answer by D, 0..10 (NaN: never asked).

    """

    complaints: NDArray[np.int64]
    open_complaint: NDArray[np.bool_]
    last_complaint_day: NDArray[np.int64]
    last_score: NDArray[np.float64]

    @classmethod
    def read(cls, run_dir: Path, firm: str, day: int, n: int) -> VoiceRecords | None:
        """The firm's voice records from a run directory; None without incidents.parquet."""
        incidents_path, surveys_path = Path(run_dir) / INCIDENTS, Path(run_dir) / SURVEYS
        if not incidents_path.is_file():
            return None
        incidents = pd.read_parquet(incidents_path)
        surveys = pd.read_parquet(surveys_path) if surveys_path.is_file() else None
        return cls.of(incidents, surveys, firm, day, n)

    @classmethod
    def of(
        cls, incidents: pd.DataFrame, surveys: pd.DataFrame | None, firm: str, day: int, n: int
    ) -> VoiceRecords:
        """From the incident and survey tables (`custsim.sim.service_log`), as of `day`'s end."""
        mine = incidents[
            (incidents["firm"] == firm) & incidents["complained"] & (incidents["day"] <= day)
        ]
        who = mine["customer"].to_numpy(np.int64)
        complaints = np.bincount(who, minlength=n).astype(np.int64)
        last_day = np.full(n, -1, dtype=np.int64)
        np.maximum.at(last_day, who, mine["day"].to_numpy(np.int64))
        answered = mine["answered"].to_numpy(np.int64)
        unanswered = (answered < 0) | (answered > day)
        open_ = np.zeros(n, dtype=bool)
        open_[who[unanswered]] = True
        score = np.full(n, np.nan)
        if surveys is not None:
            asked = surveys[(surveys["firm"] == firm) & (surveys["day"] <= day)]
            last = asked.sort_values("day", kind="stable").drop_duplicates("customer", keep="last")
            score[last["customer"].to_numpy(np.int64)] = last["score"].to_numpy(float)
        return cls(complaints, open_, last_day, score)

    def nps_class(self) -> NDArray[np.int8]:
        """Codes into `NPS_CLASSES` of each customer's last answer (3: never asked)."""
        s = self.last_score
        known = [s >= PROMOTER_FROM, s > DETRACTOR_UP_TO, s >= 0]
        codes = np.select(known, [0, 1, 2], default=3)
        return codes.astype(np.int8)

    def complaint_group(self) -> NDArray[np.int8]:
        """Codes into `COMPLAINT_GROUPS`: an open complaint, all answered, never complained."""
        codes = np.where(self.open_complaint, 0, np.where(self.complaints > 0, 1, 2))
        return codes.astype(np.int8)

    def rule(self) -> NDArray[np.bool_]:
        """The voice rule: an open complaint, or a detractor's last answer."""
        return self.open_complaint | (self.last_score <= DETRACTOR_UP_TO)

    def score(self) -> NDArray[np.float64]:
        """The voice rule's score: complaints made, + 1 for an open complaint or a detractor."""
        return self.complaints + self.rule().astype(float)


def voice_features(voice: VoiceRecords, ids: NDArray[np.int64], as_of: int) -> pd.DataFrame:
    """`FEATURES` of customers `ids` (a learned warning's extra columns; index: customer).

    `days_since_complaint` is as_of + 1 - last complaint day (as_of + 1 without one: as
    long as the records go back); `last_score` is imputed with 7.5 (the middle of the
    passives) for customers never asked, which `asked` tells apart.
    """
    last = voice.last_complaint_day[ids]
    score = voice.last_score[ids]
    return pd.DataFrame(
        {
            "complaints": voice.complaints[ids].astype(float),
            "open_complaint": voice.open_complaint[ids].astype(float),
            "days_since_complaint": np.where(last >= 0, as_of + 1 - last, as_of + 1).astype(float),
            "last_score": np.where(np.isnan(score), 7.5, score),
            "asked": (~np.isnan(score)).astype(float),
        },
        index=pd.Index(ids, name="customer"),
    )


def voice_table(
    voice: VoiceRecords,
    ids: NDArray[np.int64],
    churned: NDArray[np.bool_],
    bought_after: NDArray[np.bool_],
    spend_after: NDArray[np.float64],
) -> pd.DataFrame:
    """Per complaint group and NPS class of the firm's customers `ids`: size and what followed.

    Columns: scheme (complaints / nps), group, customers, share, true_churn_rate (left
    the category after D), bought_after (share who bought from the firm after D),
    spend_after (mean spend at the firm after D per customer). `churned`,
    `bought_after` and `spend_after` are per customer row (the truth: scoring only).
    """
    rows = []
    schemes = (
        ("complaints", voice.complaint_group()[ids], COMPLAINT_GROUPS),
        ("nps", voice.nps_class()[ids], NPS_CLASSES),
    )
    for scheme, codes, names in schemes:
        for code, name in enumerate(names):
            mine = ids[codes == code]
            some = len(mine) > 0
            rows.append(
                {
                    "scheme": scheme,
                    "group": name,
                    "customers": len(mine),
                    "share": len(mine) / len(ids) if len(ids) else np.nan,
                    "true_churn_rate": churned[mine].mean() if some else np.nan,
                    "bought_after": bought_after[mine].mean() if some else np.nan,
                    "spend_after": spend_after[mine].mean() if some else np.nan,
                }
            )
    return pd.DataFrame(rows)
