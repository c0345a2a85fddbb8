"""Planning a sweep's jobs before they launch, so one job's config never aborts the sweep.

`custsim -m policy=edlp,loyalty_points policy.earn_rate=0.01,0.05 seed='range(0,10)'`
asks for `policy.earn_rate` on EDLP too, which has no earn rate. Hydra's basic
sweeper composes every job first and stops the whole sweep at the first that
fails. The custsim sweeper (`hydra_plugins/custsim_sweeper`) plans instead:

- an override whose key the job's chosen options do not have (but some other
  job's do) does not apply to that job and is dropped; jobs that become
  identical are launched once;
- a job whose config cannot be composed for any other reason is recorded as
  failed (its `status.json` names the error) and the other jobs run;
- a key that no job's config has is a typo, and a value that no job can take is
  bad input: the sweep stops before launching, with one line naming it.

Overrides given one value (`policy.earn_rate=2.0` beside `policy=edlp,loyalty_points`)
are planned like swept ones (`one_value_sweeps` makes them one-value sweeps before
Hydra composes the sweep's own config, which would otherwise fail on the baseline).
Values of float `range(...)` sweeps are tidied (`tidy_float`: 0.30000000000000004
-> 0.3) before Hydra names the job directories. The plan is written to
`<sweep dir>/plan.json` (`write_plan`), so the sweep's tables list every planned
job, also those that never ran.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from custsim.experiments.sweeps.job import IGNORED_KEYS
from custsim.sim import results
from custsim.sim.compose import describe_composition_error, override_key
from custsim.sim.config import ConfigError

NOT_APPLICABLE = re.compile(r"Could not override '([^']+)'")
PLAN_FILE = "plan.json"
#: significant digits kept of a float range sweep's values
FLOAT_DIGITS = 12
#: Hydra flags under which a command line is not run (help, config display, completion)
NOT_RUN_FLAGS = ("-h", "--help", "--hydra-help", "-c", "--cfg", "-i", "--info", "-sc")

Compose = Callable[[list[str]], object]


@dataclass
class Plan:
    """The jobs to launch and what planning found."""

    jobs: list[list[str]] = field(default_factory=list)
    failed: list[tuple[list[str], str]] = field(default_factory=list)  # overrides, error
    dropped: Counter[str] = field(default_factory=Counter)  # key -> jobs it did not apply to
    duplicates: int = 0

    def notes(self) -> list[str]:
        """One line per finding, for the sweep's log."""
        lines = [f"{k}: not in the config of {n} jobs, left out" for k, n in self.dropped.items()]
        if self.duplicates:
            lines.append(f"{self.duplicates} jobs identical once those were dropped: run once")
        lines += [f"cannot compose {','.join(o)}: {err}" for o, err in self.failed]
        return lines


def first_line(err: BaseException) -> str:
    """The error's first non-empty line."""
    return next((s.strip() for s in str(err).splitlines() if s.strip()), type(err).__name__)


def composition_error(err: Exception, overrides: Sequence[str]) -> str:
    """One line naming the override that failed and what is allowed (else the first line)."""
    try:
        return describe_composition_error(err, list(overrides))
    except Exception:  # describing must never hide the error itself
        return first_line(err)


def applicable(job: Sequence[str], compose: Compose) -> tuple[list[str], list[str], str | None]:
    """The job's overrides that apply, the keys dropped, and a composition error (or None)."""
    kept, dropped = list(job), []
    while True:
        try:
            compose(kept)
            return kept, dropped, None
        except Exception as err:  # Hydra raises several composition exception types
            match = NOT_APPLICABLE.search(str(err))
            keys = [override_key(o) for o in kept]
            if match is None or match.group(1) not in keys:
                return kept, dropped, composition_error(err, kept)
            dropped.append(match.group(1))
            del kept[keys.index(match.group(1))]


def plan_jobs(batch: Sequence[Sequence[str]], compose: Compose) -> Plan:
    """Plan a batch of jobs (see the module docstring).

    Raises:
        ConfigError: when a swept or set key applies to no job at all.

    """
    plan, seen, used = Plan(), set(), set()
    for job in batch:
        kept, dropped, error = applicable(job, compose)
        plan.dropped.update(dropped)
        used.update(override_key(o) for o in kept)
        if error is not None:
            plan.failed.append((kept, error))
        elif tuple(kept) in seen:
            plan.duplicates += 1
        else:
            seen.add(tuple(kept))
            plan.jobs.append(kept)
    unused = [key for key in plan.dropped if key not in used]
    if unused:
        raise ConfigError(f"{unused[0]}: no job's config has this key (misspelt?)")
    errors = {error for _, error in plan.failed}
    if not plan.jobs and len(errors) == 1:  # every job fails the same way: bad input
        raise ConfigError(errors.pop())
    return plan


