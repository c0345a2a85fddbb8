"""`custsim-compare`: a policy against its baseline on paired replications.

`cli`: the command (light: its help needs no engine); `job`: the paired runs, the
files and the table, imported on running; `lift`: the lift statistics, no I/O;
`plots`: its figures; `settings`: the `compare` block; `config`: the root's schema.
"""
