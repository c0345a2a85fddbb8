"""One import namespace: the wheel installs `custsim.*` and `hydra_plugins`, nothing else.

The slow test builds the wheel, installs it into a fresh virtual environment (sharing
this environment's dependencies through a path entry, not custsim itself) and runs
`custsim` and a multirun from a directory that holds its own `conf/` and
`experiments/`, the layout Hydra's docs teach, which a top-level `conf` package broke.
"""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
import tomllib
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ("sim", "agents", "policies", "experiments")


def listed_packages() -> list[str]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]


def test_every_package_folder_is_listed_under_the_custsim_namespace():
    on_disk = {"custsim", "custsim.conf", "hydra_plugins"}
    on_disk |= {f"hydra_plugins.{p.parent.name}" for p in ROOT.glob("hydra_plugins/*/__init__.py")}
    for folder in FOLDERS:
        for init in (ROOT / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT).parts
            on_disk.add(".".join(("custsim", *rel)))
    assert set(listed_packages()) == on_disk


def test_the_front_door_exports_resolve_lazily():
    code = (
        "import sys, custsim; "
        "assert 'custsim.sim.model' not in sys.modules; "
        "assert callable(custsim.simulate) and callable(custsim.check_policy); "
        "assert custsim.CustsimModel.__module__ == 'custsim.sim.model'; "
        "print(sorted(custsim.__all__))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd="/")
    assert out.returncode == 0, out.stderr
    assert "compose_config" in out.stdout and "RunResult" in out.stdout


def test_no_generic_top_level_names_are_importable():
    for name in ("sim", "agents", "policies", "experiments", "conf", "support"):
        code = f"import importlib.util as u; print(u.find_spec({name!r}) is None)"
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd="/")
        assert out.stdout.strip() == "True", f"a top-level {name!r} is importable"


@pytest.mark.slow
def test_the_wheel_runs_from_a_directory_with_its_own_conf_and_experiments(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(ROOT)],
        check=True,
        capture_output=True,
    )
    wheel = next(dist.glob("custsim-*.whl"))
    tops = {name.split("/")[0] for name in zipfile.ZipFile(wheel).namelist()}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"custsim", "hydra_plugins"}
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    py = env_dir / "bin" / "python"
    site = Path(
        subprocess.check_output(
            [py, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"]
        )
        .decode()
        .strip()
    )
    # the dependencies of this environment, but not its (editable) custsim: a plain path entry
    # does not run the .pth files of the directory it adds
    (site / "deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), wheel],
        check=True,
        capture_output=True,
    )
    user = tmp_path / "project"
    (user / "conf").mkdir(parents=True)
    (user / "conf" / "config.yaml").write_text("greeting: hello\n")
    (user / "experiments").mkdir()
    (user / "experiments" / "__init__.py").write_text("")
    (user / "experiments" / "run.py").write_text("raise SystemExit('the user module ran')\n")
    small = ["steps=5", "population.size=200", "plots=false", "progress=off"]
    code = "import custsim.experiments.run as r, sys; sys.argv[0] = 'custsim'; r.main()"
    one = subprocess.run(
        [py, "-c", code, *small, f"hydra.run.dir={tmp_path / 'run'}"],
        cwd=user,
        capture_output=True,
        text=True,
    )
    assert one.returncode == 0, one.stderr
    kpis = json.loads((tmp_path / "run" / "kpis.json").read_text())
    assert set(kpis["firms"]) == {"A", "B", "C"}
    where = subprocess.check_output([py, "-c", "import custsim; print(custsim.__file__)"], cwd=user)
    assert str(site) in where.decode()
    multi = subprocess.run(
        [py, "-c", code, "-m", "seed=0,1", *small, f"hydra.sweep.dir={tmp_path / 'sweep'}"],
        cwd=user,
        capture_output=True,
        text=True,
    )
    assert multi.returncode == 0, multi.stderr
    assert (tmp_path / "sweep" / "results.parquet").is_file()
