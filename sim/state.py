"""Customer state as a structure of arrays: one array per attribute, one entry per customer.

Latent traits (fixed) live in `agents.population.Traits`; this module holds what
changes as the simulation runs, plus each customer's history with each firm.
Per-firm arrays are firm-major, shape (J, n): row j is firm j's view of all
customers, contiguous, and reductions over firms run along rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from agents.population import Traits


@dataclass
class CustomerState:
    """Mutable per-customer arrays: (n,), or (J, n) where per firm."""

    active: NDArray[np.bool_]
    next_occasion: NDArray[np.float64]  # continuous day of the next occasion; inf if churned
    reference: NDArray[np.floating]  # (J, n) reference prices r_ij
    taste: NDArray[np.floating]  # (J, n) brand tastes a_ij (word of mouth moves them)
    stock: NDArray[np.floating]  # units at home on `stock_day`
    stock_day: NDArray[np.float64]
    satisfaction: NDArray[np.floating]
    social_signal: NDArray[np.float64]  # (J, n) S_kj, see agents.social
    last_buy_day: NDArray[np.float64]  # (J, n); -inf if never
    purchases: NDArray[np.int32]  # (J, n) purchase occasions
    units: NDArray[np.int32]  # (J, n)
    spend: NDArray[np.float64]  # (J, n)
    discounted_margin: NDArray[np.float64]  # (J, n) margin discounted to day 0
    first_buy_day: NDArray[np.float64]  # (J, n); inf if never
    churn_day: NDArray[np.int32]  # -1 while active
    last_brand: NDArray[np.int8]  # -1 if never

    @classmethod
    def initial(
        cls,
        traits: Traits,
        regular_prices: NDArray[np.float64],
        initial_inventory_days: float,
        rng: np.random.Generator,
        regular: bool = False,
    ) -> CustomerState:
        """Day-0 state: everyone active, references at the regular prices.

        The first occasion and the stock at home are drawn so that the market
        starts near its steady state: the first occasion after an exponential
        wait (the occasion process is Poisson, so memoryless), stock uniform on
        [0, 2 * days * consumption]. With `regular` occasions (one every 1 / mu
        days) the first comes after a uniform wait on [0, 1 / mu), the phase of
        a renewal process with fixed gaps in its steady state.
        """
        j, n = traits.taste.shape
        dtype = traits.taste.dtype
        rate = traits["occasion_rate"].astype(np.float64)
        stock = rng.random(n) * 2.0 * initial_inventory_days * traits["consumption"]
        return cls(
            active=np.ones(n, dtype=bool),
            next_occasion=(rng.random(n) if regular else rng.standard_exponential(n)) / rate,
            reference=np.repeat(regular_prices.astype(dtype)[:, None], n, axis=1),
            taste=traits.taste.copy(),
            stock=stock.astype(dtype),
            stock_day=np.zeros(n),
            satisfaction=np.zeros(n, dtype=dtype),
            social_signal=np.zeros((j, n)),
            last_buy_day=np.full((j, n), -np.inf),
            purchases=np.zeros((j, n), dtype=np.int32),
            units=np.zeros((j, n), dtype=np.int32),
            spend=np.zeros((j, n)),
            discounted_margin=np.zeros((j, n)),
            first_buy_day=np.full((j, n), np.inf),
            churn_day=np.full(n, -1, dtype=np.int32),
            last_brand=np.full(n, -1, dtype=np.int8),
        )

    @property
    def size(self) -> int:
        """Number of customers."""
        return len(self.active)
