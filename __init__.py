"""custsim: a behavioural customer-simulation lab.

The front door. Everything a notebook or a script needs to run the model::

    import custsim

    cfg = custsim.compose_config(["policy=hi_lo", "population.size=5000"])
    run = custsim.simulate(cfg)              # a RunResult: model, timeseries, customers, KPIs
    run.firm_kpis

    custsim.check_policy(["policy=retention"])   # a policy passes the policy checker

The names below are imported on first use (PEP 562), so `import custsim` and the
command-line tools start without loading the engine.

This file is installed as `custsim/__init__.py`; the project's top-level folders
install beside it as `custsim.sim` (the engine), `custsim.agents` (customer
behaviour), `custsim.policies` (firm policies), `custsim.experiments` (tools that
run the engine many times or read its results) and `custsim.conf` (Hydra configs).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

#: public name -> module that defines it
EXPORTS = {
    "compose_config": "custsim.experiments.roots",
    "ConfigError": "custsim.sim.config",
    "CustsimConfig": "custsim.sim.config",
    "simulate": "custsim.experiments.run",
    "build_model": "custsim.sim.runner",
    "RunResult": "custsim.sim.runner",
    "CustsimModel": "custsim.sim.model",
    "MarketObs": "custsim.sim.market",
    "Offer": "custsim.sim.market",
    "StepOutcome": "custsim.sim.market",
    "Policy": "custsim.policies.base",
    "check_policy": "custsim.policies.check",
    "crm_report": "custsim.experiments.crm.job",
}

__all__ = sorted(EXPORTS)

if TYPE_CHECKING:  # the same names, for type checkers and editors
    from custsim.experiments.crm.job import crm_report  # noqa: F401
    from custsim.experiments.roots import compose_config  # noqa: F401
    from custsim.experiments.run import simulate  # noqa: F401
    from custsim.policies.base import Policy  # noqa: F401
    from custsim.policies.check import check_policy  # noqa: F401
    from custsim.sim.config import ConfigError, CustsimConfig  # noqa: F401
    from custsim.sim.market import MarketObs, Offer, StepOutcome  # noqa: F401
    from custsim.sim.model import CustsimModel  # noqa: F401
    from custsim.sim.runner import RunResult, build_model  # noqa: F401


def __getattr__(name: str) -> Any:
    """Import an exported name from its module on first use."""
    if name not in EXPORTS:
        raise AttributeError(f"module 'custsim' has no attribute {name!r}")
    value = getattr(import_module(EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *EXPORTS])
