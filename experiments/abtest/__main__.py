"""`python -m custsim.experiments.abtest`: the same as `custsim-abtest`."""

from custsim.experiments.abtest.cli import main

main()
