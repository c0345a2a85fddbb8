"""`custsim-sensitivity`: global sensitivity analysis.

`analysis`: the pure logic around SALib; `cli`: the command.
"""
