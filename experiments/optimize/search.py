"""Searching the focal firm's policy parameters (`custsim-optimize`): the logic, no CLI.

The search space is `optimize.params`, each config key with a [low, high]
range. A seeded Optuna TPE study maximises the mean of one focal-firm KPI over
the replications of each trial; with `optimize.min_retention` set, every trial
carries the constraint `min_retention - mean focal retention` (feasible when
<= 0, `Trial.set_constraint`), so the sampler and `Study.best_trial` prefer
feasible trials; with `optimize.max_contact_cost` set, also the constraint
`mean focal contact cost - max_contact_cost`. A trial whose parameters the policy
rejects (`ConfigError`) is recorded as failed and the study goes on.

`optimize.objective=roi` is the return on the focal firm's contact spend against
a baseline policy without messages, on common random numbers (`roi_kpis`).

The simulation itself is a callable, `Evaluate`, given by the command, so this
module never composes configs or runs Hydra.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import pandas as pd
from omegaconf import OmegaConf
from optuna.trial import FrozenTrial, Trial, TrialState
from tqdm import tqdm

from custsim.experiments.optimize.config import OptimizeRun
from custsim.experiments.optimize.settings import DEFAULT_OPTIMIZE_PARAMS, ROI, OptimizeConfig
from custsim.experiments.plots import PALETTE, closing_figure, save_png
from custsim.sim.compose import override_key
from custsim.sim.config import ConfigError
from custsim.sim.kpis import FOCAL_KPIS, Kpi
from custsim.sim.kpis import format_value as format_kpi
from custsim.sim.traits import population_wide

PARAMS_KEY = "optimize.params"
CONSTRAINT = "min_retention"
COST_CONSTRAINT = "max_contact_cost"
#: the objective `roi` (no KPI of one run, so not in the registry: `custsim.sim.kpis`)
ROI_KPI = Kpi(ROI, "return on the contact spend", "ratio", scope="reach", header="ROI")
TOP_TRIALS = 5
_ABSENT = object()

Value = int | float
Evaluate = Callable[[dict[str, Value]], dict[str, float]]


@dataclass(frozen=True)
class Param:
    """One searched config key and its range; `integer` searches whole numbers."""

    key: str
    low: Value
    high: Value
    integer: bool

    def suggest(self, trial: Trial) -> Value:
        """The trial's value for this key (Optuna names the parameter by the key)."""
        if self.integer:
            return trial.suggest_int(self.key, int(self.low), int(self.high))
        return trial.suggest_float(self.key, float(self.low), float(self.high))

    def bounds(self) -> dict[str, Value | bool]:
        """{'low': ..., 'high': ..., 'integer': ...} for best.json."""
        return {"low": self.low, "high": self.high, "integer": self.integer}

    def describe(self) -> str:
        """'policy.every in [7, 56]'."""
        return f"{self.key} in [{format_value(self.low)}, {format_value(self.high)}]"


def search_space(cfg: OptimizeRun, overrides: Sequence[str] = ()) -> list[Param]:
    """The validated search space and settings of `cfg.optimize`.

    `overrides` is accepted for the CLI's preflight check and not needed here.

    Raises:
        ConfigError: one line per problem: an unknown or non-numeric key, a range
            that is not [low, high] with low < high, an unknown objective or a
            `min_retention` outside [0, 1].

    """
    raw = DEFAULT_OPTIMIZE_PARAMS if cfg.optimize.params is None else cfg.optimize.params
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{PARAMS_KEY}={raw!r}: must be {{key: [low, high], ...}}")
    node = OmegaConf.structured(cfg)
    checked = [_check_param(node, key, bounds) for key, bounds in raw.items()]
    problems = [c for c in checked if isinstance(c, str)] + _setting_problems(cfg.optimize)
    if not raw:
        problems.append(f"{PARAMS_KEY}={{}}: must name at least one key: [low, high]")
    if problems:
        raise ConfigError("\n".join(problems))
    return [c for c in checked if isinstance(c, Param)]


