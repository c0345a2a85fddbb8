"""Step 5 of the day, and the loyalty, win-back and bookkeeping steps around it.

How shopping changes customers, and their accounts: purchase history,
rewards, points liability, personal offers received and redeemed.

Every function takes the model and updates its arrays in place through the pure
kernels of `agents/`; the model's `step` calls them in a fixed order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from custsim.agents import churn, loyalty, prospect, reference_price, social, urgency
from custsim.sim.launch import update_launch
from custsim.sim.ledger import DayPoints
from custsim.sim.market import LoyaltyTerms, Offers
from custsim.sim.state import CustomerState
from custsim.sim.utility import encoded_prices

if TYPE_CHECKING:
    from custsim.sim.model import Basket, CustsimModel


def update_customers(
    model: CustsimModel,
    day: int,
    basket: Basket,
    offers: Offers,
    u_dropout: NDArray,
    unit_gaps: NDArray,
) -> None:
    """References, stock, satisfaction, social signals, history, dropout, next occasion."""
    st, tr, who = model.state, model.traits, basket.shoppers
    seen = encoded_prices(model, basket.prices, offers)
    st.reference[:, who] = reference_price.update(basket.reference, seen, tr["memory"][who])
    st.stock[who] = basket.stock
    st.stock[basket.buyers] += basket.quantity
    st.stock_day[who] = day
    felt = update_satisfaction(model, basket)
    if model.graph.n_edges:
        spread_social_signals(model, day, basket, felt)
    update_history(model, day, basket)
    if model.launch is not None:
        update_launch(model, day, basket)
    dropout_and_next_occasion(model, day, who, offers, u_dropout, unit_gaps)


def update_satisfaction(model: CustsimModel, basket: Basket) -> NDArray[np.floating]:
    """Buyers' felt experience e = v((r - p) / r) (+ v(reward / r) on a reward) and satisfaction."""
    st, tr, buyers = model.state, model.traits, basket.buyers
    args = (tr["gain_curvature"][buyers], tr["loss_curvature"][buyers], tr["loss_aversion"][buyers])
    felt = churn.experience(basket.reference_paid, basket.paid, *args)
    if basket.rewards.any():
        felt = felt + prospect.value(basket.rewards / basket.reference_paid, *args)
    st.satisfaction[buyers] = churn.update_satisfaction(
        st.satisfaction[buyers], felt, model.cfg.population.satisfaction_memory
    )
    return felt


def spread_social_signals(model: CustsimModel, day: int, basket: Basket, felt: NDArray) -> None:
    """Decay neighbours' purchase signals, add today's, and pass on word of mouth."""
    st, net, buyers = model.state, model.cfg.network, basket.buyers
    st.social_signal *= 1.0 - net.recency_decay
    src, targets = social.edges_from(model.graph.indptr, model.graph.indices, buyers)
    where = social.cells(basket.brand[src], targets, st.size)
    scale = model.inv_degree[targets]
    last = st.last_buy_day.reshape(-1)[basket.cells(st.size)]
    fresh = social.recency_increment(last, day, net.recency_decay)
    social.add_to_neighbours(st.social_signal, where, fresh[src] * scale)
    talk = felt[src] != 0  # purchases felt as neutral (inside the latitude band) pass nothing on
    if net.wom_strength and talk.any():
        wom = net.wom_strength * felt[src][talk] * scale[talk]
        social.add_to_neighbours(st.taste, where[talk], wom.astype(st.taste.dtype))


def discount_factor(model: CustsimModel, day: float) -> float:
    """Day-0 value of one unit of money on `day`: d_t = (1 + annual discount rate)^(-t / 365)."""
    return (1.0 + model.cfg.market.annual_discount_rate) ** (-day / 365.0)


def update_history(model: CustsimModel, day: int, basket: Basket) -> None:
    """Buyers' purchase history with each firm: units, spend, rewards, discounted margin for CLV."""
    st, buyers, brand, qty = model.state, basket.buyers, basket.brand, basket.quantity
    discount = discount_factor(model, day)
    cell = basket.cells(st.size)  # flat index into the (J, n) arrays
    st.last_buy_day.reshape(-1)[cell] = day
    first = st.first_buy_day.reshape(-1)
    first[cell] = np.minimum(first[cell], day)
    st.purchases.reshape(-1)[cell] += 1
    st.units.reshape(-1)[cell] += qty
    st.spend.reshape(-1)[cell] += qty * basket.paid
    margin = qty * (basket.paid - model.unit_costs[brand]) - basket.rewards
    st.discounted_margin.reshape(-1)[cell] += discount * margin
    if basket.rewards.any():
        st.rewards.reshape(-1)[cell] += basket.rewards
    st.last_brand[buyers] = brand


