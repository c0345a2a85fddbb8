"""`python -m custsim.experiments.calibrate`: the same as `custsim-calibrate`."""

from custsim.experiments.calibrate.cli import main

main()
