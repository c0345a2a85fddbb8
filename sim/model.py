"""The custsim Mesa model: one day per step, as a six-line script.

1. each firm's policy observes the market and posts its offer (the offers'
   urgency pull is computed once, for the day; answers to complaints are felt and paid;
   the firms' contacts go out through their channels and are paid for, and a personal
   offer whose message was not opened stays unknown);
2. arrival: customers with a shopping occasion today come to the shelf (lapsed
   customers holding a win-back offer may return, a fresh or expiring offer
   prompts extra trips, an opened contact may bring a customer in, loyalty members
   learn their tier);
3. shelf: they choose among the brands they know of and the outside option
   (multinomial logit; a launched brand only once they have heard of it);
4. settlement: units, revenue, margin per firm, loyalty points and rewards,
   personal offers redeemed (a new `SettledBasket`; the basket is never written),
   the day's contact cost taken from the firm's margin;
5. aftermath: reference prices, stock, satisfaction (with the experience chain:
   each purchase lived and felt per firm, trust, habit, complaints, the cause of
   each switch and churn), purchases put down to an opened contact, social signals
   and word of mouth, awareness of a
   launched brand, dropout and the next occasion;
6. the day's metrics are recorded (firms due a survey run it), the points held
   are valued (the liability in each customer's account) and, when the run
   records purchases, every purchase logged.

The model holds a `Population` (traits, state, graph) and a `Market` (firms'
specs, prices, costs, points ledger, launch, recorder); each stage is a module
of `custsim.sim.stages` whose functions name what they read and write. Every
behavioural mechanism is a pure array function in `agents/`.

Randomness (`custsim.sim.rng`): the shoppers' draws (choice, quantity, dropout
uniforms and the exponential gaps) are drawn once, in one place, as soon as
today's shoppers are known (`DayDraws`); each conditional mechanism (win-back,
offer trips, goal abandonment, launch awareness) draws from its own named
stream. So switching a mechanism on never shifts another one's numbers.

Firms are Mesa agents holding policies. `Customer` agents are created on demand
as views on rows (`customer(i)`, `materialise_customers()`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import mesa
import numpy as np
from numpy.typing import NDArray

from custsim.agents import arrivals, urgency
from custsim.agents.population import Traits, draw_population, segment_sizes
from custsim.policies.base import Policy
from custsim.sim import threads
from custsim.sim.basket import Basket, SettledBasket
from custsim.sim.chain import CHAIN_COUNTS, CHAIN_SERIES, ChainState
from custsim.sim.config import CustsimConfig, chain_enabled, reach_enabled, records_purchases
from custsim.sim.customer import Customer
from custsim.sim.firm import Firm, firm_specs
from custsim.sim.launch import BrandLaunch, start_launch
from custsim.sim.ledger import PointsLedger
from custsim.sim.market import MarketObs, Offers, StepOutcome
from custsim.sim.market_state import Market
from custsim.sim.metrics import Recorder
from custsim.sim.network import Graph, build_network
from custsim.sim.population import Population
from custsim.sim.purchases import PurchaseLog
from custsim.sim.reach import (
    ACQUISITION_COUNTS,
    ACQUISITION_SERIES,
    REACH_COUNTS,
    REACH_SERIES,
    ReachState,
)
from custsim.sim.rng import DayDraws, RngTree
from custsim.sim.service_log import ServiceLog
from custsim.sim.stages import aftermath, arrival, causes, experience, loyalty, settlement, shelf
from custsim.sim.stages import reach as outreach
from custsim.sim.stages.acquisition import ProspectPool, acquire
from custsim.sim.stages.arrival import ArrivalQueue
from custsim.sim.stages.framing import encoded_prices
from custsim.sim.stages.terms import ShelfView, ShopperTraits
from custsim.sim.state import CustomerState
from custsim.sim.traits import population_spec


class CustsimModel(mesa.Model):
    """Customers facing competing firms, one day per step."""

    def __init__(self, cfg: CustsimConfig, policies: Mapping[str, Policy]) -> None:
        """Build the population, network, firms and recorder from a validated config.

        Args:
            cfg: the run's configuration (see `custsim.sim.validation.validate`).
            policies: firm name -> its policy (see `custsim.sim.runner.make_policies`).

        """
        firms = cfg.market.firms
        streams = RngTree.from_seed(cfg.seed, len(firms))
        super().__init__(rng=streams.mesa)
        self.cfg = cfg
        self.rng_dynamics = streams.dynamics
        self.features = streams.features
        self.population = self.build_population(cfg, streams)
        self.service = experience.FirmService.of(firms)
        if chain_enabled(cfg):
            self.state.chain = ChainState.initial(
                self.service.quality,
                cfg.population.size,
                cfg.population.experience,
                self.traits.taste.dtype.type,
            )
        if reach_enabled(cfg):
            self.state.reach = ReachState.initial(
                cfg.channels,
                len(firms),
                cfg.population.size,
                self.traits.taste.dtype.type,
                prospects=self.population.prospects is not None,
            )
        specs = firm_specs(firms, cfg.channels)
        launch = start_launch(
            cfg.market.launch,
            tuple(s.name for s in specs),
            self.population.graph,
            self.population.inv_degree,
            streams.features.launch_awareness,
        )
        self.market = Market(
            specs=specs,
            ledger=PointsLedger(len(specs), cfg.population.size, self.traits.taste.dtype.type),
            launch=launch,
            recorder=self.make_recorder(cfg.steps, tuple(s.name for s in specs)),
            annual_discount_rate=cfg.market.annual_discount_rate,
        )
        self.firms = [
            Firm(self, spec, policies[spec.name], rng)
            for spec, rng in zip(specs, streams.firms, strict=True)
        ]
        self.terms = shelf.utility_terms(cfg.population.framing, cfg.population.loyalty)
        if self.state.chain is not None:
            self.terms += (experience.ChainTerm(self.state.chain),)
        self.workers = threads.thread_count(cfg.threads)
        names = tuple(s.name for s in specs)
        self.purchase_log = PurchaseLog(names) if records_purchases(cfg) else None
        self.service_log = (
            ServiceLog(names)
            if self.purchase_log is not None and self.state.chain is not None
            else None
        )
        self._customers: dict[int, Customer] = {}
        self.offers: Offers | None = None

    @staticmethod
    def build_population(cfg: CustsimConfig, streams: RngTree) -> Population:
        """Traits, network and day-0 state of the customers (population and network streams)."""
        pop, net = cfg.population, cfg.network
        quality = np.array([f.quality for f in cfg.market.firms.values()])
        regular = np.array([float(f.price) for f in cfg.market.firms.values()])
        dtype = np.float32 if cfg.precision == "float32" else np.float64
        traits = draw_population(population_spec(pop), pop.size, quality, streams.population, dtype)
        graph = build_network(net.kind, pop.size, net.mean_degree, net.rewire_p, streams.network)
        state = CustomerState.initial(
            traits,
            regular,
            pop.inventory.initial_days,
            streams.population,
            regular=pop.occasions.timing == "regular",
        )
        arriving = CustsimModel.hold_arrivals(cfg, state, streams)
        prospects = ProspectPool.hold(state, pop.prospects) if pop.prospects > 0 else None
        return Population(traits, state, graph, arriving, prospects)

    def make_recorder(self, steps: int, names: tuple[str, ...]) -> Recorder:
        """The daily series, with the chain's (`CHAIN_SERIES`) and reach's (`REACH_SERIES`)."""
        series, counts = (), ()
        if self.state.chain is not None:
            series, counts = CHAIN_SERIES, CHAIN_COUNTS
        reach = self.state.reach
        if reach is not None:
            series, counts = series + REACH_SERIES, counts + REACH_COUNTS
        if reach is not None and reach.acquisition is not None:
            series, counts = series + ACQUISITION_SERIES, counts + ACQUISITION_COUNTS
        return Recorder(steps, names, series, counts)

    @staticmethod
    def hold_arrivals(
        cfg: CustsimConfig, state: CustomerState, streams: RngTree
    ) -> ArrivalQueue | None:
        """The arrival schedule of `population.arrivals` (its own stream), or None without one."""
        block, n = cfg.population.arrivals, cfg.population.size
        if block.kind == "none":
            return None
        rng = streams.features.arrivals
        if block.kind == "empirical":
            times = arrivals.empirical_times(block.daily, n, rng)
        else:
            present = int(segment_sizes(np.array([block.present, 1 - block.present]), n)[0])
            times = arrivals.poisson_times(block.rate, present, n, rng)
        return ArrivalQueue.hold(state, times, block.first_purchase)

    # -- views on the population and the market ---------------------------------
    @property
    def traits(self) -> Traits:
        """The customers' latent traits."""
        return self.population.traits

    @property
    def state(self) -> CustomerState:
        """The customers' state arrays."""
        return self.population.state

    @property
    def graph(self) -> Graph:
        """The social network."""
        return self.population.graph

    @property
    def n_active(self) -> int:
        """Customers still in the category."""
        return self.population.n_active

    @property
    def specs(self) -> tuple:
        """The firms' fixed facts (`FirmSpec`), in index order."""
        return self.market.specs

    @property
    def regular_prices(self) -> NDArray[np.float64]:
        """(J,) regular prices."""
        return self.market.regular_prices

    @property
    def unit_costs(self) -> NDArray[np.float64]:
        """(J,) unit costs."""
        return self.market.unit_costs

    @property
    def ledger(self) -> PointsLedger:
        """The points ledger."""
        return self.market.ledger

    @property
    def launch(self) -> BrandLaunch | None:
        """The brand launch, or None."""
        return self.market.launch

    @property
    def recorder(self) -> Recorder:
        """The daily series."""
        return self.market.recorder

    # -- the day ---------------------------------------------------------------
    def step(self) -> None:
        """Simulate one day (see the module docstring for the script)."""
        day = self.steps
        if self.state.chain is not None:
            self.state.chain.new_day()
        if self.state.reach is not None:
            self.state.reach.new_day()
        offers = self.post_offers(day)  # 1
        pull = self.offer_pull(offers)
        shoppers = self.arrive(day, offers, pull)  # 2
        draws = DayDraws.draw(self.rng_dynamics, len(shoppers))
        basket = self.choose(day, shoppers, offers, pull, draws)  # 3
        settled, outcomes = settlement.settle(  # 4
            day,
            basket,
            offers,
            self.market.ledger,
            self.population.state,
            self.market.unit_costs,
            self.cfg.population.loyalty,
            self.features.goal_abandonment,
        )
        if self.state.reach is not None:
            outcomes = self.charge_contacts(outcomes)
        for firm, outcome in zip(self.firms, outcomes, strict=True):
            firm.settle(outcome)
        self.update_customers(day, settled, offers, draws)  # 5
        self.record(day, offers, settled, outcomes)  # 6
        if day >= self.cfg.steps:
            self.running = False

    def post_offers(self, day: int) -> Offers:
        """Step 1: every firm's policy posts today's offer."""
        shelf_prices = self.regular_prices if self.offers is None else self.offers.price
        offers = Offers.collect(
            [
                firm.post_offer(self.observe(day, firm.spec.index, shelf_prices))
                for firm in self.firms
            ]
        )
        reach, pool = self.state.reach, self.population.prospects
        discount = self.market.discount_factor(day)
        if reach is not None and (any(offers.contacts) or reach.offer_contacts.any()):
            offers = outreach.send(reach, self.state, offers, day, discount, self.features.reach)
        if pool is not None and reach is not None and any(offers.prospecting):
            acquire(pool, reach, self.state, offers, day, discount, self.features.acquisition)
        if offers.has_targeting:
            arrival.receive_offers(self.state, self.offers, offers)
        if offers.has_recovery and self.state.chain is not None:
            answered = experience.handle_complaints(
                self.state.chain,
                self.state,
                self.traits,
                offers,
                day,
                self.market.discount_factor(day),
                self.cfg.population.satisfaction.memory,
            )
            if self.service_log is not None:
                for a in answered:
                    self.service_log.add_answers(day, a.firm, a.customers, a.opened, a.compensation)
        self.offers = offers
        return offers

    def charge_contacts(self, outcomes: list[StepOutcome]) -> list[StepOutcome]:
        """The day's outcomes with each firm's contact and acquisition costs, from its margin."""
        day = self.state.reach.day
        cost = day["contact_cost"]
        acquiring = day.get("acquisition_cost", np.zeros(len(cost)))
        return [
            replace(
                o, margin=o.margin - float(c + a), contact_cost=float(c), acquisition_cost=float(a)
            )
            for o, c, a in zip(outcomes, cost, acquiring, strict=True)
        ]

    def observe(self, day: int, j: int, shelf_prices: NDArray[np.float64]) -> MarketObs:
        """What firm j can see at the start of `day` (views, no copies)."""
        st, rec = self.state, self.recorder
        chain, reach = st.chain, st.reach
        survey = None if chain is None else chain.surveys[j]
        return MarketObs(
            day=day,
            firm=j,
            firm_names=self.market.names,
            regular_prices=self.regular_prices,
            shelf_prices=shelf_prices,
            units_sold=rec.firm["units"][: day - 1, j],
            revenue=rec.firm["revenue"][: day - 1, j],
            first_purchase_day=st.first_buy_day[j],
            last_purchase_day=st.last_buy_day[j],
            purchase_count=st.purchases[j],
            spend=st.spend[j],
            points=self.ledger.balance[j],
            complaint_day=None if chain is None else chain.complaint_day[j],
            survey_ids=None if survey is None else survey[0],
            survey_scores=None if survey is None else survey[1],
            channel_names=() if reach is None else reach.channels,
            opted_out=None if reach is None else reach.opted_out[j],
            loyalty=None if self.offers is None else self.offers.loyalty[j],
        )

    def offer_pull(self, offers: Offers) -> NDArray[np.float64]:
        """The day's urgency pull of each firm's offer (`custsim.agents.urgency`), once a day."""
        block = self.cfg.population.urgency
        return urgency.offer_pull(
            offers.days_running,
            offers.deadline,
            offers.stock_limit,
            block.novelty_days,
            block.scarcity_scale,
        )

    def arrive(self, day: int, offers: Offers, pull: NDArray[np.float64]) -> NDArray[np.int64]:
        """Step 2: arrivals enter, win-backs return, offers prompt trips, then the shoppers."""
        pop, streams, pcfg = self.population, self.features, self.cfg.population
        if pop.arrivals is not None:
            pop.arrivals.admit(pop.state, day)
        if offers.has_targeting:
            arrival.win_back(
                pop.state, self.regular_prices, offers, pcfg.winback, day, streams.winback
            )
        if pop.state.reach is not None:
            outreach.prompt(pop.state.reach, pop.state, day)
        arrival.offer_trips(pop.state, pop.traits, pull, day, streams.offer_trips)
        shoppers = arrival.shoppers_today(pop.state, day)
        if any(t is not None and t.tier_thresholds for t in offers.loyalty):
            loyalty.review_tiers(
                self.ledger,
                pop.state,
                ShopperTraits(pop.traits, shoppers),
                day,
                offers,
                pcfg.satisfaction,
            )
        return shoppers

    def shelf_view(
        self, shoppers: NDArray[np.int64], offers: Offers, pull: NDArray[np.float64]
    ) -> ShelfView:
        """What today's `shoppers` face at the shelf (prices, references, traits, offers)."""
        pop = self.population
        return ShelfView(
            traits=ShopperTraits(pop.traits, shoppers),
            taste=pop.state.taste[:, shoppers],
            prices=shelf.personal_prices(offers, self.ledger.tier, shoppers),
            reference=pop.state.reference[:, shoppers],
            offers=offers,
            pull=pull,
            regular_prices=self.regular_prices,
            social_signal=pop.state.social_signal if pop.graph.n_edges else None,
            ledger=self.ledger,
            must_buy=None if pop.arrivals is None else pop.arrivals.must_buy(shoppers),
        )

    def choose(
        self,
        day: int,
        shoppers: NDArray[np.int64],
        offers: Offers,
        pull: NDArray[np.float64],
        draws: DayDraws,
    ) -> Basket:
        """Step 3: logit choice over the brands and the outside option, then quantities."""
        view = self.shelf_view(shoppers, offers, pull)
        stock = aftermath.arrival_stock(self.state, self.traits, shoppers, day)
        return shelf.choose(
            view,
            self.terms,
            stock,
            self.cfg.population.inventory,
            self.launch,
            draws.choice,
            draws.quantity,
            self.workers,
        )

    def update_customers(
        self, day: int, basket: SettledBasket, offers: Offers, draws: DayDraws
    ) -> None:
        """Step 5: references, stock, satisfaction, social signals, history, dropout."""
        pop, pcfg = self.population, self.cfg.population
        seen = encoded_prices(pcfg.framing, basket.prices, offers, self.regular_prices)
        aftermath.update_references_and_stock(pop.state, pop.traits, basket, seen, day)
        chain = pop.state.chain
        if chain is None:
            felt = aftermath.update_satisfaction(pop.state, pop.traits, basket, pcfg.satisfaction)
        else:
            felt = self.live_experience(day, basket)
        if pop.graph.n_edges:
            aftermath.spread_social_signals(
                pop.state, pop.graph, pop.inv_degree, self.cfg.network, day, basket, felt
            )
        discount = self.market.discount_factor(day)
        aftermath.update_history(pop.state, self.unit_costs, discount, day, basket)
        if chain is not None:
            experience.category_satisfaction(pop.state, chain, basket.buyers)
        if pop.state.reach is not None:
            outreach.convert(pop.state.reach, basket, day, self.cfg.market.attribution_days)
        if self.launch is not None:
            self.launch.end_of_day(day, basket)
        who = basket.shoppers
        repeat = pcfg.occasions.dropout == "purchase"
        gone, natural = aftermath.dropout_and_next_occasion(
            pop.state,
            pop.traits,
            day,
            who,
            draws,
            loyalty.PointsAtStake.of(self.ledger, who, offers, self.regular_prices),
            pcfg.loyalty,
            pcfg.occasions,
            aftermath.repeat_buyers(pop.state, basket) if repeat else None,
        )
        if chain is not None:
            causes.record_exits(chain, pop.state, gone, natural)
        reach = pop.state.reach
        if reach is not None and reach.waiting is not None:
            discount = self.market.discount_factor(day)
            outreach.deliver_at_till(reach, pop.state, basket, day, discount, self.features.reach)

    def live_experience(self, day: int, basket: SettledBasket) -> NDArray[np.floating]:
        """The chain's part of step 5: buyers live, feel and voice their purchases; switches.

        Returns the felt experience e per buyer (word of mouth passes it on).
        """
        pop, streams, chain = self.population, self.features, self.state.chain
        lived = experience.live_purchases(
            chain, pop.traits, basket, self.service, streams.quality, streams.service
        )
        experience.feel(chain, basket, lived, self.cfg.population.satisfaction.memory)
        spoke = experience.voice(chain, basket, lived, day, streams.voice)
        if self.service_log is not None:
            opened = chain.complaint_day.reshape(-1)[basket.cells(chain.complaint_day.shape[1])]
            self.service_log.add_incidents(
                day, basket.buyers, basket.brand, lived.failed, spoke, opened
            )
        causes.record_switches(chain, pop.state, basket, self.regular_prices)
        return lived.felt

    def record(
        self, day: int, offers: Offers, basket: SettledBasket, outcomes: list[StepOutcome]
    ) -> None:
        """Step 6: the day's firm and market series, and the customers' points liability.

        `mean_reference_price` is the shoppers' mean reference price; on a day
        without shoppers it carries the last recorded value forward (the
        regular price before any day had shoppers).
        """
        n_firms = len(self.firms)
        buyers = np.bincount(basket.brand, minlength=n_firms)
        margin = np.array([o.margin for o in outcomes])
        chain = self.state.chain
        if chain is not None:
            nps = experience.run_surveys(
                chain, self.state, self.service, day, self.features.surveys
            )
            if self.service_log is not None:
                for j in np.flatnonzero(~np.isnan(nps)):
                    self.service_log.add_survey(day, int(j), *chain.surveys[j])
            margin = margin - chain.day["service_cost"]
            self.recorder.record(day, **experience.day_series(chain, buyers, nps))
        if self.state.reach is not None:
            self.recorder.record(day, **self.state.reach.day)
        self.recorder.record(
            day,
            shelf_price=offers.price,
            regular_price=self.regular_prices,
            promo=offers.promoted,
            units=[o.units for o in outcomes],
            revenue=[o.revenue for o in outcomes],
            margin=margin,
            buyers=buyers,
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
        discount = self.market.discount_factor(day)
        loyalty.value_points(self.state, self.ledger, offers, discount)
        if self.purchase_log is not None:
            self.log_purchases(day, basket)

    def mean_reference(self, day: int, basket: Basket) -> NDArray[np.float64]:
        """Shoppers' mean reference price per firm; yesterday's value (day 1: regular) if none."""
        if len(basket.shoppers):
            return basket.reference.mean(axis=1)
        if day > 1:
            return self.recorder.firm["mean_reference_price"][day - 2]
        return self.regular_prices

    def log_purchases(self, day: int, basket: SettledBasket) -> None:
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
            self._customers[i] = Customer(self, int(i), self.population, self.market)
        return self._customers[i]

    def materialise_customers(self) -> mesa.agent.AgentSet:
        """Create a `Customer` view for every row (small populations) and return them."""
        for i in range(self.state.size):
            self.customer(i)
        return self.agents_by_type[Customer]
