"""Incremental matching: only new or changed papers and changed members are re-scored, and
the links come out as a full pass would make them."""

from __future__ import annotations

import dataclasses

import matching.match as matcher
from db.papers import store_records
from db.roster import import_roster
from harvesters.records import AuthorRecord, PaperRecord
from papertally.pipeline import run_matching
from papertally.roster import RosterRow


def member(pid, family, given, aff="RIKEN"):
    return RosterRow(
        line=0, theme_id="T01", theme_name="Theme", project_id="P1", person_id=pid,
        family_name=family, given_name=given, name_ja=None, aliases=(), affiliation=aff,
        affiliation_aliases=(), orcid=None, openalex_id=None, start_date=None, end_date=None,
    )


def paper(sid, names, aff="RIKEN, Japan"):
    return PaperRecord(
        source="paperlists", source_id=sid, venue="CVPR", year=2024, title=f"Paper {sid}",
        authors=tuple(AuthorRecord(name=n, position=i, affiliations=(aff,)) for i, n in enumerate(names, 1)),
    )


ROSTER = [member("m1", "Harada", "Tatsuya"), member("m2", "Sato", "Yoichi"), member("m3", "Ito", "Ken")]


def _links(db):
    return sorted(
        (r[0], r[1], r[2], round(r[3], 4))
        for r in db.execute("SELECT paper_id, person_id, status, score FROM links")
    )


def _count_scored(monkeypatch):
    seen = []
    original = matcher.Matcher.score_mention

    def counting(self, m):
        seen.append(m.paper_id)
        return original(self, m)

    monkeypatch.setattr(matcher.Matcher, "score_mention", counting)
    return seen


def test_unchanged_night_scores_nothing(db, settings, monkeypatch):
    import_roster(db, ROSTER)
    store_records(db, [paper("a", ["Tatsuya Harada", "Jane Doe"]), paper("b", ["Yoichi Sato"])], None)
    first = run_matching(db, settings)
    assert first.full_pass and first.papers_scored == 2
    scored = _count_scored(monkeypatch)
    again = run_matching(db, settings)
    assert (again.full_pass, again.papers_scored, scored) == (False, 0, [])


def test_new_paper_alone_is_scored_and_links_equal_a_full_pass(db, settings, monkeypatch, tmp_path):
    import_roster(db, ROSTER)
    store_records(db, [paper("a", ["Tatsuya Harada"]), paper("b", ["Yoichi Sato"])], None)
    run_matching(db, settings)
    store_records(db, [paper("c", ["Ken Ito", "Tatsuya Harada"])], None)
    scored = _count_scored(monkeypatch)
    counts = run_matching(db, settings)
    new_id = db.execute("SELECT paper_id FROM source_records WHERE source_id = 'c'").fetchone()[0]
    assert not counts.full_pass and counts.papers_scored == 1 and set(scored) == {new_id}
    # Everything is committed: no transaction (and no write lock that blocks the review
    # page's decisions) is left open for the rest of the night.
    assert not db.conn.in_transaction
    monkeypatch.undo()
    incremental = _links(db)
    run_matching(db, settings, full=True)
    assert _links(db) == incremental


def test_changed_member_rescores_only_their_papers(db, settings, monkeypatch):
    import_roster(db, ROSTER)
    store_records(db, [paper("a", ["Tatsuya Harada"]), paper("b", ["Yoichi Sato"]), paper("c", ["Ken Ito"])], None)
    run_matching(db, settings)
    import_roster(db, [ROSTER[0], dataclasses.replace(ROSTER[1], affiliation="Kyoto University"), ROSTER[2]])
    counts = run_matching(db, settings)
    # Only Sato's paper is re-scored against the whole roster (the other mentions are only
    # checked against the changed member, to find papers where they are now a candidate).
    assert not counts.full_pass and counts.papers_scored == 1
    incremental = _links(db)
    run_matching(db, settings, full=True)
    assert _links(db) == incremental


def test_a_new_staff_rule_or_decision_means_a_full_pass(db, settings):
    from db.links import decide

    import_roster(db, ROSTER)
    store_records(db, [paper("a", ["Tatsuya Harada"]), paper("b", ["Yoichi Sato"])], None)
    run_matching(db, settings)
    link_id = db.execute("SELECT link_id FROM links WHERE person_id = 'm1'").fetchone()[0]
    decide(db, link_id, "accept", "sato", "checked")
    counts = run_matching(db, settings)
    assert counts.full_pass and counts.papers_scored == 2


def test_match_command_says_what_it_scored_and_full_rescores_all(tmp_path):
    from pathlib import Path

    from click.testing import CliRunner

    from db.schema import open_db
    from papertally.cli import cli

    repo = Path(__file__).resolve().parents[2]
    db = open_db(tmp_path / "m.db")
    import_roster(db, ROSTER)
    store_records(db, [paper("a", ["Tatsuya Harada"]), paper("b", ["Yoichi Sato"])], None)
    db.close()
    args = ["--config", str(repo / "config.toml"), "--db", str(tmp_path / "m.db"), "match"]
    first = CliRunner().invoke(cli, args)
    assert "papers scored: 2 (full pass)" in first.output, first.output
    again = CliRunner().invoke(cli, args)
    assert "papers scored: 0 (only new or changed papers and members)" in again.output
    full = CliRunner().invoke(cli, [*args, "--full"])
    assert "papers scored: 2 (full pass)" in full.output
