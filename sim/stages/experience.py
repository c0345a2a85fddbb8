"""The experience chain through the day: what buyers live through, feel, voice; recovery; surveys.

Every function names the `ChainState` (and `CustomerState`) arrays it writes; the
equations are `custsim.agents.experience`'s. The day's order (`custsim.sim.model`):
answered complaints in the morning (`handle_complaints`), then at the aftermath the
buyers' purchases are lived (`live_purchases`), felt (`feel`) and voiced (`voice`),
their category satisfaction set (`category_satisfaction`), and at the end of the day
the firms that survey do (`run_surveys`) and the day's series are read (`day_series`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from custsim.agents import experience as xp
from custsim.agents import prospect
from custsim.agents.population import Traits
from custsim.sim.basket import SettledBasket
from custsim.sim.chain import ChainState
from custsim.sim.config import FirmConfig
from custsim.sim.gather import columns
from custsim.sim.market import Offers
from custsim.sim.stages.terms import ShelfView
from custsim.sim.state import CustomerState


@dataclass(frozen=True)
class FirmService:
    """The firms' service facts as arrays over firms (`market.firms.<j>.service` and `.survey`)."""

    quality: NDArray[np.float64]  # Q_j
    quality_sd: NDArray[np.float64]  # sigma_j
    failure_rate: NDArray[np.float64]
    failure_severity: NDArray[np.float64]  # s_j
    survey_every: NDArray[np.int64]  # days; 0: no survey
    survey_sample: NDArray[np.int64]

    @classmethod
    def of(cls, firms: dict[str, FirmConfig]) -> FirmService:
        """From the market's firms, in firm order."""
        f = list(firms.values())
        return cls(
            quality=np.array([x.quality for x in f], dtype=float),
            quality_sd=np.array([x.service.quality_sd for x in f], dtype=float),
            failure_rate=np.array([x.service.failure_rate for x in f], dtype=float),
            failure_severity=np.array([x.service.failure_severity for x in f], dtype=float),
            survey_every=np.array([x.survey.every for x in f], dtype=np.int64),
            survey_sample=np.array([x.survey.sample for x in f], dtype=np.int64),
        )


@dataclass(frozen=True)
class ChainTerm:
    """w_S S_ij + w_T (T_ij - T_0) + w_H H_ij: the chain's part of the utility (`pull`)."""

    chain: ChainState
    name: str = "experience"

    def __call__(self, shelf: ShelfView) -> NDArray[np.floating]:
        """(J, m) the shoppers' chain pull."""
        return columns(self.chain.pull, shelf.who)


@dataclass(frozen=True)
class Lived:
    """What today's buyers lived through: felt experience e and whether the service failed."""

    felt: NDArray[np.floating]  # (b,) e per buyer
    failed: NDArray[np.bool_]  # (b,)


@dataclass(frozen=True)
class Answered:
    """The complaints firm `firm` answered today: who, the day each was made, what was paid."""

    firm: int
    customers: NDArray[np.int64]
    opened: NDArray[np.int32]
    compensation: NDArray[np.float64]


def live_purchases(
    chain: ChainState,
    traits: Traits,
    basket: SettledBasket,
    service: FirmService,
    quality_rng: np.random.Generator,
    service_rng: np.random.Generator,
) -> Lived:
    """Each buyer's experience e (price, quality, service; a reward as a gain).

    Draws a standard normal per buyer (quality) when some firm's quality varies and a
    uniform per buyer (failure) when some firm's service can fail, each from its own
    stream. Writes the buyers' `expected_quality` (learned towards what they got) and
    `grievance` with the brand (the worst dimension of a bad purchase, e < 0).
    """
    buyers, brand, n = basket.buyers, basket.brand, chain.satisfaction.shape[1]
    b = traits["price_sensitivity"][buyers]
    args = (
        traits["gain_curvature"][buyers],
        traits["loss_curvature"][buyers],
        traits["loss_aversion"][buyers],
    )
    quality = service.quality[brand]
    if service.quality_sd.any():
        quality = quality + service.quality_sd[brand] * quality_rng.standard_normal(len(buyers))
    cell = basket.cells(n)
    expected = chain.expected_quality.reshape(-1)
    held = expected[cell]
    gap = quality - held
    expected[cell] = xp.learn_expectation(held, quality, chain.cfg.quality_memory)
    failed = np.zeros(len(buyers), dtype=bool)
    if service.failure_rate.any():
        failed = service_rng.random(len(buyers)) < service.failure_rate[brand]
    loss = np.where(failed, service.failure_severity[brand], 0.0)
    price_gain = b * (basket.reference_paid - basket.paid)
    dims = xp.felt_dimensions(price_gain, gap, loss, *args)
    felt = dims.sum(axis=0)
    if basket.rewards.any():
        felt = felt + prospect.value(b * basket.rewards, *args)
    bad = felt < 0
    chain.grievance.reshape(-1)[cell[bad]] = xp.grievance(dims[:, bad])
    return Lived(felt.astype(chain.satisfaction.dtype), failed)


