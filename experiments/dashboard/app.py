"""The dashboard page: a `DashboardModel` in Mesa's SolaraViz layout, charts, "Things to try".

Served by `custsim-dashboard` (`experiments/dashboard.py`), or directly with
`solara run custsim.experiments.dashboard.app`. The frame (`sidebar.Dashboard`) has Mesa's play /
step / reset controls, the play and render intervals, the step counter and the
model's sliders (`controls.CONTROLS`, each showing its value); moving a slider
takes effect at the next Reset, which rebuilds the model from the sliders'
values. The experience chain's chart and numbers appear only when the model has the
chain (firm A's service failures above 0); a Reset that switches the chain on or
off redraws the panels. A "Things to try" button reloads the page with that experiment's
settings (`?preset=<key>`); an unknown key says so and lists the experiments.
After the last day the status line says the run is complete.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import asdict

import solara
from mesa.visualization.utils import update_counter

from custsim.experiments.dashboard.charts import chart_png, shown_charts
from custsim.experiments.dashboard.controls import Settings, cli_command, policy_knobs
from custsim.experiments.dashboard.model import DashboardModel
from custsim.experiments.dashboard.presets import (
    PRESETS,
    Preset,
    preset_from_query,
    unknown_preset_message,
)
from custsim.experiments.dashboard.readouts import chain_readout, readouts, rfm_readout
from custsim.experiments.dashboard.sidebar import Dashboard

TITLE = "custsim classroom"
RENDER_INTERVAL = 7  # days per chart update (and per Step press): one week
INTRO = (
    "Pick an experiment: the page reloads with the sliders on the left set for it. "
    "Then press ▶ (play) or Step, and read the charts. To change anything yourself, "
    "move a slider and press **Reset**; the same seed always gives the same run."
)
RUN_COMPLETE = "run complete: press Reset to play it again"


def rich(text: str) -> str:
    """Plain text with **bold** and *italic* marks as safe HTML.

    (solara.Markdown would fetch a maths renderer from a CDN: not in a classroom
    without internet.)
    """
    out = html.escape(text, quote=False)
    out = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", out)
    return re.sub(r"\*(.+?)\*", r"<i>\1</i>", out)


def describe(model: DashboardModel) -> str:
    """The day counter (and, after the last day, that the run is complete) and what runs.

    What runs: the policy and its knobs, the behavioural sliders, firm A's service failures
    and the habit weight (with the experience chain only), the seed.
    """
    s = model.settings
    knobs = ", ".join(f"{k} {v}" for k, v in policy_knobs(s).items())
    policy = f"policy **{s.policy}**" + (f" ({knobs})" if knobs else "")
    traits = f"λ {s.loss_aversion:g}, α {s.curvature:g}, θ {s.memory:g}, social {s.social_weight:g}"
    if model.state.chain is not None:
        traits += f" · A's service fails {s.failure_rate:.0%}, habit {s.habit_weight:g}"
    day = f"**Day {model.steps} of {model.cfg.steps}**"
    if not model.running:
        day += f" · **{RUN_COMPLETE}**"
    return (
        f"{day} · {s.size:,} customers, {s.network} network · {policy} · {traits} · seed {s.seed}"
    )


def paragraph(text: str, classes: tuple[str, ...] = ()) -> solara.Element:
    """A paragraph of `rich` text."""
    return solara.HTML(tag="p", unsafe_innerHTML=rich(text), classes=list(classes))


@solara.component
def RunStatus(model: DashboardModel) -> None:
    """The day counter, what is running, the numbers and the CRM view (every render)."""
    update_counter.get()
    paragraph(describe(model), classes=("custsim-status",))
    paragraph("**Numbers:** " + " · ".join(readouts(model)), classes=("custsim-numbers",))
    if (crm := rfm_readout(model)) is not None:
        focal = model.cfg.market.focal
        text = f"**CRM view:** {focal}'s RFM classes from its records, with the truth: {crm}"
        paragraph(text, classes=("custsim-crm",))
    if (why := chain_readout(model)) is not None:
        paragraph(f"**Why customers go:** {why}", classes=("custsim-chain",))


@solara.component
def ThingsToTry(model: DashboardModel, chosen: Preset | None, notice: str | None = None) -> None:
    """Guided experiments: each button opens the dashboard with that experiment's settings.

    A button is a link (`?preset=<key>`): the page loads afresh with the sliders at the
    experiment's values, and a teacher can hand the link out. `notice`: a warning shown
    first (a link naming an experiment that does not exist).
    """
    style = {"max-height": "380px", "overflow-y": "auto"}
    with solara.Card("Things to try", classes=["custsim-things"], style=style):
        if notice:
            solara.Warning(notice, classes=["custsim-notice"])
        RunStatus(model)
        with solara.Row(gap="6px", style={"flex-wrap": "wrap"}):
            for preset in PRESETS:
                solara.Button(
                    preset.title,
                    href=f"?preset={preset.key}",
                    small=True,
                    color="primary",
                    outlined=preset is not chosen,
                )
            solara.Button("Defaults", href="?", small=True, text=True)
        if chosen is None:
            paragraph(INTRO)
            return
        paragraph(f"**{chosen.title}**: *{chosen.finding}*")
        paragraph(f"**Look for:** {chosen.look_for}")
        paragraph(f"**Then:** {chosen.then}")
        with solara.Details("The same run from a terminal"):
            solara.Preformatted(cli_command(model.settings))


@solara.component
def Chart(model: DashboardModel, name: str) -> None:
    """One live chart, redrawn when the model has moved on (`CHARTS[name]`)."""
    update_counter.get()
    png = chart_png(model, name)
    with solara.Div(classes=["custsim-chart", f"custsim-chart-{name}"]):
        solara.Image(png, width="100%")


def panels(
    model: DashboardModel, chosen: Preset | None, notice: str | None = None
) -> list[tuple[Callable, int]]:
    """SolaraViz components: the experiments panel and the model's charts, all on page 0."""
    items: list[Callable] = [lambda model: ThingsToTry(model, chosen, notice)]
    items += [lambda model, name=name: Chart(model, name) for name in shown_charts(model)]
    return [(item, 0) for item in items]


@solara.component
def Page() -> None:
    """The dashboard: a `DashboardModel` with the chosen experiment's settings, and its panels."""
    search = solara.use_router().search
    chosen = preset_from_query(search)
    settings = chosen.settings if chosen else Settings()
    model = solara.use_memo(lambda: DashboardModel(**asdict(settings)), [settings])
    solara.Title(TITLE)
    Dashboard(
        model,
        inputs=asdict(settings),
        panels=lambda model: panels(model, chosen, unknown_preset_message(search)),
        title=TITLE,
        render_interval=RENDER_INTERVAL,
    )
