"""custsim.experiments.calibrate.plots: each figure is one PNG of the house size; odd inputs draw.

The inputs are what `custsim.experiments.calibrate.job.draw_plots` hands over: weekly
repeat transactions on weeks 1..N with the calibration period's last week, the
frequency classes 0..7+, the conditional expectations by class, spend per repeat
transaction and the trials' distances.
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.axes
import matplotlib.image as mpimg
import matplotlib.pyplot as plt
import numpy as np
import pytest

from custsim.experiments.calibrate import plots
from custsim.experiments.plots import DPI

LABELS = [*map(str, range(7)), "7+"]
rng = np.random.default_rng(0)
WEEKS = np.arange(1, 79)
ACTUAL = rng.poisson(40, WEEKS.size).astype(float)
CUSTSIM = ACTUAL * 0.9
BGNBD = ACTUAL * 1.1
UNTIL = 39


def pixels(path):
    """(height, width) of the PNG at `path`."""
    assert path.stat().st_size > 0
    return mpimg.imread(path).shape[:2]


def size_of(width_in, height_in):
    return (round(height_in * DPI), round(width_in * DPI))


def until_lines(ax):
    """The x positions of the vertical lines on `ax` (axvline: two equal x values)."""
    xs = [line.get_xdata() for line in ax.get_lines()]
    return [float(x[0]) for x in xs if len(x) == 2 and x[0] == x[1]]


@pytest.mark.parametrize("cumulative", [False, True])
def test_the_tracking_figure_marks_the_end_of_calibration_between_two_weeks(cumulative):
    fig, ax = plt.subplots()
    try:
        plots.tracking_figure(fig, ax, WEEKS, ACTUAL, CUSTSIM, BGNBD, UNTIL, cumulative)
        assert until_lines(ax) == [UNTIL + 0.5]  # after week UNTIL, before the holdout's first
        drawn = {line.get_label(): line for line in ax.get_lines() if len(line.get_xdata()) > 2}
        assert list(drawn) == ["actual", "custsim", "BG/NBD"]
        expected = np.cumsum(ACTUAL) if cumulative else ACTUAL
        np.testing.assert_array_equal(drawn["actual"].get_ydata(), expected)
        assert drawn["actual"].get_color() == "black"
        assert drawn["BG/NBD"].get_linestyle() == "--"
        texts = [t.get_text().strip() for t in ax.texts]
        assert texts == ["holdout", "calibration"]
    finally:
        plt.close(fig)


def test_tracking_pair_is_one_png_of_two_panels(tmp_path):
    path = plots.plot_tracking_pair(tmp_path / "tracking.png", WEEKS, ACTUAL, CUSTSIM, BGNBD, UNTIL)
    assert path == tmp_path / "tracking.png"
    assert pixels(path) == size_of(11, 4)
    assert plt.get_fignums() == []  # closed after saving


def test_tracking_pair_draws_missing_weeks_and_a_holdout_of_none(tmp_path):
    gappy = CUSTSIM.copy()
    gappy[5:9] = np.nan
    path = plots.plot_tracking_pair(tmp_path / "t.png", WEEKS, ACTUAL, gappy, BGNBD, WEEKS[-1])
    assert pixels(path) == size_of(11, 4)


def test_frequency_with_and_without_bgnbd(tmp_path):
    actual = np.array([1400, 380, 180, 110, 60, 40, 30, 160])
    simulated = actual * 0.95
    both = plots.plot_frequency(tmp_path / "f.png", LABELS, actual, simulated, actual * 1.05)
    alone = plots.plot_frequency(tmp_path / "g.png", LABELS, actual, simulated)
    assert pixels(both) == pixels(alone) == size_of(7, 4)
    assert both.read_bytes() != alone.read_bytes()


def test_conditional_draws_a_class_without_customers(tmp_path):
    actual = np.array([0.2, 0.6, 1.1, 1.5, 2.0, np.nan, 2.8, 4.0])  # nobody made 5
    path = plots.plot_conditional(tmp_path / "c.png", LABELS, actual, actual * 0.8, actual * 1.1)
    assert pixels(path) == size_of(7, 4)


def test_spend_histograms_share_a_log_grid_and_give_the_means(tmp_path, monkeypatch):
    actual = rng.lognormal(3.0, 0.8, 2000)
    simulated = rng.lognormal(3.1, 0.6, 3000)
    seen = []
    real_hist = matplotlib.axes.Axes.hist

    def hist(ax, values, **kwargs):
        seen.append((kwargs["bins"], kwargs["label"]))
        return real_hist(ax, values, **kwargs)

    monkeypatch.setattr(matplotlib.axes.Axes, "hist", hist)
    path = plots.plot_spend(tmp_path / "s.png", actual, simulated)
    assert pixels(path) == size_of(7, 4)
    (bins_a, label_a), (bins_s, label_s) = seen
    np.testing.assert_array_equal(bins_a, bins_s)
    assert bins_a[0] <= min(actual.min(), simulated.min())
    assert bins_a[-1] >= max(actual.max(), simulated.max())
    np.testing.assert_allclose(np.diff(np.log(bins_a)), np.log(bins_a[1] / bins_a[0]))
    assert label_a == f"actual (mean {actual.mean():,.2f})"
    assert label_s == f"custsim (mean {simulated.mean():,.2f})"


@pytest.mark.parametrize(
    "simulated",
    [np.array([]), np.array([np.nan, 12.0, 30.0]), np.array([0.0, 0.0])],
    ids=["no simulated spend", "with NaN", "only zeros"],
)
@pytest.mark.filterwarnings("error")
def test_spend_draws_empty_and_odd_inputs(tmp_path, simulated):
    path = plots.plot_spend(tmp_path / "s.png", np.array([10.0, 25.0, 40.0]), simulated)
    assert pixels(path) == size_of(7, 4)


@pytest.mark.filterwarnings("error")
def test_spend_of_nothing_at_all_says_so(tmp_path, monkeypatch):
    said = []
    real_text = matplotlib.axes.Axes.text

    def text(ax, x, y, words, **kwargs):
        said.append(words)
        return real_text(ax, x, y, words, **kwargs)

    monkeypatch.setattr(matplotlib.axes.Axes, "text", text)
    path = plots.plot_spend(tmp_path / "s.png", np.array([]), np.array([np.nan]))
    assert pixels(path) == size_of(7, 4)
    assert said == ["no repeat transactions"]


def test_fit_trace_on_a_log_scale_with_failed_trials(tmp_path):
    objective = rng.lognormal(2.0, 1.0, 60)
    objective[[3, 17]] = np.nan  # trials that did not finish
    best = np.fmin.accumulate(objective)
    path = plots.plot_fit_trace(tmp_path / "trials.png", objective, best)
    assert pixels(path) == size_of(7, 4)
    one = plots.plot_fit_trace(tmp_path / "one.png", np.array([3.0]), np.array([3.0]))
    assert pixels(one) == size_of(7, 4)


def test_a_figure_goes_into_a_folder_that_does_not_exist_yet(tmp_path):
    path = plots.plot_fit_trace(tmp_path / "plots" / "trials.png", np.ones(3), np.ones(3))
    assert path.is_file()
