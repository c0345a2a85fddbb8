"""Social influence on a network: neighbours' recent purchases and word of mouth.

Recency-weighted share of neighbours who bought brand j (the herding signal
behind Salganik, Dodds & Watts 2006):

    S_kj = (1 / deg_k) * sum_{i in N(k)} (1 - delta) ** (t - L_ij),

where L_ij is the last day i bought j. The engine keeps S current incrementally:
it decays all of S by (1 - delta) once a day and, when i buys j, adds
(1 - (1 - delta) ** (t - L_ij)) / deg_k to every neighbour's S_kj. Only the
buyers' rows of the network are read, so a day costs O(buyers * degree).

Word of mouth: each buyer's experience e_i nudges the neighbours' taste for the
brand, a_kj += omega * e_i / deg_k (positive and negative word of mouth).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def edges_from(
    indptr: NDArray[np.int64], indices: NDArray[np.int32], sources: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int32]]:
    """Expand sources into their edges: (position in `sources`, neighbour) per edge.

    Args:
        indptr: CSR row pointers of the (symmetric) network.
        indices: CSR column indices.
        sources: the customers who send a signal today.

    Returns:
        Source positions and neighbour ids, one entry per edge.

    """
    starts = indptr[sources]
    lengths = indptr[sources + 1] - starts
    src = np.repeat(np.arange(len(sources)), lengths)
    first_edge = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
    return src, indices[first_edge + np.arange(len(src))]


def cells(brands: NDArray[np.int64], targets: NDArray[np.integer], n: int) -> NDArray[np.int64]:
    """Flat index of (brand j, customer k) in a firm-major (J, n) array: j * n + k."""
    return brands * n + targets


def add_to_neighbours(
    out: NDArray[np.floating], where: NDArray[np.int64], amounts: NDArray[np.floating]
) -> None:
    """out.flat[c] += amount for every (cell c, amount), in place (repeats accumulate).

    Args:
        out: a firm-major (J, n), C-contiguous array.
        where: flat cells from `cells`.
        amounts: one amount per cell.

    """
    np.add.at(out.reshape(-1), where, amounts)


def recency_increment(
    last_day: NDArray[np.floating], today: int, decay: float
) -> NDArray[np.float64]:
    """Increase of a buyer's recency weight when it buys again today: 1 - (1 - delta)^(t - L)."""
    return 1.0 - np.power(1.0 - decay, today - last_day)
