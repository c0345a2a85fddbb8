"""What a shopper perceives at the shelf and how it values each brand.

    V_ij = a_ij - b_i p_ij + b_i eta_i v(x_ij) + d_i deal_ij + w_i S_ij
           + u_i pull_j + V_points_ij

- x_ij: the gain of the perceived price against the (anchored) reference,
  outside the latitude band (`custsim.agents.reference_price`, `custsim.agents.framing`);
- v: the prospect-theory value function (`custsim.agents.prospect`);
- deal_ij: the firm advertises a deal, or i holds a personal offer below shelf;
- S_ij: neighbours' recent purchases (`custsim.agents.social`);
- pull_j: novelty, countdown and scarcity of a running offer (`custsim.agents.urgency`);
- V_points_ij: the value of the loyalty points the purchase earns, plus the
  goal-gradient pull of visible progress towards the reward (`custsim.agents.loyalty`).

Every term is skipped when no firm uses the feature that day, so plain runs pay
nothing for features they do not use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from custsim.agents import framing, loyalty, prospect, reference_price, urgency
from custsim.sim.market import Offers

if TYPE_CHECKING:
    from custsim.agents.population import Traits
    from custsim.sim.model import CustsimModel

POINTS_TRAITS = (
    "price_sensitivity",
    "points_value",
    "present_bias",
    "occasion_rate",
    "log_survival",
    "loss_aversion",
)


def discount_basis(offers: Offers, regular: NDArray[np.float64]) -> NDArray[np.float64]:
    """Price a discount is read against, per firm: the shown list price, else the regular one."""
    return np.where(np.isnan(offers.list_price), regular, offers.list_price)


def frame_constants(model: CustsimModel, offers: Offers, table: str) -> NDArray[np.float64]:
    """Per firm, the frame's entry of population.framing.<table> (0 for 'encoding' if absent)."""
    values = getattr(model.cfg.population.framing, table)
    default = 0.0 if table == "encoding" else 1.0
    return np.array([values.get(f, default) for f in offers.frame])


def seen_prices(model: CustsimModel, prices: NDArray, offers: Offers) -> NDArray:
    """Prices as the frames make them look (unchanged where no discount is framed)."""
    if all(f == "none" for f in offers.frame):
        return prices
    basis = discount_basis(offers, model.regular_prices)
    phi = model.cfg.population.framing.numerosity
    constants = dict(model.cfg.population.framing.perceived)
    mult = framing.perceived_multiplier(offers.frame, basis, phi, constants)
    return framing.perceived_price(prices, basis[:, None], mult[:, None])


class ShopperTraits:
    """The traits of today's shoppers, each gathered from the population once, on first use."""

    def __init__(self, traits: Traits, who: NDArray[np.int64]) -> None:
        self.traits, self.who = traits, who
        self.cache: dict[str, NDArray] = {}

    def __getitem__(self, name: str) -> NDArray:
        if name not in self.cache:
            self.cache[name] = self.traits[name][self.who]
        return self.cache[name]


def reference_gain_utility(
    model: CustsimModel, tr: ShopperTraits, prices: NDArray, ref: NDArray, offers: Offers
) -> NDArray:
    """b_i eta_i v(x_ij): the felt gain or loss of the perceived price against the reference."""
    if not np.isnan(offers.list_price).all():
        ref = framing.anchored_reference(ref, offers.list_price[:, None], tr["anchoring"])
    gain = reference_price.perceived_gain(ref, seen_prices(model, prices, offers), tr["latitude"])
    felt = prospect.value(gain, tr["gain_curvature"], tr["loss_curvature"], tr["loss_aversion"])
    return tr["price_sensitivity"] * tr["reference_weight"] * felt


def points_term(
    model: CustsimModel, j: int, tr: ShopperTraits, prices_j: NDArray, offers: Offers
) -> NDArray:
    """V_points, plus V_goal where progress is visible, of firm j's programme for the shoppers."""
    terms = offers.loyalty[j]
    earn = loyalty.points_earned(
        prices_j, 1.0, terms.points_per_currency, terms.points_per_purchase, terms.multiplier
    )
    balance = model.ledger.effective_balance(j, tr.who, terms)
    # an earned point is worth R / points_to_earn: free stamps on every card make each bought one
    # worth more (R / (T - I)), so equivalent cards are valued alike (Nunes & Dreze 2006)
    value = loyalty.points_utility(
        earn,
        balance,
        terms.threshold,
        terms.reward_value * terms.threshold / terms.points_to_earn,
        terms.expiry_days,
        {t: tr[t] for t in POINTS_TRAITS},
        model.daily_discount,
        terms.message == "loss",
    )
    if terms.progress_visible:
        reward = tr["price_sensitivity"] * tr["points_value"] * terms.reward_value
        value += loyalty.goal_pull(balance / terms.threshold, tr["goal_gradient"], reward)
    return value


def brand_utility(
    model: CustsimModel, who: NDArray[np.int64], prices: NDArray, ref: NDArray, offers: Offers
) -> NDArray[np.floating]:
    """V_ij of the module docstring, shape (J, len(who))."""
    tr, st = ShopperTraits(model.traits, who), model.state
    utility = st.taste[:, who] - tr["price_sensitivity"] * prices
    utility += reference_gain_utility(model, tr, prices, ref, offers)
    deal = offers.promoted[:, None] | (prices < offers.price[:, None])
    if deal.any():
        utility += deal * tr["deal_proneness"]
    if model.graph.n_edges:
        utility += tr["social_weight"] * st.social_signal[:, who]
    pull = urgency.offer_pull(
        offers.days_running, offers.deadline, offers.stock_limit, model.cfg.population.novelty_days
    )
    if pull.any():
        utility += np.outer(pull, tr["urgency"])
    for j, terms in enumerate(offers.loyalty):
        if terms is not None and terms.earns_points:
            utility[j] += points_term(model, j, tr, prices[j], offers)
    return utility


def encoded_prices(model: CustsimModel, prices: NDArray, offers: Offers) -> NDArray:
    """Prices entering reference memory: framed cuts are partly kept out (agents.framing)."""
    if all(f == "none" for f in offers.frame):
        return prices
    basis = discount_basis(offers, model.regular_prices)
    encoding = frame_constants(model, offers, "encoding")
    return framing.encoded_price(prices, basis[:, None], encoding[:, None])
