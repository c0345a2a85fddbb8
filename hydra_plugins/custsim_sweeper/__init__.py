"""The custsim sweeper, where Hydra looks for plugins (the `hydra_plugins` namespace)."""
