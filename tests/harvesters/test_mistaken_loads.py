"""Operator mistakes with files (issue 11.2, 11.4): a file under the wrong venue-year, a source
record that would move, ids listed twice, empty or junk lists, and taking a run back."""

from __future__ import annotations

import json

import pytest
import responses
from click.testing import CliRunner

from db import forget as forget_db
from db import links as links_db
from db.papers import paper_count
from papertally.cli import cli
from papertally.errors import HarvestError, PapertallyError
from papertally.harvesting import WARNINGS_KEPT, harvest_file, summarise_warnings

from .conftest import FIXTURES, REPO


def paperlists(tmp_path, name, entries):
    """A Paper Copilot list with these entries (id, title, authors) in tmp_path."""
    path = tmp_path / name
    path.write_text(
        json.dumps(
            [
                {"id": i, "title": t, "author": a, "status": "Poster", "track": "main"}
                for i, t, a in entries
            ]
        ),
        encoding="utf-8",
    )
    return path


ICRA = [
    ("10161454", "Learning to Grasp Deformable Objects", "Tatsuya Harada; Ana Lima"),
    ("10161214", "Legged Locomotion on Ice", "Shun'ichi Ota"),
    ("10160521", "Tactile Servoing for Insertion", "Mei Tanaka; Jon Park"),
]


def stored(db, venue, year):
    return db.execute(
        "SELECT COUNT(*) FROM source_records WHERE venue = ? AND year = ?", [venue, year]
    ).fetchone()[0]


# -- 11.2: the file's content names another venue-year ---------------------------------


def test_file_naming_another_year_is_refused_with_the_evidence(db, settings):
    path = FIXTURES / "paperlists/cvpr2024_sample.json"  # CVF URLs name CVPR2024
    with pytest.raises(HarvestError) as caught:
        harvest_file(db, settings, "paperlists", "CVPR", 2023, path, complete=False)
    message = str(caught.value)
    assert "names CVPR 2024, not CVPR 2023" in message
    assert "/content/CVPR2024/" in message and "nothing stored" in message
    assert paper_count(db) == 0
    run = db.execute("SELECT status FROM harvest_runs").fetchall()
    assert run == [("failed",)]


def test_anthology_collection_of_another_year_is_refused(db, settings):
    path = FIXTURES / "acl-anthology/2023.acl_sample.xml"
    with pytest.raises(HarvestError, match=r"names ACL 2023, not ACL 2024.*2023\.acl-"):
        harvest_file(db, settings, "acl-anthology", "ACL", 2024, path, complete=False)
    assert paper_count(db) == 0


def test_file_naming_another_venue_is_refused(db, settings):
    path = FIXTURES / "paperlists/cvpr2024_sample.json"
    with pytest.raises(HarvestError, match="names CVPR 2024, not NeurIPS 2024"):
        harvest_file(db, settings, "paperlists", "NeurIPS", 2024, path, complete=False)


def test_openreview_venue_id_of_another_year_is_refused(db, settings):
    path = FIXTURES / "openreview/neurips2024_notes_sample.json"
    with pytest.raises(HarvestError, match=r"NeurIPS\.cc/2024/"):
        harvest_file(db, settings, "openreview", "NeurIPS", 2023, path, complete=False)


# -- 11.2: a stored record never moves to another venue-year ----------------------------


def test_records_of_another_venue_year_are_never_moved(db, settings, tmp_path):
    path = paperlists(tmp_path, "icra.json", ICRA)  # IEEE ids: no year in the content
    first = harvest_file(db, settings, "paperlists", "ICRA", 2023, path, complete=False)
    assert first.counts.new == 3
    with pytest.raises(HarvestError) as caught:
        harvest_file(db, settings, "paperlists", "ICRA", 2024, path, complete=False)
    message = str(caught.value)
    assert "3 of the 3 papers listed are already stored under ICRA 2023" in message
    assert f"papertally harvest forget --run {first.run_id}" in message
    assert (stored(db, "ICRA", 2023), stored(db, "ICRA", 2024)) == (3, 0)
    assert db.execute("SELECT COUNT(*) FROM papers WHERE year = 2024").fetchone()[0] == 0


