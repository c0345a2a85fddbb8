"""`custsim-sensitivity`: SALib indices on closed forms, spec checks, the real command."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from custsim.experiments.sensitivity import analysis as sa
from custsim.experiments.sensitivity.job import check_sensitivity
from custsim.sim.config import ConfigError
from custsim.sim.testing import compose_config

VENV_BIN = Path(sys.executable).parent
TINY = ["population.size=400", "steps=30", "sensitivity.n_jobs=1"]
TWO_PARAMS = (
    "sensitivity.params={population.segments.balanced.loss_aversion.mean:[1.0,3.0],"
    "market.firms.A.price:[7.0,9.0]}"
)


def sensitivity_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    exe = str(VENV_BIN / "custsim-sensitivity")
    return subprocess.run([exe, *args], cwd=cwd, capture_output=True, text=True, timeout=300)


# ---------------------------------------------------------------- closed forms


def ishigami(x: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    """Ishigami & Homma (1990): f = sin x1 + a sin^2 x2 + b x3^4 sin x1 on [-pi, pi]^3."""
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def ishigami_indices(a: float = 7.0, b: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """Analytic first-order and total Sobol' indices of the Ishigami function."""
    v1 = 0.5 * (1 + b * np.pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * np.pi**8 * (1 / 18 - 1 / 50)
    var = v1 + v2 + v13
    return np.array([v1, v2, 0.0]) / var, np.array([v1 + v13, v2, v13]) / var


def test_sobol_recovers_the_ishigami_indices():
    problem = sa.make_problem({"x1": [-np.pi, np.pi], "x2": [-np.pi, np.pi], "x3": [-np.pi, np.pi]})
    x = sa.sample(problem, "sobol", 4096, seed=1)
    assert x.shape == (sa.expected_rows("sobol", 4096, 3), 3)
    table = sa.analyze(problem, "sobol", x, {"f": ishigami(x)}, seed=1)
    s1, st = ishigami_indices()
    np.testing.assert_allclose(table["S1"], s1, atol=0.03)
    np.testing.assert_allclose(table["ST"], st, atol=0.03)
    assert list(table.columns) == list(sa.INDEX_COLUMNS["sobol"])


@pytest.mark.parametrize("method", ["sobol", "morris"])
def test_the_intervals_are_reproducible_for_every_seed_zero_included(method):
    problem = sa.make_problem({"x1": [-np.pi, np.pi], "x2": [-np.pi, np.pi], "x3": [-np.pi, np.pi]})
    x = sa.sample(problem, method, 64, seed=0)
    y = {"f": ishigami(x)}
    for seed in (0, 1):
        first = sa.analyze(problem, method, x, y, seed=seed)
        np.random.seed(12345)  # noqa: NPY002 (the global state must not matter, nor change)
        second = sa.analyze(problem, method, x, y, seed=seed)
        pd.testing.assert_frame_equal(first, second)
        assert np.random.randint(1 << 30) == np.random.RandomState(12345).randint(1 << 30)  # noqa: NPY002


def test_morris_ranks_a_linear_model_by_coefficient_times_range():
    """f = 3 a + 1 b + 0 c: elementary effects are coefficient x range, no interaction."""
    problem = sa.make_problem({"a": [0.0, 1.0], "b": [0.0, 2.0], "c": [5.0, 6.0]})
    x = sa.sample(problem, "morris", 20, seed=0)
    assert x.shape == (sa.expected_rows("morris", 20, 3), 3)
    y = 3 * x[:, 0] + 1 * x[:, 1] + 0 * x[:, 2]
    table = sa.analyze(problem, "morris", x, {"f": y}, seed=0).set_index("parameter")
    # SALib scales x to the unit range: mu* = coefficient x (high - low)
    np.testing.assert_allclose(table["mu_star"], [3.0, 2.0, 0.0], atol=1e-9)
    np.testing.assert_allclose(table["sigma"], 0.0, atol=1e-9)


def test_sampling_is_deterministic_in_the_seed():
    problem = sa.make_problem({"a": [0.0, 1.0], "b": [0.0, 1.0]})
    for method in sa.METHODS:
        first, again = sa.sample(problem, method, 8, seed=3), sa.sample(problem, method, 8, seed=3)
        np.testing.assert_array_equal(first, again)
        assert not np.array_equal(first, sa.sample(problem, method, 8, seed=4))


def test_integer_keys_are_rounded_and_written_as_overrides():
    cfg = compose_config("policy=hi_lo", config_name="sensitivity")
    from omegaconf import OmegaConf

    ints = sa.int_keys(["policy.every", "policy.depth"], OmegaConf.structured(cfg))
    assert ints == {"policy.every"}
    values = sa.row_values(["policy.every", "policy.depth"], [20.6, 0.25], ints)
    assert values == {"policy.every": 21, "policy.depth": 0.25}


def test_short_names_stay_unique():
    keys = [
        "population.segments.balanced.memory.mean",
        "population.segments.deal_seeker.memory.mean",
    ]
    labels = sa.short_names(keys)
    assert len(set(labels.values())) == 2
    assert labels[keys[0]] == "balanced.memory.mean"


# ---------------------------------------------------------------- spec checks


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("sensitivity.params={policy.depth:[0.1,0.3],seed:[0,5]}", "policy.depth: no such key"),
        (
            "sensitivity.params={market.firms.A.price:[9.0,7.0],seed:[0,5]}",
            "low must be below high",
        ),
        ("sensitivity.params={market.firms.A.price:[7.0,9.0]}", "need >= 2 params"),
        ("sensitivity.outputs=[profit]", "sensitivity.outputs='profit': must be one of"),
    ],
)
def test_bad_spec_names_the_problem(override, message):
    cfg = compose_config(override, config_name="sensitivity")
    with pytest.raises(ConfigError, match=message.replace("[", r"\[")):
        check_sensitivity(cfg)


