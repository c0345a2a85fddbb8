"""Planning a sweep's jobs before they launch, so one job's config never aborts the sweep.

`custsim -m policy=none,loyalty_points policy.earn_rate=0.01,0.05 seed='range(0,10)'`
asks for `policy.earn_rate` on EDLP too, which has no earn rate. Hydra's basic
sweeper composes every job first and stops the whole sweep at the first that
fails. The custsim sweeper (`hydra_plugins/custsim_sweeper`) plans instead:

- an override whose key the job's chosen options do not have (but some other
  job's do) does not apply to that job and is dropped; jobs that become
  identical are launched once;
- a job whose config cannot be composed for any other reason is recorded as
  failed (its `status.json` names the error) and the other jobs run;
- a key that no job's config has is a typo: the sweep stops before launching,
  with one line naming it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sim.compose import override_key
from sim.config import ConfigError

NOT_APPLICABLE = re.compile(r"Could not override '([^']+)'")

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
                return kept, dropped, first_line(err)
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
    return plan
