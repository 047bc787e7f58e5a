"""Connections to the papertally SQLite file: the connection class, its pragmas, and the
one format for stored times.

Every connection (the CLI's, each nightly step's, one per web request) comes from
`connect`, so they all wait for each other the same way. Transactions are sqlite-utils'
`db.atomic()` (nested blocks are savepoints); on these connections its BEGIN takes the
write lock at once (see ImmediateConnection).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import sqlite_utils

# Seconds a connection waits for another writer (a harvest, staff reviewing) to commit.
BUSY_TIMEOUT_S = 30


class ImmediateConnection(sqlite3.Connection):
    """A connection whose plain BEGIN (what sqlite-utils' atomic() sends) is BEGIN IMMEDIATE.

    A deferred transaction that reads first and writes later fails at once with "database is
    locked" if another connection (staff reviewing, a harvest) committed in between: in WAL
    mode SQLite cannot upgrade a stale read snapshot, and the busy timeout does not apply.
    Taking the write lock at BEGIN makes writers queue on the busy timeout instead.
    """

    def execute(self, sql, *args):
        if sql.strip().rstrip(";").upper() == "BEGIN":
            sql = "BEGIN IMMEDIATE"
        return super().execute(sql, *args)


def connect(path: str | Path) -> sqlite_utils.Database:
    """A connection to the database file at `path` (or ":memory:"): WAL mode, foreign keys
    on, and a busy timeout, so that a nightly harvest and staff reviewing at once wait for
    each other instead of failing. Applies no migrations (db.schema.open_db does).

    Raises sqlite3.DatabaseError when the file is not a database.
    """
    conn = sqlite3.connect(
        str(path),
        timeout=BUSY_TIMEOUT_S,
        check_same_thread=False,
        factory=ImmediateConnection,
    )
    try:
        db = sqlite_utils.Database(conn)
        if str(path) != ":memory:":
            db.enable_wal()
        db.execute("PRAGMA foreign_keys = ON")
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_S * 1000}")
    except BaseException:
        conn.close()
        raise
    return db


def now(moment: dt.datetime | None = None) -> str:
    """`moment` (default: the current time) as stored in every table: UTC ISO 8601 to the
    second, e.g. "2026-11-30T03:54:32+00:00", so that stored times sort as text."""
    moment = moment if moment is not None else dt.datetime.now(dt.UTC)
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")
