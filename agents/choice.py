"""Multinomial logit choice among J brands and the outside option.

With utilities U_ij = V_ij + e_ij and e_ij i.i.d. Gumbel (McFadden 1974), the
probability that customer i picks option j is

    P_ij = exp(V_ij) / (exp(V_i0) + sum_k exp(V_ik)),

where option 0 is "buy nothing / buy elsewhere". Sampling uses one uniform per
chooser against the cumulative probabilities, so the kernel is a pure function
of its inputs (draw the uniforms first, then call it).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def logit_probabilities(
    brand_utility: NDArray[np.floating], outside_utility: NDArray[np.floating]
) -> NDArray[np.floating]:
    """Choice probabilities over the outside option (column 0) and J brands.

    Computed with the max-shift so that large utilities cannot overflow.

    Args:
        brand_utility: V_ij, shape (n, J).
        outside_utility: V_i0, shape (n,).

    Returns:
        Probabilities, shape (n, J + 1), rows summing to 1; column 0 is the
        outside option, column j + 1 is brand j.
    """
    v = np.concatenate([outside_utility[:, None], brand_utility], axis=1)
    v = v - v.max(axis=1, keepdims=True)
    np.exp(v, out=v)
    v /= v.sum(axis=1, keepdims=True)
    return v


def sample_choice(
    probabilities: NDArray[np.floating], uniforms: NDArray[np.floating]
) -> NDArray[np.int64]:
    """Pick one option per row by inverse-CDF sampling.

    Args:
        probabilities: shape (n, K), rows summing to 1.
        uniforms: shape (n,), U(0, 1) draws.

    Returns:
        Chosen column per row in 0..K-1 (0 is the outside option).
    """
    cumulative = np.cumsum(probabilities, axis=1)
    chosen = (cumulative < uniforms[:, None] * cumulative[:, -1:]).sum(axis=1)
    return np.minimum(chosen, probabilities.shape[1] - 1)