def feel(chain: ChainState, basket: SettledBasket, lived: Lived, memory: float) -> None:
    """The buyers' satisfaction and trust with the brand bought, their habits, their pull.

    Writes `satisfaction`, `trust` (the brand bought), `habit` (every brand: the one
    bought rises, the others fade; kept when `habit_weight` or `voice_loyalty` > 0),
    `pull` (by the changes: w_S dS + w_T dT + w_H dH), and the day's felt experience and service
    failures per firm. `memory` is rho (`population.satisfaction.memory`).
    """
    cfg, buyers, brand = chain.cfg, basket.buyers, basket.brand
    n_firms, n = chain.satisfaction.shape
    cell = basket.cells(n)
    sat, trust = chain.satisfaction.reshape(-1), chain.trust.reshape(-1)
    held, was = trust[cell], sat[cell]
    # the values as stored (in the state's dtype), kept so nothing is gathered twice
    now_s = xp.update_satisfaction(was, lived.felt, held, memory, cfg.tolerance)
    now_s = now_s.astype(sat.dtype, copy=False)
    now_t = xp.update_trust(held, lived.felt, cfg.trust_gain, cfg.trust_loss)
    now_t = now_t.astype(trust.dtype, copy=False)
    sat[cell], trust[cell] = now_s, now_t
    pull = chain.pull.reshape(-1)  # moved by the changes (`ChainState.pull` is linear in them)
    pull[cell] += cfg.satisfaction_weight * (now_s - was) + cfg.trust_weight * (now_t - held)
    if cfg.habit_weight or cfg.voice_loyalty:  # the brand bought rises, the others fade
        for j in range(n_firms):  # row by row: 1-D gathers of the firm-major rows are cheaper
            habit, pull_j = chain.habit[j], chain.pull[j]
            was_h = habit[buyers]
            moved = xp.update_habit(was_h, brand == j, cfg.habit_carryover)
            habit[buyers] = moved
            pull_j[buyers] += cfg.habit_weight * (moved - was_h)
    chain.experience_sum += np.bincount(brand, weights=lived.felt, minlength=n_firms)
    chain.satisfaction_sum += np.bincount(brand, weights=now_s, minlength=n_firms)
    chain.trust_sum += np.bincount(brand, weights=now_t, minlength=n_firms)
    if lived.failed.any():
        chain.day["service_failures"] += np.bincount(brand[lived.failed], minlength=n_firms)


def voice(
    chain: ChainState, basket: SettledBasket, lived: Lived, day: int, rng: np.random.Generator
) -> NDArray[np.bool_]:
    """Buyers who felt a loss complain to the firm, P = 1 - exp(-k (1 + l_v H) L), a uniform each.

    H is the buyer's habit with the brand after the purchase
    (`custsim.agents.experience.complaint_probability`). Writes `complaint_day` (a new
    complaint opens where none is open), `complaints` and the day's complaints per
    firm. Returns who complained, per buyer.
    """
    cfg, (n_firms, n) = chain.cfg, chain.satisfaction.shape
    habit = chain.habit.reshape(-1)[basket.cells(n)] if cfg.voice_loyalty else 0.0
    chance = xp.complaint_probability(
        lived.felt, cfg.complaint_propensity, habit, cfg.voice_loyalty
    )
    speak = rng.random(len(chance)) < chance
    if not speak.any():
        return speak
    who, brand = basket.buyers[speak], basket.brand[speak]
    opened = chain.complaint_day.reshape(-1)
    cell = brand * n + who
    opened[cell[opened[cell] < 0]] = day
    chain.complaints[who] += 1
    chain.day["complaints"] += np.bincount(brand, minlength=n_firms)
    return speak


def handle_complaints(
    chain: ChainState,
    state: CustomerState,
    traits: Traits,
    offers: Offers,
    day: int,
    discount: float,
    memory: float,
) -> list[Answered]:
    """Firms answer open complaints: the answer is felt, paid for, and the complaint closed.

    For each firm's `Offer.handled_ids` with a complaint open, the answer is an
    experience v(b C) + h 2^(-wait / half-life) (`custsim.agents.experience.recovery_experience`)
    moving satisfaction and trust like a purchase. The compensation C and the handling
    cost are the firm's: written to `service_cost` and `state.discounted_margin`
    (at today's `discount`), and to the day's counts. Ids without an open complaint
    are ignored (and cost nothing). Returns the complaints answered, per firm answering.
    """
    cfg = chain.cfg
    answered = []
    for j, (ids, compensation, cost) in enumerate(offers.recovery):
        if not len(ids):
            continue
        since = chain.complaint_day[j, ids]
        open_ = since >= 0
        who, paid_out = ids[open_], compensation[open_]
        if not len(who):
            continue
        felt = xp.recovery_experience(
            traits["price_sensitivity"][who] * paid_out,
            cfg.recovery_value,
            day - since[open_],
            cfg.recovery_half_life,
            traits["gain_curvature"][who],
            traits["loss_curvature"][who],
            traits["loss_aversion"][who],
        )
        feel_with_firm(chain, j, who, felt, memory)
        chain.complaint_day[j, who] = -1
        paid = paid_out + cost
        chain.service_cost[j, who] += paid
        state.discounted_margin[j, who] -= discount * paid
        chain.day["complaints_handled"][j] += len(who)
        chain.day["service_cost"][j] += paid.sum()
        category_satisfaction(state, chain, who)
        answered.append(Answered(j, who, since[open_], paid_out))
    return answered


