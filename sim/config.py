"""Structured configuration: the schema behind every Hydra config.

Hydra composes `conf/` onto these dataclasses (registered in the ConfigStore), so
a wrong type fails at composition. Ranges are declared next to each field
(`bounded`, `one_of`: `custsim.sim.rules`) and checked by
`custsim.sim.validation.validate` before anything runs, with the keys no schema
declares, the firms' policies (`custsim.sim.policy_config`), the network each
generator can build (`custsim.sim.network`) and the memory a run needs
(`custsim.sim.memory`); each failure is one line: the full key, the value and
what is allowed.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, make_dataclass
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING

from custsim.agents.inventory import FULL_STOCKPILE_DEPTH
from custsim.agents.population import FAMILIES
from custsim.agents.prospect import TK92_GAMMA_GAINS
from custsim.agents.urgency import SCARCITY_SCALE
from custsim.sim.rules import (
    MAX_DAYS,
    MAX_INT64,
    MAX_MONEY,
    Rule,
    bounded,
    days,
    one_of,
    policy_field,
)

__all__ = ["ConfigError", "Rule", "bounded", "days", "one_of"]


class ConfigError(ValueError):
    """A configuration value outside what is allowed (message: key=value: rule)."""


POSITIVE = Rule(lo=0.0, lo_open=True, cap=100.0)
PER_DAY = Rule(lo=0.0, lo_open=True, cap=10.0)  # a daily rate: at most 10 a day
NON_NEGATIVE = Rule(lo=0.0, cap=100.0)
UNIT_INTERVAL = Rule(lo=0.0, hi=1.0)


@dataclass
class Dist:
    """A trait's distribution over a segment's customers: mean and standard deviation.

    The family (gamma, beta, lognormal or constant) is declared on the trait's field
    (`trait`); sd = 0 gives every customer exactly the mean.
    """

    mean: float = 0.0
    sd: float = 0.0


def trait(
    family: str, mean: float, sd: float, rule: Rule, doc: str, *, record: bool = False
) -> Any:
    """A trait field: its family, default mean and sd, the mean's range and what it is.

    The sd must be in [0, the mean's upper limit]; a beta trait's sd also obeys
    sd^2 < mean (1 - mean) (`custsim.agents.population.family_problem`). `record`:
    written to customers.parquet. The field's metadata is all the sampler, the
    validator and the results writer read (`custsim.sim.traits`).
    """
    if family not in FAMILIES or family == "constant":
        raise ValueError(f"family={family!r}: must be one of: {', '.join(FAMILIES[:-1])}")
    top = rule.hi if rule.hi is not None else rule.cap
    meta = {"rule": rule, "sd_rule": Rule(lo=0.0, cap=top), "family": family, "doc": doc}
    return field(default_factory=lambda: Dist(mean, sd), metadata=meta | {"record": record})


def constant_trait(value: float, rule: Rule, doc: str) -> Any:
    """A trait with the same value for every customer of a segment (family "constant")."""
    meta = {"rule": rule, "family": "constant", "doc": doc, "record": False}
    return field(default=value, metadata=meta)


@dataclass
class SegmentConfig:
    """One customer segment (persona): its share and the distributions of its traits.

    Every field made by `trait` or `constant_trait` is a trait; `taste_sd` is the sd
    of the normal brand tastes a_ij around each firm's quality.
    """

    share: float = bounded(0.25, 0.0, 1.0)
    occasion_rate: Dist = trait(
        "gamma", 0.15, 0.05, PER_DAY, "mu_i: occasions a day (NBD, Ehrenberg 1959)", record=True
    )
    dropout: Dist = trait(
        "beta", 0.003, 0.002, Rule(0.0, 1.0, hi_open=True), "p_i: per occasion (BG)", record=True
    )
    price_sensitivity: Dist = trait(
        "lognormal", 0.45, 0.1, POSITIVE, "b_i: utility per currency unit of price", record=True
    )
    taste_sd: float = bounded(0.5, 0.0, cap=100.0)  # sd of brand tastes a_ij around firm quality
    loss_aversion: Dist = trait(
        "lognormal", 2.25, 0.5, NON_NEGATIVE, "lambda_i: loss aversion (T&K 1992)", record=True
    )
    gain_curvature: float = constant_trait(0.88, Rule(0.0, 1.0, lo_open=True), "alpha (T&K 1992)")
    loss_curvature: float = constant_trait(0.88, Rule(0.0, 1.0, lo_open=True), "beta (T&K 1992)")
    reference_weight: Dist = trait(
        "lognormal", 0.4, 0.15, NON_NEGATIVE, "eta_i: weight of the reference gain", record=True
    )
    memory: Dist = trait(
        "beta", 0.2, 0.05, UNIT_INTERVAL, "theta_i (Briesch et al. 1997)", record=True
    )
    latitude: float = constant_trait(0.02, Rule(0.0, 1.0), "L: neutral band, fraction of r")
    social_weight: Dist = trait(
        "lognormal", 0.5, 0.2, NON_NEGATIVE, "w_i: neighbours' pull", record=True
    )
    deal_proneness: Dist = trait("lognormal", 0.05, 0.03, NON_NEGATIVE, "d_i: a visible deal")
    stockpiling: Dist = trait("beta", 0.15, 0.1, UNIT_INTERVAL, "sigma_i: spare storage filled")
    consumption: Dist = trait("gamma", 0.07, 0.02, POSITIVE, "c_i: units consumed per day")
    dissatisfaction_churn: float = constant_trait(
        2.0, Rule(lo=0.0, cap=100.0), "kappa: dropout hazard multiplier per unit"
    )
    points_value: Dist = trait("beta", 0.8, 0.1, UNIT_INTERVAL, "m_i: a point's worth vs cash")
    present_bias: Dist = trait("beta", 0.7, 0.1, UNIT_INTERVAL, "beta_i of beta-delta")
    goal_gradient: Dist = trait(
        "lognormal", 0.25, 0.08, NON_NEGATIVE, "gamma_i: pull at full progress (Kivetz 2006)"
    )
    urgency: Dist = trait("lognormal", 0.3, 0.1, NON_NEGATIVE, "u_i: novelty, deadlines, scarcity")
    anchoring: Dist = trait("beta", 0.3, 0.1, UNIT_INTERVAL, "a_i: weight of a shown list price")


#: SegmentConfig's traits, in declaration order
TRAIT_FIELDS = tuple(f for f in fields(SegmentConfig) if "family" in f.metadata)


@dataclass
class TraitOverride:
    """A trait's mean and/or sd for every segment at once (None: each segment's own)."""

    mean: float | None = None
    sd: float | None = None


#: `population.traits`: one `TraitOverride` per trait, with the trait's ranges
PopulationTraits = make_dataclass(
    "PopulationTraits",
    [
        (f.name, TraitOverride, field(default_factory=TraitOverride, metadata=f.metadata))
        for f in TRAIT_FIELDS
    ],
)
PopulationTraits.__doc__ = "Population-wide trait values: `population.traits.<trait>.mean|sd`."


@dataclass
class FramingConfig:
    """`population.framing`: how customers read discount frames (`custsim.agents.framing`)."""

    numerosity: float = bounded(0.1, 0.0, 1.0)  # phi
    perceived: dict[str, float] = field(
        default_factory=lambda: {"pay_percent": 1.1, "bonus_pack": 1.1}
    )  # c_f, 1 where absent
    encoding: dict[str, float] = field(
        default_factory=lambda: {
            "none": 0.0,
            "percent_off": 0.4,
            "amount_off": 0.15,
            "was_now": 0.5,
            "pay_percent": 0.4,
            "bonus_pack": 0.8,
        }
    )  # e_f: share of a framed cut kept out of reference memory


@dataclass
class OccasionsConfig:
    """`population.occasions`: how shopping occasions are spaced (`custsim.sim.stages.aftermath`).

    `timing`: gaps between a customer's occasions are exponential at its rate mu_i
    (`poisson`: the NBD of Ehrenberg 1959) or exactly 1 / mu_i (`regular`: a
    contract renewed every period, `population=subscribers`). `dropout`: when a
    customer may leave with its p_i: after every occasion (`occasion`), or only after
    a repeat purchase (`purchase`: the BG/NBD's assumption, Fader, Hardie & Lee 2005:
    the first purchase never ends a customer's life, an occasion without a purchase
    neither).
    """

    timing: str = one_of("poisson", "poisson", "regular")
    dropout: str = one_of("occasion", "occasion", "purchase")


@dataclass
class InventoryConfig:
    """`population.inventory`: stock at home and stockpiling (`custsim.agents.inventory`).

    The outside option is worth `outside_weight` (kappa_I) per week of supply at home;
    a deal of relative depth d fills min(1, sigma_i d / `full_stockpile_depth`) of the
    spare storage `capacity` - stock - 1 (Blattberg, Eppen & Lieberman 1981); day-0
    stock is uniform on [0, 2 `initial_days` c_i].
    """

    capacity: float = bounded(4.0, 1.0, cap=1000.0)  # S: units a household can hold
    outside_weight: float = bounded(0.5, 0.0, cap=100.0)  # kappa_I: per week of supply at home
    initial_days: float = bounded(21.0, 0.0, cap=3650.0)  # D_0: mean days of supply at day 0
    full_stockpile_depth: float = bounded(FULL_STOCKPILE_DEPTH, 0.0, 1.0, lo_open=True)  # d_full


@dataclass
class SatisfactionConfig:
    """`population.satisfaction`: s <- (1 - rho) s + rho e after each felt experience e.

    `memory` is rho (`custsim.agents.churn.update_satisfaction`): the weight of the
    latest purchase (and of a tier demotion) in the satisfaction that moves dropout.
    """

    memory: float = bounded(0.3, 0.0, 1.0)  # rho


@dataclass
class ExperienceConfig:
    """`population.experience`: the chain experience -> satisfaction -> trust -> habit -> voice.

    `enabled`: None (auto) switches the chain on when some firm has inconsistent
    quality or service failures (`market.firms.<j>.service`), or surveys its customers;
    true / false decide. Off, satisfaction is one number per customer moved by prices
    alone (`custsim.agents.churn`), as before the chain existed. On, each customer
    holds a satisfaction, trust, habit and quality expectation per firm
    (`custsim.agents.experience` has every equation): satisfaction S_ij moves with
    each purchase's felt experience at rate `population.satisfaction.memory`, damped
    on a bad one by `tolerance` x trust; trust rises by `trust_gain` (1 - T) and falls
    by `trust_loss` T; habit smooths purchases with `habit_carryover`. The brand
    utility gains `satisfaction_weight` S_ij + `trust_weight` (T_ij - `initial_trust`)
    + `habit_weight` H_ij; dropout reads the best satisfaction among the firms the
    customer has bought from; a felt loss L is voiced as a complaint with probability
    1 - exp(-`complaint_propensity` (1 + `voice_loyalty` H_ij) L) (the loyal speak
    up, the indifferent leave); a handled complaint is felt as v(b C) +
    `recovery_value` 2^(-wait / `recovery_half_life`). Survey answers are
    round(`survey_midpoint` + `survey_scale` S_ij + N(0, `survey_noise`)), 0..10.
    """

    enabled: bool | None = None
    quality_memory: float = bounded(0.2, 0.0, 1.0)  # theta_q, like the reference price's
    satisfaction_weight: float = bounded(1.0, 0.0, cap=100.0)  # w_S
    trust_weight: float = bounded(0.5, 0.0, cap=100.0)  # w_T
    initial_trust: float = bounded(0.5, 0.0, 1.0)  # T_0
    trust_gain: float = bounded(0.05, 0.0, 1.0)  # g
    trust_loss: float = bounded(0.2, 0.0, 1.0)  # l
    tolerance: float = bounded(0.5, 0.0, 1.0)  # tau
    habit_weight: float = bounded(1.0, 0.0, cap=100.0)  # w_H
    habit_carryover: float = bounded(0.875, 0.0, 1.0)  # a (Guadagni & Little 1983, coffee)
    complaint_propensity: float = bounded(0.1, 0.0, cap=100.0)  # k
    voice_loyalty: float = bounded(2.0, 0.0, cap=100.0)  # l_v: voice per unit of habit
    recovery_value: float = bounded(2.0, 0.0, cap=100.0)  # h: being heard, utility units
    recovery_half_life: float = bounded(3.0, 0.0, lo_open=True, cap=MAX_DAYS)  # days
    survey_midpoint: float = bounded(7.5, 0.0, 10.0)
    survey_scale: float = bounded(3.0, 0.0, cap=100.0)  # answer points per utility unit of S
    survey_noise: float = bounded(1.0, 0.0, cap=10.0)  # sd of an answer, points


@dataclass
class UrgencyConfig:
    """`population.urgency`: the pull of a running offer (`custsim.agents.urgency`).

    pull = exp(-t / `novelty_days`) + 1 / (1 + D) + K0 / (K0 + K), K0 = `scarcity_scale`
    (Inman & McAlister 1994); each customer feels it times its trait u_i.
    """

    novelty_days: float = bounded(2.0, 0.0, lo_open=True, cap=3650.0)  # tau_n
    scarcity_scale: float = bounded(SCARCITY_SCALE, 0.0, lo_open=True, cap=1e6)  # K0


@dataclass
class WinbackConfig:
    """`population.winback`: how lapsed customers answer a personal offer.

    A lapsed customer holding one returns with P = 1 - exp(-`response` x relative
    saving) (`custsim.agents.churn.reactivation_probability`).
    """

    response: float = bounded(0.5, 0.0, cap=100.0)  # k


@dataclass
class LoyaltyConfig:
    """`population.loyalty`: how customers weigh programmes (`custsim.agents.loyalty`).

    A points reward tau days away is discounted by delta^tau, delta = (1 +
    `annual_time_preference`)^(-1/365); the chance to reach it is weighted by
    the Tversky & Kahneman (1992) w with curvature `probability_weighting`
    (their median gamma = 0.61 for gains; w is monotone for gamma >= 0.28,
    Ingersoll 2008); points at stake divide the dropout hazard by
    1 + `switching_cost_weight` lambda_i (value held) / (mean regular price); a
    member on a trip without a stamp gives up collecting with probability
    `goal_abandonment` x (1 - progress) (Kivetz, Urminsky & Zheng 2006).
    """

    annual_time_preference: float = bounded(0.15, 0.0, cap=10.0)
    probability_weighting: float = bounded(TK92_GAMMA_GAINS, 0.28, 1.0)  # gamma of w(p)
    switching_cost_weight: float = bounded(1.0, 0.0, cap=100.0)  # psi
    goal_abandonment: float = bounded(0.0, 0.0, 1.0)  # q

    @property
    def daily_discount(self) -> float:
        """One day's discount of a reward, delta = (1 + annual_time_preference)^(-1/365)."""
        return (1.0 + self.annual_time_preference) ** (-1.0 / 365.0)


