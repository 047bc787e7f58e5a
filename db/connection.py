"""Connections to the papertally SQLite file: the connection class, its pragmas, the
everyday faults of the file (missing, read-only, locked, disk full, replaced) as one-line
errors, and the one format for stored times.

Every connection (the CLI's, each nightly step's, one per web request) comes from
`connect`, so they all wait for each other the same way. Transactions are sqlite-utils'
`db.atomic()` (nested blocks are savepoints); on these connections its BEGIN takes the
write lock at once (see ImmediateConnection).
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from pathlib import Path
from urllib.parse import quote

import sqlite_utils

from papertally.errors import PapertallyError

# Seconds a connection waits for another writer (a harvest, staff reviewing) to commit.
BUSY_TIMEOUT_S = 30


# -- faults ------------------------------------------------------------------------------
# Each is also a sqlite3.OperationalError, so that sqlite-utils' own handlers (which probe
# features and roll back on OperationalError) behave as they did with the original error.


class DatabaseFault(PapertallyError, sqlite3.OperationalError):
    """The database file at `path` cannot be used as it is; the message says what to do.
    `key` names its wording for the review page (papertally/locales), whose reader cannot
    run a command: the page says what was left undone and whom to ask."""

    def __init__(self, path: str | Path, message: str, key: str | None = None, **params):
        self.path = str(path)
        super().__init__(f"{path}: {message}", key=key, params={"path": str(path), **params})


class NoDatabase(DatabaseFault):
    """A command that reads (or a review page) found no database file; it never creates one."""

    def __init__(self, path: str | Path):
        super().__init__(
            path,
            "no database at this path: run `papertally run` (or harvest / roster import) "
            "to create one, or check --db / PAPERTALLY_DB / [database] path",
            key="error.no_database",
        )


class NotPapertallyDatabase(DatabaseFault):
    """The file at `path` holds no papertally database: it is empty, another program's
    SQLite file, or no SQLite file at all (a mistyped --db, or a file put in the
    database's place under a running review server)."""

    def __init__(self, path: str | Path):
        super().__init__(
            path,
            "this file holds no papertally database (it is empty or another program's): "
            "check --db / PAPERTALLY_DB / [database] path, or restore the database from a "
            "backup; the file was left as it is",
            key="error.not_papertally_db",
        )


class DatabaseReadOnly(DatabaseFault):
    pass


class DatabaseBusy(DatabaseFault):
    pass


class DiskFull(DatabaseFault):
    pass


class DatabaseReplaced(DatabaseFault):
    """The file a run began with was removed or replaced while the run went on."""


SQLITE_BUSY, SQLITE_LOCKED, SQLITE_READONLY, SQLITE_IOERR = 5, 6, 8, 10
SQLITE_FULL, SQLITE_CANTOPEN, SQLITE_NOTADB = 13, 14, 26

# The table every migrated papertally database holds (sqlite-utils' migration record).
MARKER_TABLE = "_sqlite_migrations"


def fault(exc: sqlite3.Error, path: str | Path) -> DatabaseFault | None:
    """The one-line DatabaseFault for an everyday SQLite error on the file at `path`, or
    None when `exc` is something else (a bug, a constraint) and must surface as it is."""
    if isinstance(exc, DatabaseFault):
        return exc
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    if primary == SQLITE_READONLY:
        return DatabaseReadOnly(
            path,
            "the database is read-only for this user (a write was refused): make the file "
            "and its folder writable (SQLite writes -wal and -shm files beside it), or point "
            "--db / PAPERTALLY_DB at a writable copy",
            key="error.db_read_only",
        )
    if primary in (SQLITE_BUSY, SQLITE_LOCKED):
        return DatabaseBusy(
            path,
            f"the database stayed locked by another process for more than {BUSY_TIMEOUT_S} s "
            "(a nightly run or a harvest writing?): wait for it to finish (`papertally runs` "
            "shows a running night) and try again",
            key="error.db_busy",
            seconds=BUSY_TIMEOUT_S,
        )
    if primary == SQLITE_FULL:
        return DiskFull(
            path,
            "the disk is full (SQLite could not grow the database): free space on that "
            "filesystem, or move the database elsewhere (--db), and run again; the step "
            "that failed stored nothing",
            key="error.disk_full",
        )
    if primary == SQLITE_IOERR:
        return DatabaseFault(
            path,
            f"disk I/O error ({exc}): check the disk (space, errors in the system log) and "
            "that the file was not moved or truncated, then run again",
            key="error.db_io",
        )
    if primary == SQLITE_CANTOPEN:
        return DatabaseFault(
            path,
            "cannot open the database file: check that its folder exists and is readable "
            "and writable by this user",
            key="error.db_cantopen",
        )
    return None


class ImmediateConnection(sqlite3.Connection):
    """A connection whose plain BEGIN (what sqlite-utils' atomic() sends) is BEGIN IMMEDIATE,
    and whose everyday faults are raised as DatabaseFaults naming the file.

    A deferred transaction that reads first and writes later fails at once with "database is
    locked" if another connection (staff reviewing, a harvest) committed in between: in WAL
    mode SQLite cannot upgrade a stale read snapshot, and the busy timeout does not apply.
    Taking the write lock at BEGIN makes writers queue on the busy timeout instead.
    """

    path = ":memory:"

    def _raise(self, exc: sqlite3.Error):
        mapped = fault(exc, self.path)
        if mapped is None:
            raise exc
        raise mapped from exc

    def execute(self, sql, *args):
        if sql.strip().rstrip(";").upper() == "BEGIN":
            sql = "BEGIN IMMEDIATE"
        try:
            return super().execute(sql, *args)
        except sqlite3.Error as exc:
            self._raise(exc)

    def executemany(self, sql, *args):
        try:
            return super().executemany(sql, *args)
        except sqlite3.Error as exc:
            self._raise(exc)

    def executescript(self, *args):
        try:
            return super().executescript(*args)
        except sqlite3.Error as exc:
            self._raise(exc)

    def commit(self):
        try:
            return super().commit()
        except sqlite3.Error as exc:
            self._raise(exc)


def connect(path: str | Path, *, create: bool = True) -> sqlite_utils.Database:
    """A connection to the database file at `path` (or ":memory:"): WAL mode, foreign keys
    on, and a busy timeout, so that a nightly harvest and staff reviewing at once wait for
    each other instead of failing. Applies no migrations (db.schema.open_db does).

    Without `create`, the file must already hold a papertally database (MARKER_TABLE):
    an empty file or another program's database is refused before anything could write
    to it (switching it to WAL would).

    Raises NoDatabase when `create` is false and there is no file at `path`,
    NotPapertallyDatabase when `create` is false and the file holds no papertally database,
    another DatabaseFault when the file cannot be opened, sqlite3.DatabaseError when it is
    not a database.
    """
    memory = str(path) == ":memory:"
    if not create and not memory and not Path(path).is_file():
        raise NoDatabase(path)
    # Without `create`, SQLite itself must not create the file either: the file may go
    # between the check above and the open (a long-running review server, a cleanup job).
    target = str(path) if create or memory else f"file:{quote(str(Path(path).absolute()))}?mode=rw"
    try:
        conn = sqlite3.connect(
            target,
            timeout=BUSY_TIMEOUT_S,
            check_same_thread=False,
            factory=ImmediateConnection,
            uri=not (create or memory),
        )
    except sqlite3.Error as exc:
        if not create and not memory and not Path(path).exists():
            raise NoDatabase(path) from exc
        mapped = fault(exc, path)
        if mapped is None:
            raise
        raise mapped from exc
    conn.path = str(path)
    try:
        if not create and not memory:
            _check_marker(conn, path)
        db = sqlite_utils.Database(conn)
        if str(path) != ":memory:":
            db.enable_wal()
        db.execute("PRAGMA foreign_keys = ON")
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_S * 1000}")
    except BaseException:
        conn.close()
        raise
    return db


def _check_marker(conn: sqlite3.Connection, path: str | Path) -> None:
    """Raise NotPapertallyDatabase unless the file open on `conn` holds MARKER_TABLE.
    One lookup in the schema the connection's first query reads anyway; it reads only."""
    try:
        found = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [MARKER_TABLE]
        ).fetchone()
    except sqlite3.DatabaseError as exc:
        code = getattr(exc, "sqlite_errorcode", None)
        if isinstance(code, int) and code & 0xFF == SQLITE_NOTADB:
            raise NotPapertallyDatabase(path) from exc
        raise
    if found is None:
        raise NotPapertallyDatabase(path)


def now(moment: dt.datetime | None = None) -> str:
    """`moment` (default: the current time) as stored in every table: UTC ISO 8601 to the
    second, e.g. "2026-11-30T03:54:32+00:00", so that stored times sort as text."""
    moment = moment if moment is not None else dt.datetime.now(dt.UTC)
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")
