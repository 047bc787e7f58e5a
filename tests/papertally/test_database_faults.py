"""Issue 11.5 and 11.6 from the command line: a read command on a path with no database
fails instead of creating an empty one; everyday faults of the database file and of an
export target are one line naming the path and what to do, without a traceback."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "db"))  # importlib mode
from test_faults import read_only  # noqa: E402

from db import connection  # noqa: E402
from db.schema import open_db  # noqa: E402
from papertally.cli import main  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
ROSTER = REPO / "examples" / "roster.csv"
SAMPLE = REPO / "examples" / "sample" / "paperlists_cvpr2024.json"

READ_COMMANDS = [
    ("report", "--fy", "2024"),
    ("export", "--fy", "2024", "--format", "json", "--out", "{tmp}/fy2024.json"),
    ("review", "list"),
    ("review", "log"),
    ("review", "serve", "--port", "1"),
    ("runs",),
    ("roster", "list"),
    ("harvest", "--status"),
    ("user", "list"),
    ("user", "logins"),
]


def run(capsys, tmp_path, db, *args, stdin=None, monkeypatch=None) -> tuple[int, str, str]:
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    try:
        main(["--config", str(REPO / "config.toml"), "--db", str(db), *args])
        code = 0
    except SystemExit as exc:
        code = exc.code or 0
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("command", READ_COMMANDS, ids=" ".join)
def test_a_read_command_on_a_missing_database_fails_and_creates_nothing(
    capsys, tmp_path, command
):
    db = tmp_path / "typo.db"
    code, out, err = run(capsys, tmp_path, db, *command)
    assert code == 1
    assert err.strip() == (
        f"error: {db}: no database at this path: run `papertally run` (or harvest / "
        "roster import) to create one, or check --db / PAPERTALLY_DB / [database] path"
    )
    assert not db.exists() and not (tmp_path / "fy2024.json").exists()


@pytest.mark.parametrize(
    "command",
    [
        ("roster", "import", str(ROSTER)),
        ("harvest", "--source", "paperlists", "--venue", "CVPR", "--year", "2024", "--from", str(SAMPLE), "--partial"),
        ("match",),
    ],
    ids=" ".join,
)
def test_a_write_command_creates_the_database(capsys, tmp_path, command):
    db = tmp_path / "new" / "papertally.db"
    code, _, err = run(capsys, tmp_path, db, *command)
    assert code == 0, err
    open_db(db, create=False).close()


def test_user_add_creates_the_database(capsys, tmp_path, monkeypatch):
    import io

    db = tmp_path / "papertally.db"
    monkeypatch.setattr(sys, "stdin", io.StringIO("a long enough password\n"))
    code, out, err = run(capsys, tmp_path, db, "user", "add", "sato", "--password-stdin")
    assert code == 0, err
    assert "user sato: created" in out


def test_a_write_to_a_read_only_database_is_one_line(capsys, tmp_path):
    db = tmp_path / "papertally.db"
    open_db(db).close()
    with read_only(db):
        code, out, err = run(capsys, tmp_path, db, "roster", "import", str(ROSTER))
        # reading still works
        code_list, _, _ = run(capsys, tmp_path, db, "roster", "list")
    assert code == 1 and code_list == 0
    assert err.startswith(f"error: {db}: the database is read-only")
    assert err.count("\n") == 1 and "Traceback" not in err and "unexpected" not in err


def test_a_database_locked_past_the_timeout_is_one_line(capsys, tmp_path, monkeypatch):
    db = tmp_path / "papertally.db"
    open_db(db).close()
    monkeypatch.setattr(connection, "BUSY_TIMEOUT_S", 0.2)
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        code, _, err = run(capsys, tmp_path, db, "roster", "import", str(ROSTER))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert code == 1
    assert err.startswith(f"error: {db}: the database stayed locked by another process")
    assert err.count("\n") == 1 and "unexpected" not in err


def test_a_full_disk_is_one_line(capsys, tmp_path, monkeypatch):
    db = tmp_path / "papertally.db"
    open_db(db).close()
    plain = connection.connect

    def no_room(path, **kwargs):
        opened = plain(path, **kwargs)
        pages = opened.execute("PRAGMA page_count").fetchone()[0]
        opened.execute(f"PRAGMA max_page_count = {pages}")  # as a full disk: SQLITE_FULL
        return opened

    monkeypatch.setattr("db.schema.connect", no_room)
    code, _, err = run(
        capsys, tmp_path, db, "harvest", "--source", "paperlists", "--venue", "CVPR",
        "--year", "2024", "--from", str(SAMPLE), "--partial",
    )
    assert code == 1
    assert err.startswith(f"error: {db}: the disk is full")
    assert err.count("\n") == 1 and "unexpected" not in err


def export_to(capsys, tmp_path, target) -> tuple[int, str]:
    db = tmp_path / "papertally.db"
    open_db(db).close()
    code, _, err = run(
        capsys, tmp_path, db, "export", "--fy", "2024", "--format", "json", "--out", str(target)
    )
    assert code == 1 and err.count("\n") == 1, err
    assert "unexpected" not in err and "Traceback" not in err
    return code, err


def test_an_export_target_that_is_a_folder_is_an_export_write_error(tmp_path):
    # What the nightly's export step meets (the CLI's --out refuses a folder itself).
    from papertally.errors import ExportWriteError
    from papertally.exports import atomic_write

    target = tmp_path / "fy2024.json"
    target.mkdir()
    with pytest.raises(ExportWriteError) as caught:
        atomic_write(target, lambda tmp: tmp.write_text("{}"))
    assert str(caught.value) == (
        f"{target}: cannot write the export (Is a directory): a folder has that "
        "name: give a file name with --out, or move the folder"
    )
    assert [p.name for p in tmp_path.iterdir()] == ["fy2024.json"]  # no temporary left


def test_an_export_folder_blocked_by_a_file_is_one_line(capsys, tmp_path):
    blocker = tmp_path / "out"
    blocker.write_text("a file where the folder should be")
    _, err = export_to(capsys, tmp_path, blocker / "fy2024.json")
    assert err.startswith(f"error: {blocker}: cannot create the export folder (File exists)")


def test_an_export_on_a_full_disk_is_one_line_and_keeps_the_old_file(capsys, tmp_path, monkeypatch):
    import errno

    target = tmp_path / "fy2024.json"
    target.write_text("the good export of last night")
    plain = Path.write_text

    def disk_full(self, *args, **kwargs):
        if self.name.endswith(".tmp"):
            plain(self, "half", encoding="utf-8")
            raise OSError(errno.ENOSPC, "No space left on device")
        return plain(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", disk_full)
    _, err = export_to(capsys, tmp_path, target)
    assert err.startswith(f"error: {target}: cannot write the export (No space left on device): the disk is full")
    assert target.read_text() == "the good export of last night"
    assert not any(p.name.endswith(".tmp") for p in tmp_path.iterdir())


def test_run_against_a_read_only_database_is_one_line_without_traceback(tmp_path):
    import os
    import subprocess

    db = tmp_path / "papertally.db"
    open_db(db).close()
    env = {k: v for k, v in os.environ.items() if k != "PAPERTALLY_DEBUG"}
    env["PREFECT_HOME"] = str(tmp_path / "prefect-home")
    with read_only(db):
        done = subprocess.run(
            [sys.executable, "-m", "papertally", "--config", str(REPO / "config.toml"),
             "--db", str(db), "run", "--offline"],
            capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300,
        )
    assert done.returncode == 1
    assert done.stderr.startswith(f"error: {db}: the database is read-only"), done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr + done.stdout
