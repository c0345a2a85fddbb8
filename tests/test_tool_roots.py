"""Each tool composes its own root config: a run's config plus the tool's block.

`custsim` knows only a run's keys; `custsim-compare`, `-optimize`, `-sensitivity` and
the findings add `compare`, `optimize`, `sensitivity` and `finding`
(`custsim.experiments.<tool>.config`, `conf/<tool>.yaml`).
"""

import dataclasses
import subprocess
import sys

import pytest

from custsim.experiments.calibrate.config import CalibrateRun
from custsim.experiments.compare.config import CompareRun
from custsim.experiments.findings.config import FindingRun
from custsim.experiments.findings.framework import Experiment
from custsim.experiments.optimize.config import OptimizeRun
from custsim.experiments.sensitivity.config import SensitivityRun
from custsim.sim.config import ConfigError, CustsimConfig
from custsim.sim.testing import compose_config

ROOTS = {
    "calibrate": (CalibrateRun, "calibrate.trials=8", ("calibrate", "trials", 8)),
    "compare": (CompareRun, "compare.replications=3", ("compare", "replications", 3)),
    "optimize": (OptimizeRun, "optimize.trials=3", ("optimize", "trials", 3)),
    "sensitivity": (SensitivityRun, "sensitivity.samples=3", ("sensitivity", "samples", 3)),
    "findings": (FindingRun, "finding.seeds=3", ("finding", "seeds", 3)),
}
RUN_KEYS = [f.name for f in dataclasses.fields(CustsimConfig)]
#: group options a tool's root chooses differently from a plain run (conf/<root>.yaml)
CHOSEN_BY_ROOT = {"calibrate": (("network", "none"),)}


@pytest.mark.parametrize("root", sorted(ROOTS))
def test_each_tool_accepts_its_own_block(root):
    schema, override, (block, key, value) = ROOTS[root]
    cfg = compose_config("steps=30", override, config_name=root)
    assert type(cfg) is schema
    assert getattr(getattr(cfg, block), key) == value


@pytest.mark.parametrize("root", sorted(ROOTS))
def test_a_tool_root_holds_the_same_run_config(root):
    # the schema is merged after config.yaml: its root defaults must not change the run;
    # custsim-calibrate alone chooses a group: a store's customers have no network by default
    chosen = CHOSEN_BY_ROOT.get(root, ())
    plain = compose_config("seed=4", *(f"{g}={o}" for g, o in chosen))
    tool = compose_config("seed=4", config_name=root)
    assert {k: getattr(tool, k) for k in RUN_KEYS} == {k: getattr(plain, k) for k in RUN_KEYS}


@pytest.mark.parametrize("root", sorted(ROOTS))
def test_a_plain_run_refuses_a_tools_block(root):
    _, override, (block, _, _) = ROOTS[root]
    with pytest.raises(ConfigError) as err:
        compose_config(override)
    assert str(err.value).startswith(f"{override}: no such key; root keys are: seed, steps")
    assert block not in str(err.value).split("root keys are: ")[1].split(", ")


def test_a_plain_run_refuses_a_findings_analysis_group_in_one_line():
    # conf/finding/ composes only under the findings' root; a plain run takes +experiment=
    with pytest.raises(ConfigError) as err:
        compose_config("+finding=framing")
    assert str(err.value).startswith("+finding=framing: no such key; root keys are: seed, steps")
    assert "\n" not in str(err.value) and "ConfigKeyError" not in str(err.value)


def test_custsim_with_a_compare_key_is_one_line_and_exit_2(tmp_path):
    cmd = [sys.executable, "-m", "custsim.experiments.run", "compare.replications=3"]
    proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "custsim: config error: compare.replications=3: no such key; root keys are: seed, "
        "steps, precision, progress, threads, write_customers, plots, record_purchases, "
        "analysis, population, market, network, policy, channels"
    ]
    assert not (tmp_path / "outputs").exists()


def test_a_plain_run_takes_an_experiments_setting_and_the_findings_its_analysis():
    plain = compose_config("+experiment=framing")
    assert type(plain) is CustsimConfig and plain.steps == 60
    found = Experiment("framing").config()
    assert found.finding.name == "framing" and found.finding.seeds == 6
    assert {k: getattr(found, k) for k in RUN_KEYS if k != "progress"} == {
        k: getattr(plain, k) for k in RUN_KEYS if k != "progress"
    }


def test_the_front_door_composes_any_root_in_a_fresh_process(tmp_path):
    # custsim.compose_config imports the tool's config module itself (experiments.roots)
    code = (
        "import custsim; "
        "print(*(type(custsim.compose_config(['steps=5'], config_name=r)).__name__ "
        "for r in ('config', 'compare', 'optimize', 'sensitivity', 'findings')))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == [
        "CustsimConfig",
        "CompareRun",
        "OptimizeRun",
        "SensitivityRun",
        "FindingRun",
    ]
