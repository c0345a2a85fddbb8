"""Analyses that reproduce published findings, one module per `conf/experiment/<name>.yaml`.

Each module `experiments.findings.<name>` defines `NUMBER` (its place in the
report), `TITLE`, and `run(experiment: sim.findings.Experiment) -> FindingResult`.
`custsim-findings` (experiments/findings/cli.py) runs them and writes the report.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

NOT_FINDINGS = frozenset({"cli"})


def finding_modules() -> dict[str, ModuleType]:
    """Every analysis module by experiment name, in report order (`NUMBER`)."""
    names = [m.name for m in pkgutil.iter_modules(__path__) if m.name not in NOT_FINDINGS]
    modules = [importlib.import_module(f"{__name__}.{name}") for name in names]
    return {m.__name__.rsplit(".", 1)[1]: m for m in sorted(modules, key=lambda m: m.NUMBER)}
