"""`python -m custsim.experiments.dashboard`: the same as `custsim-dashboard`."""

from custsim.experiments.dashboard.cli import main

main()