@dataclass
class ArrivalsConfig:
    """`population.arrivals`: when customers enter the market (`custsim.agents.arrivals`).

    `none`: everyone is there on day 0. `empirical` (from data): the customers arrive
    over days 1, 2, ... in the proportions of `daily` (e.g. a cohort's first purchases
    per day; exact counts when population.size equals their sum). `poisson`: a share
    `present` is there on day 0 and the others arrive one at a time at `rate` a day
    (those due after the run never come). Before arriving a customer is invisible and
    inactive (neither active nor churned); with `first_purchase` it buys on its
    arrival occasion (the outside option is closed to it that day), as a cohort
    defined by first purchases did.
    """

    kind: str = one_of("none", "none", "empirical", "poisson")
    daily: list[float] = field(default_factory=list)  # empirical: weight of day 1, 2, ...
    rate: float = bounded(0.0, 0.0, cap=1e9)  # poisson: arrivals a day
    present: float = bounded(0.0, 0.0, 1.0)  # poisson: share of the population there on day 0
    first_purchase: bool = False  # an arriving customer buys on arrival


#: keys of `population` that moved into a mechanism's block: old key -> new key
MOVED_KEYS = {
    "population.storage_limit": "population.inventory.capacity",
    "population.inventory_weight": "population.inventory.outside_weight",
    "population.initial_inventory_days": "population.inventory.initial_days",
    "population.satisfaction_memory": "population.satisfaction.memory",
    "population.novelty_days": "population.urgency.novelty_days",
    "population.winback_response": "population.winback.response",
    "population.annual_time_preference": "population.loyalty.annual_time_preference",
    "population.switching_cost_weight": "population.loyalty.switching_cost_weight",
    "population.goal_abandonment": "population.loyalty.goal_abandonment",
    "population.occasion_timing": "population.occasions.timing",
}


