"""One seed in, the same results out; another seed, other results."""

import numpy as np
import pandas as pd
import pytest

from custsim.sim.rng import FEATURE_STREAMS, DayDraws, RngTree
from custsim.sim.runner import simulate
from custsim.sim.testing import small_config


@pytest.mark.parametrize("network", ["watts_strogatz", "barabasi_albert", "erdos_renyi"])
def test_same_seed_same_results(network):
    a = simulate(small_config(f"network={network}", "policy=hi_lo", "seed=11"))
    b = simulate(small_config(f"network={network}", "policy=hi_lo", "seed=11"))
    pd.testing.assert_frame_equal(a.timeseries, b.timeseries)
    pd.testing.assert_frame_equal(a.customers, b.customers)
    pd.testing.assert_frame_equal(a.firm_kpis, b.firm_kpis)


def test_different_seeds_differ():
    a = simulate(small_config("seed=1"))
    b = simulate(small_config("seed=2"))
    assert not a.timeseries["units"].equals(b.timeseries["units"])
    assert not a.customers["loss_aversion"].equals(b.customers["loss_aversion"])


def test_written_files_are_byte_identical(tmp_path):
    for name in ("one", "two"):
        simulate(small_config("seed=5", "plots=false"), tmp_path / name)
    for f in ("timeseries.parquet", "customers.parquet", "kpis.json", "config.yaml"):
        assert (tmp_path / "one" / f).read_bytes() == (tmp_path / "two" / f).read_bytes(), f


def test_float32_precision_runs_and_stays_close_in_aggregate():
    a = simulate(small_config("seed=3"))
    b = simulate(small_config("seed=3", "precision=float32"))
    assert b.model.state.reference.dtype.name == "float32"
    ua, ub = a.timeseries["units"].sum(), b.timeseries["units"].sum()
    assert abs(ua - ub) / ua < 0.05


def replay_dynamics(seed: int, n_firms: int, occasions) -> np.random.Generator:
    """The dynamics stream of `seed` after the shoppers' draws of days with `occasions` shoppers."""
    rng = RngTree.from_seed(seed, n_firms).dynamics
    for m in occasions:
        DayDraws.draw(rng, int(m))
    return rng


@pytest.mark.parametrize(
    "overrides",
    [
        (),
        ("policy=retention", "population.winback.response=50"),  # win-backs
        ("policy=limited_offer",),  # offer-prompted trips
        ("policy=stamp_card", "population.loyalty.goal_abandonment=0.5"),  # goal abandonment
        ("market.launch.brand=B", "market.launch.period_days=30"),  # launch awareness
    ],
)
def test_the_dynamics_stream_holds_only_the_shoppers_draws(overrides):
    # whatever mechanism is on, the dynamics stream has drawn exactly DayDraws for each day's
    # shoppers, so a mechanism's draws never shift the choice, quantity, dropout and gap draws
    model = simulate(small_config("steps=40", "seed=5", *overrides)).model
    occasions = model.recorder.market["occasions"][: model.cfg.steps]
    replayed = replay_dynamics(5, len(model.firms), occasions)
    assert model.rng_dynamics.bit_generator.state == replayed.bit_generator.state


def test_feature_streams_are_children_of_the_dynamics_seed_in_a_fixed_order():
    tree = RngTree.from_seed(9, 3)
    dynamics_seed = np.random.SeedSequence(9).spawn(4 + 3)[2]
    assert tree.dynamics.random() == np.random.default_rng(dynamics_seed).random()
    children = dynamics_seed.spawn(len(FEATURE_STREAMS))
    for name, child in zip(FEATURE_STREAMS, children, strict=True):
        assert getattr(tree.features, name).random() == np.random.default_rng(child).random()
    firsts = [getattr(tree.features, n).random() for n in FEATURE_STREAMS]
    assert len(set(firsts)) == len(firsts)  # independent streams, not one stream shared