def _check_param(node: Any, key: str, bounds: Any) -> Param | str:
    """A `Param`, or the one-line problem with `key: bounds`."""
    where = f"{PARAMS_KEY}.{key}={_show(bounds)}"
    current = OmegaConf.select(node, key, default=_ABSENT)
    if current is _ABSENT:
        return f"{where}: no such key in the composed config (is its policy=... selected?)"
    if current is None and population_wide(key):
        current = 0.0  # population.traits.<trait>.mean: a number, unset by default
    if isinstance(current, bool) or not isinstance(current, int | float):
        return f"{where}: {key} is not a number (it is {current!r})"
    numbers = isinstance(bounds, Sequence) and not isinstance(bounds, str) and len(bounds) == 2
    if not numbers or not all(_is_number(b) for b in bounds):
        return f"{where}: must be [low, high], two numbers"
    low, high = bounds
    if not low < high:
        return f"{where}: low must be below high"
    integer = isinstance(current, int) or all(isinstance(b, int) for b in bounds)
    if integer and not all(float(b).is_integer() for b in bounds):
        return f"{where}: {key} is an integer, so the bounds must be whole numbers"
    return Param(key, int(low) if integer else low, int(high) if integer else high, integer)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _show(bounds: Any) -> str:
    """Bounds as typed on the command line: [0.05, 0.5]."""
    if isinstance(bounds, Sequence) and not isinstance(bounds, str):
        return "[" + ", ".join(format_value(b) if _is_number(b) else repr(b) for b in bounds) + "]"
    return repr(bounds)


def _setting_problems(settings: OptimizeConfig) -> list[str]:
    """Problems with the objective, the retention floor and the contact-cost ceiling."""
    problems = []
    if settings.objective not in (*FOCAL_KPIS, ROI):
        choices = ", ".join((*FOCAL_KPIS, ROI))
        problems.append(f"optimize.objective={settings.objective!r}: must be one of: {choices}")
    floor = settings.min_retention
    if floor is not None and not (_is_number(floor) and 0 <= floor <= 1):
        problems.append(f"optimize.min_retention={floor!r}: must be in [0, 1] or null")
    ceiling = settings.max_contact_cost
    if ceiling is not None and not (_is_number(ceiling) and ceiling >= 0):
        problems.append(f"optimize.max_contact_cost={ceiling!r}: must be >= 0 or null")
    return problems


def uses_reach(settings: OptimizeConfig) -> bool:
    """Whether the trials need the focal contact cost: objective `roi` or a cost ceiling."""
    return settings.objective == ROI or settings.max_contact_cost is not None


def format_objective(objective: str, value: float) -> str:
    """The objective's value as text: a KPI's through the registry, `roi` as a ratio."""
    return ROI_KPI.format(value) if objective == ROI else format_kpi(objective, value)


def format_value(value: Value) -> str:
    """A value as an override: integers plain, floats exactly (shortest round trip)."""
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        return str(int(value))
    return repr(float(value))


def param_overrides(values: Mapping[str, Value]) -> list[str]:
    """['policy.depth=0.23', 'policy.every=21']."""
    return [f"{key}={format_value(v)}" for key, v in values.items()]


def trial_overrides(base: Sequence[str], values: Mapping[str, Value]) -> list[str]:
    """`base` without overrides of the searched keys, then the trial's values."""
    kept = [o for o in base if override_key(o) not in values]
    return [*kept, *param_overrides(values)]


def mean_focal_kpis(firm_kpis: Sequence[pd.DataFrame], focal: str) -> dict[str, float]:
    """Every focal KPI (`FOCAL_KPIS`) averaged over the replications' `run.firm_kpis`."""
    rows = [frame.set_index("firm").loc[focal, list(FOCAL_KPIS)] for frame in firm_kpis]
    return {k: float(v) for k, v in pd.DataFrame(rows).astype(float).mean().items()}