@dataclass
class PopulationConfig:
    """The customer base: size, each mechanism's population-wide block and the segments.

    A block holds one mechanism's constants (the same for every customer); the
    per-customer traits are the segments' (`SegmentConfig`) and `traits`.
    """

    size: int = bounded(10_000, 1, cap=2**31 - 1)  # node ids are int32; see sim.memory
    # share of the customers outside the market at the start: prospects, whom only a firm's
    # acquisition contacts bring in (policy=acquisition; custsim.sim.stages.acquisition)
    prospects: float = bounded(0.0, 0.0, 1.0, hi_open=True)
    occasions: OccasionsConfig = field(default_factory=OccasionsConfig)
    arrivals: ArrivalsConfig = field(default_factory=ArrivalsConfig)
    inventory: InventoryConfig = field(default_factory=InventoryConfig)
    satisfaction: SatisfactionConfig = field(default_factory=SatisfactionConfig)
    experience: ExperienceConfig = field(default_factory=ExperienceConfig)
    urgency: UrgencyConfig = field(default_factory=UrgencyConfig)
    winback: WinbackConfig = field(default_factory=WinbackConfig)
    loyalty: LoyaltyConfig = field(default_factory=LoyaltyConfig)
    framing: FramingConfig = field(default_factory=FramingConfig)
    segments: dict[str, SegmentConfig] = field(default_factory=dict)
    # a trait for every segment at once: population.traits.<trait>.mean / .sd; a value set
    # here wins over every segment's own (a segment keeps what is not set here)
    traits: PopulationTraits = field(default_factory=PopulationTraits)


