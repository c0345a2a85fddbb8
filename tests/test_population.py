"""Population draws: segment sizes and each trait family's mean and sd."""

import numpy as np
import pytest

from custsim.agents.population import (
    draw_beta,
    draw_gamma,
    draw_lognormal,
    draw_population,
    segment_sizes,
)
from custsim.sim.config import Dist, PopulationConfig, SegmentConfig
from custsim.sim.traits import population_spec


@pytest.mark.parametrize(
    "draw,d",
    [
        (draw_gamma, Dist(0.15, 0.05)),
        (draw_beta, Dist(0.2, 0.05)),
        (draw_lognormal, Dist(2.25, 0.5)),
    ],
)
def test_families_hit_mean_and_sd(draw, d):
    x = draw(d, 400_000, np.random.default_rng(0))
    assert x.mean() == pytest.approx(d.mean, rel=0.01)
    assert x.std() == pytest.approx(d.sd, rel=0.02)


@pytest.mark.parametrize("draw", [draw_gamma, draw_beta, draw_lognormal])
def test_zero_sd_gives_exactly_the_mean(draw):
    x = draw(Dist(0.3, 0.0), 10, np.random.default_rng(0))
    np.testing.assert_array_equal(x, 0.3)


def test_segment_sizes_sum_and_round_by_largest_remainder():
    sizes = segment_sizes(np.array([0.4, 0.25, 0.15, 0.2]), 1001)
    assert sizes.sum() == 1001
    np.testing.assert_array_equal(sizes, [401, 250, 150, 200])


def test_population_layout_and_segment_traits():
    segs = {
        "a": SegmentConfig(share=0.5, loss_aversion=Dist(1.0, 0.0)),
        "b": SegmentConfig(share=0.5, loss_aversion=Dist(3.0, 0.0), taste_sd=0.0),
    }
    quality = np.array([1.0, 2.0])
    spec = population_spec(PopulationConfig(segments=segs))
    t = draw_population(spec, 1000, quality, np.random.default_rng(0))
    assert t.taste.shape == (2, 1000)
    assert np.bincount(t.segment).tolist() == [500, 500]
    np.testing.assert_array_equal(t["loss_aversion"][t.segment == 0], 1.0)
    np.testing.assert_array_equal(t["loss_aversion"][t.segment == 1], 3.0)
    np.testing.assert_array_equal(t.taste[:, t.segment == 1], quality[:, None] * np.ones(500))
    assert t.segment[:500].std() > 0  # shuffled: row order carries no segment
