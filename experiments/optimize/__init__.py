"""`custsim-optimize`: searching the focal firm's policy parameters.

`search`: the logic, no CLI; `cli`: the command (light: its help needs no engine);
`job`: the trials' runs, the files and the report, imported on running; `settings`:
the `optimize` block; `config`: the root's schema.
"""
