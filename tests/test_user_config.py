"""The user config directory: where it is, Hydra finds its options, the one-line errors list them.

Real compositions and real `custsim` runs with CUSTSIM_CONFIG_DIR pointed at a
temporary directory (`custsim.sim.compose.user_config_dir`,
`hydra_plugins.custsim_searchpath`); never the developer's own ~/.config.
"""

import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from hydra._internal.utils import create_config_search_path

from custsim.experiments.compare.config import CompareRun
from custsim.sim.compose import USER_CONFIG_ENV, compose_config, group_options, user_config_dir
from custsim.sim.config import ConfigError
from custsim.sim.groups import config_groups

VENV_BIN = Path(sys.executable).parent
PROVIDER = "custsim-user"

#: a one-firm store and its population, as custsim-calibrate writes them (smaller)
MARKET = """\
focal: S
firms:
  S: {price: 10.0, cost: 6.0, quality: 3.0}
annual_discount_rate: 0.10
"""
POPULATION = """\
defaults:
  - override /market@_global_.market: mystore
  - override /network@_global_.network: none
  - _self_
size: 300
segments:
  everyone:
    share: 1.0
    occasion_rate: {mean: 0.1, sd: 0.03}
"""


@pytest.fixture
def user_dir(tmp_path, monkeypatch) -> Path:
    """A user config directory with market/mystore.yaml and population/mystore.yaml."""
    folder = tmp_path / "user"
    for group, text in (("market", MARKET), ("population", POPULATION)):
        (folder / group).mkdir(parents=True)
        (folder / group / "mystore.yaml").write_text(text)
    monkeypatch.setenv(USER_CONFIG_ENV, str(folder))
    return folder


def shipped(group: str) -> tuple[str, ...]:
    return next(g.options for g in config_groups() if g.name == group)


def user_entries(search_path) -> list[str]:
    return [e.path for e in search_path.get_path() if e.provider == PROVIDER]


# where the directory is


def test_the_directory_is_the_variable_else_xdg_else_dot_config(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv(USER_CONFIG_ENV, "~/stores")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert user_config_dir() == tmp_path / "home" / "stores"
    monkeypatch.setenv(USER_CONFIG_ENV, "")  # empty: unset
    assert user_config_dir() == tmp_path / "xdg" / "custsim"
    monkeypatch.delenv(USER_CONFIG_ENV)
    monkeypatch.delenv("XDG_CONFIG_HOME")
    assert user_config_dir() == tmp_path / "home" / ".config" / "custsim"


# Hydra finds the options


def test_a_user_population_composes_with_its_own_market_and_network(user_dir):
    cfg = compose_config(["population=mystore"])
    assert cfg.population.size == 300 and list(cfg.population.segments) == ["everyone"]
    assert list(cfg.market.firms) == ["S"] and cfg.market.focal == "S"
    assert cfg.network.kind == "none"
    assert list(compose_config(["market=mystore"]).market.firms) == ["S"]  # an option by itself


@pytest.mark.parametrize(
    "overrides",
    [["population=mystore", "market=coffee"], ["market=coffee", "population=mystore"]],
    ids=["after", "before"],
)
def test_a_market_on_the_command_line_wins_over_the_populations(user_dir, overrides):
    cfg = compose_config(overrides)
    assert list(cfg.market.firms) == ["A", "B", "C"] and cfg.population.size == 300
    assert cfg.network.kind == "none"  # the population's other choice stays
    assert compose_config([*overrides, "network=erdos_renyi"]).network.kind == "erdos_renyi"


def test_compares_root_finds_the_user_option_too(user_dir):
    cfg = compose_config(["population=mystore"], config_name="compare")
    assert type(cfg) is CompareRun
    assert list(cfg.market.firms) == ["S"] and cfg.population.size == 300


def test_the_directory_is_searched_after_the_package_and_only_by_custsim(user_dir):
    custsim = create_config_search_path("pkg://custsim.conf")
    paths = [e.path for e in custsim.get_path()]
    assert user_entries(custsim) == [f"file://{user_dir}"]
    assert paths.index(f"file://{user_dir}") == paths.index("pkg://custsim.conf") + 1
    other = create_config_search_path(f"file://{user_dir.parent}/other_app")
    assert user_entries(other) == []  # another Hydra app in the environment is left alone


def test_a_shipped_option_cannot_be_shadowed(user_dir):
    # measured: Hydra loads the first match on the search path, and the package comes first
    (user_dir / "population" / "grocery.yaml").write_text("size: 7\n")
    assert compose_config(["population=grocery"]).population.size == 10_000
    assert compose_config().population.size == 10_000
    assert group_options()["population"].count("grocery") == 1


# the one-line errors list the user's options


@pytest.mark.parametrize(
    ("override", "line"),
    [
        ("population=mystor", "population=mystor: must be one of: grocery, mystore, subscribers"),
        (
            "market=mystor",
            "market=mystor: must be one of: coffee, mystore, new_product, parallel_worlds",
        ),
    ],
)
def test_a_misspelt_option_lists_the_user_options(user_dir, override, line):
    with pytest.raises(ConfigError) as err:
        compose_config([override])
    assert str(err.value) == line


def test_help_lists_the_user_options(user_dir, tmp_path):
    proc = subprocess.run(
        [str(VENV_BIN / "custsim"), "--help"], capture_output=True, text=True, cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert "  population: grocery, mystore, subscribers (default: grocery)" in lines
    assert "  market: coffee, mystore, new_product, parallel_worlds (default: coffee)" in lines


def test_an_option_written_after_the_first_listing_is_found(user_dir):
    assert "other" not in group_options()["population"]
    (user_dir / "population" / "other.yaml").write_text(POPULATION.replace("300", "250"))
    assert "other" in group_options()["population"]
    assert compose_config(["population=other"]).population.size == 250


# no directory: nothing changes


def test_a_missing_directory_changes_nothing(tmp_path, monkeypatch):
    plain = compose_config(["seed=3"])
    monkeypatch.setenv(USER_CONFIG_ENV, str(tmp_path / "absent"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert compose_config(["seed=3"]) == plain
        assert user_entries(create_config_search_path("pkg://custsim.conf")) == []
        assert group_options()["population"] == shipped("population")
        assert group_options()["market"] == shipped("market")
    assert not (tmp_path / "absent").exists()


# the command


def test_custsim_runs_a_user_population(user_dir, tmp_path):
    out = tmp_path / "run"
    proc = subprocess.run(
        [
            str(VENV_BIN / "custsim"),
            "population=mystore",
            "steps=5",
            "population.size=200",
            "write_customers=false",
            "plots=false",
            f"hydra.run.dir={out}",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stderr
    assert "5 days, 200 customers, 1 firms, network none" in proc.stdout
    assert "focal firm S" in proc.stdout
    assert (out / "kpis.json").is_file()
    assert "  focal: S\n" in (out / "config.yaml").read_text()  # the run's record names the store


def test_custsims_one_line_error_lists_the_user_option_and_writes_nothing(user_dir, tmp_path):
    cwd = tmp_path / "work"
    cwd.mkdir()
    proc = subprocess.run(
        [str(VENV_BIN / "custsim"), "population=mystor", "steps=5"],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=180,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "custsim: config error: population=mystor: must be one of: grocery, mystore, subscribers"
    ]
    assert list(cwd.iterdir()) == []
