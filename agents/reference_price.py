"""Reference prices: memory-based exponential smoothing with a latitude of acceptance.

Update (Briesch, Krishnamurthi, Mazumdar & Raj 1997, *Journal of Consumer
Research* 24, 202-214: memory-based, brand-specific reference prices fit best):

    r <- (1 - theta) * r + theta * p

Perceived gain against the reference with a latitude of acceptance (Kalyanaram &
Little 1994, *Journal of Consumer Research* 21, 408-418): deviations within
+-L * r feel neutral; beyond the band only the excess counts:

    d = r - p,   x = sign(d) * max(|d| - L * r, 0)
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray


def update(reference: ArrayLike, price: ArrayLike, memory: ArrayLike) -> NDArray[np.floating]:
    """Exponentially smoothed reference price after observing `price`.

    Args:
        reference: current reference prices r.
        price: observed shelf prices p.
        memory: smoothing weight theta in [0, 1] (0: never updates, 1: last price).

    Returns:
        (1 - theta) * r + theta * p.

    """
    reference = np.asarray(reference)
    return reference + np.multiply(memory, np.subtract(price, reference))


def perceived_gain(
    reference: ArrayLike, price: ArrayLike, latitude: ArrayLike
) -> NDArray[np.floating]:
    """Gain (+) or loss (-) of paying `price` against `reference`, outside the latitude band.

    Args:
        reference: reference prices r (> 0).
        price: prices p.
        latitude: half-width L of the neutral band as a fraction of r (>= 0).

    Returns:
        sign(r - p) * max(|r - p| - L * r, 0).

    """
    d = np.subtract(reference, price)
    excess = np.maximum(np.abs(d) - np.multiply(latitude, reference), 0.0)
    return np.copysign(excess, d)


def relative_deal_depth(reference: ArrayLike, price: ArrayLike) -> NDArray[np.floating]:
    """Depth of a deal against the reference, as a fraction of it: max(r - p, 0) / r."""
    reference = np.asarray(reference)
    return np.maximum(reference - price, 0.0) / reference
