"""custsim sim package."""
