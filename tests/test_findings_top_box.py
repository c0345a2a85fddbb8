"""Finding of the experience chain reproduced: top-box loyalty (14, Jones & Sasser 1995).

The test runs the named experiment at its fast size (seconds, a few seeds, one
process) and again at full size (`slow`, two processes), and asserts the
published direction: the customers who answered the focal firm's survey in the
top box are loyal over the next 18 months more often than those in the second
box, and the rise from box 4 to 5 is steeper than from box 3 to 4. Every check
must pass at both sizes, confidence intervals included.
"""

from __future__ import annotations

import numpy as np
import pytest

from custsim.experiments.findings.framework import FindingResult
from custsim.experiments.findings.records import run_finding
from custsim.experiments.findings.top_box_loyalty import BOXES, to_box

SIZES = [pytest.param(True, id="fast"), pytest.param(False, id="full", marks=pytest.mark.slow)]


def found(name: str, fast: bool) -> FindingResult:
    """The finding at the fast-test size (one process) or full size (two processes)."""
    result = run_finding(name, fast=fast, n_jobs=1 if fast else 2)
    assert result.passed, result.checks_frame().to_string()
    return result


def test_answers_fall_into_five_boxes_by_their_upper_answers():
    boxes = to_box(np.arange(11), [2, 4, 6, 8, 10])
    assert boxes.tolist() == [1, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5]


@pytest.mark.parametrize("fast", SIZES)
def test_the_completely_satisfied_are_loyal_more_often_and_the_rise_is_steep_at_the_top(fast):
    result = found("top_box_loyalty", fast)
    ratio, convexity, weight = result.checks
    # Jones & Sasser (1995): 5s six times as likely to repurchase as 4s at Xerox
    assert ratio.value > 1.5 and ratio.ci_low > 1.0
    # their figure: loyalty rises steeply only at the top of the scale
    assert convexity.value > 0 and convexity.ci_low > 0
    assert weight.value > 1.0  # the top box buys more than its share of the respondents
    table = result.table.set_index("box")
    assert list(table.index) == list(BOXES)
    assert table.loc[5, "loyal"] > table.loc[4, "loyal"] > 0
    assert (
        table.loc[5, "loyal"] - table.loc[4, "loyal"]
        > table.loc[4, "loyal"] - table.loc[3, "loyal"]
    )
    assert table.loc[5, "focal_share"] > table.loc[4, "focal_share"]
    # most current customers answer in the middle: the top box is a minority
    assert 0.02 < table.loc[5, "respondent_share"] < 0.5
