"""Configs: every option of every group composes and runs; bad values fail with one line."""

import math
from pathlib import Path

import pytest

from custsim.agents import inventory, prospect, urgency
from custsim.experiments.run import help_text
from custsim.policies.registry import policy_schemas
from custsim.sim.compose import CONFIG_MODULE
from custsim.sim.config import ConfigError, PopulationConfig
from custsim.sim.groups import config_groups
from custsim.sim.runner import build_model, simulate
from custsim.sim.testing import compose_config, small_config

ROOT = Path(__file__).resolve().parent.parent
#: every config group of a plain run (hydra/launcher only says where jobs run; finding is the
#: findings' analysis settings, composed under their own root: tests/test_tool_roots.py)
GROUPS = {
    g.name: g
    for g in config_groups(CONFIG_MODULE)
    if not g.name.startswith("hydra/") and g.name != "finding" and not g.package
}
CORE_GROUPS = {"population", "market", "network", "policy", "sweep", "experiment"}


def _yaml_options(group: str) -> set[str]:
    return {p.stem for p in (ROOT / "conf" / group).glob("*.yaml")}


@pytest.mark.parametrize("group,option", [(g.name, o) for g in GROUPS.values() for o in g.options])
def test_every_group_option_composes_and_runs(group, option):
    # a reactive competitor watches firm A, so it runs on another firm
    focal = ["market.focal=B"] if (group, option) == ("policy", "reactive") else []
    select = f"{group}={option}" if GROUPS[group].in_defaults else f"+{group}={option}"
    cfg = small_config(select, "steps=5", "population.size=300", *focal)
    run = simulate(cfg)
    assert len(run.timeseries) == 5 * len(cfg.market.firms)
    if cfg.market.launch.brand is None:
        assert run.timeseries["units"].sum() > 0
    else:  # a launched product sells only once customers have heard of it
        assert run.timeseries["occasions"].sum() > 0


def test_groups_are_the_documented_ones():
    assert CORE_GROUPS <= set(GROUPS)
    # every YAML option is an option, and every registered policy schema is a policy option
    for name, group in GROUPS.items():
        assert _yaml_options(name) <= set(group.options), name
    assert set(policy_schemas()) <= set(GROUPS["policy"].options)
    # `custsim --help` lists every group with all of its options and its default
    shown = " ".join(help_text().split())
    assert " finding: " not in shown  # the findings' own group: not a plain run's
    for group in config_groups(CONFIG_MODULE):
        if group.name == "finding":
            continue
        line = shown.split(f" {group.name}: ", 1)[1]
        assert line.startswith(", ".join(group.options)), group.name
    # the README's configuration reference has a row per core group with its true default
    readme = (ROOT / "README.md").read_text()
    for name in CORE_GROUPS - {"experiment"}:
        default = GROUPS[name].default or "null"
        assert f"| `{name}=` | {default} |" in readme, name
    assert "+experiment=" in readme


@pytest.mark.parametrize(
    "override,needle",
    [
        ("population.size=-5", "population.size=-5: must be >= 1"),
        ("steps=0", "steps=0: must be >= 1"),
        ("network.kind=lattice", "network.kind='lattice': must be one of: none, erdos_renyi"),
        (
            "population.segments.balanced.loss_aversion.mean=-1",
            "population.segments.balanced.loss_aversion.mean=-1.0: must be >= 0",
        ),
        (
            "population.segments.balanced.dropout.mean=1.5",
            "population.segments.balanced.dropout.mean=1.5: must be in [0, 1)",
        ),
        (
            "population.segments.balanced.share=0.9",
            "population.segments.*.share sums to 1.5: shares must sum to 1",
        ),
        ("network.rewire_p=2", "network.rewire_p=2.0: must be in [0, 1]"),
        ("market.focal=Z", "market.focal='Z': must be one of: A, B, C"),
        ("policy=hi_lo policy.depth=1.2", "policy.depth=1.2: must be in (0, 1)"),
        (
            "population.segments.balanced.memory.sd=0.6",
            "population.segments.balanced.memory.sd=0.6: must be below",
        ),
    ],
)
def test_bad_values_name_key_value_and_rule(override, needle):
    with pytest.raises(ConfigError) as err:
        compose_config(*override.split())
    assert needle in str(err.value)
    assert len(str(err.value).splitlines()) == 1


def test_cross_field_policy_rule_fails_with_the_other_config_errors():
    with pytest.raises(ConfigError, match=r"^policy\.duration=30: must be <= every=7$"):
        compose_config("policy=hi_lo", "policy.duration=30", "policy.every=7")


def test_competitor_policy_configured_per_firm():
    # Hydra's group@package syntax puts any conf/policy option on any firm.
    cfg = small_config(
        "+policy@market.firms.B.policy=hi_lo", "market.firms.B.policy.depth=0.3", "steps=30"
    )
    assert cfg.market.firms["B"].policy.depth == 0.3
    run = simulate(cfg)
    promo = run.timeseries.groupby("firm")["promo"].any()
    assert promo["B"] and not promo["A"] and not promo["C"]


# -- each mechanism's population-wide block -------------------------------------------------------

#: the constants as they were before they became blocks (PopulationConfig fields, kernel constants)
OLD_CONSTANTS = {
    "occasions.timing": "poisson",
    "inventory.capacity": 4.0,
    "inventory.outside_weight": 0.5,
    "inventory.initial_days": 21.0,
    "inventory.full_stockpile_depth": 0.25,
    "satisfaction.memory": 0.3,
    "urgency.novelty_days": 2.0,
    "urgency.scarcity_scale": 10.0,
    "winback.response": 0.5,
    "loyalty.annual_time_preference": 0.15,
    "loyalty.probability_weighting": 0.61,
    "loyalty.switching_cost_weight": 1.0,
    "loyalty.goal_abandonment": 0.0,
}


@pytest.mark.parametrize("source", ["schema", "grocery"])
def test_block_defaults_are_the_old_constants(source):
    population = PopulationConfig() if source == "schema" else compose_config().population
    for key, old in OLD_CONSTANTS.items():
        block, name = key.split(".")
        assert getattr(getattr(population, block), name) == old, key
    assert population.loyalty.daily_discount == 1.15 ** (-1 / 365)
    # the kernels' documented defaults are the same numbers
    assert inventory.FULL_STOCKPILE_DEPTH == 0.25 and urgency.SCARCITY_SCALE == 10.0
    assert prospect.TK92_GAMMA_GAINS == 0.61


@pytest.mark.parametrize("scale", [10.0, 2.5])
def test_the_scarcity_scale_reaches_the_urgency_pull(scale):
    # an offer of 40 units from day 1, 14 days: pull = exp(-t / tau_n) + 1 / (1 + D) + K0 / (K0 + K)
    cfg = small_config(
        "policy=limited_offer",
        "policy.start=1",
        "policy.stock=40",
        f"population.urgency.scarcity_scale={scale}",
        "population.urgency.novelty_days=3",
    )
    model = build_model(cfg)
    model.step()
    offers = model.offers
    t, d, k = offers.days_running[0], offers.deadline[0], offers.stock_limit[0]
    assert (t, d, k) == (0, 13, 40)
    want = math.exp(-t / 3.0) + 1 / (1 + d) + scale / (scale + k)
    assert model.offer_pull(offers)[0] == pytest.approx(want, rel=1e-12)
