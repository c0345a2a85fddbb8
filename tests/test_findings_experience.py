"""Findings of the experience chain reproduced: the complaint ladder (12).

Each test runs the named experiment at its fast size (seconds, a few seeds, one
process) and again at full size (`slow`, two processes), and asserts the sign
and size of every published effect; every check must pass at both sizes,
confidence intervals included.
"""

from __future__ import annotations

import pytest

from custsim.experiments.findings.complaint_ladder import RUNGS
from custsim.experiments.findings.framework import FindingResult
from custsim.experiments.findings.records import run_finding

SIZES = [pytest.param(True, id="fast"), pytest.param(False, id="full", marks=pytest.mark.slow)]


def found(name: str, fast: bool) -> FindingResult:
    """The finding at the fast-test size (one process) or full size (two processes)."""
    result = run_finding(name, fast=fast, n_jobs=1 if fast else 2)
    assert result.passed, result.checks_frame().to_string()
    return result


@pytest.mark.parametrize("fast", SIZES)
def test_resolved_complainers_come_back_more_than_the_silent_and_quick_answers_most(fast):
    result = found("complaint_ladder", fast)
    large, small, sizes, recovery = result.checks
    # TARP: 9 < 19 < 54 < 82% (over $100) and 37 < 46 < 70 < 95% (under $5) would buy again
    assert large.value > 0 and small.value > 0  # the smallest step up each ladder
    assert sizes.value > 0  # every rung lower after a large problem
    assert recovery.value > 0  # a quick resolution wins back more after a large problem
    table = result.table.set_index(["problem", "rung"])["came_back"]
    for problem in ("large", "small"):
        rungs = [table[(problem, rung)] for rung in RUNGS]
        assert rungs == sorted(rungs)
    assert table[("large", "quickly")] - table[("large", "silent")] > 0.2
