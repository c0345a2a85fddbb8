"""The dashboard's pure parts, without a browser: controls -> overrides, presets, model, charts."""

from __future__ import annotations

import re
import shlex
from dataclasses import asdict, fields, replace

import numpy as np
import pytest

from custsim.experiments.dashboard.app import RUN_COMPLETE, describe
from custsim.experiments.dashboard.charts import CHARTS, chart_png
from custsim.experiments.dashboard.cli import parse_args, solara_args
from custsim.experiments.dashboard.controls import (
    CONTROLS,
    FRAMES,
    NETWORKS,
    POLICIES,
    Settings,
    cli_command,
    to_overrides,
    value_label,
)
from custsim.experiments.dashboard.model import DashboardModel
from custsim.experiments.dashboard.network_view import sample_view
from custsim.experiments.dashboard.presets import (
    PRESETS,
    PRESETS_BY_KEY,
    preset_from_query,
    unknown_preset_message,
)
from custsim.experiments.dashboard.readouts import (
    deal_runs,
    first_reward_day,
    post_deal_dip,
    readouts,
)
from custsim.policies.hi_lo import HiLoConfig
from custsim.policies.loyalty_points import LoyaltyPointsConfig
from custsim.policies.stamp_card import StampCardConfig
from custsim.sim.compose import compose_config
from custsim.sim.network import build_network
from custsim.sim.runner import build_model
from custsim.sim.traits import population_spec

PNG_MAGIC = b"\x89PNG"
SLIDERS = {name: spec for name, spec in CONTROLS.items() if spec["type"] != "Select"}


def test_every_setting_is_a_control_and_back() -> None:
    assert set(CONTROLS) == {f.name for f in fields(Settings)}
    values = asdict(Settings())
    assert values["loss_aversion"] == 2.25
    for name, spec in SLIDERS.items():
        assert spec["min"] <= values[name] <= spec["max"], name


def test_every_slider_label_shows_its_value_and_unit() -> None:
    defaults = Settings()
    assert value_label("depth", defaults.depth) == "Discount depth: 25% off"
    assert value_label("size", defaults.size) == "Customers: 2,000"
    assert value_label("days", 365) == "Run length: 365 days"
    assert value_label("every", 28.0) == "Promo every: 28 days"  # the browser may send floats
    assert value_label("loss_aversion", 2.25) == "Loss aversion λ: 2.25×"
    assert value_label("threshold", 50.0) == "Points per reward: 50 points"
    assert value_label("network", "none") == "Social network"  # a drop-down shows its value
    for name, spec in SLIDERS.items():
        label = value_label(name, getattr(defaults, name))
        assert label.startswith(spec["label"] + ": ") and len(label) > len(spec["label"]) + 2


def test_trait_sliders_set_the_mean_in_every_segment() -> None:
    s = Settings(loss_aversion=1.0, curvature=0.5, memory=0.4, social_weight=3.0)
    cfg = compose_config(to_overrides(s))
    spec = {t.name: t for t in population_spec(cfg.population).traits}
    assert len(spec["loss_aversion"].moments) == len(cfg.population.segments) == 4
    for name, value in [
        ("loss_aversion", 1.0),
        ("gain_curvature", 0.5),
        ("loss_curvature", 0.5),
        ("memory", 0.4),
        ("social_weight", 3.0),
    ]:
        assert [m.mean for m in spec[name].moments] == [value] * 4, name
    # the spread is each segment's own: brand_loyal's lambda sd 0.5, memory sds from the preset
    assert spec["loss_aversion"].moments[3] == (1.0, 0.5)
    assert [m.sd for m in spec["memory"].moments] == [0.05, 0.08, 0.08, 0.03]


def test_run_controls_map_to_the_config() -> None:
    s = Settings(seed=7, days=90, size=600, network="erdos_renyi", policy="loyalty_points")
    cfg = compose_config(to_overrides(replace(s, earn_rate=2.0, threshold=80.0)))
    assert (cfg.seed, cfg.steps, cfg.population.size, cfg.network.kind) == (
        7,
        90,
        600,
        "erdos_renyi",
    )
    assert (cfg.policy.earn_rate, cfg.policy.threshold) == (2.0, 80.0)


@pytest.mark.parametrize("end", ["min", "max"])
def test_every_slider_at_its_end_composes(end: str) -> None:
    s = Settings(**{name: spec[end] for name, spec in SLIDERS.items()})
    compose_config(to_overrides(s))


