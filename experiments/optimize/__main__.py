"""`python -m custsim.experiments.optimize`: the same as `custsim-optimize`."""

from custsim.experiments.optimize.cli import main

main()
