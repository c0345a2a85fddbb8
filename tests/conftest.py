"""Shared test settings: hypothesis profiles and fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

settings.register_profile("ci", max_examples=40, deadline=None)
settings.register_profile("dev", max_examples=25, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True, scope="session")
def empty_user_config_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every test (and every command a test starts) sees an empty user config directory.

    Never the developer's own (`custsim.sim.compose.user_config_dir`): its options would
    change what `--help` and the one-line errors list. A test that writes options points
    CUSTSIM_CONFIG_DIR at its own directory.
    """
    folder = tmp_path_factory.mktemp("user_config")
    os.environ["CUSTSIM_CONFIG_DIR"] = str(folder)
    return folder
