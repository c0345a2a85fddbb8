"""custsim experiments package."""