def roi_kpis(
    margins: Sequence[float], costs: Sequence[float], baseline: Sequence[float] | None
) -> dict[str, float]:
    """The focal contact cost and, against a baseline, the return on it, over R seeds.

    `margins[r]` is the focal margin of seed r (net of the contact cost: the cost is
    inside the margin, `custsim.sim.metrics.reach_tables`), `costs[r]` its contact
    cost K_r and `baseline[r]` the focal margin B_r of the same seed under a policy
    without messages (common random numbers: same population, network and draws).

        contact_cost       = mean_r K_r
        baseline_margin    = mean_r B_r
        incremental_margin = mean_r (M_r - B_r)
        roi                = sum_r (M_r - B_r) / sum_r K_r

    A ratio of sums (the return on the whole spend), not a mean of per-seed ratios,
    which a seed with a small spend would dominate. As M is net of K, roi is the net
    return: 0 is break-even, -1 a spend that changed nothing, roi + 1 the gross return
    (incremental margin before contact cost per unit spent). NaN when nothing was spent.
    Without a baseline, only `contact_cost`.
    """
    spend = float(np.mean(costs))
    out = {"contact_cost": spend}
    if baseline is None:
        return out
    gain = float(np.mean(np.asarray(margins, float) - np.asarray(baseline, float)))
    out |= {
        "baseline_margin": float(np.mean(baseline)),
        "incremental_margin": gain,
        ROI: gain / spend if spend > 0 else math.nan,
    }
    return out


def run_study(
    space: Sequence[Param], evaluate: Evaluate, settings: OptimizeConfig, progress: bool = False
) -> optuna.Study:
    """Run `settings.trials` trials of a seeded TPE study that maximises the objective.

    Args:
        space: the searched keys and ranges.
        evaluate: maps a trial's values to its mean focal KPIs; raises ConfigError
            for values the policy rejects.
        settings: objective, retention floor, trials and sampler seed.
        progress: show a progress bar over trials.

    Returns:
        The finished study.

    """
    sampler = optuna.samplers.TPESampler(seed=settings.sampler_seed)
    study = optuna.create_study(direction="maximize", sampler=sampler)
    for _ in tqdm(range(settings.trials), desc="trials", unit="trial", disable=not progress):
        run_trial(study, space, evaluate, settings)
    return study


def run_trial(
    study: optuna.Study, space: Sequence[Param], evaluate: Evaluate, settings: OptimizeConfig
) -> None:
    """Ask for one trial, evaluate it, and tell the study its objective (or its failure)."""
    trial = study.ask()
    values = {p.key: p.suggest(trial) for p in space}
    try:
        kpis = evaluate(values)
    except ConfigError as err:
        trial.set_user_attr("error", str(err).splitlines()[0])
        study.tell(trial, state=TrialState.FAIL)
        return
    trial.set_user_attr("kpis", kpis)
    if settings.min_retention is not None:
        gap = settings.min_retention - kpis["retention"]
        trial.set_constraint(CONSTRAINT, math.inf if math.isnan(gap) else gap)
    if settings.max_contact_cost is not None:
        gap = kpis["contact_cost"] - settings.max_contact_cost
        trial.set_constraint(COST_CONSTRAINT, math.inf if math.isnan(gap) else gap)
    if settings.objective == ROI and math.isnan(kpis[ROI]):
        trial.set_user_attr("error", "no contact sent: the return on no spend is undefined")
        study.tell(trial, state=TrialState.FAIL)
        return
    study.tell(trial, kpis[settings.objective])


def best_trial(study: optuna.Study) -> FrozenTrial | None:
    """The best feasible complete trial, or None when there is none."""
    try:
        return study.best_trial
    except ValueError:  # no complete trial, or none feasible
        return None


def is_feasible(trial: FrozenTrial) -> bool:
    """Complete and within every constraint."""
    done = trial.state == TrialState.COMPLETE
    return done and all(v <= 0 for v in trial.constraints.values())


