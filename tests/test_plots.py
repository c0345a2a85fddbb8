"""Tests for custsim.experiments.plots: files, PNG validity, edge cases, helpers; who draws them."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.axes
import matplotlib.image as mpimg
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from custsim.experiments.plots import PALETTE, firm_colors, plot_run, promo_spans

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
EXPECTED_NAMES = ["sales_share.png", "reference_price.png", "active_customers.png"]


def make_timeseries(
    n_days: int = 60, firms: tuple[str, ...] = ("A", "B", "C"), seed: int = 0
) -> pd.DataFrame:
    """Synthetic run: firm B discounts 20% in weeks 2, 5 and 8; others never promote."""
    rng = np.random.default_rng(seed)
    days = np.arange(1, n_days + 1)
    regular = {"A": 10.0, "B": 9.5, "C": 11.0}
    active = np.round(800 + 400 * (1 - np.exp(-days / 20)) + rng.normal(0, 10, n_days))
    occasions = np.round(active * 0.3).astype(int)
    outside = rng.binomial(occasions, 0.35 - 0.1 * days / n_days)
    rows = []
    for firm in firms:
        reg = regular.get(firm, 10.0)
        promo = (firm == "B") & np.isin((days - 1) // 7, [1, 4, 7])
        shelf = np.where(promo, 0.8 * reg, reg)
        ref = np.empty(n_days)
        level = reg
        for i in range(n_days):  # reference price adapts towards the prices seen
            level = 0.85 * level + 0.15 * shelf[i]
            ref[i] = level
        units = rng.poisson(np.where(promo, 70, 40) * (reg / shelf) ** 2)
        rows.append(
            pd.DataFrame(
                {
                    "day": days,
                    "firm": firm,
                    "shelf_price": shelf,
                    "regular_price": reg,
                    "units": units,
                    "revenue": units * shelf,
                    "margin": units * (shelf - 6.0),
                    "buyers": units,
                    "mean_reference_price": ref,
                    "promo": promo,
                    "active_customers": active.astype(int),
                    "occasions": occasions,
                    "outside_choices": outside,
                }
            )
        )
    ts = pd.concat(rows, ignore_index=True)
    total = ts.groupby("day")["units"].transform("sum")
    ts["unit_share"] = ts["units"] / total.where(total > 0)
    return ts


def assert_valid_png(path: Path, min_width: int = 600) -> None:
    assert path.is_file()
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    img = mpimg.imread(path)
    height, width = img.shape[:2]
    assert width > min_width and height > 300
    rgb = np.round(img[..., :3] * 255).astype(np.uint32)
    packed = (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]
    assert len(np.unique(packed)) > 20  # real drawing, not a blank single-colour canvas
    assert 0.005 < (packed != 0xFFFFFF).mean() < 0.5  # some ink on a mostly white canvas


def test_plot_run_writes_three_valid_pngs(tmp_path: Path) -> None:
    out = tmp_path / "figs" / "nested"  # does not exist yet
    paths = plot_run(make_timeseries(), out)
    assert paths == [out / name for name in EXPECTED_NAMES]
    assert sorted(p.name for p in out.iterdir()) == sorted(EXPECTED_NAMES)
    for path in paths:
        assert_valid_png(path)


def test_plot_run_closes_all_figures(tmp_path: Path) -> None:
    plt.close("all")
    plot_run(make_timeseries(n_days=10), tmp_path)
    assert plt.get_fignums() == []


def test_plot_run_leaves_rcparams_alone(tmp_path: Path) -> None:
    with matplotlib.rc_context({"font.size": 7.5, "axes.grid": False}):
        before = dict(plt.rcParams)
        plot_run(make_timeseries(n_days=10), tmp_path)
        assert dict(plt.rcParams) == before


def test_promo_days_are_shaded_as_spans(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[float, float]] = []
    original = matplotlib.axes.Axes.axvspan

    def spy(self, xmin, xmax, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append((xmin, xmax))
        return original(self, xmin, xmax, *args, **kwargs)

    monkeypatch.setattr(matplotlib.axes.Axes, "axvspan", spy)
    plot_run(make_timeseries(), tmp_path)
    weeks = [(7.5, 14.5), (28.5, 35.5), (49.5, 56.5)]  # firm B's three promo weeks
    # 2 panels in sales_share.png + firm B's panel in reference_price.png, one patch per week
    assert sorted(calls) == sorted(weeks * 3)


def test_plot_run_does_not_modify_input(tmp_path: Path) -> None:
    ts = make_timeseries(n_days=14).sample(frac=1.0, random_state=1)  # shuffled rows
    before = ts.copy()
    plot_run(ts, tmp_path)
    pd.testing.assert_frame_equal(ts, before)


def test_plot_run_uses_dpi_120(tmp_path: Path) -> None:
    path = plot_run(make_timeseries(n_days=20), tmp_path)[2]
    width = mpimg.imread(path).shape[1]
    assert width == pytest.approx(11 * 120, abs=2)  # 11-inch-wide figure at 120 dpi


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize(
    "ts",
    [
        pytest.param(make_timeseries(n_days=1), id="one-day"),
        pytest.param(make_timeseries(firms=("A",)), id="one-firm"),
        pytest.param(make_timeseries(n_days=1, firms=("B",)), id="one-day-one-firm"),
        pytest.param(
            make_timeseries().assign(units=0, unit_share=np.nan, buyers=0), id="zero-units"
        ),
        pytest.param(make_timeseries().assign(occasions=0, outside_choices=0), id="zero-occasions"),
    ],
)
def test_edge_cases_write_files(tmp_path: Path, ts: pd.DataFrame) -> None:
    paths = plot_run(ts, tmp_path, smoothing_days=7)
    assert [p.name for p in paths] == EXPECTED_NAMES
    for path in paths:
        assert_valid_png(path, min_width=300)


def test_some_zero_unit_days(tmp_path: Path) -> None:
    ts = make_timeseries()
    quiet = ts["day"].between(20, 25)
    ts.loc[quiet, "units"] = 0
    ts.loc[quiet, "unit_share"] = np.nan
    for path in plot_run(ts, tmp_path, smoothing_days=3):
        assert_valid_png(path)


def test_smoothing_window_longer_than_run(tmp_path: Path) -> None:
    for path in plot_run(make_timeseries(n_days=5), tmp_path, smoothing_days=30):
        assert_valid_png(path)


def test_rejects_bad_input(tmp_path: Path) -> None:
    ts = make_timeseries(n_days=5)
    with pytest.raises(ValueError, match="mean_reference_price"):
        plot_run(ts.drop(columns="mean_reference_price"), tmp_path)
    with pytest.raises(ValueError, match="empty"):
        plot_run(ts.iloc[0:0], tmp_path)
    with pytest.raises(ValueError, match="smoothing_days"):
        plot_run(ts, tmp_path, smoothing_days=0)


def test_promo_spans_merge_consecutive_days() -> None:
    days = [1, 2, 3, 4, 5, 6, 7]
    promo = [False, True, True, True, False, False, True]
    assert promo_spans(days, promo) == [(1.5, 4.5), (6.5, 7.5)]
    assert promo_spans(days, [False] * 7) == []
    assert promo_spans([3, 5], [True, True]) == [(2.5, 3.5), (4.5, 5.5)]  # gap: two spans


def test_firm_colors_fixed_and_sorted() -> None:
    colors = firm_colors(["C", "A", "B", "A"])
    assert list(colors) == ["A", "B", "C"]
    assert list(colors.values()) == list(PALETTE[:3])
    assert firm_colors(["B", "C", "A"]) == colors
    assert len(set(firm_colors([f"f{i:02d}" for i in range(12)]).values())) == len(PALETTE)


def test_the_front_door_draws_a_runs_figures_and_the_engine_draws_none(tmp_path):
    import custsim
    from custsim.sim import runner
    from custsim.sim.testing import small_config

    cfg = small_config("steps=20", "policy=loyalty_points")
    custsim.simulate(cfg, tmp_path / "front")
    drawn = sorted(p.name for p in (tmp_path / "front" / "plots").glob("*.png"))
    assert drawn == sorted([*EXPECTED_NAMES, "loyalty.png"])
    runner.simulate(cfg, tmp_path / "engine")  # the engine alone: data files, no figures
    assert (tmp_path / "engine" / "kpis.json").is_file()
    assert not (tmp_path / "engine" / "plots").exists()
    custsim.simulate(replace(cfg, plots=False), tmp_path / "off")
    assert not (tmp_path / "off" / "plots").exists()
