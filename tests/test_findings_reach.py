"""Finding 15 (message wear-out) reproduced, and its closed forms.

The test runs the named experiment at its fast size (seconds, five seeds, one
process) and again at full size (`slow`, two processes), and asserts the shape of
every published effect: responses rise then fall with e-mail frequency, peaking
where the closed form says, opt-outs rise with frequency, and the margin has an
interior optimum in frequency (full size only: at the fast size the margin's
differences are within seed noise). At full size every check must pass.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from custsim.agents.reach import fatigue_product, steady_response_rate
from custsim.experiments.findings.message_wearout import (
    delivered_opt_out_rate,
    delivered_response_rate,
    vertex,
)
from custsim.experiments.findings.records import run_finding
from custsim.sim.config import ChannelConfig

SIZES = [pytest.param(True, id="fast"), pytest.param(False, id="full", marks=pytest.mark.slow)]
EMAIL = ChannelConfig(cost=0.01, delivery=0.8, open=0.21, response=0.06, fatigue=0.3,
                      half_life=14.0, opt_out=0.0024, opt_out_fatigue=0.5)  # fmt: skip


def test_every_contact_delivered_gives_the_library_closed_form():
    # d = 1: F = x / (1 - x) exactly, so R is agents.reach.steady_response_rate
    sure = ChannelConfig(cost=0.0, delivery=1.0, open=0.5, response=0.1, fatigue=0.4)
    for every in (1.0, 3.0, 7.0, 30.0):
        expected = steady_response_rate(every, 14.0, 0.1, 0.4, 0.5)
        assert math.isclose(delivered_response_rate(every, sure), expected, rel_tol=1e-9)


def test_random_deliveries_match_a_simulated_stock_and_shift_the_peak_earlier():
    rng = np.random.default_rng(7)
    every, x = 5.0, 2.0 ** (-5.0 / 14.0)
    stock, met = np.zeros(20_000), []
    for contact in range(400):
        if contact >= 200:
            met.append(np.exp(-0.3 * stock).mean())
        stock = (stock + (rng.random(stock.size) < 0.8)) * x  # delivered, then 5 days pass
    assert math.isclose(np.mean(met), fatigue_product(every, 14.0, 0.3, 0.8), rel_tol=2e-3)
    days = np.linspace(1.0, 30.0, 2901)
    random = days[np.argmax([delivered_response_rate(e, EMAIL) for e in days])]
    library = days[np.argmax([steady_response_rate(e, 14.0, 0.06, 0.3, 0.168) for e in days])]
    # a lost e-mail adds no fatigue: the fatigue met is lower and the peak comes sooner
    assert 4.5 < random < 5.2 and 5.8 < library < 6.3
    assert delivered_opt_out_rate(2.0, EMAIL) > delivered_opt_out_rate(28.0, EMAIL) > 0.0024


def test_vertex_of_a_parabola_in_log_days():
    grid = np.array([2.0, 3.0, 5.0, 7.0, 10.0])
    y = -((np.log(grid) - np.log(4.0)) ** 2)
    assert math.isclose(vertex(grid, y), 4.0, rel_tol=1e-9)
    assert vertex(grid, -grid) == 2.0  # the best point at an end of the grid is itself


@pytest.mark.parametrize("fast", SIZES)
def test_message_wearout_responses_peak_inside_and_opt_outs_rise(fast):
    result = run_finding("message_wearout", fast=fast, n_jobs=1 if fast else 2)
    assert result.passed or fast, result.checks_frame().to_string()
    peak, place, opt_outs, margin = result.checks
    assert peak.passed and peak.value > 1.3  # the best interval gets far more than either end
    assert place.passed and 3.0 <= place.value <= 6.0  # the closed form: 4.9 on the grid
    assert opt_outs.passed and opt_outs.value > 10  # every 2 days vs every 28 days
    table = result.table
    every_two = table.loc[table["every"] == 2, "incremental_margin"]
    assert every_two.mean() < 0  # wear-out: the most frequent e-mails lose money
    assert margin.passed or fast
