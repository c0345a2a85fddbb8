"""custsim policies package."""
