"""The custsim Mesa model: one day per step, as a six-line script.

1. each firm's policy observes the market and posts its offer;
2. customers with a shopping occasion today come to the shelf;
3. they choose among the brands and the outside option (multinomial logit);
4. purchases settle: units, revenue, margin per firm;
5. customer state updates: reference prices, stock, satisfaction, social
   signals and word of mouth, dropout;
6. the day's metrics are recorded.

Customers are rows of arrays (`CustomerState`, `Traits`); every behavioural
mechanism is a pure array function in `agents/`, called after the day's random
numbers are drawn. Firms are Mesa agents holding policies. `Customer` agents are
created on demand as views on rows (`customer(i)`, `materialise_customers()`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import mesa
import numpy as np
from numpy.typing import NDArray

from agents import choice, churn, inventory, prospect, reference_price, social
from agents.customer import Customer
from agents.population import Traits, draw_population
from policies.base import Policy
from sim.config import CustsimConfig
from sim.firm import Firm, firm_specs
from sim.market import MarketObs, Offers, StepOutcome
from sim.metrics import Recorder
from sim.network import Graph, build_network
from sim.rng import RngTree
from sim.state import CustomerState


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


class CustsimModel(mesa.Model):
    """Customers facing competing firms, one day per step."""

    def __init__(self, cfg: CustsimConfig, policies: Mapping[str, Policy]) -> None:
        """Build the population, network, firms and recorder from a validated config.

        Args:
            cfg: the run's configuration (see `sim.config.validate`).
            policies: firm name -> its policy (see `sim.runner.make_policies`).

        """
        firms = cfg.market.firms
        streams = RngTree.from_seed(cfg.seed, len(firms))
        super().__init__(rng=streams.mesa)
        self.cfg = cfg
        self.rng_dynamics = streams.dynamics
        self.specs = firm_specs(firms)
        self.regular_prices = np.array([s.regular_price for s in self.specs])
        self.unit_costs = np.array([s.unit_cost for s in self.specs])
        quality = np.array([f.quality for f in firms.values()])
        dtype = np.float32 if cfg.precision == "float32" else np.float64
        pop = cfg.population
        self.traits: Traits = draw_population(
            pop.segments, pop.size, quality, streams.population, dtype
        )
        net = cfg.network
        self.graph: Graph = build_network(
            net.kind, pop.size, net.mean_degree, net.rewire_p, streams.network
        )
        self.inv_degree = 1.0 / np.maximum(self.graph.degree, 1)
        self.state = CustomerState.initial(
            self.traits, self.regular_prices, pop.initial_inventory_days, streams.population
        )
        self.firms = [
            Firm(self, spec, policies[spec.name], rng)
            for spec, rng in zip(self.specs, streams.firms, strict=True)
        ]
        self.recorder = Recorder(cfg.steps, tuple(s.name for s in self.specs))
        self.n_active = pop.size
        self._customers: dict[int, Customer] = {}
        self.offers: Offers | None = None

    # -- the day ---------------------------------------------------------------
    def step(self) -> None:
        """Simulate one day (see the module docstring for the script)."""
        day = self.steps
        offers = self.post_offers(day)  # 1
        shoppers = self.shopping_occasions(day)  # 2
        draws = self.rng_dynamics.random((4, len(shoppers)))
        basket = self.choose(day, shoppers, offers, draws[0], draws[1])  # 3
        outcomes = self.settle(day, basket)  # 4
        self.update_customers(day, basket, draws[2], draws[3])  # 5
        self.record(day, offers, basket, outcomes)  # 6
        if day >= self.cfg.steps:
            self.running = False

    def post_offers(self, day: int) -> Offers:
        """Step 1: every firm's policy posts today's offer."""
        shelf = self.regular_prices if self.offers is None else self.offers.price
        offers = Offers.collect(
            [firm.post_offer(self.observe(day, firm.spec.index, shelf)) for firm in self.firms]
        )
        self.offers = offers
        return offers

    def observe(self, day: int, j: int, shelf: NDArray[np.float64]) -> MarketObs:
        """What firm j can see at the start of `day` (views, no copies)."""
        st, rec = self.state, self.recorder
        return MarketObs(
            day=day,
            firm=j,
            shelf_prices=shelf,
            units_sold=rec.firm["units"][: day - 1, j],
            revenue=rec.firm["revenue"][: day - 1, j],
            last_purchase_day=st.last_buy_day[:, j],
            purchase_count=st.purchases[:, j],
            spend=st.spend[:, j],
        )

    def shopping_occasions(self, day: int) -> NDArray[np.int64]:
        """Step 2: active customers whose next occasion falls on this day."""
        return np.flatnonzero(self.state.next_occasion < day)

    def choose(
        self,
        day: int,
        shoppers: NDArray[np.int64],
        offers: Offers,
        u_choice: NDArray[np.float64],
        u_quantity: NDArray[np.float64],
    ) -> Basket:
        """Step 3: logit choice over the brands and the outside option, then quantities."""
        st, tr = self.state, self.traits
        prices = offers.prices_for(shoppers)
        ref = st.reference[:, shoppers]
        stock = inventory.current_stock(
            st.stock[shoppers], tr["consumption"][shoppers], day - st.stock_day[shoppers]
        )
        utility = self.brand_utility(shoppers, prices, ref, offers)
        outside = inventory.outside_utility(
            stock, tr["consumption"][shoppers], self.cfg.population.inventory_weight
        )
        picked = choice.sample_choice(choice.choice_weights(utility, outside), u_choice)
        at = np.flatnonzero(picked)
        brand = picked[at] - 1
        paid = prices[brand, at]
        depth = reference_price.relative_deal_depth(ref[brand, at], paid)
        quantity = inventory.purchase_quantity(
            depth,
            tr["stockpiling"][shoppers[at]],
            stock[at],
            self.cfg.population.storage_limit,
            u_quantity[at],
        )
        return Basket(shoppers, prices, ref, stock, at, brand, quantity, paid)

    def brand_utility(
        self,
        who: NDArray[np.int64],
        prices: NDArray[np.float64],
        ref: NDArray[np.floating],
        offers: Offers,
    ) -> NDArray[np.floating]:
        """Deterministic utility of each brand (see README, 'The customer model').

        V_ij = a_ij - b_i p_ij + b_i eta_i v(x_ij) + d_i promo_j + w_i S_ij,
        x_ij the gain against the reference outside the latitude band.
        """
        tr, st = self.traits, self.state

        def col(trait: str) -> NDArray[np.floating]:
            return tr[trait][who]  # (m,), broadcasts over the firm rows

        gain = reference_price.perceived_gain(ref, prices, col("latitude"))
        felt = prospect.value(
            gain, col("gain_curvature"), col("loss_curvature"), col("loss_aversion")
        )
        b = col("price_sensitivity")
        utility = st.taste[:, who] - b * (prices - col("reference_weight") * felt)
        utility += np.outer(offers.promoted, col("deal_proneness"))
        if self.graph.n_edges:
            utility += col("social_weight") * st.social_signal[:, who]
        return utility

    def settle(self, day: int, basket: Basket) -> list[StepOutcome]:
        """Step 4: units, revenue and margin per firm; each firm's policy hears its outcome."""
        n_firms = len(self.firms)
        units = np.bincount(basket.brand, weights=basket.quantity, minlength=n_firms)
        revenue = np.bincount(
            basket.brand, weights=basket.quantity * basket.paid, minlength=n_firms
        )
        margin = revenue - units * self.unit_costs
        buyers = basket.buyers
        outcomes = []
        for j, firm in enumerate(self.firms):
            mine = basket.brand == j
            outcome = StepOutcome(
                day,
                j,
                int(units[j]),
                float(revenue[j]),
                float(margin[j]),
                buyers[mine],
                basket.quantity[mine],
                basket.paid[mine],
            )
            firm.settle(outcome)
            outcomes.append(outcome)
        return outcomes

    def update_customers(
        self, day: int, basket: Basket, u_dropout: NDArray[np.float64], u_gap: NDArray[np.float64]
    ) -> None:
        """Step 5: references, stock, satisfaction, social signals, history, dropout."""
        st, tr, who = self.state, self.traits, basket.shoppers
        st.reference[:, who] = reference_price.update(
            basket.reference, basket.prices, tr["memory"][who]
        )
        st.stock[who] = basket.stock
        st.stock[basket.buyers] += basket.quantity
        st.stock_day[who] = day
        felt = self.update_satisfaction(basket)
        if self.graph.n_edges:
            self.spread_social_signals(day, basket, felt)
        self.update_history(day, basket)
        self.dropout_and_next_occasion(day, who, u_dropout, u_gap)

    def update_satisfaction(self, basket: Basket) -> NDArray[np.floating]:
        """Buyers' felt experience e = v((r - p) / r) and their new satisfaction."""
        st, tr, buyers = self.state, self.traits, basket.buyers
        felt = churn.experience(
            basket.reference_paid,
            basket.paid,
            tr["gain_curvature"][buyers],
            tr["loss_curvature"][buyers],
            tr["loss_aversion"][buyers],
        )
        st.satisfaction[buyers] = churn.update_satisfaction(
            st.satisfaction[buyers], felt, self.cfg.population.satisfaction_memory
        )
        return felt

    def spread_social_signals(self, day: int, basket: Basket, felt: NDArray) -> None:
        """Decay neighbours' purchase signals, add today's, and pass on word of mouth."""
        st, net, buyers = self.state, self.cfg.network, basket.buyers
        st.social_signal *= 1.0 - net.recency_decay
        src, targets = social.edges_from(self.graph.indptr, self.graph.indices, buyers)
        where = social.cells(basket.brand[src], targets, st.size)
        scale = self.inv_degree[targets]
        last = st.last_buy_day.reshape(-1)[basket.cells(st.size)]
        fresh = social.recency_increment(last, day, net.recency_decay)
        social.add_to_neighbours(st.social_signal, where, fresh[src] * scale)
        talk = (
            felt[src] != 0
        )  # purchases felt as neutral (inside the latitude band) pass nothing on
        if net.wom_strength and talk.any():
            wom = net.wom_strength * felt[src][talk] * scale[talk]
            social.add_to_neighbours(st.taste, where[talk], wom.astype(st.taste.dtype))

    def update_history(self, day: int, basket: Basket) -> None:
        """Buyers' purchase history with each firm, and discounted margin for CLV."""
        st, buyers, brand, qty = self.state, basket.buyers, basket.brand, basket.quantity
        discount = (1.0 + self.cfg.market.annual_discount_rate) ** (-day / 365.0)
        cell = basket.cells(st.size)  # flat index into the (J, n) arrays
        st.last_buy_day.reshape(-1)[cell] = day
        first = st.first_buy_day.reshape(-1)
        first[cell] = np.minimum(first[cell], day)
        st.purchases.reshape(-1)[cell] += 1
        st.units.reshape(-1)[cell] += qty
        st.spend.reshape(-1)[cell] += qty * basket.paid
        st.discounted_margin.reshape(-1)[cell] += (
            discount * qty * (basket.paid - self.unit_costs[brand])
        )
        st.last_brand[buyers] = brand

    def dropout_and_next_occasion(
        self, day: int, who: NDArray[np.int64], u_dropout: NDArray, u_gap: NDArray
    ) -> None:
        """BG/NBD-style dropout after the occasion; the stayers draw their next one."""
        st, tr = self.state, self.traits
        hazard = churn.dropout_probability(
            tr["dropout"][who], st.satisfaction[who], tr["dissatisfaction_churn"][who]
        )
        leave = u_dropout < hazard
        gone, stay = who[leave], who[~leave]
        st.active[gone] = False
        self.n_active -= len(gone)
        st.next_occasion[gone] = np.inf
        st.churn_day[gone] = day
        gap = -np.log1p(-u_gap[~leave]) / tr["occasion_rate"][stay]
        st.next_occasion[stay] = np.maximum(st.next_occasion[stay] + gap, day)

    def record(self, day: int, offers: Offers, basket: Basket, outcomes: list[StepOutcome]) -> None:
        """Step 6: the day's firm and market series."""
        n_firms = len(self.firms)
        self.recorder.record(
            day,
            shelf_price=offers.price,
            regular_price=self.regular_prices,
            promo=offers.promoted,
            units=[o.units for o in outcomes],
            revenue=[o.revenue for o in outcomes],
            margin=[o.margin for o in outcomes],
            buyers=np.bincount(basket.brand, minlength=n_firms),
            mean_reference_price=basket.reference.mean(axis=1)
            if len(basket.shoppers)
            else np.full(n_firms, np.nan),
            active_customers=self.n_active,
            occasions=len(basket.shoppers),
            outside_choices=len(basket.shoppers) - len(basket.at),
        )

    # -- inspection ------------------------------------------------------------
    def customer(self, i: int) -> Customer:
        """The `Customer` agent viewing row i (created on first request)."""
        if i not in self._customers:
            self._customers[i] = Customer(self, int(i))
        return self._customers[i]

    def materialise_customers(self) -> mesa.agent.AgentSet:
        """Create a `Customer` view for every row (small populations) and return them."""
        for i in range(self.state.size):
            self.customer(i)
        return self.agents_by_type[Customer]
