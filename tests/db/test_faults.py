"""Everyday faults of the database file are one-line errors naming the file and what to do:
no database where a command reads, read-only, locked past the busy timeout, disk full, and
a file removed or replaced during a run."""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess

import pytest

from db import connection
from db import runs as runs_db
from db.connection import (
    DatabaseBusy,
    DatabaseFault,
    DatabaseReadOnly,
    DatabaseReplaced,
    DiskFull,
    NoDatabase,
    NotPapertallyDatabase,
)
from db.schema import (
    MIGRATION_SETS,
    DatabaseOutdated,
    check_same_database,
    database_identity,
    open_db,
    schema_fault,
)
from papertally.errors import PapertallyError


@pytest.fixture
def db_path(tmp_path):
    path = tmp_path / "papertally.db"
    open_db(path).close()
    return path


@contextlib.contextmanager
def read_only(path):
    """The file at `path` refuses writes, also to root (who ignores mode 0444)."""
    if os.geteuid() != 0:
        path.chmod(0o444)
        try:
            yield
        finally:
            path.chmod(0o644)
        return
    if shutil.which("chattr") is None:
        pytest.skip("running as root without chattr: cannot make a file read-only")
    done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"chattr +i is not allowed here: {done.stderr.strip()}")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def test_a_read_open_of_a_missing_path_fails_and_creates_nothing(tmp_path):
    path = tmp_path / "typo.db"
    with pytest.raises(NoDatabase) as caught:
        open_db(path, create=False)
    assert str(caught.value).startswith(f"{path}: no database at this path")
    assert "papertally run" in str(caught.value)
    assert not path.exists()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "code",
    [
        connection.SQLITE_BUSY,
        connection.SQLITE_LOCKED,
        connection.SQLITE_READONLY,
        connection.SQLITE_IOERR,
        connection.SQLITE_FULL,
        connection.SQLITE_CANTOPEN,
        connection.SQLITE_CANTOPEN | (1 << 8),  # an extended code of the same kind
    ],
)
def test_every_database_fault_has_its_wording_for_the_review_page(code):
    from papertally.i18n import messages

    exc = sqlite3.OperationalError("from sqlite")
    exc.sqlite_errorcode = code
    mapped = connection.fault(exc, "/srv/papertally.db")
    assert mapped is not None and mapped.key is not None
    for lang in ("en", "ja"):
        text = messages(lang)[mapped.key].format(**mapped.params)
        assert "/srv/papertally.db" in text and "{" not in text


def test_a_read_open_never_creates_the_file_even_if_it_goes_after_the_check(
    tmp_path, monkeypatch
):
    # the file removed between the existence check and the open (a server running on)
    path = tmp_path / "gone.db"
    monkeypatch.setattr(connection.Path, "is_file", lambda self: True)
    with pytest.raises(NoDatabase):
        connection.connect(path, create=False)
    assert list(tmp_path.iterdir()) == []


def test_a_read_open_of_an_empty_file_is_refused_and_leaves_it_empty(tmp_path):
    path = tmp_path / "empty.db"
    path.touch()
    with pytest.raises(DatabaseFault, match="no papertally database"):
        open_db(path, create=False)
    db = sqlite3.connect(path)
    assert db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0] == 0
    db.close()


@pytest.mark.parametrize("kind", ["unrelated sqlite", "not sqlite"])
def test_a_read_open_of_another_programs_file_is_refused_and_leaves_its_bytes(tmp_path, kind):
    path = tmp_path / "bookmarks.db"
    if kind == "unrelated sqlite":
        other = sqlite3.connect(path)
        other.execute("CREATE TABLE bookmarks (url TEXT PRIMARY KEY)")
        other.execute("INSERT INTO bookmarks VALUES ('https://aclanthology.org/')")
        other.commit()
        other.close()
    else:
        path.write_text("title,doi\nKyoto scene graphs,10.1109/cvpr.2024.001\n")
    before = path.read_bytes()
    for open_it in (lambda: open_db(path, create=False), lambda: connection.connect(path, create=False)):
        with pytest.raises(NotPapertallyDatabase, match="holds no papertally database") as caught:
            open_it()
        assert caught.value.key == "error.not_papertally_db"
        assert path.read_bytes() == before  # not switched to WAL, not migrated


def test_a_write_open_still_creates_the_database(tmp_path):
    path = tmp_path / "new" / "papertally.db"
    open_db(path).close()
    open_db(path, create=False).close()


def test_a_write_to_a_read_only_database_names_the_file(db_path):
    with read_only(db_path):
        db = open_db(db_path, create=False)  # reading still works
        try:
            assert runs_db.recent_runs(db) == []
            with pytest.raises(DatabaseReadOnly) as caught:
                runs_db.start_run(db, "manual")
        finally:
            db.close()
    message = str(caught.value)
    assert message.startswith(f"{db_path}: the database is read-only")
    assert "writable" in message and "\n" not in message
    assert isinstance(caught.value, PapertallyError)


