"""The custsim Mesa model: one day per step, as a six-line script.

1. each firm's policy observes the market and posts its offer;
2. customers with a shopping occasion today come to the shelf (lapsed customers
   holding a win-back offer may return, a fresh or expiring offer prompts extra
   trips, loyalty members learn their tier);
3. they choose among the brands they know of and the outside option
   (multinomial logit; a launched brand only once they have heard of it);
4. purchases settle: units, revenue, margin per firm, loyalty points and rewards,
   personal offers redeemed;
5. customer state updates: reference prices, stock, satisfaction, social
   signals and word of mouth, awareness of a launched brand, dropout and the
   next occasion;
6. the day's metrics are recorded, the points held are valued (the liability in
   each customer's account) and, with `record_purchases`, every purchase logged.

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

from custsim.agents import choice, inventory, reference_price
from custsim.agents.customer import Customer
from custsim.agents.population import Traits, draw_population
from custsim.policies.base import Policy
from custsim.sim import updates
from custsim.sim.config import CustsimConfig
from custsim.sim.firm import Firm, firm_specs
from custsim.sim.launch import BrandLaunch, start_launch
from custsim.sim.ledger import PointsLedger
from custsim.sim.market import MarketObs, Offers, StepOutcome
from custsim.sim.metrics import Recorder
from custsim.sim.network import Graph, build_network
from custsim.sim.purchases import PurchaseLog
from custsim.sim.rng import RngTree
from custsim.sim.state import CustomerState
from custsim.sim.traits import population_spec
from custsim.sim.utility import brand_utility


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
    rewards: NDArray[np.float64]  # loyalty rewards paid out to each buyer (money)

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
            cfg: the run's configuration (see `custsim.sim.config.validate`).
            policies: firm name -> its policy (see `custsim.sim.runner.make_policies`).

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
        pop, net = cfg.population, cfg.network
        self.traits: Traits = draw_population(
            population_spec(pop), pop.size, quality, streams.population, dtype
        )
        self.graph: Graph = build_network(
            net.kind, pop.size, net.mean_degree, net.rewire_p, streams.network
        )
        self.inv_degree = 1.0 / np.maximum(self.graph.degree, 1)
        self.state = CustomerState.initial(
            self.traits,
            self.regular_prices,
            pop.initial_inventory_days,
            streams.population,
            regular=pop.occasion_timing == "regular",
        )
        self.launch: BrandLaunch | None = start_launch(self)
        self.ledger = PointsLedger(len(self.specs), pop.size)
        self.daily_discount = (1.0 + pop.annual_time_preference) ** (-1.0 / 365.0)
        self.firms = [
            Firm(self, spec, policies[spec.name], rng)
            for spec, rng in zip(self.specs, streams.firms, strict=True)
        ]
        self.recorder = Recorder(cfg.steps, tuple(s.name for s in self.specs))
        self.purchase_log = PurchaseLog() if cfg.record_purchases else None
        self.n_active = pop.size
        self._customers: dict[int, Customer] = {}
        self.offers: Offers | None = None

    # -- the day ---------------------------------------------------------------
    def step(self) -> None:
        """Simulate one day (see the module docstring for the script)."""
        day = self.steps
        offers = self.post_offers(day)  # 1
        shoppers = self.shopping_occasions(day, offers)  # 2
        draws = self.rng_dynamics.random((3, len(shoppers)))
        gaps = self.rng_dynamics.standard_exponential(len(shoppers))
        basket = self.choose(day, shoppers, offers, draws[0], draws[1])  # 3
        outcomes = self.settle(day, basket, offers)  # 4
        updates.update_customers(self, day, basket, offers, draws[2], gaps)  # 5
        self.record(day, offers, basket, outcomes)  # 6
        if day >= self.cfg.steps:
            self.running = False

    def post_offers(self, day: int) -> Offers:
        """Step 1: every firm's policy posts today's offer."""
        shelf = self.regular_prices if self.offers is None else self.offers.price
        offers = Offers.collect(
            [firm.post_offer(self.observe(day, firm.spec.index, shelf)) for firm in self.firms]
        )
        if offers.has_targeting:
            updates.receive_offers(self.state, self.offers, offers)
        self.offers = offers
        return offers

    def observe(self, day: int, j: int, shelf: NDArray[np.float64]) -> MarketObs:
        """What firm j can see at the start of `day` (views, no copies)."""
        st, rec = self.state, self.recorder
        return MarketObs(
            day=day,
            firm=j,
            firm_names=tuple(s.name for s in self.specs),
            regular_prices=self.regular_prices,
            shelf_prices=shelf,
            units_sold=rec.firm["units"][: day - 1, j],
            revenue=rec.firm["revenue"][: day - 1, j],
            first_purchase_day=st.first_buy_day[j],
            last_purchase_day=st.last_buy_day[j],
            purchase_count=st.purchases[j],
            spend=st.spend[j],
            points=self.ledger.balance[j],
        )

    def shopping_occasions(self, day: int, offers: Offers) -> NDArray[np.int64]:
        """Step 2: win-backs return, offers prompt extra trips, then today's shoppers."""
        if offers.has_targeting:
            updates.win_back(self, day, offers)
        updates.offer_trips(self, day, offers)
        shoppers = np.flatnonzero(self.state.next_occasion < day)
        if any(t is not None and t.tier_thresholds for t in offers.loyalty):
            updates.review_tiers(self, day, shoppers, offers)
        return shoppers

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
        prices = self.personal_prices(shoppers, offers)
        ref = st.reference[:, shoppers]
        stock = inventory.current_stock(
            st.stock[shoppers], tr["consumption"][shoppers], day - st.stock_day[shoppers]
        )
        utility = brand_utility(self, shoppers, prices, ref, offers)
        if self.launch is not None:
            self.launch.hide_unknown(utility, shoppers)
        outside = inventory.outside_utility(
            stock, tr["consumption"][shoppers], self.cfg.population.inventory_weight
        )
        picked = choice.sample_choice(choice.choice_weights(utility, outside), u_choice)
        at = np.flatnonzero(picked)
        brand = picked[at] - 1
        depth = reference_price.relative_deal_depth(ref[brand, at], prices[brand, at])
        quantity = inventory.purchase_quantity(
            depth,
            tr["stockpiling"][shoppers[at]],
            stock[at],
            self.cfg.population.storage_limit,
            u_quantity[at],
        )
        if np.isfinite(offers.stock_limit).any():
            keep = self.within_offer_stock(brand, quantity, u_quantity[at], offers)
            at, brand, quantity = at[keep], brand[keep], quantity[keep]
        paid = prices[brand, at]
        return Basket(shoppers, prices, ref, stock, at, brand, quantity, paid, np.zeros(len(at)))

    def personal_prices(self, who: NDArray[np.int64], offers: Offers) -> NDArray[np.float64]:
        """(J, m) prices: shelf, or a personal offer, less the customer's tier discount."""
        prices = offers.prices_for(who)
        for j, terms in enumerate(offers.loyalty):
            if terms is not None and terms.tier_discounts:
                discount = np.array((0.0, *terms.tier_discounts))[self.ledger.tier[j, who]]
                prices[j] *= 1.0 - discount
        return prices

    @staticmethod
    def within_offer_stock(
        brand: NDArray[np.int64], quantity: NDArray[np.int64], order_key: NDArray, offers: Offers
    ) -> NDArray[np.bool_]:
        """Which buyers still find the offer in stock ("only K left"), served in random order."""
        keep = np.ones(len(brand), dtype=bool)
        for j in np.flatnonzero(np.isfinite(offers.stock_limit)):
            mine = np.flatnonzero(brand == j)
            queue = mine[np.argsort(order_key[mine], kind="stable")]
            served = np.cumsum(quantity[queue]) <= offers.stock_limit[j]
            keep[queue[~served]] = False
        return keep

    def settle(self, day: int, basket: Basket, offers: Offers) -> list[StepOutcome]:
        """Step 4: units, revenue, margin, points and personal offers redeemed, per firm.

        Each policy hears its outcome. The firm's margin is revenue - unit cost x
        units - rewards paid, the sum of its buyers' (`CustomerState.margin`,
        before the points liability, which is charged at the end of the run).
        """
        n_firms = len(self.firms)
        units = np.bincount(basket.brand, weights=basket.quantity, minlength=n_firms)
        spend = basket.quantity * basket.paid
        revenue = np.bincount(basket.brand, weights=spend, minlength=n_firms)
        buyers = basket.buyers
        outcomes = []
        for j, firm in enumerate(self.firms):
            mine = np.flatnonzero(basket.brand == j)
            flows = updates.settle_points(self, day, j, basket, mine, spend, offers.loyalty[j])
            if offers.has_targeting:
                updates.redeem_offers(self, j, basket, mine, offers)
            margin = revenue[j] - units[j] * self.unit_costs[j] - flows.rewards_paid
            outcome = StepOutcome(
                day,
                j,
                int(units[j]),
                float(revenue[j]),
                float(margin),
                buyers[mine],
                basket.quantity[mine],
                basket.paid[mine],
                flows.earned,
                flows.redeemed,
                flows.expired,
                flows.rewards_paid,
            )
            firm.settle(outcome)
            outcomes.append(outcome)
        return outcomes

    def record(self, day: int, offers: Offers, basket: Basket, outcomes: list[StepOutcome]) -> None:
        """Step 6: the day's firm and market series, and the customers' points liability.

        `mean_reference_price` is the shoppers' mean reference price; on a day
        without shoppers it carries the last recorded value forward (the
        regular price before any day had shoppers).
        """
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
            mean_reference_price=self.mean_reference(day, basket),
            points_earned=[o.points_earned for o in outcomes],
            points_redeemed=[o.points_redeemed for o in outcomes],
            points_expired=[o.points_expired for o in outcomes],
            points_outstanding=self.ledger.outstanding,
            rewards_paid=[o.rewards_paid for o in outcomes],
            active_customers=self.n_active,
            occasions=len(basket.shoppers),
            outside_choices=len(basket.shoppers) - len(basket.at),
        )
        updates.value_points(self, day, offers)
        if self.purchase_log is not None:
            self.log_purchases(day, basket)

    def mean_reference(self, day: int, basket: Basket) -> NDArray[np.float64]:
        """Shoppers' mean reference price per firm; yesterday's value (day 1: regular) if none."""
        if len(basket.shoppers):
            return basket.reference.mean(axis=1)
        if day > 1:
            return self.recorder.firm["mean_reference_price"][day - 2]
        return self.regular_prices

    def log_purchases(self, day: int, basket: Basket) -> None:
        """Append today's purchases, with each buyer's points after settling, to the log."""
        buyers = basket.buyers
        points = self.ledger.balance[basket.brand, buyers]
        self.purchase_log.add(
            day, buyers, basket.brand, basket.quantity, basket.paid, points, basket.rewards
        )

    def points_liability(self) -> NDArray[np.float64]:
        """Money value of the points outstanding now, per firm (0 without a programme)."""
        value = self.offers.point_values if self.offers is not None else np.zeros(len(self.specs))
        return self.ledger.outstanding * value

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
