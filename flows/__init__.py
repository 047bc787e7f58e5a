"""papertally: the Prefect flows (the nightly job) and the commands that run them."""

from __future__ import annotations

import os

# Quiet, robust defaults for Prefect on these machines (see ../shared/ENV_NOTES.md):
# no telemetry (its heartbeat prints "database is locked" tracebacks), and time for a
# cold temporary API server to start.
PREFECT_DEFAULTS = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
}


def prefect_defaults() -> None:
    """Set PREFECT_DEFAULTS in the environment where not already set; call before
    importing prefect."""
    for key, value in PREFECT_DEFAULTS.items():
        os.environ.setdefault(key, value)
