"""The custsim launcher, where Hydra looks for plugins (the `hydra_plugins` namespace)."""