def value_points(model: CustsimModel, day: int, offers: Offers) -> None:
    """Each customer's points liability L_ij = points_ij x v_j, v_j the firm's point value today.

    Run at the end of every day (step 6), so the liability is the value of the
    points outstanding at the end of the last day simulated, priced like the
    firm's (`CustsimModel.points_liability`); d_T, its discount factor to day
    0, goes with it. Firms without points today are valued once more (at 0) the
    day their programme ends, then left alone.
    """
    st = model.state
    values = offers.point_values
    priced = values > 0
    for j in np.flatnonzero(priced | st.liability_valued):
        np.multiply(model.ledger.balance[j], values[j], out=st.liability[j])
    if priced.any():
        st.liability_discount = discount_factor(model, day)
    st.liability_valued = priced


def receive_offers(state: CustomerState, before: Offers | None, offers: Offers) -> None:
    """Count the personal offers sent today: holders of a personal price who held none yesterday.

    A firm posts every offer still valid each day (`Offer.targeted_ids`), so an
    offer is received on the first day of a run of days holding one.
    """
    for j, (ids, _) in enumerate(offers.targeted):
        if len(ids) == 0:
            continue
        held = before.targeted[j][0] if before is not None else ids[:0]
        new = ids[~np.isin(ids, held, assume_unique=True)]
        state.offers_received[new] += 1
        state.firm_offers_sent[j] += len(new)


def redeem_offers(
    model: CustsimModel, j: int, basket: Basket, mine: NDArray[np.int64], offers: Offers
) -> None:
    """Firm j's buyers who paid its personal price (below the shelf price) redeemed an offer.

    The discount cost is (shelf price - price paid) x units on those purchases:
    money given away, already inside spend (which is at the price paid), so
    it is reported beside the margin, never taken from it again.
    """
    ids, personal = offers.targeted[j]
    if len(ids) == 0 or len(mine) == 0:
        return
    buyers = basket.buyers[mine]
    pos = np.minimum(np.searchsorted(ids, buyers), len(ids) - 1)
    used = (ids[pos] == buyers) & (personal[pos] < offers.price[j])
    st = model.state
    st.offers_redeemed[buyers[used]] += 1
    st.firm_offers_redeemed[j] += int(used.sum())
    cut = (offers.price[j] - basket.paid[mine][used]) * basket.quantity[mine][used]
    st.firm_discount_cost[j] += float(cut.sum())


def dropout_and_next_occasion(
    model: CustsimModel,
    day: int,
    who: NDArray[np.int64],
    offers: Offers,
    u_dropout: NDArray,
    unit_gaps: NDArray,
) -> None:
    """BG/NBD-style dropout after the occasion (eased by points at stake); stayers draw the next.

    The next occasion follows after an exponential gap at the occasion rate
    (exactly 1 / rate with `population.occasion_timing = regular`: a contract
    renewed every period), raised by the goal gradient for members with
    visible progress.
    """
    st, tr = model.state, model.traits
    hazard = churn.dropout_probability(
        tr["dropout"][who], st.satisfaction[who], tr["dissatisfaction_churn"][who]
    )
    programmes = [(j, t) for j, t in enumerate(offers.loyalty) if t is not None and t.earns_points]
    held = {j: model.ledger.balance[j, who] for j, _ in programmes}
    if programmes:
        stake = sum(held[j] * t.point_value for j, t in programmes)
        hazard = hazard / loyalty.switching_cost_factor(
            stake * tr["points_value"][who],
            tr["loss_aversion"][who],
            model.cfg.population.switching_cost_weight,
            float(model.regular_prices.mean()),
        )
    leave = u_dropout < hazard
    gone, stay = who[leave], who[~leave]
    st.active[gone] = False
    model.n_active -= len(gone)
    st.next_occasion[gone] = np.inf
    st.churn_day[gone] = day
    rate = tr["occasion_rate"][stay]
    visible = [(j, t) for j, t in programmes if t.progress_visible]
    if visible:
        progress = np.max([held[j][~leave] / t.threshold for j, t in visible], axis=0)
        rate = loyalty.goal_gradient_rate(rate, progress, tr["goal_gradient"][stay])
    gap = (1.0 if model.cfg.population.occasion_timing == "regular" else unit_gaps[~leave]) / rate
    st.next_occasion[stay] = np.maximum(st.next_occasion[stay] + gap, day)


