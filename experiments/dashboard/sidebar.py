"""The dashboard's frame: app bar, a sidebar with the run controls and the model's inputs, panels.

It is Mesa's SolaraViz layout with one change: the model's inputs are drawn here,
not by Mesa's `UserInputs`, so that every slider's label shows its current value
and unit at rest (`controls.value_label`: "Discount depth: 25% off"), not only
while it is dragged. Mesa's own parts do the rest: `ModelController` (Reset, ▶ /
❚❚, Step: a Reset builds `type(model)(**inputs)`), `ShowSteps` ("Time: 7") and
`ComponentsView` (the panels). The panels are a function of the model: a Reset that
changes which charts the run has (the experience chain's) lays the page out afresh.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import solara
from mesa.visualization.solara_viz import ComponentsView, ModelController, ShowSteps

from custsim.experiments.dashboard.controls import CONTROLS, value_label
from custsim.experiments.dashboard.model import DashboardModel

PLAY_INTERVAL_MS = 100  # SolaraViz's default pause between play ticks


@solara.component
def ControlInputs(inputs: solara.Reactive[dict[str, Any]]) -> None:
    """One input per control (`controls.CONTROLS`), each slider labelled with its value."""
    for name, spec in CONTROLS.items():

        def changed(value: Any, name: str = name) -> None:
            inputs.set({**inputs.value, name: value})

        value = inputs.value[name]
        if spec["type"] == "Select":
            solara.Select(spec["label"], value=value, values=spec["values"], on_value=changed)
            continue
        kind = solara.SliderInt if spec["type"] == "SliderInt" else solara.SliderFloat
        kind(
            value_label(name, value),
            value=value,
            min=spec["min"],
            max=spec["max"],
            step=spec["step"],
            on_value=changed,
        )


@solara.component
def RunControls(
    model: solara.Reactive[DashboardModel],
    inputs: solara.Reactive[dict[str, Any]],
    render_interval: int,
) -> None:
    """Mesa's play and render intervals (each showing its value), and Reset, ▶ / ❚❚, Step."""
    play = solara.use_reactive(PLAY_INTERVAL_MS)
    render = solara.use_reactive(render_interval)
    threads = solara.use_reactive(False)
    solara.SliderInt(f"Play interval: {play.value} ms", value=play, min=1, max=500, step=10)
    days = f"{render.value} day" + ("s" if render.value != 1 else "")
    solara.SliderInt(f"Render interval: {days}", value=render, min=1, max=100, step=2)
    ModelController(
        model,
        model_parameters=inputs,
        play_interval=play,
        render_interval=render,
        use_threads=threads,
    )


@solara.component
def Dashboard(
    model: DashboardModel,
    inputs: dict[str, Any],
    panels: Callable[[DashboardModel], list[tuple[Callable, int]]],
    title: str,
    render_interval: int,
) -> None:
    """The page frame around `model`: the controls start at `inputs` (control -> value).

    `panels(model)`: the components for the current model. Mesa's `ComponentsView` lays
    out its grid once for the number of panels; keyed by that number, it starts anew
    when a Reset adds or removes a chart.
    """
    reactive_model = solara.use_reactive(model)
    reactive_inputs = solara.use_reactive(inputs)
    with solara.AppBar():
        solara.AppBarTitle(title)
        solara.lab.ThemeToggle()
    with solara.Sidebar(), solara.Column():
        with solara.Card("Controls"):
            RunControls(reactive_model, reactive_inputs, render_interval)
        with solara.Card("Model Parameters"):
            ControlInputs(reactive_inputs)
        with solara.Card("Information"):
            ShowSteps(reactive_model.value)
    shown = panels(reactive_model.value)
    ComponentsView(shown, reactive_model.value).key(f"panels-{len(shown)}")
