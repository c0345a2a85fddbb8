"""Bad input never runs silently: each is refused before the run with one line naming key and value.

Firms that do not exist, unknown keys, non-finite and overflowing values, policy
parameters, runs that cannot fit in memory, output directories that cannot be
made, and the wording of the lines (value used, long values cut, no schemas).
"""

import dataclasses
import math
import subprocess
import sys
from pathlib import Path

import pytest

from custsim.experiments.cli import directory_problem, launcher_problem, preflight
from custsim.policies.registry import POLICY_SCHEMAS
from custsim.sim import config as schema
from custsim.sim import memory
from custsim.sim.compose import compose_raw
from custsim.sim.config import ConfigError, Dist, FirmConfig
from custsim.sim.rules import MAX_SHOWN
from custsim.sim.testing import compose_config
from custsim.sim.validation import validate

VENV_BIN = Path(sys.executable).parent
FIRMS_HINT = "(a new firm needs price, cost and quality: "


def error_line(*overrides: str) -> str:
    """The one-line ConfigError of composing and validating `overrides`."""
    with pytest.raises(ConfigError) as err:
        compose_config(*overrides)
    lines = str(err.value).splitlines()
    assert len(lines) == 1, lines
    return lines[0]


# -- firms ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("override", "firm"),
    [("+policy@market.firms.b.policy=hi_lo", "b"), ("market.firms.D.price=9", "D")],
)
def test_a_firm_that_does_not_exist_is_named_with_the_firms(override, firm):
    line = error_line(override)
    assert line.startswith(f"market.firms.{firm}: no such firm; firms are: A, B, C {FIRMS_HINT}")


def test_a_new_firm_needs_price_cost_and_quality():
    assert {f.name: f.default for f in dataclasses.fields(FirmConfig)}["price"] == "???"
    line = error_line("+market.firms={D:{price:9}}")
    assert line == "market.firms.D.cost: missing; a new firm needs price, cost and quality"
    cfg = compose_config("+market.firms={D:{price:9,cost:5,quality:2}}")
    assert list(cfg.market.firms) == ["A", "B", "C", "D"]
    assert (cfg.market.firms["D"].price, cfg.market.firms["D"].quality) == (9.0, 2.0)


def test_a_policy_on_the_focal_firm_entry_is_not_ignored():
    line = error_line("+policy@market.firms.A.policy=hi_lo")
    assert line.startswith("market.firms.A.policy: A is the focal firm")


# -- unknown keys ---------------------------------------------------------------------------------


def test_unknown_root_key_is_refused_with_the_root_keys():
    line = error_line("+sede=3")
    assert line.startswith("sede=3: no such key; root keys are: seed, steps, precision")


def test_an_unknown_analysis_is_one_line_naming_the_analyses():
    assert error_line("analysis=[crm,foo]") == (
        "analysis=['crm', 'foo']: unknown analysis; analyses are: crm"
    )
    assert error_line("analysis=crm").startswith("analysis=crm: ")  # a list key: analysis=[crm]


def test_unknown_nested_keys_are_refused_too():
    assert error_line("+population.sise=3").startswith("population.sise=3: no such key")
    assert error_line("policy=hi_lo", "+policy.dept=0.2").startswith(
        "policy.dept=0.2: no such key; policy keys are: depth, every"
    )


@pytest.mark.parametrize("old", sorted(schema.MOVED_KEYS))
def test_a_key_that_moved_into_a_block_says_where_it_went(old):
    new = schema.MOVED_KEYS[old]
    assert error_line(f"{old}=1") == f"{old}=1: moved to {new}"
    assert error_line(f"+{old}=1") == f"{old}=1: moved to {new}"
    value = "regular" if new.endswith("timing") else "1"
    assert compose_config(f"{new}={value}") is not None  # the new key takes a value


@pytest.mark.parametrize(
    ("override", "line"),
    [
        (
            "population.urgency.scarcity_scale=0",
            "population.urgency.scarcity_scale=0.0: must be > 0",
        ),
        (
            "population.loyalty.probability_weighting=0.2",
            "population.loyalty.probability_weighting=0.2: must be in [0.28, 1]",
        ),
        ("population.occasions.timing=weekly", "population.occasions.timing='weekly': must be one"),
        (
            "population.inventory.full_stockpile_depth=0",
            "full_stockpile_depth=0.0: must be in (0, 1]",
        ),
    ],
)
def test_a_bad_mechanism_block_value_is_one_line(override, line):
    assert line in error_line(override)


# -- non-finite, unbounded and overflowing values -------------------------------------------------

BIG = "9" * 400


