"""A drawn dropout of exactly 1 (a beta draw rounds to it) is a customer sure to leave: no warnings.

pyproject turns RuntimeWarnings from custsim.sim.* and custsim.agents.* into errors; these tests
also turn every other RuntimeWarning into one.
"""

import numpy as np
import pytest

from custsim.agents.loyalty import points_utility
from custsim.agents.population import Traits
from custsim.sim.runner import simulate
from custsim.sim.testing import small_config

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")
SEGMENTS = ("balanced", "price_sensitive", "deal_seeker", "brand_loyal")


def test_log_survival_of_a_sure_leaver_is_minus_infinity():
    dropout = np.array([0.0, 0.25, 1.0])
    traits = Traits(
        segment=np.zeros(3, dtype=np.int16),
        segment_names=("all",),
        values={"dropout": dropout},
        taste=np.zeros((1, 3)),
    )
    assert traits["log_survival"][:2] == pytest.approx([0.0, np.log(0.75)])
    assert traits["log_survival"][2] == -np.inf


def test_points_of_a_sure_leaver_are_worth_only_a_reward_earned_now():
    ones = np.ones(4)
    traits = {
        t: ones for t in ("price_sensitivity", "points_value", "present_bias", "occasion_rate")
    }
    traits["loss_aversion"] = 2 * ones
    earn, balance = np.array([10.0, 1.0, 10.0, 1.0]), np.array([95.0, 0.0, 95.0, 0.0])

    def value(p: float) -> np.ndarray:
        with np.errstate(divide="ignore"):
            survival = np.log1p(-np.full(4, p))
        return points_utility(
            earn, balance, 100.0, 5.0, 90, {**traits, "log_survival": survival}, 0.9995, True
        )

    sure, likely = value(1.0), value(0.5)
    assert np.isfinite(sure).all()
    # this purchase completes the card (k = 0): the reward is certain whatever p is
    assert sure[[0, 2]] == pytest.approx(likely[[0, 2]]) and sure[0] > 0
    # a reward one or more purchases away is never reached by a customer sure to leave
    assert (sure[[1, 3]] == 0).all() and (likely[[1, 3]] > 0).all()


@pytest.mark.parametrize("policy", ["loyalty_points", "stamp_card"])
@pytest.mark.parametrize("precision", ["float64", "float32"])
def test_a_run_with_dropouts_of_exactly_one_warns_nothing(policy, precision):
    spread = [f"population.segments.{s}.dropout.mean=0.999" for s in SEGMENTS]
    spread += [f"population.segments.{s}.dropout.sd=0.03" for s in SEGMENTS]
    cfg = small_config(f"policy={policy}", f"precision={precision}", "plots=false", *spread)
    run = simulate(cfg)
    assert (run.model.traits["dropout"] == 1.0).mean() > 0.5
    assert (
        np.isfinite(
            run.timeseries.select_dtypes("number").drop(
                columns="mean_reference_price", errors="ignore"
            )
        )
        .all()
        .all()
    )
    assert run.customers["churned"].mean() > 0.5
