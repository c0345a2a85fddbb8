"""Findings 5-8 (goal gradient, endowed progress, coupon expiry, framing) reproduced.

Each test runs the named experiment at its fast size (seconds, a few seeds, one
process) and again at full size (`slow`, two processes), and asserts the sign
and size of every published effect within a tolerance taken from the
literature; at full size every check must pass, confidence intervals included.
"""

from __future__ import annotations

import pytest

from custsim.experiments.findings.framework import FindingResult
from custsim.experiments.findings.records import run_finding

SIZES = [pytest.param(True, id="fast"), pytest.param(False, id="full", marks=pytest.mark.slow)]


def found(name: str, fast: bool, seed: int | None = None) -> FindingResult:
    """The finding at the fast-test size (one process) or full size (two processes).

    At full size every check must pass; at the fast-test size, for the findings whose
    fast checks hold at that size on any seed (`ROBUST_FAST`), every check too.
    """
    overrides = [] if seed is None else [f"seed={seed}"]
    result = run_finding(name, fast=fast, overrides=overrides, n_jobs=1 if fast else 2)
    assert result.passed or (fast and name not in ROBUST_FAST), result.checks_frame().to_string()
    return result


ROBUST_FAST = {"endowed_progress"}


@pytest.mark.parametrize("fast", SIZES)
def test_goal_gradient_purchases_speed_up_towards_the_reward_and_reset(fast):
    visible, hidden, reset = found("goal_gradient", fast).checks
    # Kivetz, Urminsky & Zheng (2006): 20% from the first to the last stamp, t = 2.6
    assert 0.10 <= visible.value <= 0.35
    assert hidden.value <= 0.05  # no acceleration when progress cannot be seen
    assert reset.value > 1.1  # the inter-purchase time jumps back up after the reward


@pytest.mark.parametrize("fast", SIZES)
def test_endowed_progress_cards_are_completed_more_often_and_sooner(fast):
    plain, ratio, *saved = found("endowed_progress", fast).checks
    assert 0.14 <= plain.value <= 0.24  # the calibrated control arm: 19% (Nunes & Dreze 2006)
    assert 1.2 <= ratio.value <= 2.7  # published 34% / 19% = 1.79, 95% CI about 1.2-2.7
    # endowed cards are completed sooner: at full size only (too few complete both when fast)
    assert [c.value > 0 for c in saved] == ([] if fast else [True])


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1000, 2000, 3000])
def test_endowed_progress_fast_checks_hold_on_other_seeds(seed):
    """A fast check holds at its size on any seed (seed 0 is the test above)."""
    assert len(found("endowed_progress", fast=True, seed=seed).checks) == 2


@pytest.mark.parametrize("fast", SIZES)
def test_coupon_redemptions_peak_at_the_drop_and_before_a_visible_deadline(fast):
    drop, expiry, shrink = found("coupon_expiry", fast).checks
    assert drop.value > 1.2  # redemptions are greatest right after the drop
    assert expiry.value > 1.1  # a second mode just before expiry (Inman & McAlister 1994)
    assert shrink.value > 0.1  # smaller, or none, when the countdown is hidden


@pytest.mark.parametrize("fast", SIZES)
def test_framing_rule_of_100_pay_percent_and_loss_framed_messages(fast):
    closed, simulated, cheap, dear, pay, loss, neutral = found("framing", fast).checks
    assert 50 <= closed.value <= 200 and 50 <= simulated.value <= 200  # "rule of 100"
    assert cheap.value > 1.0 > dear.value  # percentages win on cheap items, amounts on dear ones
    assert pay.value > 1.0  # "pay 80%" sells more than "20% off" (Kim & Kramer 2006)
    assert loss.value > 0.0  # loss-framed points messages beat gain-framed ones
    assert abs(neutral.value) <= 0.005  # ... only through loss aversion
