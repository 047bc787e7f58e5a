"""Prefect for the flow tests: one temporary API server for the whole session (25-30 s once)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

# Before prefect is imported anywhere: no telemetry, time for a cold server start.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")

sys.path.insert(0, str(Path(__file__).parent))  # nightlykit, crashkit


@pytest.fixture(scope="session")
def prefect_harness(tmp_path_factory):
    """A temporary Prefect API (and a temporary PREFECT_HOME, so that nothing cached or
    stored by one run leaks into another) for the flow tests that need the engine."""
    home = tmp_path_factory.mktemp("prefect-home")
    os.environ["PREFECT_HOME"] = str(home)
    from prefect.settings import PREFECT_HOME, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    with (
        temporary_settings({PREFECT_HOME: home}),
        prefect_test_harness(server_startup_timeout=120),
    ):
        yield