@dataclass
class ServiceConfig:
    """`market.firms.<j>.service`: what buying from the firm is like (`custsim.agents.experience`).

    Each purchase's quality is the brand's `quality` + `quality_sd` z (z standard
    normal: the firm's inconsistency); the service fails on a purchase with
    probability `failure_rate`, felt as a loss of `failure_severity` utility units.
    A firm with either above 0 turns the experience chain on (`population.experience`).
    """

    quality_sd: float = bounded(0.0, 0.0, cap=100.0)  # sigma_j, utility units
    failure_rate: float = bounded(0.0, 0.0, 1.0)  # per purchase
    failure_severity: float = bounded(1.0, 0.0, cap=100.0)  # s_j, utility units


@dataclass
class SurveyConfig:
    """`market.firms.<j>.survey`: a likelihood-to-recommend survey of the firm's customers.

    Every `every` days (0: never) the firm asks `sample` of its customers (drawn at
    random among those who ever bought from it) how likely they are to recommend it,
    0..10; it observes the answers (`MarketObs.survey_scores`) and their NPS, never
    satisfaction itself. Needs the experience chain (`population.experience`).
    """

    every: int = bounded(0, 0, cap=MAX_DAYS)  # days between surveys; 0: none
    sample: int = bounded(200, 1, cap=2**31 - 1)  # customers asked


