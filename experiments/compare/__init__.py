"""`custsim-compare`: a policy against its baseline on paired replications.

`cli`: the command; `lift`: the lift statistics, no I/O; `plots`: its figures.
"""
