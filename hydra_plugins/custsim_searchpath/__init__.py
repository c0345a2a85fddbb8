"""Hydra search path plugin: the user config directory of custsim (calibrated populations)."""
