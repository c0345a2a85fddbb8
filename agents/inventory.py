"""Household inventory and stockpiling: how deals pull purchases forward.

A customer holds `stock` units, consumed at a constant rate c per day, so after
dt days it holds max(0, stock - c * dt). On a shopping occasion the outside
option ("no need today") gains utility in proportion to the weeks of supply at
home, kappa_I * stock / (7 c): well-stocked customers skip the category.

Buying one unit is the default; on a deal of relative depth d against the
reference the customer stockpiles extra units, filling a share of its spare
storage (Blattberg, Eppen & Lieberman 1981; Neslin, Henderson & Quelch 1985):

    extra = floor(min(1, sigma * d / d_full) * spare + u),  spare = S - stock - 1,

with sigma the share filled on a deal of relative depth d_full (default 25%,
`FULL_STOCKPILE_DEPTH`) or deeper and u ~ U(0, 1) for unbiased rounding.
Later occasions then find the customer stocked up, which is the
post-promotion dip.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

FULL_STOCKPILE_DEPTH = 0.25  # d_full: the deal depth at which sigma of the spare room is filled


def current_stock(stock: ArrayLike, consumption: ArrayLike, days: ArrayLike) -> NDArray:
    """Units left after `days` of consumption: max(0, stock - c * days)."""
    return np.maximum(np.subtract(stock, np.multiply(consumption, days)), 0.0)


def outside_utility(stock: ArrayLike, consumption: ArrayLike, weight: float) -> NDArray:
    """Utility of not buying today: weight * weeks of supply at home."""
    return weight * np.divide(stock, np.multiply(7.0, consumption))


def purchase_quantity(
    depth: ArrayLike,
    stockpiling: ArrayLike,
    stock: ArrayLike,
    capacity: float,
    uniforms: ArrayLike,
    full_depth: float = FULL_STOCKPILE_DEPTH,
) -> NDArray[np.int64]:
    """Units bought: 1 plus the stockpiled extra (see module docstring).

    Args:
        depth: relative deal depth d against the reference, per buyer.
        stockpiling: sigma, the share of spare room filled on a deal of `full_depth`.
        stock: units at home on arrival.
        capacity: S, the units a household can hold.
        uniforms: U(0, 1) per buyer, for the rounding.
        full_depth: d_full (default `FULL_STOCKPILE_DEPTH`).

    """
    spare = np.maximum(capacity - np.asarray(stock) - 1.0, 0.0)
    fill = np.minimum(1.0, np.multiply(stockpiling, depth) / full_depth)
    extra = np.floor(fill * spare + uniforms)
    return 1 + np.minimum(extra, np.floor(spare)).astype(np.int64)
