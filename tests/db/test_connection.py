"""db/connection.py: every connection (open_db's, the web app's) gets the same pragmas, and
sqlite-utils' transactions take the write lock at BEGIN."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading

import pytest

from db.connection import BUSY_TIMEOUT_S, connect, now
from db.schema import open_db


@pytest.mark.parametrize("opener", [open_db, connect], ids=["open_db", "connect"])
def test_every_connection_has_wal_foreign_keys_and_busy_timeout(tmp_path, opener):
    path = tmp_path / "papertally.db"
    open_db(path).close()
    db = opener(path)
    try:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert db.execute("PRAGMA busy_timeout").fetchone()[0] == BUSY_TIMEOUT_S * 1000
    finally:
        db.close()


def test_atomic_takes_the_write_lock_before_the_first_write(tmp_path):
    path = tmp_path / "papertally.db"
    open_db(path).close()
    db = connect(path)
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        with db.atomic():
            db.execute("SELECT COUNT(*) FROM papers").fetchone()  # a read only, so far
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
    finally:
        other.close()
        db.close()


def test_now_is_utc_to_the_second_whatever_the_zone_of_the_moment():
    tokyo = dt.timezone(dt.timedelta(hours=9))
    assert now(dt.datetime(2026, 4, 1, 9, 0, 0, 123, tzinfo=tokyo)) == "2026-04-01T00:00:00+00:00"
    assert dt.datetime.fromisoformat(now()).utcoffset() == dt.timedelta(0)


def test_commands_opening_a_new_database_at_once_migrate_it_once(tmp_path):
    path = tmp_path / "papertally.db"
    start = threading.Barrier(6)
    errors: list[BaseException] = []

    def open_and_close() -> None:
        start.wait()
        try:
            open_db(path).close()
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=open_and_close) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    db = open_db(path)
    names = db.execute("SELECT migration_set, name FROM _sqlite_migrations").fetchall()
    db.close()
    assert len(names) == len(set(names)) > 0
