"""papertally: the Prefect flows (the nightly job) and the Prefect settings they need."""

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


def quiet_console_tracebacks() -> None:
    """Show a PapertallyError raised in a task as its one-line message on the console,
    not as a traceback (call after importing prefect). The Prefect API and UI still get
    the full traceback: only the console handlers' formatting changes."""
    import logging

    from prefect.logging.handlers import PrefectConsoleHandler

    from papertally.errors import PapertallyError

    def quiet(format_record):
        def format(record: logging.LogRecord) -> str:
            exc = record.exc_info[1] if record.exc_info else None
            if isinstance(exc, PapertallyError):
                record = logging.makeLogRecord(
                    {**record.__dict__, "exc_info": None, "exc_text": None}
                )
            return format_record(record)

        format.quieted = True
        return format

    loggers = [
        logging.getLogger(),
        *(
            lg
            for lg in logging.Logger.manager.loggerDict.values()
            if isinstance(lg, logging.Logger)
        ),
    ]
    for logger in loggers:
        for handler in logger.handlers:
            if isinstance(handler, PrefectConsoleHandler) and not getattr(
                handler.format, "quieted", False
            ):
                handler.format = quiet(handler.format)
