"""Allowed values of config fields (`bounded`, `one_of`) and how a value is shown in an error.

Every numeric field declares its range next to its default: a lower end, an
upper end (`hi`, or `cap`, a sanity limit for a quantity without a natural
maximum, named only when exceeded), open or closed, and whether null is
allowed. No range admits NaN or an infinity. `custsim.sim.validation.validate` checks them
all before a run; each failure is one line, 'key=value: what is allowed'.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

MAX_SHOWN = 80  # characters of a value an error line shows before cutting it with an ellipsis
# a long value: after "=" (up to a blank or a colon) or between quotes
_LONG_VALUE = re.compile(rf"(?<==)[^\s:]{{{MAX_SHOWN + 1},}}|(?<=')[^']{{{MAX_SHOWN + 1},}}(?=')")


def shown(value: Any) -> str:
    """`repr(value)`, cut to MAX_SHOWN characters with an ellipsis."""
    return cut(repr(value))


def cut(text: str) -> str:
    """`text` itself if short, else its first MAX_SHOWN - 1 characters and an ellipsis."""
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 1] + "…"


def shorten_values(line: str) -> str:
    """Cut every value longer than MAX_SHOWN in `line`: after an "=" or between quotes."""
    return _LONG_VALUE.sub(lambda m: cut(m.group(0)), line)


def number(x: float) -> str:
    """A bound as people write it: 1, 0.5, 1000000, 2147483647, 1e-06."""
    if isinstance(x, int) or (float(x).is_integer() and abs(x) < 1e16):
        return str(int(x))
    return f"{x:g}"


@dataclass(frozen=True)
class Rule:
    """An allowed range (ends optional, open or closed; `cap`: a sanity limit) or a choice."""

    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    hi_open: bool = False
    choices: tuple[str, ...] = ()
    cap: float | None = None  # upper sanity limit where `hi` is None: reported only when exceeded
    nullable: bool = False  # None (YAML null) allowed
    unit: str = ""  # "day": bounds read "1 day", "365 days"

    def allows(self, value: Any) -> bool:
        """Whether `value` satisfies the rule (never NaN or an infinity)."""
        if value is None:
            return self.nullable
        if self.choices:
            return value in self.choices
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        if isinstance(value, float) and not math.isfinite(value):
            return False
        above = self.lo is None or (value > self.lo if self.lo_open else value >= self.lo)
        below = self.hi is None or (value < self.hi if self.hi_open else value <= self.hi)
        return above and below and (self.cap is None or value <= self.cap)

    def describe(self, value: Any = None) -> str:
        """What is allowed, worded for `value`: the limit it exceeds, or the whole range."""
        if self.choices:
            text = "must be one of: " + ", ".join(self.choices)
        elif isinstance(value, float) and not math.isfinite(value):
            text = "must be a finite number" + self._range(with_cap=True).removeprefix("must be")
        elif isinstance(value, int | float) and self.cap is not None and value > self.cap:
            text = f"must be <= {self._bound(self.cap)}"
        else:
            text = self._range(with_cap=False)
        return text + (" or null" if self.nullable else "")

    def _range(self, with_cap: bool) -> str:
        hi, hi_open = self.hi, self.hi_open
        if hi is None and with_cap:
            hi, hi_open = self.cap, False
        if self.lo is not None and hi is not None:
            left, right = "(" if self.lo_open else "[", ")" if hi_open else "]"
            return f"must be in {left}{number(self.lo)}, {number(hi)}{right}{self._units(hi)}"
        if self.lo is not None:
            return f"must be {'>' if self.lo_open else '>='} {self._bound(self.lo)}"
        if hi is not None:
            return f"must be {'<' if hi_open else '<='} {self._bound(hi)}"
        return "must be a number"

    def _units(self, x: float) -> str:
        return f" {self.unit}{'' if x == 1 else 's'}" if self.unit else ""

    def _bound(self, x: float) -> str:
        return number(x) + self._units(x)


def bounded(
    default: Any,
    lo: float | None = None,
    hi: float | None = None,
    *,
    lo_open: bool = False,
    hi_open: bool = False,
    cap: float | None = None,
    nullable: bool = False,
    unit: str = "",
) -> Any:
    """A dataclass field with a default and an allowed numeric range (see `Rule`)."""
    rule = Rule(lo, hi, lo_open, hi_open, cap=cap, nullable=nullable, unit=unit)
    return field(default=default, metadata={"rule": rule})


def days(default: Any, lo: int = 1, *, nullable: bool = False) -> Any:
    """A field counting days: an integer from `lo`, at most MAX_DAYS."""
    return bounded(default, lo, cap=MAX_DAYS, nullable=nullable, unit="day")


def policy_field(default: Any) -> Any:
    """A field holding a policy config (a `_target_` node) or a list of them (typed to check)."""
    if callable(default):
        return field(default_factory=default, metadata={"policy": True})
    return field(default=default, metadata={"policy": True})


def one_of(default: str, *choices: str) -> Any:
    """A dataclass field with a default and a fixed set of allowed strings."""
    return field(default=default, metadata={"rule": Rule(choices=choices)})


MAX_DAYS = 100_000  # the longest run (`steps`), and so the longest period a policy can count
MAX_INT64 = 2**63 - 1  # seeds are stored as int64
MAX_NUMPY_SEED = 2**32 - 1  # seeds handed to samplers that take a 32-bit seed
MAX_MONEY = 1e12  # prices, costs, budgets: currency units


def first_problem(problems: list[str]) -> None:
    """Raise ValueError with the first of a policy's `problems` (its constructor's check)."""
    if problems:
        raise ValueError(problems[0])
