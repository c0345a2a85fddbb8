"""One seed in, the same results out; another seed, other results."""

import pandas as pd
import pytest

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
