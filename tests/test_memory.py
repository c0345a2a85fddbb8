"""Memory: float32 halves every per-customer float that is not money; the customer table streams.

The estimate itself (measured <= estimate <= 3 x measured) is checked in
tests/test_bad_input.py beside the refusal of runs that cannot fit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from custsim.sim import results
from custsim.sim.runner import build_model, simulate
from custsim.sim.testing import compose_config

#: money and points: float64 at any precision (the ledger identities hold to the cent)
MONEY = {
    "spend",
    "discounted_margin",
    "rewards",
    "liability",
    "firm_discount_cost",
    "balance",
    "rolling_spend",
    "earned",
    "redeemed",
    "expired",
    "rewards_paid",
}


def float_arrays(model) -> dict[str, np.ndarray]:
    """Every float array of the state, the points ledger, the traits and the network weights."""
    found = {}
    for owner in (model.state, model.ledger):
        for name, value in vars(owner).items():
            if isinstance(value, np.ndarray) and value.dtype.kind == "f":
                found[name] = value
    found |= {f"trait {k}": v for k, v in model.traits.values.items()}
    found["trait taste"] = model.traits.taste
    found["inv_degree"] = model.population.inv_degree
    return found


def test_float32_halves_every_float_that_is_not_money():
    common = ("population.size=300", "steps=3", "progress=off")
    wide = float_arrays(build_model(compose_config(*common)))
    narrow = float_arrays(build_model(compose_config(*common, "precision=float32")))
    assert wide.keys() == narrow.keys()
    for name, array in narrow.items():
        assert wide[name].dtype == np.float64, name
        expected = np.float64 if name in MONEY else np.float32
        assert array.dtype == expected, name


@pytest.mark.parametrize("policy", ["loyalty_points", "tiers", "retention"])
def test_float32_run_keeps_the_money_identities_to_the_cent(policy):
    cfg = compose_config("population.size=400", "steps=60", "precision=float32", f"policy={policy}")
    run = simulate(cfg)
    kpis = run.firm_kpis.set_index("firm")
    margin = run.customers.filter(like="margin_").sum()
    for firm in kpis.index:
        assert margin[f"margin_{firm}"] == pytest.approx(kpis.loc[firm, "margin"], abs=0.005)
    assert run.model.ledger.check() < 1e-6


def test_customer_table_streams_in_row_groups_with_the_bytes_of_one_write(tmp_path):
    run = simulate(compose_config("population.size=2500", "steps=30", "policy=hi_lo"))
    frames = list(results.customers_frames(*run.customer_sources, rows_per_group=1000))
    assert [len(f) for f in frames] == [1000, 1000, 500]
    pd.testing.assert_frame_equal(pd.concat(frames, ignore_index=True), run.customers)
    results.write_parquet_groups(frames, tmp_path / "streamed.parquet")
    run.customers.to_parquet(tmp_path / "once.parquet", index=False, row_group_size=1000)
    assert (tmp_path / "streamed.parquet").read_bytes() == (tmp_path / "once.parquet").read_bytes()


def test_the_run_writes_the_table_it_holds(tmp_path):
    run = simulate(compose_config("population.size=500", "steps=20", "plots=false"), tmp_path)
    assert "customers" not in vars(run)  # not built by the run: streamed from the arrays
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "customers.parquet"), run.customers)
