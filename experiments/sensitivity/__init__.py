"""`custsim-sensitivity`: global sensitivity analysis.

`analysis`: the pure logic around SALib; `cli`: the command (light: its help needs
no engine); `job`: the sampled runs, the files and the table, imported on running;
`settings`: the `sensitivity` block; `config`: the root's schema.
"""
