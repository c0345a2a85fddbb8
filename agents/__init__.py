"""custsim agents package."""