# ---------------------------------------------------------------- the command line


def is_multirun(args: Sequence[str]) -> bool:
    """Whether `args` run a multirun (-m, --multirun or a named sweep), not help or --cfg."""
    if any(a.split("=", 1)[0] in NOT_RUN_FLAGS for a in args):
        return False
    return any(a in ("-m", "--multirun") or a.lstrip("+").startswith("sweep=") for a in args)


def one_value_sweep(arg: str) -> str:
    """`key=value` as the one-value sweep `key=choice(value)`; anything else unchanged.

    Left as they are: flags, Hydra's own keys, `+`/`~` and package (`@`) overrides,
    sweeps, and `sweep=` and the display/testing keys (`IGNORED_KEYS`, which the
    sweep itself reads). The rewrite is kept only if Hydra reads the same value back.
    """
    from hydra.core.override_parser.overrides_parser import OverridesParser

    if arg.startswith("-") or "=" not in arg:
        return arg
    parser = OverridesParser.create()
    try:
        (parsed,) = parser.parse_overrides([arg])
        if (
            parsed.is_sweep_override()
            or parsed.is_hydra_override()
            or parsed.is_add()
            or parsed.is_force_add()
            or parsed.is_delete()
            or parsed.package is not None
            or parsed.key_or_group in IGNORED_KEYS
        ):
            return arg
        key, _, value = arg.partition("=")
        swept = f"{key}=choice({value})"
        (again,) = parser.parse_overrides([swept])
        same = list(again.sweep_string_iterator()) == [parsed.get_value_element_as_str()]
        return swept if same else arg
    except Exception:  # Hydra reports a malformed override itself
        return arg


def composes_unswept(args: Sequence[str]) -> bool:
    """Whether the one-value overrides of `args` compose on the default options.

    That is how Hydra composes a multirun's own config: sweeps left out, every
    other override applied to the default options.
    """
    from hydra.core.override_parser.overrides_parser import OverridesParser

    from custsim.sim.compose import compose_raw

    parser, kept = OverridesParser.create(), []
    for arg in args:
        if arg.startswith("-") or "=" not in arg:
            continue
        try:
            (parsed,) = parser.parse_overrides([arg])
        except Exception:  # Hydra reports a malformed override itself
            return True
        if not (parsed.is_sweep_override() or parsed.is_hydra_override()):
            kept.append(arg)
    try:
        compose_raw(kept)
    except Exception:  # Hydra and OmegaConf raise several exception types
        return False
    return True


def one_value_sweeps(args: list[str]) -> list[str]:
    """A multirun's command line, its one-value overrides made one-value sweeps if need be.

    Hydra composes a multirun's own config with the one-value overrides applied to
    the default options, so `policy.earn_rate=2.0` fails there when the sweep's
    baseline `policy=edlp` has no earn rate (and a misspelt key fails with a
    traceback). When they do not compose so, they become sweeps and are planned
    per job (`plan_jobs`): left out where they do not apply, one line and exit 2
    when no job has them. Command lines that compose are left as they are.
    """
    if not is_multirun(args) or composes_unswept(args):
        return list(args)
    return [one_value_sweep(a) for a in args]


def tidy_float(value: str) -> str:
    """A float's text rounded to `FLOAT_DIGITS` significant digits: '0.30000000000000004' -> '0.3'.

    Integers, non-numbers and non-finite values are returned unchanged.
    """
    try:
        number = float(value)
    except ValueError:
        return value
    if not math.isfinite(number) or value.strip().lstrip("+-").isdigit():
        return value
    return repr(float(f"{number:.{FLOAT_DIGITS}g}"))


def tidy_ranges(jobs: Sequence[Sequence[str]], range_keys: set[str]) -> list[list[str]]:
    """Each job's overrides, values of the `range(...)` sweeps over `range_keys` tidied."""
    tidied = []
    for job in jobs:
        lines = []
        for line in job:
            key, _, value = line.partition("=")
            lines.append(f"{key}={tidy_float(value)}" if key in range_keys else line)
        tidied.append(lines)
    return tidied


# ---------------------------------------------------------------- plan.json


def write_plan(sweep_dir: Path, entries: list[dict[str, Any]]) -> Path:
    """`plan.json`: every planned job as `{"job", "overrides", "error"}` (error: not launched)."""
    return results.write_json({"jobs": entries}, Path(sweep_dir) / PLAN_FILE)


def read_plan(sweep_dir: Path) -> list[dict[str, Any]]:
    """The planned jobs of `plan.json` (none when the sweep has no plan or it is unreadable)."""
    try:
        data = json.loads((Path(sweep_dir) / PLAN_FILE).read_text())
        return [dict(e) for e in data["jobs"] if isinstance(e, dict) and "job" in e]
    except (OSError, ValueError, KeyError, TypeError):
        return []
