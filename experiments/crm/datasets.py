"""Transaction logs shipped with the package, for examples and tests.

The files live in ``experiments/crm/data/`` and are found with
``importlib.resources.files(__package__) / "data"``, relative to this ``custsim.experiments.crm``
package: that resolves to the source folder in an editable install and to the unpacked
package in an installed wheel (provided the wheel carries the data files as package data).
"""

from __future__ import annotations

from importlib import resources

import pandas as pd

CDNOW_SAMPLE = "cdnow_sample.csv"


def load_cdnow_sample() -> pd.DataFrame:
    """The CDNOW 1/10 sample of Fader & Hardie: 2,357 customers, 6,919 transactions.

    The customers made their first purchase at the CDNOW online music store in the
    first quarter of 1997; their transactions run to 30 June 1998. Used by Fader,
    Hardie & Lee (2005), "'Counting your customers' the easy way", *Marketing Science*
    24(2), and distributed with the MIT-licensed ``lifetimes`` package (see
    ``data/README.md`` for the source and licence).

    Returns:
        One row per transaction: customer (int), date (datetime64, day), quantity
        (CDs bought, int) and amount (dollars, float).

    """
    path = resources.files(__package__) / "data" / CDNOW_SAMPLE
    with path.open("r", encoding="utf-8") as handle:
        df = pd.read_csv(handle, dtype={"customer": "int64", "quantity": "int64", "amount": float})
    df["date"] = pd.to_datetime(df["date"], format="%Y-%m-%d")
    return df