@dataclass
class ChannelConfig:
    """`channels.<name>`: one way of reaching a customer (`custsim.agents.reach`).

    A contact sent costs the firm `cost`; it is delivered with probability
    `delivery` and then opened (read, answered) with probability `open`: only an
    opened contact informs the customer of a personal offer it carries. An opened
    contact brings the customer to the shelf that day (an extra trip; a lapsed
    customer comes back) with probability `response` exp(-`fatigue` F), F the
    customer's stock of recent contacts from the firm, which halves every
    `half_life` days; a delivered contact makes the customer opt out of the
    channel with the firm with probability 1 - exp(-`opt_out` (1 + `opt_out_fatigue` F)).
    A channel `at_till` (a message on the receipt, at the till) reaches the customer only
    at its next purchase from the firm: it is delivered, opened and paid for then, and a
    response brings the customer back the next day.
    Defaults of the shipped channels, with their sources: `conf/channel/*.yaml`.
    """

    cost: float = bounded(MISSING, 0.0, cap=MAX_MONEY)  # money per contact sent
    delivery: float = bounded(1.0, 0.0, 1.0)  # d
    open: float = bounded(1.0, 0.0, 1.0)  # o, given delivered
    response: float = bounded(0.0, 0.0, 1.0)  # r, given opened, at rest (F = 0)
    fatigue: float = bounded(0.0, 0.0, cap=100.0)  # phi, per contact of fatigue
    half_life: float = bounded(14.0, 0.0, lo_open=True, cap=MAX_DAYS)  # h, days
    opt_out: float = bounded(0.0, 0.0, cap=100.0)  # u, hazard per delivered contact at rest
    opt_out_fatigue: float = bounded(0.0, 0.0, cap=100.0)  # psi, per contact of fatigue
    at_till: bool = False  # delivered at the customer's next purchase from the firm