def test_a_few_records_of_another_venue_year_are_left_out_and_named(db, settings, tmp_path):
    harvest_file(
        db, settings, "paperlists", "ICRA", 2023,
        paperlists(tmp_path, "icra2023.json", ICRA[:1]), complete=False,
    )
    new = [("2024-%d" % i, f"A Paper of 2024 number {i}", "Ken Sato") for i in range(3)]
    outcome = harvest_file(
        db, settings, "paperlists", "ICRA", 2024,
        paperlists(tmp_path, "icra2024.json", [*new, ICRA[0]]), complete=False,
    )
    assert outcome.counts.new == 3 and outcome.elsewhere == 1
    assert "1 record(s) stored under another venue-year left out (not moved" in outcome.summary()
    assert any("10161454: stored under ICRA 2023" in w for w in outcome.warnings)
    assert (stored(db, "ICRA", 2023), stored(db, "ICRA", 2024)) == (1, 3)


def test_the_store_itself_refuses_to_move_a_record(db, settings, tmp_path):
    from db.papers import store_records
    from harvesters.registry import parse_file

    path = paperlists(tmp_path, "icra.json", ICRA)
    harvest_file(db, settings, "paperlists", "ICRA", 2023, path, complete=False)
    moved = parse_file("paperlists", path, "ICRA", 2024).records
    with pytest.raises(PapertallyError, match="never moves between venue-years"):
        store_records(db, moved, None)
    assert stored(db, "ICRA", 2024) == 0


def test_ids_listed_twice_in_one_file_are_reported(db, settings, tmp_path):
    entries = [*ICRA, ("10161214", "Legged Locomotion on Ice (poster)", "Shun'ichi Ota")]
    outcome = harvest_file(
        db, settings, "paperlists", "ICRA", 2023, paperlists(tmp_path, "dup.json", entries),
        complete=False,
    )
    assert outcome.duplicates == 1
    assert (outcome.counts.new, outcome.counts.updated) == (3, 0)
    assert "10161214: listed 2 times, stored once" in outcome.warnings
    assert "1 id(s) listed more than once" in outcome.summary()
    title = db.execute(
        "SELECT title FROM source_records WHERE source_id = '10161214'"
    ).fetchone()[0]
    assert title == "Legged Locomotion on Ice"  # the first, not silently replaced


# -- 11.4: the coverage guard applies to files ----------------------------------------


def test_an_empty_list_fails_and_flags_nothing(db, settings, tmp_path):
    full = paperlists(tmp_path, "icra.json", ICRA)
    harvest_file(db, settings, "paperlists", "ICRA", 2024, full, complete=False)
    empty = tmp_path / "empty.json"
    empty.write_text("[]", encoding="utf-8")
    for complete in (True, False):  # empty is never credible, sample or not
        with pytest.raises(HarvestError, match="lists no paper of a counted track"):
            harvest_file(db, settings, "paperlists", "ICRA", 2024, empty, complete=complete)
    flagged = db.execute(
        "SELECT COUNT(*) FROM source_records WHERE missing_since IS NOT NULL"
    ).fetchone()[0]
    assert flagged == 0


def test_a_list_of_junk_objects_fails_and_stores_few_warnings(db, settings, tmp_path):
    junk = tmp_path / "junk.json"
    junk.write_text(json.dumps([{"x": i} for i in range(3000)]), encoding="utf-8")
    with pytest.raises(HarvestError, match="lists no paper"):
        harvest_file(db, settings, "paperlists", "CVPR", 2024, junk)
    errors = json.loads(db.execute("SELECT errors FROM harvest_runs").fetchone()[0])
    assert len(errors) == 1


def test_a_file_far_below_the_expected_size_fails_unless_partial(db, settings, tmp_path):
    expected = settings.edition("CVPR", 2024).expected_papers  # config.toml
    path = FIXTURES / "paperlists/cvpr2024_sample.json"
    with pytest.raises(HarvestError, match=f"lists only 2 papers where {expected} are expected"):
        harvest_file(db, settings, "paperlists", "CVPR", 2024, path)
    assert paper_count(db) == 0
    outcome = harvest_file(db, settings, "paperlists", "CVPR", 2024, path, complete=False)
    assert outcome.counts.new == 2 and outcome.counts.missing == 0