@pytest.mark.parametrize(
    ("overrides", "needle"),
    [
        (
            ["population.inventory.capacity=inf"],
            "population.inventory.capacity=inf: must be a finite number",
        ),
        (["market.firms.A.cost=inf"], "market.firms.A.cost=inf: must be a finite number"),
        (["market.firms.A.quality=nan"], "market.firms.A.quality=nan: must be a finite number"),
        (["market.firms.A.price=1e300"], "market.firms.A.price=1e+300: must be <= "),
        (
            ["population.segments.balanced.occasion_rate.mean=1e300"],
            "population.segments.balanced.occasion_rate.mean=1e+300: must be <= 10",
        ),
        (
            ["population.segments.balanced.occasion_rate.sd=1e300"],
            "population.segments.balanced.occasion_rate.sd=1e+300: must be <= 10",
        ),
        (["steps=99999999999999999999"], "steps=99999999999999999999: must be <= 100000"),
        ([f"population.size={BIG}"], "population.size=999"),
        (
            ["network=erdos_renyi", "population.size=10", "network.mean_degree=9.5"],
            "network.mean_degree=9.5: erdos_renyi needs at most population.size - 1 = 9",
        ),
        (["population.size=2", "network.mean_degree=1"], "watts_strogatz links each customer"),
        (
            ["population.size=12", "network.mean_degree=11.5"],  # below n, but k = 12
            "network.mean_degree=11.5: watts_strogatz links each customer to k=12",
        ),
        (["network.mean_degree=1e9"], "network.mean_degree=1000000000.0: must be <= 10000"),
        (["policy=hi_lo", "policy.every=1e300"], "policy.every"),
    ],
)
def test_non_finite_and_overflowing_values_fail_before_the_run(overrides, needle):
    assert needle in error_line(*overrides)


def _numeric(f: dataclasses.Field) -> bool:
    kind = str(f.type)
    return any(t in kind for t in ("int", "float", "Dist")) and not kind.startswith(
        ("list", "dict")
    )


def _schemas() -> list[type]:
    roots = [
        schema.CustsimConfig,
        schema.SegmentConfig,
        schema.FirmConfig,
        *POLICY_SCHEMAS.values(),
    ]
    found, todo = [], list(roots)
    while todo:
        cls = todo.pop()
        if cls in found or cls is Dist:
            continue
        found.append(cls)
        todo += [
            getattr(schema, t)
            for f in dataclasses.fields(cls)
            for t in [str(f.type)]
            if t.endswith("Config") and hasattr(schema, t)
        ]
    return found


@pytest.mark.parametrize("cls", _schemas(), ids=lambda c: c.__name__)
def test_every_numeric_field_is_bounded_and_finite(cls):
    for f in filter(_numeric, dataclasses.fields(cls)):
        rule = f.metadata.get("rule")
        assert rule is not None, f"{cls.__name__}.{f.name} has no rule"
        assert rule.hi is not None or rule.cap is not None, f"{cls.__name__}.{f.name}: no bound"
        assert not rule.allows(math.nan) and not rule.allows(math.inf)
        assert not rule.allows(-math.inf)
        if "Dist" in str(f.type):
            assert f.metadata["sd_rule"].cap is not None, f"{cls.__name__}.{f.name}.sd"


# -- policy parameters ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "line"),
    [
        (["policy=limited_offer", "policy.stock=-5"], "policy.stock=-5: must be >= 0 or null"),
        (
            ["+policy@market.firms.B.policy=limited_offer", "market.firms.B.policy.stock=-5"],
            "market.firms.B.policy.stock=-5: must be >= 0 or null",
        ),
        (
            ["policy=composed", "+policy.parts.2.stock=-5"],
            "policy.parts.2.stock=-5: must be >= 0 or null",
        ),
        (
            ["policy=composed", "+policy.parts.0.dept=0.2"],
            "policy.parts.0.dept=0.2: no such key; policy.parts.0 keys are: depth, every, "
            "duration, start, frame, show_list_price",
        ),
        (
            ["policy=composed", "policy.parts.0.duration=60"],  # every: 56
            "policy.parts.0.duration=60: must be <= every=56",
        ),
        (
            ["policy=limited_offer", "policy.every=7"],
            "policy.every=7: must be >= duration=14 or null",
        ),
        (
            ["+policy@market.firms.C.policy=reactive", "market.firms.C.policy.watch=C"],
            "market.firms.C.policy.watch='C': must be one of: A, B",
        ),
        (
            ["policy=tiers", "policy.discounts=[0.1]"],
            "policy.discounts=[0.1]: must be one per threshold, each in [0, 1)",
        ),
        (
            ["policy=loyalty_points", "policy.earn_rate=inf"],
            "policy.earn_rate=inf: must be a finite number in [0, 1000]",
        ),
    ],
)
def test_policy_parameters_are_checked_up_front(overrides, line):
    assert error_line(*overrides) == line


# -- memory ---------------------------------------------------------------------------------------


def test_a_run_that_cannot_fit_in_memory_is_refused(monkeypatch):
    monkeypatch.setattr(memory, "physical_memory", lambda: 1e9)
    line = error_line("population.size=2000000")
    assert line.startswith("population.size=2000000: the run needs about 2.")
    assert line.endswith("GB of memory (estimate, sim.memory), this machine has 1.0 GB")
    with pytest.raises(ConfigError, match="needs about"):  # a sweep job validates Hydra's config
        validate(compose_raw(["population.size=2000000"]))


