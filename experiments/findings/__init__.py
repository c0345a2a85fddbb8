"""Analyses that reproduce published findings, one module per `conf/experiment/<name>.yaml`.

Each module `custsim.experiments.findings.<name>` defines `NUMBER` (its place in the
report), `TITLE`, and `run(experiment: sim.findings.Experiment) -> FindingResult`.
`custsim-findings` (experiments/findings/cli.py) runs them and writes the report
(experiments/findings/records.py: each finding's files and the report built from them).
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from importlib import resources
from types import ModuleType

#: the machinery, not analyses
NOT_FINDINGS = frozenset({"arms", "cli", "config", "framework", "records"})


def finding_names() -> list[str]:
    """The analysis modules' names (unordered), without importing them."""
    return [m.name for m in pkgutil.iter_modules(__path__) if m.name not in NOT_FINDINGS]


def finding_modules() -> dict[str, ModuleType]:
    """Every analysis module by experiment name, in report order (`NUMBER`)."""
    modules = [importlib.import_module(f"{__name__}.{name}") for name in finding_names()]
    return {m.__name__.rsplit(".", 1)[1]: m for m in sorted(modules, key=lambda m: m.NUMBER)}


def _number_and_title(name: str) -> tuple[int, str]:
    """`NUMBER` and `TITLE` of analysis module `name`, read from its source (not run)."""
    tree = ast.parse(resources.files(__name__).joinpath(f"{name}.py").read_text())
    found = {
        node.targets[0].id: ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign)
        and len(node.targets) == 1
        and isinstance(node.targets[0], ast.Name)
        and node.targets[0].id in ("NUMBER", "TITLE")
    }
    return int(found["NUMBER"]), str(found["TITLE"])


def finding_titles() -> dict[str, str]:
    """Every finding's `TITLE` by name, in report order, read without importing the modules.

    (`--help` lists them and must answer at once: the analyses import the engine.)
    """
    found = sorted((*_number_and_title(name), name) for name in finding_names())
    return {name: title for _, title, name in found}