def test_a_lock_held_past_the_busy_timeout_names_the_file(db_path, monkeypatch):
    monkeypatch.setattr(connection, "BUSY_TIMEOUT_S", 0.2)
    holder = sqlite3.connect(db_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    db = open_db(db_path)
    try:
        with pytest.raises(DatabaseBusy) as caught:
            runs_db.start_run(db, "manual")
    finally:
        db.close()
        holder.execute("ROLLBACK")
        holder.close()
    assert str(caught.value).startswith(f"{db_path}: the database stayed locked")
    assert "try again" in str(caught.value)


def test_a_full_disk_names_the_file_and_stores_nothing(db_path):
    db = open_db(db_path)
    try:
        # SQLite's own limit on the file's size gives the error a full disk gives (SQLITE_FULL).
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        db.execute(f"PRAGMA max_page_count = {pages}")
        with pytest.raises(DiskFull) as caught:
            with db.atomic():
                for n in range(200):
                    db["run_summaries"].insert(
                        {"started_at": "x", "host": "h", "pid": n, "summary": "x" * 4000}
                    )
        assert db.execute("SELECT COUNT(*) FROM run_summaries").fetchone()[0] == 0
    finally:
        db.close()
    assert str(caught.value).startswith(f"{db_path}: the disk is full")


def test_other_sqlite_errors_are_not_dressed_up(db_path):
    db = open_db(db_path)
    try:
        with pytest.raises(sqlite3.OperationalError) as caught:
            db.execute("SELECT nope FROM papers")
        assert not isinstance(caught.value, PapertallyError)
    finally:
        db.close()


def test_the_same_database_passes_the_identity_check(db_path):
    db = open_db(db_path)
    identity = database_identity(db, db_path)
    db.close()
    assert len(identity["database_id"]) == 32
    open_db(db_path).close()  # reopened, untouched
    check_same_database(identity)


def test_a_database_removed_during_a_run_is_noticed(db_path):
    db = open_db(db_path)
    identity = database_identity(db, db_path)
    db.close()
    for suffix in ("", "-wal", "-shm"):
        db_path.with_name(db_path.name + suffix).unlink(missing_ok=True)
    with pytest.raises(DatabaseReplaced, match="removed during this run"):
        check_same_database(identity)
    assert not db_path.exists()  # the check created no empty file


def test_a_database_replaced_by_a_foreign_file_is_noticed_and_left_as_it_is(db_path, tmp_path):
    db = open_db(db_path)
    identity = database_identity(db, db_path)
    db.close()
    other = tmp_path / "other.db"
    foreign = sqlite3.connect(other)
    foreign.execute("CREATE TABLE bookmarks (url TEXT PRIMARY KEY)")
    foreign.commit()
    foreign.close()
    before = other.read_bytes()
    for suffix in ("-wal", "-shm"):
        db_path.with_name(db_path.name + suffix).unlink(missing_ok=True)
    os.replace(other, db_path)
    with pytest.raises(DatabaseReplaced, match="holds no papertally database"):
        check_same_database(identity)
    assert db_path.read_bytes() == before


def test_a_database_replaced_by_a_new_one_is_noticed(db_path, tmp_path):
    db = open_db(db_path)
    identity = database_identity(db, db_path)
    db.close()
    other = tmp_path / "other.db"
    open_db(other).close()
    os.replace(other, db_path)
    with pytest.raises(DatabaseReplaced, match="replaced by another one"):
        check_same_database(identity)


def test_a_missing_table_in_an_older_schema_is_worded_and_a_bug_is_not(db_path, tmp_path):
    old_path = tmp_path / "old.db"
    old = connection.connect(old_path)
    MIGRATION_SETS[0].apply(old)  # an older papertally: its first migration set only
    try:
        with pytest.raises(sqlite3.OperationalError) as caught:
            runs_db.recent_runs(old)
        fault = schema_fault(old, old_path, caught.value)
        assert isinstance(fault, DatabaseOutdated) and fault.key == "error.db_outdated"
        assert str(fault).startswith(f"{old_path}: the database has an older papertally schema")
        assert not any(m.pending(old) for m in MIGRATION_SETS[:1])  # nothing was applied
        assert any(m.pending(old) for m in MIGRATION_SETS[1:])
    finally:
        old.close()
    db = open_db(db_path, create=False)
    try:
        with pytest.raises(sqlite3.OperationalError) as caught:
            db.execute("SELECT nope FROM papers")
        assert schema_fault(db, db_path, caught.value) is None  # up to date: a bug, shown as is
    finally:
        db.close()