def test_warnings_stored_per_run_are_capped_with_counts_per_kind(db, settings, tmp_path):
    good = [{"id": "a", "title": "A Real Paper", "author": "Ken Sato", "status": "Poster"}]
    junk = [{"id": f"j{i}", "title": ""} for i in range(900)]
    path = tmp_path / "mixed.json"
    path.write_text(json.dumps(good + junk), encoding="utf-8")
    outcome = harvest_file(db, settings, "paperlists", "ICRA", 2024, path, complete=False)
    errors = json.loads(db.execute("SELECT errors FROM harvest_runs").fetchone()[0])
    assert len(errors) <= 12 and errors == outcome.warnings
    assert errors[0].startswith("900 warnings; by kind: no title x900")
    assert errors[-1] == "... 890 more warning(s) not kept"


def test_summarise_keeps_short_lists_as_they_are():
    few = [f"entry {i}: no title" for i in range(WARNINGS_KEPT)]
    assert summarise_warnings(few) == few
    many = few + ["entry 99 (x): not an object"]
    head = summarise_warnings(many)[0]
    assert head == f"{WARNINGS_KEPT + 1} warnings; by kind: no title x{WARNINGS_KEPT}; not an object x1"


# -- 11.2: taking a mistaken run back -------------------------------------------------


def add_member_link(db, paper_id, person_id="P01"):
    """A roster member and a machine link to `paper_id` (what matching would make)."""
    db.execute("INSERT OR IGNORE INTO themes VALUES ('T1', 'Robots')")
    db.execute("INSERT OR IGNORE INTO projects VALUES ('PR1', 'T1')")
    db.execute(
        "INSERT OR IGNORE INTO members (person_id, project_id, family_name, affiliation, "
        "imported_at) VALUES (?, 'PR1', 'Harada', 'Univ', '2026-01-01')",
        [person_id],
    )
    return db["links"].insert(
        {
            "paper_id": paper_id, "person_id": person_id, "mention": "m", "status": "confirmed",
            "machine_status": "confirmed", "score": 0.9, "matcher_version": "t",
            "created_at": "2026-01-01", "updated_at": "2026-01-01",
        }
    ).last_pk


def test_forget_takes_a_mistaken_run_back_and_keeps_staff_decisions(db, settings, tmp_path):
    path = paperlists(tmp_path, "icra2023.json", ICRA)
    wrong = harvest_file(db, settings, "paperlists", "ICRA", 2024, path, complete=False)
    papers = [r[0] for r in db.execute("SELECT paper_id FROM papers ORDER BY paper_id")]
    decided = add_member_link(db, papers[0])
    links_db.decide(db, decided, "accept", "sato")
    add_member_link(db, papers[1])  # a machine link: no audit row
    decisions_before = db.execute("SELECT COUNT(*) FROM decisions").fetchone()[0]

    plan = forget_db.plan(db, wrong.run_id)  # the dry run changes nothing
    assert (len(plan.records), len(plan.papers), plan.links_deleted) == (3, 3, 1)
    assert [k["link_id"] for k in plan.kept_links] == [decided]
    assert paper_count(db, "ICRA", 2024) == 3

    forget_db.forget(db, wrong.run_id, "tanaka")
    assert stored(db, "ICRA", 2024) == 0 and paper_count(db, "ICRA", 2024) == 0
    assert db.execute("SELECT COUNT(*) FROM authorships").fetchone()[0] == 0
    # the decided link and its paper stay, rejected by a recorded decision; nothing counts
    link = links_db.get_link(db, decided)
    assert link["status"] == "rejected"
    log = links_db.decision_log(db, decided)
    assert len(log) == 2 and db.execute("SELECT COUNT(*) FROM decisions").fetchone()[0] == (
        decisions_before + 1
    )
    assert any(f"harvest run {wrong.run_id}" in (d["reason"] or "") for d in log)
    assert db.execute("SELECT COUNT(*) FROM papers").fetchone()[0] == 1
    assert db.execute("SELECT COUNT(*) FROM links").fetchone()[0] == 1
    row = db.execute(
        "SELECT forgotten_by, records_removed, links_rejected FROM harvest_forgets"
    ).fetchone()
    assert row == ("tanaka", 3, json.dumps([decided]))
    status = db.execute(
        "SELECT status FROM harvest_runs WHERE run_id = ?", [wrong.run_id]
    ).fetchone()[0]
    assert status == "forgotten"
    with pytest.raises(PapertallyError, match="already forgotten"):
        forget_db.plan(db, wrong.run_id)
    # now the file loads under its own year
    right = harvest_file(db, settings, "paperlists", "ICRA", 2023, path, complete=False)
    assert right.counts.new == 3