def test_fifty_million_customers_are_refused_on_this_machine():
    cfg = compose_config("progress=off")
    big = dataclasses.replace(cfg, population=dataclasses.replace(cfg.population, size=50_000_000))
    if memory.estimated_bytes(big) <= memory.physical_memory():
        pytest.skip("this machine has the memory for 50 million customers")
    assert "population.size=50000000: the run needs about" in error_line("population.size=50000000")


MEASURE = """
import sys, tempfile, tracemalloc
from pathlib import Path
from custsim.sim.compose import compose_config
from custsim.sim.runner import simulate
cfg = compose_config(sys.argv[1:])
tracemalloc.start()  # NumPy reports its buffers to tracemalloc: the run's own peak, not RSS's
with tempfile.TemporaryDirectory() as out:
    simulate(cfg, Path(out))
print(tracemalloc.get_traced_memory()[1])
"""


@pytest.mark.parametrize("precision", ["float64", "float32"])
def test_memory_estimate_covers_a_measured_run(tmp_path, precision):
    overrides = ["population.size=100000", "steps=5", "progress=off", "plots=false"]
    overrides.append(f"precision={precision}")
    proc = subprocess.run(
        [sys.executable, "-c", MEASURE, *overrides],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    measured = float(proc.stdout.split()[-1])
    estimate = memory.estimated_bytes(compose_config(*overrides)) - memory.BASE_BYTES
    assert measured <= estimate <= 3 * measured, (measured, estimate)


# -- output directories ---------------------------------------------------------------------------


def test_output_directories_that_cannot_be_made(tmp_path):
    in_the_way = tmp_path / "a_file"
    in_the_way.write_text("")
    assert "is a file, not a directory" in directory_problem("hydra.run.dir", f"{in_the_way}/run")
    assert "is a file, not a directory" in directory_problem("hydra.run.dir", str(in_the_way))
    assert "cannot create /proc/x" in directory_problem("hydra.run.dir", "/proc/x")
    assert directory_problem("hydra.run.dir", "") == (
        "hydra.run.dir='': must be a directory path (empty writes into the current directory)"
    )
    assert directory_problem("hydra.run.dir", str(tmp_path / "new" / "run")) is None
    assert not (tmp_path / "new").exists()  # checked, not created


def test_empty_run_dir_exits_2_with_one_line(capsys):
    with pytest.raises(SystemExit) as stop:
        preflight(["hydra.run.dir=", "steps=5"])
    assert stop.value.code == 2
    assert capsys.readouterr().err == (
        "custsim: config error: hydra.run.dir='': must be a directory path "
        "(empty writes into the current directory)\n"
    )


def custsim(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    cmd = [str(VENV_BIN / "custsim"), *args]
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=300)


def test_cli_uncreatable_run_dir_is_one_line_and_exit_2(tmp_path):
    proc = custsim("hydra.run.dir=/proc/x", "population.size=100", "steps=2", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        "custsim: config error: hydra.run.dir=/proc/x: cannot create /proc/x "
        "(No such file or directory)"
    ]


def test_cli_unknown_root_key_exits_2_before_any_directory(tmp_path):
    proc = custsim("+sede=3", cwd=tmp_path)
    assert proc.returncode == 2
    [line] = proc.stderr.splitlines()
    assert line.startswith("custsim: config error: sede=3: no such key; root keys are: seed")
    assert list(tmp_path.iterdir()) == []


# -- the wording of error lines -------------------------------------------------------------------


def test_a_key_given_twice_is_named_with_the_value_used():
    assert error_line("seed=1", "seed=x").startswith("seed=x: ")
    assert error_line("policy=hi_lo", "policy=nosuch").startswith("policy=nosuch: must be one of")


def test_long_values_are_cut_with_an_ellipsis():
    for overrides in (
        [f"population.size={BIG}"],
        ["policy=hi_lo", f"policy.frame={'x' * 300}"],
        [f"steps={'x' * 300}"],
    ):
        line = error_line(*overrides)
        assert "…" in line and len(line) < 400
        assert "x" * (MAX_SHOWN + 1) not in line and "9" * (MAX_SHOWN + 1) not in line


@pytest.mark.parametrize("option", ["nosuch", "hi_lo_schema"])
def test_policy_options_never_list_schemas_and_a_schema_is_no_policy(option):
    line = error_line(f"policy={option}")
    assert line.startswith(
        f"policy={option}: must be one of: acquisition, campaign, complaint_handling, composed, "
        "edlp, endowed_stamp_card,"
    )
    assert "_schema" not in line.removeprefix(f"policy={option}")


@pytest.mark.parametrize(("launcher", "extra"), [("slurm", "slurm"), ("ray_cluster", "ray")])
def test_missing_launcher_plugin_says_which_extra_to_install(launcher, extra, capsys):
    if launcher_problem(launcher) is None:
        pytest.skip(f"the {extra} launcher plugin is installed")
    with pytest.raises(SystemExit) as stop:
        preflight(["-m", f"hydra/launcher={launcher}", "seed=0,1"])
    assert stop.value.code == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"custsim: config error: hydra/launcher={launcher}: its plugin")
    assert line.endswith(f"pip install 'custsim[{extra}]'")
