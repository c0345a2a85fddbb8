"""`python -m custsim.experiments.compare`: the same as `custsim-compare`."""

from custsim.experiments.compare.cli import main

main()