def trials_frame(study: optuna.Study, space: Sequence[Param]) -> pd.DataFrame:
    """One row per trial (see `trial_columns`); KPIs are NaN for a failed trial."""
    rows = []
    trials = study.get_trials(deepcopy=False)
    extra = _extra_kpis(trials)
    cost = any(COST_CONSTRAINT in t.constraints for t in trials)
    for t in trials:
        kpis = t.user_attrs.get("kpis", {})
        row: dict[str, Any] = {"number": t.number, "state": t.state.name.lower()}
        row |= {p.key: t.params.get(p.key) for p in space}
        row["value"] = t.value if t.value is not None else math.nan
        row |= {f"mean_{k}": kpis.get(k, math.nan) for k in (*FOCAL_KPIS, *extra)}
        row["constraint"] = t.constraints.get(CONSTRAINT, math.nan)
        if cost:
            row[f"constraint_{COST_CONSTRAINT}"] = t.constraints.get(COST_CONSTRAINT, math.nan)
        row |= {"feasible": is_feasible(t), "error": t.user_attrs.get("error", "")}
        rows.append(row)
    return pd.DataFrame(rows, columns=trial_columns(space, extra, cost))


def _extra_kpis(trials: Sequence[FrozenTrial]) -> list[str]:
    """The trials' KPIs besides `FOCAL_KPIS` (contact_cost, roi, ...), in first-seen order."""
    found: dict[str, None] = {}
    for t in trials:
        found |= dict.fromkeys(k for k in t.user_attrs.get("kpis", {}) if k not in FOCAL_KPIS)
    return list(found)


def trial_columns(
    space: Sequence[Param], extra: Sequence[str] = (), cost: bool = False
) -> list[str]:
    """number, state, <each key>, value, mean_<kpi>..., constraint, feasible, error.

    `extra` KPIs (`roi_kpis`) follow the focal KPIs as `mean_<kpi>`; with a contact-cost
    ceiling (`cost`), `constraint_max_contact_cost` follows `constraint`.
    """
    kpis = [f"mean_{k}" for k in (*FOCAL_KPIS, *extra)]
    keys = [p.key for p in space]
    ceiling = [f"constraint_{COST_CONSTRAINT}"] if cost else []
    return ["number", "state", *keys, "value", *kpis, "constraint", *ceiling, "feasible", "error"]


def best_summary(
    study: optuna.Study,
    space: Sequence[Param],
    settings: OptimizeConfig,
    focal: str,
    base: Sequence[str],
    seed: int,
) -> dict[str, Any]:
    """The contents of best.json: the search, its counts and the best feasible trial (or None).

    `best.command` reruns the best trial's first replication with `custsim`
    (`base` minus `optimize.*`, `progress` and the searched keys, plus the values).
    """
    trials = study.get_trials(deepcopy=False)
    best = best_trial(study)
    summary: dict[str, Any] = {
        "objective": settings.objective,
        "direction": "maximize",
        "focal_firm": focal,
        "min_retention": settings.min_retention,
        "search_space": {
            p.key: {"low": p.low, "high": p.high, "integer": p.integer} for p in space
        },
        "trials": len(trials),
        "complete": sum(t.state == TrialState.COMPLETE for t in trials),
        "failed": sum(t.state == TrialState.FAIL for t in trials),
        "feasible": sum(is_feasible(t) for t in trials),
        "replications": settings.replications,
        "seeds": [seed + r for r in range(settings.replications)],
        "sampler_seed": settings.sampler_seed,
        "best": None if best is None else _best_entry(best, base),
    }
    if uses_reach(settings):  # only then: best.json of the other searches is unchanged
        summary["max_contact_cost"] = settings.max_contact_cost
        if settings.objective == ROI:
            summary["baseline"] = settings.baseline
    summary["message"] = best_message(summary)
    return summary


def _best_entry(best: FrozenTrial, base: Sequence[str]) -> dict[str, Any]:
    """The best trial: number, values, objective, mean KPIs and its override line."""
    line = " ".join(param_overrides(best.params))
    kept = [o for o in base if not _optimize_only(o)]
    return {
        "number": best.number,
        "params": dict(best.params),
        "value": best.value,
        "kpis": best.user_attrs["kpis"],
        "overrides": line,
        "command": " ".join(["custsim", *trial_overrides(kept, best.params)]),
    }


