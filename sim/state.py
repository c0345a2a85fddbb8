"""Customer state as a structure of arrays: one array per attribute, one row per customer.

Latent traits (fixed) live in `agents.population.Traits`; this module holds what
changes as the simulation runs, plus each customer's history with each firm.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from agents.population import Traits


@dataclass
class CustomerState:
    """Mutable per-customer arrays (n rows; (n, J) where per firm)."""

    active: NDArray[np.bool_]
    next_occasion: NDArray[np.float64]  # continuous day of the next occasion; inf if churned
    reference: NDArray[np.floating]  # (n, J) reference prices r_ij
    taste: NDArray[np.floating]  # (n, J) brand tastes a_ij (word of mouth moves them)
    stock: NDArray[np.floating]  # units at home on `stock_day`
    stock_day: NDArray[np.float64]
    satisfaction: NDArray[np.floating]
    social_signal: NDArray[np.float64]  # (n, J) C_kj, see agents.social
    last_buy_day: NDArray[np.float64]  # (n, J); -inf if never
    purchases: NDArray[np.int32]  # (n, J) purchase occasions
    units: NDArray[np.int32]  # (n, J)
    spend: NDArray[np.float64]  # (n, J)
    discounted_margin: NDArray[np.float64]  # (n, J) margin discounted to day 0
    first_buy_day: NDArray[np.float64]  # (n, J); inf if never
    churn_day: NDArray[np.int32]  # -1 while active
    last_brand: NDArray[np.int8]  # -1 if never

    @classmethod
    def initial(
        cls,
        traits: Traits,
        regular_prices: NDArray[np.float64],
        initial_inventory_days: float,
        rng: np.random.Generator,
    ) -> CustomerState:
        """Day-0 state: everyone active, references at the regular prices.

        The first occasion and the stock at home are drawn so that the market
        starts near its steady state: occasion times uniform over one mean gap,
        stock uniform on [0, 2 * days * consumption].
        """
        n, j = traits.taste.shape
        dtype = traits.taste.dtype
        rate = traits["occasion_rate"].astype(np.float64)
        stock = rng.random(n) * 2.0 * initial_inventory_days * traits["consumption"]
        return cls(
            active=np.ones(n, dtype=bool),
            next_occasion=rng.random(n) / rate,
            reference=np.broadcast_to(regular_prices.astype(dtype), (n, j)).copy(),
            taste=traits.taste.copy(),
            stock=stock.astype(dtype),
            stock_day=np.zeros(n),
            satisfaction=np.zeros(n, dtype=dtype),
            social_signal=np.zeros((n, j)),
            last_buy_day=np.full((n, j), -np.inf),
            purchases=np.zeros((n, j), dtype=np.int32),
            units=np.zeros((n, j), dtype=np.int32),
            spend=np.zeros((n, j)),
            discounted_margin=np.zeros((n, j)),
            first_buy_day=np.full((n, j), np.inf),
            churn_day=np.full(n, -1, dtype=np.int32),
            last_brand=np.full(n, -1, dtype=np.int8),
        )

    @property
    def size(self) -> int:
        """Number of customers."""
        return len(self.active)