@pytest.mark.parametrize("policy", POLICIES)
def test_every_policy_composes(policy: str) -> None:
    i = POLICIES.index(policy)
    s = Settings(policy=policy, network=NETWORKS[i % len(NETWORKS)], frame=FRAMES[i % len(FRAMES)])
    cfg = compose_config(to_overrides(s))
    assert cfg.policy._target_.startswith("custsim.policies.")


def test_policy_defaults_are_the_policies_own() -> None:
    p = compose_config(to_overrides(Settings(policy="hi_lo"))).policy
    assert (p.depth, p.every, p.duration, p.frame) == (
        HiLoConfig.depth, HiLoConfig.every, HiLoConfig.duration, HiLoConfig.frame
    )  # fmt: skip
    points = compose_config(to_overrides(Settings(policy="loyalty_points"))).policy
    assert (points.earn_rate, points.threshold) == (
        LoyaltyPointsConfig.earn_rate, LoyaltyPointsConfig.threshold
    )  # fmt: skip
    assert compose_config(to_overrides(Settings(policy="stamp_card"))).policy.slots == (
        StampCardConfig.slots
    )


def test_hi_lo_knobs_and_frame() -> None:
    s = Settings(policy="hi_lo", depth=0.3, every=14, duration=3, frame="was_now")
    p = compose_config(to_overrides(s)).policy
    assert (p.depth, p.every, p.duration, p.frame) == (0.3, 14, 3, "was_now")


def test_from_controls_types_and_rounds() -> None:
    s = Settings.from_controls({"seed": 3.0, "depth": 0.30000000000000004, "policy": "edlp"})
    assert (s.seed, s.depth, s.policy) == (3, 0.3, "edlp")
    assert isinstance(s.seed, int)
    with pytest.raises(TypeError, match="bogus"):
        Settings.from_controls({"bogus": 1})


def test_cli_command_composes_the_same_config() -> None:
    s = PRESETS_BY_KEY["herding"].settings
    words = shlex.split(cli_command(s))
    assert words[0] == "custsim"
    # the same run; only the progress bar (off in the dashboard) differs
    assert compose_config([*words[1:], "progress=off"]) == compose_config(to_overrides(s))


def test_presets_cover_the_issue_and_compose() -> None:
    assert len(PRESETS) >= 5
    assert {"loss_aversion", "erosion", "goal_gradient", "herding", "limited_offer"} <= set(
        PRESETS_BY_KEY
    )
    default = compose_config(to_overrides(Settings()))
    labels = [spec["label"].lower() for spec in CONTROLS.values()]
    for preset in PRESETS:
        assert re.search(r"[A-Z][a-z]+.* (19|20)\d\d\b", preset.finding), preset.key  # a source
        assert len(preset.look_for) > 80 and len(preset.title) > 5, preset.key
        assert any(label in preset.then.lower() for label in labels), preset.key  # a control
        assert set(preset.changes) <= set(CONTROLS), preset.key
        cfg = compose_config(to_overrides(preset.settings))  # composes and validates
        assert cfg != default, preset.key
        for key in preset.changes:  # each control it sets is a config key of this run
            moved = replace(preset.settings, **{key: _another(key, preset.changes[key])})
            assert compose_config(to_overrides(moved)) != cfg, (preset.key, key)


def _another(control: str, value: object) -> object:
    """Another allowed value of `control` (the next choice, or one slider step away)."""
    spec = CONTROLS[control]
    if spec["type"] == "Select":
        values = spec["values"]
        return values[(values.index(value) + 1) % len(values)]
    step = spec["step"] if value + spec["step"] <= spec["max"] else -spec["step"]
    return value + step
    assert PRESETS_BY_KEY["goal_gradient"].settings.policy == "stamp_card"
    assert PRESETS_BY_KEY["loss_aversion"].settings.loss_aversion > 2.25


def test_preset_from_query() -> None:
    assert preset_from_query("preset=herding") is PRESETS_BY_KEY["herding"]
    assert preset_from_query("x=1&preset=erosion") is PRESETS_BY_KEY["erosion"]
    assert preset_from_query("preset=nope") is None
    assert preset_from_query(None) is None


def test_an_unknown_preset_is_named_and_the_presets_listed() -> None:
    message = unknown_preset_message("preset=nosuch")
    assert message is not None
    assert "'nosuch'" in message and "defaults" in message
    for preset in PRESETS:
        assert f"{preset.key} ({preset.title})" in message
    assert unknown_preset_message("preset=herding") is None
    assert unknown_preset_message("") is None
    assert unknown_preset_message(None) is None
    assert len(unknown_preset_message("preset=" + "x" * 500)) < 700  # a long key is cut