def feel_with_firm(
    chain: ChainState, j: int, who: NDArray[np.int64], felt: NDArray, memory: float
) -> None:
    """An experience `felt` with firm j outside a purchase moves S_ij and T_ij like one.

    (A complaint answered, a tier lost.) Writes `satisfaction[j, who]`, `trust[j, who]`
    and the customers' `pull`; `memory` is rho.
    """
    cfg = chain.cfg
    held = chain.trust[j, who]
    chain.satisfaction[j, who] = xp.update_satisfaction(
        chain.satisfaction[j, who], felt, held, memory, cfg.tolerance
    )
    chain.trust[j, who] = xp.update_trust(held, felt, cfg.trust_gain, cfg.trust_loss)
    chain.refresh_pull(who)


def category_satisfaction(state: CustomerState, chain: ChainState, who: NDArray[np.int64]) -> None:
    """`state.satisfaction` of `who`: the best S_ij among the firms each has bought from.

    Dropout reads it: a customer unhappy with one firm but content with another
    switches rather than leaves; one with no firm left to like leaves. Customers
    who have bought nothing keep theirs.
    """
    best = np.full(len(who), -np.inf, dtype=chain.satisfaction.dtype)
    some = np.zeros(len(who), dtype=bool)
    for j in range(len(chain.satisfaction)):  # row by row (firm-major rows)
        tried = state.purchases[j][who] > 0
        best = np.where(tried, np.maximum(best, chain.satisfaction[j][who]), best)
        some |= tried
    state.satisfaction[who[some]] = best[some]


def run_surveys(
    chain: ChainState,
    state: CustomerState,
    service: FirmService,
    day: int,
    rng: np.random.Generator,
) -> NDArray[np.float64]:
    """Firms due a survey today ask a random sample of their customers; (J,) NPS, NaN if none.

    A firm surveys on the days divisible by its `survey.every`, among the customers
    who ever bought from it (its customer list: it cannot tell who has left), at most
    `survey.sample` of them; each answers round(m + c S_ij + noise) in 0..10. Writes
    `chain.surveys[j]` (ids sorted, scores), which the firm observes from tomorrow.
    """
    cfg = chain.cfg
    nps = np.full(len(service.survey_every), np.nan)
    for j in np.flatnonzero(service.survey_every > 0):
        if day % service.survey_every[j]:
            continue
        listed = np.flatnonzero(state.purchases[j] > 0)
        k = min(int(service.survey_sample[j]), len(listed))
        ids = np.sort(rng.choice(listed, size=k, replace=False))
        noise = rng.normal(0.0, cfg.survey_noise, size=k)
        scores = xp.likelihood_to_recommend(
            chain.satisfaction[j, ids], cfg.survey_midpoint, cfg.survey_scale, noise
        )
        chain.surveys[j] = (ids, scores)
        nps[j] = xp.net_promoter_score(scores)
    return nps


def day_series(
    chain: ChainState, buyers_per_firm: NDArray[np.int64], nps: NDArray
) -> dict[str, NDArray[np.float64]]:
    """The day's chain series per firm (`custsim.sim.chain.CHAIN_SERIES`).

    Means over the day's buyers of the brand (NaN without any): `experience` the felt
    e of their purchase, `satisfaction` and `trust` theirs with the brand after it (a
    daily sample of the firm's customers, as `mean_reference_price` is of the
    shoppers); `nps` the day's survey (NaN on other days); the day's counts
    (`custsim.sim.chain.DAY_COUNTS`).
    """

    def mean(total: NDArray[np.float64]) -> NDArray[np.float64]:
        out = np.full(len(total), np.nan)
        return np.divide(total, buyers_per_firm, out=out, where=buyers_per_firm > 0)

    return {
        "experience": mean(chain.experience_sum),
        "satisfaction": mean(chain.satisfaction_sum),
        "trust": mean(chain.trust_sum),
        "nps": nps,
        **chain.day,
    }
