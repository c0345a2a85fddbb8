"""Multinomial logit kernel: closed forms, sampling frequencies, numerical safety."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from custsim.agents.choice import choice_weights, logit_probabilities, sample_choice


def test_binary_logit_is_the_logistic_function():
    v = np.array([[0.7]])  # one brand, one customer
    p = logit_probabilities(v, np.array([0.0]))
    assert p[1, 0] == pytest.approx(1 / (1 + np.exp(-0.7)))
    assert p[0, 0] == pytest.approx(1 / (1 + np.exp(0.7)))


def test_probabilities_closed_form_three_brands():
    v = np.array([[1.0], [0.0], [-1.0]])
    p = logit_probabilities(v, np.array([0.5]))[:, 0]
    e = np.exp([0.5, 1.0, 0.0, -1.0])
    np.testing.assert_allclose(p, e / e.sum())


def test_huge_utilities_do_not_overflow():
    v = np.array([[1000.0, -1000.0], [999.0, -1001.0]])
    p = logit_probabilities(v, np.array([0.0, 0.0]))
    assert np.all(np.isfinite(p))
    np.testing.assert_allclose(p.sum(axis=0), 1.0)
    assert p[0, 1] == pytest.approx(1 / (1 + np.exp(-1000) + np.exp(-1001)))


def test_sampled_frequencies_match_probabilities():
    rng = np.random.default_rng(7)
    n = 200_000
    v = np.tile(np.array([[0.3], [-0.2], [1.0]]), n)
    w = choice_weights(v, np.zeros(n))
    picked = sample_choice(w, rng.random(n))
    freq = np.bincount(picked, minlength=4) / n
    expected = logit_probabilities(v[:, :1], np.zeros(1))[:, 0]
    # 5 standard errors at n = 200k is about 0.005
    np.testing.assert_allclose(freq, expected, atol=0.005)


def test_sample_choice_inverse_cdf_boundaries():
    p = np.array([[0.2], [0.5], [0.3]])
    assert sample_choice(p, np.array([0.0]))[0] == 0
    assert sample_choice(p, np.array([0.19]))[0] == 0
    assert sample_choice(p, np.array([0.21]))[0] == 1
    assert sample_choice(p, np.array([0.71]))[0] == 2
    assert sample_choice(p, np.array([0.999999]))[0] == 2


@given(
    arrays(np.float64, (4, 6), elements=st.floats(-50, 50)),
    arrays(np.float64, 6, elements=st.floats(-50, 50)),
    arrays(np.float64, 6, elements=st.floats(0, 1, exclude_max=True)),
)
def test_probabilities_are_valid_and_choices_in_range(v, outside, u):
    p = logit_probabilities(v, outside)
    assert np.all((p >= 0) & (p <= 1))
    np.testing.assert_allclose(p.sum(axis=0), 1.0)
    picked = sample_choice(choice_weights(v, outside), u)
    assert picked.min() >= 0 and picked.max() <= 4
