"""custsim conf package."""