def settle_points(
    model: CustsimModel,
    day: int,
    j: int,
    basket: Basket,
    mine: NDArray[np.int64],
    spend: NDArray,
    terms: LoyaltyTerms | None,
) -> DayPoints:
    """Firm j's loyalty flows today: points, rewards (into the basket), expiry, tiers."""
    if terms is None:
        return DayPoints()
    buyers = basket.buyers[mine]
    rewards, flows = model.ledger.settle(day, j, buyers, spend[mine], terms)
    basket.rewards[mine] = rewards
    flows.expired = model.ledger.expire(day, j, terms) + abandon_goal(model, j, basket, mine, terms)
    if terms.tier_thresholds:
        model.ledger.update_tiers(
            day,
            j,
            buyers,
            spend[mine],
            terms.tier_window_days,
            terms.tier_thresholds,
        )
    return flows


def abandon_goal(
    model: CustsimModel, j: int, basket: Basket, mine: NDArray[np.int64], terms: LoyaltyTerms
) -> float:
    """Shoppers who earn nothing with firm j today give up collecting with P = q (1 - g).

    g = balance / threshold is the progress they see (0 when progress is hidden),
    q is `population.goal_abandonment`; their points lapse. Returns the points lost.
    """
    rate = model.cfg.population.goal_abandonment
    if rate <= 0 or not terms.earns_points:
        return 0.0
    earned = np.zeros(len(basket.shoppers), dtype=bool)
    earned[basket.at[mine]] = True
    idle = basket.shoppers[~earned]
    holders = idle[model.ledger.balance[j, idle] > 0]
    progress = model.ledger.balance[j, holders] / terms.threshold if terms.progress_visible else 0.0
    chance = loyalty.abandonment_probability(progress, rate)
    give_up = holders[model.rng_dynamics.random(len(holders)) < chance]
    return model.ledger.forfeit(j, give_up, terms)


def review_tiers(
    model: CustsimModel, day: int, shoppers: NDArray[np.int64], offers: Offers
) -> None:
    """Shoppers learn their current tier; a demotion is felt as a loss (lambda) in satisfaction."""
    st, tr = model.state, model.traits
    for j, terms in enumerate(offers.loyalty):
        if terms is None or not terms.tier_thresholds:
            continue
        old = model.ledger.tier[j, shoppers]
        change = model.ledger.update_tiers(
            day, j, shoppers, 0.0, terms.tier_window_days, terms.tier_thresholds
        )
        down = np.flatnonzero(change < 0)
        if len(down) == 0:
            continue
        benefit = np.array((0.0, *terms.tier_discounts))
        lost = benefit[old[down]] - benefit[old[down] + change[down]]
        who = shoppers[down]
        felt = prospect.value(
            -lost, tr["gain_curvature"][who], tr["loss_curvature"][who], tr["loss_aversion"][who]
        )
        st.satisfaction[who] = churn.update_satisfaction(
            st.satisfaction[who], felt, model.cfg.population.satisfaction_memory
        )


def win_back(model: CustsimModel, day: int, offers: Offers) -> None:
    """Lapsed customers holding a personal offer come back with P = 1 - exp(-k * saving).

    The saving is relative to the firm's regular price; k is
    `population.winback_response`. A returning customer shops today.
    """
    st = model.state
    for j, (ids, personal) in enumerate(offers.targeted):
        lapsed = ~st.active[ids]
        if not lapsed.any():
            continue
        who = ids[lapsed]
        saving = np.maximum(1.0 - personal[lapsed] / model.regular_prices[j], 0.0)
        chance = churn.reactivation_probability(saving, model.cfg.population.winback_response)
        back = who[model.rng_dynamics.random(len(who)) < chance]
        st.active[back] = True
        model.n_active += len(back)
        st.churn_day[back] = -1
        st.satisfaction[back] = 0.0
        st.next_occasion[back] = day - 0.5


def offer_trips(model: CustsimModel, day: int, offers: Offers) -> None:
    """A fresh or expiring offer prompts extra shopping trips.

    On a day when some firm's offer pulls with strength P (novelty at the drop,
    a visible deadline, scarcity: `custsim.agents.urgency.offer_pull`), an active
    customer who had no occasion today makes one with probability
    1 - exp(-mu_i u_i P): the occasion rate scaled by the customer's urgency.
    """
    pull = urgency.offer_pull(
        offers.days_running, offers.deadline, offers.stock_limit, model.cfg.population.novelty_days
    )
    strongest = float(pull.max(initial=0.0))
    if strongest <= 0:
        return
    st, tr = model.state, model.traits
    idle = np.flatnonzero(st.next_occasion >= day)  # churned customers wait at inf
    idle = idle[np.isfinite(st.next_occasion[idle])]
    chance = 1.0 - np.exp(-tr["occasion_rate"][idle] * tr["urgency"][idle] * strongest)
    go = idle[model.rng_dynamics.random(len(idle)) < chance]
    st.next_occasion[go] = day - 0.5
