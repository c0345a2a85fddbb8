"""`custsim-optimize`: searching the focal firm's policy parameters.

`search`: the logic, no CLI; `cli`: the command.
"""