def test_dashboard_model_is_the_cli_model() -> None:
    s = Settings(size=300, days=30, policy="stamp_card", social_weight=2.0)
    dashboard = DashboardModel(scenario=object(), **asdict(s))  # SolaraViz's Reset adds one
    cli = build_model(compose_config(to_overrides(s)))
    for _ in range(20):
        dashboard.step()
        cli.step()
    for name, series in cli.recorder.firm.items():
        np.testing.assert_array_equal(dashboard.recorder.firm[name], series, err_msg=name)
    assert dashboard.steps == 20
    assert dashboard.settings == s


def test_the_run_stops_cleanly_at_its_last_day() -> None:
    """SolaraViz steps a week per press and a run is not a whole number of weeks."""
    model = DashboardModel(size=200, days=30)
    for _ in range(5 * 7):  # five weeks: days 31-35 do not exist
        model.step()
    assert (model.steps, model.time, model.running) == (30, 30.0, False)
    assert not np.isnan(model.recorder.market["active_customers"]).any()
    assert RUN_COMPLETE in describe(model) and "Day 30 of 30" in describe(model)
    assert all(chart_png(model, name).startswith(PNG_MAGIC) for name in CHARTS)
    assert all(line for line in readouts(model))
    early = DashboardModel(size=200, days=30)
    early.step()
    assert RUN_COMPLETE not in describe(early)


@pytest.mark.parametrize(
    "controls", [{"policy": "loyalty_points"}, {"policy": "edlp", "network": "none"}]
)
def test_every_chart_draws_before_and_after_steps(controls: dict) -> None:
    model = DashboardModel(size=300, days=40, **controls)
    first = {name: chart_png(model, name) for name in CHARTS}
    assert all(png.startswith(PNG_MAGIC) for png in first.values())
    assert chart_png(model, "sales") is first["sales"]  # drawn once a day
    for _ in range(10):
        model.step()
    later = {name: chart_png(model, name) for name in CHARTS}
    assert all(later[name] != first[name] for name in CHARTS if name != "network")


def test_deal_runs() -> None:
    promo = np.array([0, 1, 1, 0, 0, 1, 0, 1], dtype=bool)
    assert deal_runs(promo) == [(1, 3), (5, 6), (7, 8)]
    assert deal_runs(np.zeros(4, dtype=bool)) == []


def test_readouts_follow_the_run() -> None:
    model = DashboardModel(size=300, days=80, policy="hi_lo", every=28, duration=7)
    assert readouts(model) == ["active customers 300"]
    for _ in range(60):
        model.step()
    dip = post_deal_dip(model)
    assert dip is not None and -1.0 < dip < 1.0
    assert first_reward_day(model) is None
    assert any("week after a deal" in line for line in readouts(model))
    card = DashboardModel(size=300, days=200, policy="stamp_card", slots=2)
    for _ in range(60):
        card.step()
    assert 1 <= first_reward_day(card) <= 60


@pytest.mark.parametrize("kind", ["watts_strogatz", "barabasi_albert", "none"])
def test_network_view_is_a_small_neighbourhood(kind: str) -> None:
    rng = np.random.default_rng(0)
    graph = build_network(kind, 1000, 0 if kind == "none" else 10, 0.1, rng)
    view = sample_view(graph, 120, seed=0)
    assert len(view.nodes) == 120 == len(np.unique(view.nodes))
    assert view.xy.shape == (120, 2)
    assert np.isfinite(view.xy).all()
    if kind == "none":
        assert len(view.edges) == 0
    else:
        assert len(view.edges) > 0
        assert (view.edges[:, 0] < view.edges[:, 1]).all()
        a, b = view.nodes[view.edges[:, 0]], view.nodes[view.edges[:, 1]]
        linked = {tuple(e) for e in zip(a, b, strict=True)}
        for i, j in list(linked)[:20]:
            assert j in graph.indices[graph.indptr[i] : graph.indptr[i + 1]]


def test_dashboard_command_line() -> None:
    args = solara_args(parse_args(["--port", "9001", "--host", "0.0.0.0", "--no-open"]))
    assert args[:2] == ["run", "custsim.experiments.dashboard.app"]
    assert {"--production", "--no-check-version", "--no-open"} <= set(args)
    assert args[args.index("--port") + 1] == "9001"
    assert "--open" in solara_args(parse_args([]))
