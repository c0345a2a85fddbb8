"""`DashboardModel`: the CLI's `CustsimModel`, constructed from dashboard control values.

SolaraViz rebuilds the model on Reset as `type(model)(**control_values)`, so the
dashboard needs a model class that takes keyword arguments. `DashboardModel`
adds only that constructor (and a cached drawing of the network): it turns the
controls into the CLI's Hydra overrides (`controls.to_overrides`), composes and
validates them with `custsim.sim.compose.compose_config` and initialises the unchanged
`CustsimModel` with `custsim.sim.runner.make_policies`, exactly as `custsim.sim.runner.build_model`
does. The same controls and seed therefore give the same run as `custsim` with
`controls.cli_command(settings)`.

SolaraViz steps a whole render interval (a week) per Step press or play tick without
looking at `running` in between, and a year is not a whole number of weeks: past the
last day a `DashboardModel` step does nothing (day counter, clock and recorder stay at
the last day), so a run ends cleanly on its last day.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

from custsim.experiments.dashboard.controls import Settings, to_overrides
from custsim.experiments.dashboard.network_view import NetworkView, sample_view
from custsim.sim.compose import compose_config
from custsim.sim.config import CustsimConfig
from custsim.sim.model import CustsimModel
from custsim.sim.runner import make_policies

MAX_NETWORK_NODES = 300

# Hydra's compose API keeps global state: one composition at a time (several browser sessions).
_COMPOSE_LOCK = threading.Lock()


def compose_settings(settings: Settings) -> CustsimConfig:
    """The validated config for the dashboard settings (raises `ConfigError` on a bad value)."""
    with _COMPOSE_LOCK:
        return compose_config(to_overrides(settings))


class DashboardModel(CustsimModel):
    """A `CustsimModel` built from dashboard controls (see the module docstring)."""

    def __init__(self, scenario: object | None = None, **controls: Any) -> None:
        """Compose the config for `controls` and build the model.

        Args:
            scenario: ignored. SolaraViz's Reset passes Mesa's default scenario to models
                that take keyword arguments; a custsim run is fully set by its config
                (the seed is a control).
            **controls: values of the dashboard controls (`controls.Settings` fields);
                missing ones take their defaults.

        Raises:
            TypeError: a name that is not a control.
            sim.config.ConfigError: a value the config schema does not allow.

        """
        del scenario
        settings = Settings.from_controls(controls)
        cfg = compose_settings(settings)
        super().__init__(cfg, make_policies(cfg))
        self._mesa_step = self.step  # Mesa's step: advances the clock, the counter, then a day
        self.step = self.step_until_done
        self.settings = settings
        # chart name -> (day drawn, PNG): panels remounted by the page reuse today's drawing
        self.drawn: dict[str, tuple[int, bytes]] = {}

    def step_until_done(self) -> None:
        """Simulate the next day, or nothing once the last day (`cfg.steps`) is done."""
        if self.running:
            self._mesa_step()

    @functools.cached_property
    def network_view(self) -> NetworkView:
        """A few hundred customers of the network and their layout (computed once)."""
        return sample_view(self.graph, MAX_NETWORK_NODES, self.cfg.seed)