def test_default_spec_is_valid_on_the_default_config():
    check_sensitivity(compose_config(config_name="sensitivity"))


# ---------------------------------------------------------------- the real command


@pytest.fixture(scope="module")
def morris_run(tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path]:
    cwd = tmp_path_factory.mktemp("morris")
    out = cwd / "run"
    args = [*TINY, TWO_PARAMS, "sensitivity.method=morris", "sensitivity.samples=3"]
    return sensitivity_cli(*args, f"hydra.run.dir={out}", cwd=cwd), out


def test_cli_writes_samples_indices_and_plot(morris_run):
    proc, out = morris_run
    assert proc.returncode == 0, proc.stderr
    samples = pd.read_parquet(out / "samples.parquet")
    assert len(samples) == sa.expected_rows("morris", 3, 2) == 9
    assert samples["error"].isna().all()
    assert samples["market.firms.A.price"].between(7.0, 9.0).all()
    indices = pd.read_parquet(out / "indices.parquet")
    assert list(indices.columns) == list(sa.INDEX_COLUMNS["morris"])
    assert len(indices) == 2 * 3  # parameters x outputs (margin, units, retention)
    assert (indices["mu_star"] >= 0).all()
    # the focal price moves the focal margin far more than the balanced segment's loss aversion
    margin = indices[indices["output"] == "margin"].set_index("parameter")["mu_star"]
    assert margin["market.firms.A.price"] > margin.drop("market.firms.A.price").max()
    assert (out / "plots" / "indices.png").stat().st_size > 10_000
    assert proc.stdout.startswith("custsim-sensitivity: morris, 2 params x 3 samples = 9 runs")


def test_cli_results_do_not_depend_on_n_jobs(morris_run, tmp_path):
    _, out = morris_run
    args = [*TINY, TWO_PARAMS, "sensitivity.method=morris", "sensitivity.samples=3"]
    proc = sensitivity_cli(*args, "sensitivity.n_jobs=2", f"hydra.run.dir={tmp_path}", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    for name in ("samples.parquet", "indices.parquet"):
        pd.testing.assert_frame_equal(pd.read_parquet(out / name), pd.read_parquet(tmp_path / name))


def test_cli_failed_rows_are_recorded_and_no_indices_written(tmp_path):
    """Depths above 1 are rejected by the policy: those rows fail, the others still run."""
    params = "sensitivity.params={policy.depth:[0.5,1.5],policy.every:[7,28]}"
    args = [*TINY, "policy=hi_lo", params, "sensitivity.method=morris", "sensitivity.samples=2"]
    proc = sensitivity_cli(*args, f"hydra.run.dir={tmp_path}", cwd=tmp_path)
    assert proc.returncode == 1
    samples = pd.read_parquet(tmp_path / "samples.parquet")
    bad = samples["policy.depth"] >= 1.0
    assert bad.any() and (~bad).any()
    assert samples.loc[bad, "error"].str.contains("policy.depth").all()
    assert samples.loc[~bad, "error"].isna().all() and samples.loc[~bad, "margin"].notna().all()
    assert not (tmp_path / "indices.parquet").exists()
    assert "runs failed" in proc.stderr


def test_cli_bad_spec_fails_before_running(tmp_path):
    proc = sensitivity_cli(*TINY, "sensitivity.outputs=[profit]", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "custsim-sensitivity: config error: sensitivity.outputs='profit': must be one of: "
        "revenue, margin, units, unit_share, repeat_rate, retention, clv_per_customer"
    ]
    assert not (tmp_path / "outputs").exists()
