"""Customer state as a structure of arrays: one array per attribute, one entry per customer.

Latent traits (fixed) live in `custsim.agents.population.Traits`; this module holds what
changes as the simulation runs, plus each customer's history with each firm.
Per-firm arrays are firm-major, shape (J, n): row j is firm j's view of all
customers, contiguous, and reductions over firms run along rows.

The money ledger of customer i at firm j (`margin`, `clv`) is one identity:

    m_ij = spend_ij - c_j units_ij - rewards_ij - L_ij - K_ij - M_ij,

L_ij the money value of i's points with j still outstanding (a liability,
valued daily by the model), K_ij what j paid to answer i's complaints
(compensation and handling: `ChainState.service_cost`, 0 without the experience
chain), M_ij what j paid to contact i (`ReachState.contact_cost`, 0 when no
policy names a channel, plus `ReachState.acquisition_cost` when i was a prospect
j's acquisition contacts reached); summed over customers it is the firm's margin.
Discounts (tier, personal, promotion) are already inside spend, which is paid
at the price paid.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from custsim.agents.population import Traits
from custsim.sim.chain import ChainState
from custsim.sim.reach import ReachState


@dataclass
class CustomerState:
    """Mutable per-customer arrays: (n,), or (J, n) where per firm.

    Floats that are not money (days, references, tastes, stock, satisfaction,
    social signals) have the traits' dtype (`precision`: float32 halves them);
    money (spend, margins, rewards, the points liability) is float64 always, so
    the ledger adds up to the cent whatever the precision.
    """

    active: NDArray[np.bool_]
    next_occasion: NDArray[np.floating]  # continuous day of the next occasion; inf if churned
    reference: NDArray[np.floating]  # (J, n) reference prices r_ij
    taste: NDArray[np.floating]  # (J, n) brand tastes a_ij (word of mouth moves them)
    stock: NDArray[np.floating]  # units at home on `stock_day`
    stock_day: NDArray[np.floating]
    satisfaction: NDArray[np.floating]
    social_signal: NDArray[np.floating]  # (J, n) S_kj, see agents.social
    last_buy_day: NDArray[np.floating]  # (J, n); -inf if never
    purchases: NDArray[np.int32]  # (J, n) purchase occasions
    units: NDArray[np.int32]  # (J, n)
    spend: NDArray[np.float64]  # (J, n)
    discounted_margin: NDArray[np.float64]  # (J, n) margin net of rewards, discounted to day 0
    rewards: NDArray[np.float64]  # (J, n) money of the loyalty rewards paid to the customer
    liability: NDArray[np.float64]  # (J, n) money value of the points held, when last valued
    first_buy_day: NDArray[np.floating]  # (J, n); inf if never
    churn_day: NDArray[np.int32]  # -1 while active
    last_brand: NDArray[np.int8]  # -1 if never
    offers_received: NDArray[np.int32]  # personal offers received, all firms
    offers_redeemed: NDArray[np.int32]  # purchases made at a personal offer's price, all firms
    firm_offers_sent: NDArray[np.int64]  # (J,) personal offers each firm sent
    firm_offers_redeemed: NDArray[np.int64]  # (J,) purchases at each firm's personal prices
    firm_discount_cost: NDArray[np.float64]  # (J,) (shelf - paid) x units on those purchases
    liability_valued: NDArray[np.bool_]  # (J,) firms whose points were valued last time
    liability_discount: float = 1.0  # day-0 discount factor of the day the points were valued
    arrival: NDArray[np.floating] | None = None  # arrival times (0: from the start); None: all at 0
    chain: ChainState | None = None  # the experience chain's state (population.experience)
    reach: ReachState | None = None  # the firms' contacts (a policy names a channel)

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
        [0, 2 * days * consumption] (`initial_inventory_days`:
        `population.inventory.initial_days`). With `regular` occasions (one every
        1 / mu days, `population.occasions.timing = regular`) the first comes
        after a uniform wait on [0, 1 / mu), the phase of a renewal process with
        fixed gaps in its steady state.
        """
        j, n = traits.taste.shape
        dtype = traits.taste.dtype
        rate = traits["occasion_rate"].astype(np.float64)
        stock = rng.random(n) * 2.0 * initial_inventory_days * traits["consumption"]
        wait = rng.random(n) if regular else rng.standard_exponential(n)
        return cls(
            active=np.ones(n, dtype=bool),
            next_occasion=(wait / rate).astype(dtype),
            reference=np.repeat(regular_prices.astype(dtype)[:, None], n, axis=1),
            taste=traits.taste.copy(),
            stock=stock.astype(dtype),
            stock_day=np.zeros(n, dtype=dtype),
            satisfaction=np.zeros(n, dtype=dtype),
            social_signal=np.zeros((j, n), dtype=dtype),
            last_buy_day=np.full((j, n), -np.inf, dtype=dtype),
            purchases=np.zeros((j, n), dtype=np.int32),
            units=np.zeros((j, n), dtype=np.int32),
            spend=np.zeros((j, n)),
            discounted_margin=np.zeros((j, n)),
            rewards=np.zeros((j, n)),
            liability=np.zeros((j, n)),
            first_buy_day=np.full((j, n), np.inf, dtype=dtype),
            churn_day=np.full(n, -1, dtype=np.int32),
            last_brand=np.full(n, -1, dtype=np.int8),
            offers_received=np.zeros(n, dtype=np.int32),
            offers_redeemed=np.zeros(n, dtype=np.int32),
            firm_offers_sent=np.zeros(j, dtype=np.int64),
            firm_offers_redeemed=np.zeros(j, dtype=np.int64),
            firm_discount_cost=np.zeros(j),
            liability_valued=np.zeros(j, dtype=bool),
        )

    @property
    def size(self) -> int:
        """Number of customers."""
        return len(self.active)

    def arrived(self) -> NDArray[np.bool_]:
        """(n,) customers who have entered the market: active, or churned (churn_day >= 0).

        Everyone without arrivals (`population.arrivals`); a customer still to arrive
        is inactive with churn_day -1.
        """
        if self.arrival is None:
            return np.ones(self.size, dtype=bool)
        return self.active | (self.churn_day >= 0)

    @property
    def n_arrived(self) -> int:
        """How many customers have entered the market (all of them without arrivals)."""
        return self.size if self.arrival is None else int(np.count_nonzero(self.arrived()))

    def margin(
        self, unit_costs: NDArray[np.float64], rows: slice = slice(None)
    ) -> NDArray[np.float64]:
        """(J, n) margin m_ij = spend_ij - c_j units_ij - rewards_ij - L_ij - K_ij - M_ij (module).

        `rows`: the customers (a slice of the columns), all by default.
        """
        spend, units = self.spend[:, rows], self.units[:, rows]
        margin = (
            spend - unit_costs[:, None] * units - self.rewards[:, rows] - self.liability[:, rows]
        )
        if self.chain is not None:
            margin -= self.chain.service_cost[:, rows]
        if self.reach is not None:
            margin -= self.reach.contact_cost[:, rows]
            if self.reach.acquisition_cost is not None:
                margin -= self.reach.acquisition_cost[:, rows]
        return margin

    def clv(self, rows: slice = slice(None)) -> NDArray[np.float64]:
        """(J, n) that margin discounted to day 0: rewards on the day paid, L_ij on the day valued.

        clv_ij = sum_t d_t (q_t (p_t - c_j) - rewards_t - K_t - M_t) - d_T L_ij, with
        d_t = (1 + annual discount rate)^(-t / 365); `rows` as in `margin`.
        """
        return self.discounted_margin[:, rows] - self.liability_discount * self.liability[:, rows]