def test_forget_keeps_records_an_earlier_run_stored(db, settings, tmp_path):
    path = paperlists(tmp_path, "icra.json", ICRA)
    harvest_file(db, settings, "paperlists", "ICRA", 2023, path, complete=False)
    path.write_text(path.read_text() + " ")  # new bytes: read again, not skipped unread
    again = harvest_file(db, settings, "paperlists", "ICRA", 2023, path, complete=False)
    plan = forget_db.plan(db, again.run_id)
    assert (len(plan.records), plan.kept_records, len(plan.papers)) == (0, 3, 0)
    forget_db.forget(db, again.run_id, "tanaka")
    assert stored(db, "ICRA", 2023) == 3


def test_forget_cli_is_a_dry_run_unless_yes(tmp_path):
    db_path = tmp_path / "t.db"
    base = ["--config", str(REPO / "config.toml"), "--db", str(db_path)]
    path = paperlists(tmp_path, "icra.json", ICRA)
    runner = CliRunner()
    loaded = runner.invoke(
        cli, [*base, "harvest", "--source", "paperlists", "--venue", "ICRA", "--year", "2024",
              "--from", str(path), "--partial"],
    )
    assert loaded.exit_code == 0, loaded.output
    dry = runner.invoke(cli, [*base, "harvest", "forget", "--run", "1"])
    assert dry.exit_code == 0, dry.output
    assert "would forget run 1 (paperlists ICRA 2024" in dry.output
    assert "3 source record(s)" in dry.output and "Nothing changed" in dry.output
    no_name = runner.invoke(cli, [*base, "harvest", "forget", "--run", "1", "--yes"])
    assert no_name.exit_code != 0 and "--by" in no_name.output
    stranger = runner.invoke(cli, [*base, "harvest", "forget", "--run", "1", "--yes", "--by", "tanaka"])
    assert stranger.exit_code == 1 and "is not a staff account" in str(stranger.exception)
    forged = runner.invoke(
        cli, [*base, "harvest", "forget", "--run", "1", "--yes", "--by", "tanaka\nforgot run 2"]
    )
    assert forged.exit_code == 1 and "control characters" in str(forged.exception)
    added = runner.invoke(cli, [*base, "user", "add", "tanaka", "--password-stdin"], input="a long enough password\n")
    assert added.exit_code == 0, added.output
    done = runner.invoke(cli, [*base, "harvest", "forget", "--run", "1", "--yes", "--by", "tanaka"])
    assert done.exit_code == 0 and "forgot run 1" in done.output, done.output
    status = runner.invoke(cli, [*base, "harvest", "--status"])
    assert " forgotten " in status.output


def test_capped_warnings_keep_the_summary_readable(db, settings, tmp_path):
    # a listing whose parser keeps 60 entries once: the capped warnings still summarise
    from papertally.harvesting import HarvestOutcome

    many = [f"entry {i} (k{i}): listed twice, kept once" for i in range(60)]
    outcome = HarvestOutcome("pmlr", "ICML", 2025, "x", warnings=summarise_warnings(many))
    assert outcome.warnings[0] == "60 warnings; by kind: listed twice, kept once x60"
    assert outcome.summary().endswith(
        "listed twice, kept once: " + ", ".join(f"k{i}" for i in range(10))
    )


@responses.activate
def test_a_live_listing_stored_under_another_venue_year_is_refused(db, settings, tmp_path):
    from papertally.harvesting import harvest_live

    from .livekit import client_for, job, live_settings

    s = live_settings(settings, tmp_path)
    path = paperlists(tmp_path, "icra.json", ICRA)
    first = harvest_file(db, s, "paperlists", "ICRA", 2023, path, complete=False)
    base = s.sources["paperlists"].base_url.rstrip("/")
    responses.get(f"{base}/icra/icra2024.json", body=path.read_text())
    with pytest.raises(HarvestError) as caught:
        harvest_live(db, s, job("paperlists", "ICRA", 2024), client=client_for(s))
    assert "3 of the 3 papers listed are already stored under ICRA 2023" in str(caught.value)
    assert f"--run {first.run_id}" in str(caught.value)
    assert (stored(db, "ICRA", 2023), stored(db, "ICRA", 2024)) == (3, 0)