@dataclass
class FirmConfig:
    """One competing firm: regular price, unit cost, mean brand quality and its policy.

    Price, cost and quality have no defaults: `conf/market/*.yaml` gives them for
    every firm, and a firm added on the command line must give all three.
    """

    price: float = bounded(MISSING, 0.0, lo_open=True, cap=MAX_MONEY)
    cost: float = bounded(MISSING, 0.0, cap=MAX_MONEY)
    quality: float = bounded(MISSING, -100.0, 100.0)  # mean taste a_j, in utility units
    policy: Any = policy_field(lambda: {"_target_": "custsim.policies.edlp.EverydayPrice"})
    service: ServiceConfig = field(default_factory=ServiceConfig)
    survey: SurveyConfig = field(default_factory=SurveyConfig)


@dataclass
class LaunchConfig:
    """A new brand that customers must hear of before they can buy it (`custsim.sim.launch`).

    Off when `brand` is None (every brand known to all). Otherwise an unaware
    customer learns of `brand` at the daily hazard (p + q * a) / period_days:
    advertising p and word of mouth q times the share a of its network
    neighbours who have bought the brand (Bass 1969).
    """

    brand: str | None = None
    innovation: float = bounded(0.03, 0.0, 1.0)  # p per period: advertising
    imitation: float = bounded(0.38, 0.0, 10.0)  # q per period: word of mouth from adopters
    period_days: float = bounded(365.0, 1.0, cap=MAX_DAYS)  # days per Bass period (p, q: per year)


@dataclass
class MarketConfig:
    """The competing firms; `focal` is the firm the root `policy` applies to."""

    focal: str = "A"
    firms: dict[str, FirmConfig] = field(default_factory=dict)
    annual_discount_rate: float = bounded(0.10, 0.0, cap=10.0)  # for customer lifetime value
    # a purchase within this many days of an opened contact is put down to it (conversions)
    attribution_days: int = days(7, 0)
    launch: LaunchConfig = field(default_factory=LaunchConfig)


@dataclass
class NetworkConfig:
    """Social network and social-influence strengths."""

    kind: str = one_of("watts_strogatz", "none", "erdos_renyi", "watts_strogatz", "barabasi_albert")
    mean_degree: float = bounded(10.0, 0.0, cap=10_000.0)  # what each kind needs: sim.network
    rewire_p: float = bounded(0.1, 0.0, 1.0)
    recency_decay: float = bounded(0.05, 0.0, 1.0, lo_open=True)  # daily decay of a purchase signal
    wom_strength: float = bounded(0.05, 0.0, cap=100.0)  # taste nudge per unit of experience


