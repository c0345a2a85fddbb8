"""`python -m custsim.experiments.sensitivity`: the same as `custsim-sensitivity`."""

from custsim.experiments.sensitivity.cli import main

main()
