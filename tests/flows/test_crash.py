"""Crash safety: a run SIGKILLed mid-harvest, mid-match or mid-export, then run again,
ends exactly where an uninterrupted run ends: no duplicate paper, no lost staff decision,
no half-written export."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from nightlykit import REPO, write_config
from openpyxl import load_workbook

CRASHKIT = Path(__file__).with_name("crashkit.py")


def run_child(mode: str, config: Path, db_path: Path) -> str:
    """Run the nightly steps in a child process; unless mode is "none", SIGKILL it at the
    point crashkit stops at. Returns what it printed."""
    proc = subprocess.Popen(
        [sys.executable, str(CRASHKIT), mode, str(config), str(db_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    if mode == "none":
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        assert "DONE run" in out
        return out
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if line.startswith("KILL-ME"):
            os.kill(proc.pid, signal.SIGKILL)
            break
    proc.wait(60)
    err = proc.stderr.read()
    proc.stdout.close()
    proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL, (
        f"not killed mid-{mode}: {''.join(lines)} {err}"
    )
    return "".join(lines)


def open_db(path):
    from db.schema import open_db as _open

    return _open(path)


def state(db_path: Path) -> dict:
    """What must be equal between a crashed-and-rerun store and an uninterrupted one."""
    db = open_db(db_path)
    try:
        return {
            "papers": sorted(
                db.execute("SELECT paper_id, venue, year, title FROM papers").fetchall()
            ),
            "source_records": sorted(
                db.execute(
                    "SELECT source, source_id, paper_id FROM source_records"
                ).fetchall()
            ),
            "authorships": db.execute("SELECT COUNT(*) FROM authorships").fetchone()[0],
            "links": sorted(
                db.execute(
                    "SELECT paper_id, person_id, status, machine_status, decision_id FROM links"
                ).fetchall()
            ),
            "decisions": db.execute(
                "SELECT decision_id, link_id, action, status_after, decided_by, decided_at FROM decisions "
                "ORDER BY decision_id"
            ).fetchall(),
        }
    finally:
        db.close()


def staff_decisions(db_path: Path) -> None:
    """Two staff decisions, chosen the same way in every store: accept the first link
    waiting for review, reject the first confirmed one."""
    from db.links import decide

    db = open_db(db_path)
    review = db.execute(
        "SELECT link_id FROM links WHERE status = 'needs_review' ORDER BY paper_id, person_id"
    ).fetchone()
    confirmed = db.execute(
        "SELECT link_id FROM links WHERE status = 'confirmed' ORDER BY paper_id, person_id"
    ).fetchone()
    decide(db, review[0], "accept", "yamada", "checked the paper")
    decide(db, confirmed[0], "reject", "suzuki", "a namesake")
    db.close()


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """An uninterrupted first run (and its store after two staff decisions)."""
    folder = tmp_path_factory.mktemp("reference")
    config = write_config(folder, broken_job=False, formats='["xlsx", "csv"]', chart="")
    db_path = folder / "ref.db"
    run_child("none", config, db_path)
    return {"config": config, "db": db_path, "state": state(db_path)}


def test_killed_mid_harvest_then_rerun_has_no_duplicate_and_nothing_missing(
    reference, tmp_path
):
    config = write_config(
        tmp_path, broken_job=False, formats='["xlsx", "csv"]', chart=""
    )
    db_path = tmp_path / "x.db"
    run_child("harvest", config, db_path)
    db = open_db(db_path)
    # two batches of 20 committed, the third (in flight) rolled back
    assert db.execute("SELECT COUNT(*) FROM source_records").fetchone()[0] == 40
    assert db.execute("SELECT status FROM harvest_runs").fetchall() == [("running",)]
    db.close()

    run_child("none", config, db_path)
    assert state(db_path) == reference["state"]
    db = open_db(db_path)
    assert db.execute(
        "SELECT status FROM run_summaries ORDER BY run_id"
    ).fetchall() == [("interrupted",), ("ok",)]
    assert db.execute(
        "SELECT status FROM harvest_runs ORDER BY run_id LIMIT 1"
    ).fetchone() == ("interrupted",)
    dupes = db.execute(
        "SELECT source, source_id, COUNT(*) FROM source_records GROUP BY source, source_id HAVING COUNT(*) > 1"
    ).fetchall()
    assert dupes == []
    db.close()


def add_member_matching_an_author(config: Path, db_path: Path, folder: Path) -> None:
    """Re-point the config at a roster with one more member: an author of a stored paper
    (so that the next match has new links to write)."""
    db = open_db(db_path)
    name, affs = db.execute(
        "SELECT name, affiliations FROM authorships WHERE affiliations != '[]' ORDER BY source, source_id, position"
    ).fetchone()
    db.close()
    import json

    given, family = name.rsplit(" ", 1)
    roster = folder / "roster.csv"
    text = (REPO / "examples" / "roster.csv").read_text(encoding="utf-8").rstrip("\n")
    with roster.open("w", encoding="utf-8", newline="") as fh:
        fh.write(text + "\n")
        csv.writer(fh).writerow(
            [
                "T01",
                "Vision foundation models (illustrative)",
                "T01-P1",
                "pnew",
                family,
                given,
                "",
                "",
                json.loads(affs)[0],
                "",
                "",
                "",
                "2020-04-01",
                "",
            ]
        )
    body = config.read_text(encoding="utf-8")
    config.write_text(
        body.replace(f'file = "{REPO}/examples/roster.csv"', f'file = "{roster}"'),
        encoding="utf-8",
    )


def test_killed_mid_match_loses_no_staff_decision(reference, tmp_path):
    # the reference store: decisions, a new roster member, an uninterrupted second run
    ref_dir = tmp_path / "ref"
    ref_config = write_config(ref_dir, broken_job=False, formats='["xlsx"]', chart="")
    ref_db = ref_dir / "ref.db"
    open_db(reference["db"]).execute("VACUUM INTO ?", [str(ref_db)])
    staff_decisions(ref_db)
    add_member_matching_an_author(ref_config, ref_db, ref_dir)
    run_child("none", ref_config, ref_db)
    expected = state(ref_db)
    assert any(link[1] == "pnew" for link in expected["links"]), (
        "the new member got no link to write"
    )

    # the same, killed after the matcher wrote every link but before COMMIT, then re-run
    config = write_config(
        tmp_path / "x", broken_job=False, formats='["xlsx"]', chart=""
    )
    db_path = tmp_path / "x" / "x.db"
    open_db(reference["db"]).execute("VACUUM INTO ?", [str(db_path)])
    staff_decisions(db_path)
    before = state(db_path)
    add_member_matching_an_author(config, db_path, tmp_path / "x")
    run_child("match", config, db_path)
    after_kill = state(db_path)
    assert after_kill["links"] == before["links"]  # nothing of the killed match applied
    assert after_kill["decisions"] == before["decisions"]
    run_child("none", config, db_path)
    final = state(db_path)
    assert final["decisions"] == before["decisions"]
    for key in ("papers", "source_records", "authorships"):
        assert final[key] == expected[key]
    # statuses equal the reference (decision ids are equal too: same decisions, same order)
    assert final["links"] == expected["links"]
    decided = [link for link in final["links"] if link[4] is not None]
    assert sorted(link[2] for link in decided) == ["confirmed", "rejected"]


def test_killed_mid_export_leaves_the_previous_export_whole(reference, tmp_path):
    config = write_config(
        tmp_path, broken_job=False, formats='["xlsx", "csv"]', chart=""
    )
    db_path = tmp_path / "x.db"
    run_child("none", config, db_path)
    out = tmp_path / "out"
    xlsx = min(out.glob("*.xlsx"))
    previous = xlsx.read_bytes()
    run_child("export", config, db_path)
    assert xlsx.read_bytes() == previous  # the old, complete file is still there
    load_workbook(xlsx)
    assert (
        len(list(out.glob(f".{xlsx.name}.*.tmp"))) == 1
    )  # the killed writer's half file
    run_child("none", config, db_path)
    load_workbook(xlsx)
    assert list(out.glob(".*.tmp")) == []
    db = open_db(db_path)
    assert [
        r[0] for r in db.execute("SELECT status FROM run_summaries ORDER BY run_id")
    ] == ["ok", "interrupted", "ok"]
    db.close()


def test_a_harvest_killed_mid_run_shows_and_is_stored_as_interrupted(tmp_path, capsys):
    """`papertally harvest` SIGKILLed mid-harvest (no nightly run around it): --status says
    interrupted at once, and the next harvest stores it so; nothing stays 'running'."""
    from papertally.cli import main

    config = write_config(tmp_path, broken_job=False, formats='["json"]', chart="")
    # The 56-paper sample stands for the whole of CVPR 2024 here: no coverage guard.
    config.write_text(
        config.read_text(encoding="utf-8").replace("min_ratio = 0.8", "min_ratio = 0.0"),
        encoding="utf-8",
    )
    db_path = tmp_path / "crash.db"
    run_child("cli-harvest", config, db_path)

    def papertally(*args) -> str:
        try:
            main(["--config", str(config), "--db", str(db_path), *args])
        except SystemExit as exc:
            assert not exc.code, capsys.readouterr()
        return capsys.readouterr().out

    def statuses() -> list[str]:
        db = open_db(db_path)
        try:
            return [r[0] for r in db.execute("SELECT status FROM harvest_runs ORDER BY run_id")]
        finally:
            db.close()

    assert statuses() == ["running"]  # what the killed process left
    status = papertally("harvest", "--status")
    row = next(line for line in status.splitlines() if " paperlists " in line)
    assert " interrupted " in row and "the process was stopped mid-harvest" in row
    assert statuses() == ["running"]  # --status only reads

    sample = REPO / "examples" / "sample" / "paperlists_cvpr2024.json"
    out = papertally("harvest", "--source", "paperlists", "--venue", "CVPR", "--year", "2024",
                     "--from", str(sample))
    assert "paperlists CVPR 2024: ok" in out
    assert statuses() == ["interrupted", "ok"]