@dataclass
class CustsimConfig:
    """Root configuration of one simulation run."""

    seed: int = bounded(0, 0, cap=MAX_INT64)
    steps: int = bounded(365, 1, cap=MAX_DAYS)
    precision: str = one_of("float64", "float64", "float32")
    progress: str = one_of("auto", "auto", "on", "off")
    threads: int = bounded(0, 0, cap=256)  # shelf-stage threads, 0: auto (custsim.sim.threads)
    write_customers: bool = True
    plots: bool | None = None  # None: for a single run, not for each job of a sweep
    record_purchases: bool = False  # keep a per-purchase log in the model (sim.purchases)
    analysis: list[str] = field(default_factory=list)  # analyses of the run: ANALYSES
    population: PopulationConfig = MISSING
    market: MarketConfig = MISSING
    network: NetworkConfig = MISSING
    policy: Any = policy_field(MISSING)
    # the ways a firm can reach customers, by name (conf/channel/*.yaml; a policy names one)
    channels: dict[str, ChannelConfig] = field(default_factory=dict)


#: the analyses a run can ask for (`analysis=[crm]`); each needs the purchase log
#: (`custsim.experiments.crm` reads purchases.parquet; the run command runs it, not the engine)
ANALYSES = ("crm",)


def chain_enabled(cfg: CustsimConfig) -> bool:
    """Whether the run has the experience chain (`population.experience.enabled`; None: auto).

    Auto: on when some firm's purchases can disappoint (`service.quality_sd` or
    `service.failure_rate` above 0) or it runs a survey (`survey.every` above 0).
    The one place that decides, for the model, the writers and the memory estimate.
    """
    chosen = cfg.population.experience.enabled
    if chosen is not None:
        return bool(chosen)
    return any(
        f.service.quality_sd > 0 or f.service.failure_rate > 0 or f.survey.every > 0
        for f in cfg.market.firms.values()
    )


def policy_channels(cfg: CustsimConfig) -> list[tuple[str, str]]:
    """(key, channel name) of every `channel` a firm's policy or a composition's part names.

    Walks each firm's policy node (the focal firm's is the root `policy`) and what it
    holds (a composition's parts), typed or plain: e.g. ("policy.channel", "email").
    A null `channel` (no contacts) is skipped.
    """
    found: list[tuple[str, str]] = []

    def walk(node: Any, key: str) -> None:
        if hasattr(node, "__dataclass_fields__"):
            node = {f.name: getattr(node, f.name) for f in fields(node)}
        if isinstance(node, dict):
            for name, value in node.items():
                if name == "channel" and isinstance(value, str):
                    found.append((f"{key}.channel", value))
                else:
                    walk(value, f"{key}.{name}")
        elif isinstance(node, list | tuple):
            for i, part in enumerate(node):
                walk(part, f"{key}.{i}")

    for name, firm in cfg.market.firms.items():
        focal = name == cfg.market.focal
        key = "policy" if focal else f"market.firms.{name}.policy"
        walk(cfg.policy if focal else firm.policy, key)
    return found


def reach_enabled(cfg: CustsimConfig) -> bool:
    """Whether the run keeps the firms' reach (`custsim.sim.reach`): some policy names a channel.

    The one place that decides, for the model, the writers and the memory estimate.
    """
    return bool(policy_channels(cfg))


def records_purchases(cfg: CustsimConfig) -> bool:
    """Whether the run keeps the purchase log (and writes purchases.parquet).

    Reads `cfg.record_purchases` and `cfg.analysis`: on when asked for directly or
    when any analysis is asked for (every one of `ANALYSES` reads the log). The one
    place that decides, for the model (`custsim.sim.model`), the writer
    (`custsim.sim.runner.write_run`) and the memory estimate (`custsim.sim.memory`).
    """
    return bool(cfg.record_purchases or cfg.analysis)


def register_configs() -> None:
    """Register the schemas in Hydra's ConfigStore (idempotent)."""
    from custsim.policies.registry import policy_schemas  # local: policies import sim

    cs = ConfigStore.instance()
    cs.store(name="custsim_schema", node=CustsimConfig)
    for name, schema in policy_schemas().items():  # policy=hi_lo: the schema's defaults
        cs.store(group="policy", name=name, node=schema)
