"""The dashboard's pure parts, without a browser: controls -> overrides, presets, model, charts."""

from __future__ import annotations

import re
import shlex
from dataclasses import asdict, fields, replace

import numpy as np
import pytest

from custsim.agents.experience import CAUSES
from custsim.experiments.dashboard.app import RUN_COMPLETE, describe, panels
from custsim.experiments.dashboard.charts import (
    CHAIN_CHARTS,
    CHARTS,
    chart_png,
    losses_by_cause,
    shown_charts,
    smoothed,
)
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
    by_cause,
    chain_readout,
    deal_runs,
    first_reward_day,
    post_deal_dip,
    readouts,
)
from custsim.policies.hi_lo import HiLoConfig
from custsim.policies.loyalty_points import LoyaltyPointsConfig
from custsim.policies.stamp_card import StampCardConfig
from custsim.sim.compose import compose_config
from custsim.sim.config import ConfigError, ExperienceConfig, ServiceConfig, chain_enabled
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


CHAIN_KEYS = ("market.firms.A.service.failure_rate=", "population.experience.habit_weight=")


def test_chain_controls_default_to_the_engine_and_add_no_overrides() -> None:
    s = Settings()
    assert (s.failure_rate, s.habit_weight) == (
        ServiceConfig.failure_rate, ExperienceConfig.habit_weight
    )  # fmt: skip
    for preset in (s, *(p.settings for p in PRESETS if p.key != "satisfied_leave")):
        words = to_overrides(preset)
        assert not [w for w in words if w.startswith(CHAIN_KEYS)], words
    assert not chain_enabled(compose_config(to_overrides(s)))
    assert "service" not in cli_command(s) and "habit" not in cli_command(s)


def test_chain_controls_override_only_when_moved() -> None:
    failing = to_overrides(Settings(failure_rate=0.05))
    assert failing[-1] == "market.firms.A.service.failure_rate=0.05"
    assert not any(w.startswith(CHAIN_KEYS[1]) for w in failing)
    habit = to_overrides(Settings(habit_weight=2.5))
    assert habit[-1] == "population.experience.habit_weight=2.5"
    assert not any(w.startswith(CHAIN_KEYS[0]) for w in habit)
    cfg = compose_config(to_overrides(Settings(failure_rate=0.3, habit_weight=0.0)))
    assert cfg.market.firms["A"].service.failure_rate == 0.3
    assert cfg.population.experience.habit_weight == 0.0
    assert chain_enabled(cfg)
    assert [f.service.failure_rate for name, f in cfg.market.firms.items() if name != "A"] == [
        0.0, 0.0
    ]  # fmt: skip
    assert value_label("failure_rate", 0.05) == "Firm A's service failures: 5% of purchases"
    assert value_label("habit_weight", 1.0) == "Habit weight: 1.0"


@pytest.mark.parametrize(
    ("control", "value", "key"),
    [
        ("failure_rate", -0.1, "failure_rate"),
        ("failure_rate", 1.5, "failure_rate"),
        ("habit_weight", -1.0, "habit_weight"),
    ],
)
def test_bad_chain_values_are_refused_by_the_config(control: str, value: float, key: str) -> None:
    with pytest.raises(ConfigError, match=key):
        DashboardModel(size=200, days=30, **{control: value})


def test_the_chain_chart_and_numbers_only_with_the_chain() -> None:
    off = DashboardModel(size=300, days=40, policy="edlp")
    assert shown_charts(off) == tuple(CHARTS)
    assert chain_readout(off) is None
    assert "service fails" not in describe(off)
    on = DashboardModel(size=300, days=40, policy="edlp", failure_rate=0.2)
    assert shown_charts(on) == ("sales", *CHAIN_CHARTS, *tuple(CHARTS)[1:])
    assert "A's service fails 20%, habit 1" in describe(on)
    assert len(panels(on, None)) == len(panels(off, None)) + 1 == len(CHARTS) + 2
    first = chart_png(on, "chain")
    assert first.startswith(PNG_MAGIC)
    assert chain_readout(on).startswith("exits 0 (none); brand switches 0 (none)")
    for _ in range(30):
        on.step()
    assert chart_png(on, "chain") != first
    lost = losses_by_cause(on)
    chain = on.state.chain
    assert lost.sum() == chain.switch_events + chain.exits[:, :3].sum()
    assert lost[CAUSES.index("service"), 0] > 0 == lost[CAUSES.index("service"), 1:].sum()
    text = chain_readout(on)
    away = chain.switches[:, 0].sum()
    assert f"switches away from A {away:,} (" in text
    failures = int(np.nansum(on.recorder.firm["service_failures"][:, 0]))
    assert failures > 0 and f"A's service failures {failures:,}, complaints" in text
    assert re.search(
        r"buyers' satisfaction A -\d\.\d\d, B \+0\.00, C \+0\.00; trust A 0\.\d\d", text
    )


def test_by_cause_and_smoothing() -> None:
    assert by_cause(np.array([0, 2, 0, 1_348, 0, 5_124])) == "taste 5,124, service 1,348, price 2"
    assert by_cause(np.zeros(6, dtype=np.int64)) == "none"
    values = np.array([[1.0, np.nan], [3.0, np.nan], [np.nan, 2.0], [5.0, 4.0]])
    np.testing.assert_allclose(smoothed(values, days=2), [[1, np.nan], [2, np.nan], [3, 2], [5, 3]])


def test_a_model_with_the_chain_lays_the_page_out_again() -> None:
    """A Reset to a model with (or without) the chain shows (or drops) its chart, laid out.

    Rendered with Solara's test renderer (no browser); Mesa's grid lays out as many panels
    as it had when it was first drawn, so the view must start anew (sidebar.Dashboard).
    """
    import ipyvuetify as v
    import ipywidgets
    import solara

    from custsim.experiments.dashboard.sidebar import Dashboard

    s = Settings(size=200, days=30, policy="edlp")
    current = solara.reactive(DashboardModel(**asdict(s)))

    @solara.component
    def Page() -> None:
        Dashboard(current.value, asdict(s), lambda m: panels(m, None), "t", render_interval=7)

    box, rc = solara.render(Page(), handle_error=False)

    def charts() -> list[str]:
        classes = (c for w in rc.find(v.Html).widgets for c in (w.class_ or "").split())
        return sorted(
            c.removeprefix("custsim-chart-") for c in classes if c.startswith("custsim-chart-")
        )

    def grids(widget: ipywidgets.Widget) -> list[tuple[int, int]]:
        """(layout entries, panels) of every grid on the page."""
        found = (
            [(len(widget.grid_layout), len(widget.items))] if hasattr(widget, "grid_layout") else []
        )
        for child in [
            *(getattr(widget, "children", None) or []),
            *(getattr(widget, "items", None) or []),
        ]:
            if isinstance(child, ipywidgets.Widget):
                found += grids(child)
        return found

    assert charts() == sorted(CHARTS) and grids(box) == [(6, 6)]
    current.value = DashboardModel(**asdict(replace(s, failure_rate=0.1)))
    assert charts() == sorted([*CHARTS, *CHAIN_CHARTS]) and grids(box) == [(7, 7)]
    current.value = DashboardModel(**asdict(s))
    assert charts() == sorted(CHARTS) and grids(box) == [(6, 6)]
    rc.close()
