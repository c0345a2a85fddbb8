"""`--help` of every command: what it does, main options, examples, the config groups; fast."""

import functools
import subprocess
import sys
import tempfile
import tomllib
from importlib import resources
from pathlib import Path

import pytest

from custsim.experiments.cli import config_groups, format_help

VENV_BIN = Path(sys.executable).parent
HYDRA_COMMANDS = ["custsim", "custsim-compare", "custsim-optimize", "custsim-sensitivity"]
HEAVY = (
    *("matplotlib", "scipy.stats", "optuna", "SALib", "mesa", "pandas", "numpy"),
    *("hydra", "omegaconf", "custsim.sim.runner"),
)
#: each Hydra command's entry-point module (its console script's `main`)
ENTRY_MODULES = {
    "custsim": "custsim.experiments.run",
    "custsim-compare": "custsim.experiments.compare.cli",
    "custsim-optimize": "custsim.experiments.optimize.cli",
    "custsim-sensitivity": "custsim.experiments.sensitivity.cli",
}


def help_of(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    exe, *rest = args
    cmd = [str(VENV_BIN / exe), *rest]
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=120)


@functools.cache
def long_help(command: str) -> tuple[subprocess.CompletedProcess, list[Path]]:
    """`command --help` once per test session (the CLIs that import the engine take seconds)."""
    with tempfile.TemporaryDirectory() as cwd:
        proc = help_of(command, "--help", cwd=Path(cwd))
        return proc, list(Path(cwd).iterdir())


def examples(text: str) -> list[str]:
    """The example command lines: indented once, below `Examples:`."""
    block = text.split("\nExamples:\n", 1)[1].split("\n\n", 1)[0]
    return [line for line in block.splitlines() if line.startswith("  ") and line[2] != " "]


@pytest.mark.parametrize("command", [*HYDRA_COMMANDS, "custsim-report"])
def test_help_says_what_the_command_does_with_examples(command):
    proc, written = long_help(command)
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    assert text.startswith(f"usage: {command} ")
    assert "Options:" in text
    assert len(examples(text)) >= 3
    assert all(line.startswith(("  custsim", "  " + command)) for line in examples(text))
    assert "_schema" not in text
    assert len(text.splitlines()) < 100  # no dump of the composed config (Hydra's: 320 lines)
    assert "segments:" not in text and "== Config ==" not in text
    assert written == []  # help runs nothing and writes nothing


@pytest.mark.parametrize("command", HYDRA_COMMANDS)
def test_hydra_commands_list_the_config_groups(command):
    text = long_help(command)[0].stdout
    assert "  policy: acquisition, campaign, complaint_handling, composed, edlp," in text
    assert "  population: grocery, subscribers (default: grocery)" in text
    assert "  network: barabasi_albert, erdos_renyi, none, watts_strogatz" in text
    assert "  sweep: loss_aversion, loyalty_earn_rate, promo_depth" in text
    assert "(add with +experiment=<option>)" in " ".join(text.split())  # may wrap a line
    assert "--hydra-help" in text


def test_custsim_help_covers_multiruns_sweeps_experiments_and_outputs(tmp_path):
    short = help_of("custsim", "-h", cwd=tmp_path)
    assert short.returncode == 0
    text = long_help("custsim")[0].stdout
    assert short.stdout == text
    for needle in ("-m, --multirun", "sweep=NAME", "+experiment=NAME", "hydra.run.dir"):
        assert needle in text
    for needle in ("outputs/<date>/<time>/", "multirun/<date>/<time>/", "kpis.json", "run.log"):
        assert needle in text
    # help anywhere on the line wins, also with other arguments
    assert help_of("custsim", "-m", "seed=0,1", "--help", cwd=tmp_path).stdout == text
    assert list(tmp_path.iterdir()) == []


def test_hydra_help_is_still_hydras(tmp_path):
    proc = help_of("custsim", "--hydra-help", cwd=tmp_path)
    assert proc.returncode == 0
    assert "== Flags ==" in proc.stdout and "--hydra-help" in proc.stdout


@pytest.mark.parametrize("command", HYDRA_COMMANDS)
def test_help_imports_no_heavy_module(command, tmp_path):
    """`--help` reads its defaults without the engine, Hydra, NumPy or a tool's libraries."""
    code = (
        "import sys\n"
        f"sys.argv = [{command!r}, '--help']\n"
        f"from {ENTRY_MODULES[command]} import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as stop:\n"
        "    assert stop.code == 0\n"
        f"print([m for m in {HEAVY!r} if m in sys.modules])\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "[]"


def test_entry_modules_are_the_console_scripts():
    scripts = tomllib.loads(Path(__file__).parents[1].joinpath("pyproject.toml").read_text())
    declared = scripts["project"]["scripts"]
    assert {c: declared[c].split(":")[0] for c in HYDRA_COMMANDS} == ENTRY_MODULES


def test_config_groups_are_the_conf_package_folders():
    from custsim.policies.registry import policy_schemas

    groups = {g.name: g for g in config_groups()}
    conf = resources.files("custsim.conf")
    for name in ("population", "market", "network", "policy", "sweep", "experiment"):
        names = [p.name for p in conf.joinpath(name).iterdir()]
        files = sorted(n.removesuffix(".yaml") for n in names if n.endswith(".yaml"))
        stored = policy_schemas() if name == "policy" else ()  # policy=hi_lo: a registered schema
        assert list(groups[name].options) == sorted({*files, *stored})
    assert groups["hydra/launcher"].options == ("local", "ray_cluster", "slurm")
    assert groups["policy"].default == "edlp" and groups["network"].default == "watts_strogatz"
    assert groups["sweep"].default is None and groups["sweep"].in_defaults
    assert not groups["experiment"].in_defaults
    assert not any(o.endswith("_schema") for g in groups.values() for o in g.options)


def test_format_help_layout():
    text = format_help(
        usage="tool [X=Y]",
        description="Does a thing.\n\nAnd another.",
        options=[("x=INT", "the x"), ("a-very-long-option-name-that-goes-on=VALUE", "long")],
        examples=[("tool x=1", "one"), ("tool x=2", "two"), ("tool x=3", "three")],
        notes=["Outputs: nowhere."],
        groups=False,
        hydra=False,
    )
    assert text.splitlines()[:5] == ["usage: tool [X=Y]", "", "Does a thing.", "", "And another."]
    assert "  x=INT" in text and "the x" in text
    assert "\n  a-very-long-option-name-that-goes-on=VALUE\n" in text
    assert examples(text) == ["  tool x=1", "  tool x=2", "  tool x=3"]
    assert text.endswith("Outputs: nowhere.\n")
    assert "Config groups" not in text and "Hydra flags" not in text


def test_dashboard_help_has_examples_and_every_guided_experiment(tmp_path):
    from custsim.experiments.dashboard.presets import PRESETS

    proc = help_of("custsim-dashboard", "--help", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    assert text.startswith("usage: custsim-dashboard ")
    block = text.split("\nexamples:\n", 1)[1].split("\n\n", 1)[0]
    assert len(block.splitlines()) >= 3
    assert all(line.startswith("  custsim-dashboard") for line in block.splitlines())
    for preset in PRESETS:
        assert f"?preset={preset.key} " in text and preset.title in text
    assert list(tmp_path.iterdir()) == []  # help serves nothing and writes nothing
