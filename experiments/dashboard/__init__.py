"""The classroom dashboard (`custsim-dashboard`): custsim live in the browser with Mesa's SolaraViz.

One concept per module:

- `controls`: the sliders and selectors, and how their values become Hydra overrides;
- `presets`: the "Things to try" guided experiments (control values + what to look for);
- `model`: `DashboardModel`, the CLI's `CustsimModel` built from control values;
- `charts`: the live matplotlib charts, read from the model's recorder;
- `readouts`: the running numbers the experiments point to (share, reference price, dip);
- `network_view`: the social network coloured by last brand bought (a small sample);
- `sidebar`: Mesa's SolaraViz frame, with sliders that show their values at rest;
- `app`: the Solara page that puts them together (`app` and `sidebar` import solara;
  the others do not).
"""