def _optimize_only(override: str) -> bool:
    """Overrides that do not change a simulation (`optimize.*`, `progress`)."""
    key = override_key(override)
    return key == "progress" or key.split(".")[0] == "optimize"


def best_message(summary: Mapping[str, Any]) -> str:
    """One line: the best trial, or why there is none."""
    best, objective = summary["best"], summary["objective"]
    if best is not None:
        value = format_objective(objective, best["value"])
        return f"best: trial {best['number']}, {summary['focal_firm']} {objective} {value}"
    if summary["complete"] == 0:
        return f"no best trial: all {summary['trials']} trials failed (see trials.parquet, error)"
    limits = []
    if summary["min_retention"] is not None:
        limits.append(f"retention >= {format_kpi('retention', summary['min_retention'])}")
    if summary.get("max_contact_cost") is not None:
        limits.append(f"contact cost <= {format_kpi('contact_cost', summary['max_contact_cost'])}")
    return (
        f"no feasible trial: none of the {summary['complete']} complete trials kept "
        f"{summary['focal_firm']}'s {' and '.join(limits)}"
    )


def format_report(table: pd.DataFrame, summary: Mapping[str, Any], space: Sequence[Param]) -> str:
    """The best feasible trials, the best values and their override line, or the reason for none."""
    objective = summary["objective"]
    top = table[table["feasible"]].sort_values(["value", "number"], ascending=[False, True])
    lines = []
    # with the focal contact cost (objective roi or a cost ceiling): it and the margin gained
    money = [k for k in ("contact_cost", "incremental_margin") if f"mean_{k}" in table]
    if not top.empty:
        heads = ["trial", *(p.key for p in space), objective, "retention"]
        heads += [k.replace("_", " ") for k in money]
        lines.append("  ".join(f"{h:>14}" for h in heads))
        for _, row in top.head(TOP_TRIALS).iterrows():
            cells = [str(row["number"]), *(_short(row[p.key], p.integer) for p in space)]
            cells.append(format_objective(objective, row["value"]))
            cells.append(format_kpi("retention", row["mean_retention"]))
            cells += [
                format_kpi("margin", row[f"mean_{k}"], signed=k != "contact_cost") for k in money
            ]
            lines.append("  ".join(f"{c:>14}" for c in cells))
        lines.append("")
    lines.append(summary["message"])
    if summary["best"] is not None:
        lines.append(f"best parameters: {summary['best']['overrides']}")
    return "\n".join(lines)


def _short(value: Value, integer: bool) -> str:
    """A parameter value for the table: integers plain, floats to 4 significant digits."""
    return str(int(value)) if integer else f"{value:.4g}"


def plot_history(table: pd.DataFrame, objective: str, focal: str, path: Path) -> Path:
    """Objective per trial (infeasible hollow grey) and the running best feasible, as a PNG."""
    done = table[table["state"] == "complete"]
    feasible, infeasible = done[done["feasible"]], done[~done["feasible"]]
    best = table["value"].where(table["feasible"]).cummax().ffill()  # NaN before the first
    with closing_figure(figsize=(7.5, 4.2)) as (fig, ax):
        ax.plot(feasible["number"], feasible["value"], "o", color=PALETTE[0], label="feasible")
        if not infeasible.empty:
            cost = f"constraint_{COST_CONSTRAINT}" in table
            label = (
                "infeasible (outside a constraint)"
                if cost
                else ("infeasible (retention below the floor)")
            )
            x, y = infeasible["number"], infeasible["value"]
            ax.plot(x, y, "o", mfc="none", color="0.6", label=label)
        ax.step(table["number"], best, where="post", color=PALETTE[5], label="best feasible so far")
        failed = int((table["state"] == "fail").sum())
        note = f" ({failed} failed, not shown)" if failed else ""
        ax.set_title(f"Policy search: firm {focal} {objective} per trial{note}")
        ax.set_xlabel("trial")
        ax.set_ylabel(ROI_KPI.label if objective == ROI else f"mean {objective}")
        ax.grid(alpha=0.3)
        ax.legend(loc="best", frameon=False)
        return save_png(fig, path)
