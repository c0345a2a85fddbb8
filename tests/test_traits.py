"""Traits declared once on their fields: the family drives the sampler, validator and writer."""

import dataclasses

import numpy as np
import pytest

from custsim.agents.population import draw_population
from custsim.sim.config import (
    TRAIT_FIELDS,
    ConfigError,
    Dist,
    PopulationConfig,
    SegmentConfig,
    TraitOverride,
)
from custsim.sim.results import customers_frame
from custsim.sim.testing import compose_config
from custsim.sim.traits import FAMILY, RECORDED, population_spec, trait_problems

QUALITY = np.array([1.0])


def _draw(pop: PopulationConfig, n: int = 200_000):
    return draw_population(population_spec(pop), n, QUALITY, np.random.default_rng(1))


def test_every_trait_field_declares_a_known_family():
    assert {f.metadata["family"] for f in TRAIT_FIELDS} == {
        "gamma",
        "beta",
        "lognormal",
        "constant",
    }
    assert FAMILY["loss_aversion"] == "lognormal" and FAMILY["dropout"] == "beta"
    assert FAMILY["occasion_rate"] == "gamma" and FAMILY["latitude"] == "constant"
    assert "taste_sd" not in FAMILY and "share" not in FAMILY


def test_the_field_family_drives_the_sampler(monkeypatch):
    seg = SegmentConfig(share=1.0, consumption=Dist(0.5, 0.5))  # gamma, shape 1: exponential
    x = _draw(PopulationConfig(segments={"s": seg}))["consumption"]
    assert x.mean() == pytest.approx(0.5, rel=0.01)
    assert x.std() == pytest.approx(0.5, rel=0.02)
    assert np.mean(x < 0.5) == pytest.approx(1 - np.exp(-1), abs=0.005)  # exponential CDF at mean
    beta = _draw(PopulationConfig(segments={"s": SegmentConfig(share=1.0)}))
    for name in (n for n, f in FAMILY.items() if f == "beta"):
        assert 0 < beta[name].min() and beta[name].max() < 1, name
    # declared beta instead (FAMILY is read from the fields): the draws follow the family
    monkeypatch.setitem(FAMILY, "loss_aversion", "beta")
    seg = SegmentConfig(share=1.0, loss_aversion=Dist(0.5, 0.2))
    lam = _draw(PopulationConfig(segments={"s": seg}))["loss_aversion"]
    assert 0 < lam.min() and lam.max() < 1 and lam.mean() == pytest.approx(0.5, abs=0.005)


def test_the_beta_rule_comes_from_the_family(monkeypatch):
    pop = PopulationConfig(segments={"s": SegmentConfig(share=1.0, memory=Dist(0.5, 0.6))})
    assert trait_problems(pop) == [
        "population.segments.s.memory.sd=0.6: must be below sqrt(mean*(1-mean))=0.5"
    ]
    monkeypatch.setitem(FAMILY, "memory", "lognormal")  # not beta: no variance limit
    assert trait_problems(pop) == []
    pop = PopulationConfig(segments={"s": SegmentConfig(share=1.0, loss_aversion=Dist(0.5, 0.6))})
    assert trait_problems(pop) == []
    monkeypatch.setitem(FAMILY, "loss_aversion", "beta")
    assert trait_problems(pop) == [
        "population.segments.s.loss_aversion.sd=0.6: must be below sqrt(mean*(1-mean))=0.5"
    ]


def test_customers_parquet_records_the_fields_marked_record():
    assert RECORDED == tuple(f.name for f in TRAIT_FIELDS if f.metadata["record"])
    assert RECORDED == (
        "occasion_rate",
        "dropout",
        "price_sensitivity",
        "loss_aversion",
        "reference_weight",
        "memory",
        "social_weight",
    )
    traits = _draw(PopulationConfig(segments={"s": SegmentConfig(share=1.0)}), n=50)
    from custsim.sim.state import CustomerState

    state = CustomerState.initial(traits, np.array([8.0]), 21.0, np.random.default_rng(0))
    frame = customers_frame(state, traits, ("A",), np.array([4.0]))
    trait_columns = [c for c in frame.columns if c in FAMILY]
    assert tuple(trait_columns) == RECORDED
    np.testing.assert_array_equal(frame["loss_aversion"], traits["loss_aversion"])


def test_population_wide_trait_sets_every_customer():
    cfg = compose_config("population.size=20000", "population.traits.loss_aversion.mean=2")
    default = compose_config("population.size=20000")
    assert len(cfg.population.segments) == 4
    spec = {t.name: t for t in population_spec(cfg.population).traits}
    assert [m.mean for m in spec["loss_aversion"].moments] == [2.0] * 4
    assert spec["loss_aversion"].moments[3].sd == 0.5  # brand_loyal keeps its own sd
    t = _draw(cfg.population, 20000)
    for s, name in enumerate(t.segment_names):  # every segment, not only `balanced`
        lam = t["loss_aversion"][t.segment == s]
        assert lam.mean() == pytest.approx(2.0, rel=0.03), name
    base = _draw(default.population, 20000)
    assert np.all(t["loss_aversion"] != base["loss_aversion"])  # every customer changed
    np.testing.assert_array_equal(t["memory"], base["memory"])  # the other traits did not


def test_population_wide_value_wins_and_keeps_what_it_does_not_set():
    seg = SegmentConfig(share=1.0, loss_aversion=Dist(3.0, 0.4))
    pop = PopulationConfig(segments={"s": seg})
    pop.traits = dataclasses.replace(pop.traits, loss_aversion=TraitOverride(sd=0.0))
    assert population_spec(pop).traits[3].moments == ((3.0, 0.0),)
    pop.traits = dataclasses.replace(pop.traits, gain_curvature=TraitOverride(mean=0.5))
    np.testing.assert_array_equal(_draw(pop, 10)["gain_curvature"], 0.5)


@pytest.mark.parametrize(
    ("override", "line"),
    [
        (
            "population.traits.loss_avers.mean=2",
            "population.traits.loss_avers.mean=2: no such trait; traits are: occasion_rate, "
            "dropout, price_sensitivity, loss_aversion, gain_curvature,",
        ),
        ("population.traits.loss_aversion.mean=-1", "population.traits.loss_aversion.mean=-1.0: "),
        (
            "population.traits.memory.sd=0.45",
            "population.traits.memory.sd=0.45: must be below sqrt(mean*(1-mean))=0.4",
        ),
        ("population.traits.latitude.sd=0.1", "population.traits.latitude.sd=0.1: latitude is "),
    ],
)
def test_bad_population_wide_values_are_one_line(override, line):
    with pytest.raises(ConfigError) as err:
        compose_config(override)
    assert "\n" not in str(err.value)
    assert str(err.value).startswith(line)


def test_sweep_and_sensitivity_defaults_use_the_population_wide_key():
    from omegaconf import OmegaConf

    from custsim.experiments.sensitivity.config import DEFAULT_SENSITIVITY_PARAMS

    sweep = OmegaConf.load("conf/sweep/loss_aversion.yaml")
    assert "population.traits.loss_aversion.mean" in sweep.hydra.sweeper.params
    assert "population.traits.price_sensitivity.mean" in DEFAULT_SENSITIVITY_PARAMS
    assert not any(k.startswith("population.segments.") for k in DEFAULT_SENSITIVITY_PARAMS)
