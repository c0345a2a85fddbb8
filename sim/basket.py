"""A day's basket: today's shoppers and what they chose, then what they were paid back.

Both are frozen values: the shelf stage makes a `Basket`, settlement returns a
`SettledBasket` (the basket plus the loyalty rewards each buyer received)
without touching the basket.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class Basket:
    """Today's shoppers and what they chose (indices into the shoppers where noted)."""

    shoppers: NDArray[np.int64]
    prices: NDArray[np.float64]  # (J, m) prices faced
    reference: NDArray[np.floating]  # (J, m) references held on arrival
    stock: NDArray[np.floating]  # (m,) units at home on arrival
    at: NDArray[np.int64]  # positions (in shoppers) of those who bought
    brand: NDArray[np.int64]  # brand bought, per buyer
    quantity: NDArray[np.int64]
    paid: NDArray[np.float64]  # unit price paid, per buyer

    @property
    def buyers(self) -> NDArray[np.int64]:
        """Row ids of the customers who bought."""
        return self.shoppers[self.at]

    def cells(self, n: int) -> NDArray[np.int64]:
        """Flat (brand, buyer) cells of the firm-major (J, n) state arrays."""
        return self.brand * n + self.buyers

    @property
    def reference_paid(self) -> NDArray[np.floating]:
        """Each buyer's reference price for the brand bought, on arrival."""
        return self.reference[self.brand, self.at]


@dataclass(frozen=True)
class SettledBasket(Basket):
    """A basket after settlement: `rewards` is the money of the loyalty rewards each buyer got."""

    rewards: NDArray[np.float64]

    @classmethod
    def of(cls, basket: Basket, rewards: NDArray[np.float64]) -> SettledBasket:
        """The settled copy of `basket` (the arrays are shared, not copied)."""
        return cls(**{f.name: getattr(basket, f.name) for f in fields(Basket)}, rewards=rewards)
