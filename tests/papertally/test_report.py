"""The tally: distinct papers per theme and in total, fiscal-year attribution, the JSON shape."""

from __future__ import annotations

import json

import pytest

from db.links import decide, store_candidates
from db.papers import store_records
from db.roster import import_roster
from harvesters.records import AuthorRecord, PaperRecord
from matching.model import Candidate
from papertally import report as rep
from papertally.roster import RosterRow


def member(pid, theme, project, family, start=None, end=None):
    return RosterRow(
        line=0, theme_id=theme, theme_name=f"Theme {theme}", project_id=project, person_id=pid,
        family_name=family, given_name="X", name_ja=None, aliases=(), affiliation="RIKEN",
        affiliation_aliases=(), orcid=None, openalex_id=None, start_date=start, end_date=end,
    )


def rec(sid, venue="CVPR", year=2024, track="main", title=None):
    return PaperRecord(
        source="paperlists", source_id=sid, venue=venue, year=year, track=track,
        title=title or f"Paper {sid}", authors=(AuthorRecord(name="X Y", position=1),),
    )


def paper_id(db, sid):
    return db.execute("SELECT paper_id FROM source_records WHERE source_id = ?", [sid]).fetchone()[0]


def link(db, sid, person, status):
    return Candidate(paper_id=paper_id(db, sid), person_id=person, mention_key=f"paperlists:{sid}#1",
                     score={"confirmed": 0.95, "needs_review": 0.6, "rejected": 0.1}[status], status=status)


@pytest.fixture
def world(db):
    import datetime as dt

    import_roster(db, [
        member("a1", "T01", "P1", "Sato"),
        member("a2", "T01", "P2", "Ito"),
        member("b1", "T02", "P3", "Mori"),
        member("late", "T02", "P3", "Abe", start=dt.date(2025, 1, 1)),
    ])
    store_records(db, [
        rec("shared"), rec("solo"), rec("pending"), rec("mixed"), rec("rej"), rec("early"),
        rec("acl-demo", venue="ACL", year=2024, track="demo"),
        rec("cvpr23", year=2023),
    ], None)
    store_candidates(db, [
        link(db, "shared", "a1", "confirmed"), link(db, "shared", "a2", "confirmed"),
        link(db, "shared", "b1", "confirmed"),
        link(db, "solo", "a1", "confirmed"),
        link(db, "pending", "a2", "needs_review"),
        link(db, "mixed", "b1", "needs_review"), link(db, "mixed", "a1", "confirmed"),
        link(db, "rej", "b1", "rejected"),
        link(db, "early", "late", "confirmed"),  # CVPR 2024 is before late's start date
        link(db, "acl-demo", "a1", "confirmed"),  # demo track does not count for ACL
        link(db, "cvpr23", "a1", "confirmed"),  # CVPR 2023 is FY2023
    ], "test")
    return db


def test_report_json_shape_and_counts(world, settings):
    r = rep.build_report(world, settings, 2024)
    assert {"fiscal_year", "target_total", "target_per_theme", "papers_confirmed", "papers_pending", "themes"} <= set(r)
    assert r["fiscal_year"] == 2024 and r["target_total"] is None and r["target_per_theme"] is None
    t1, t2 = r["themes"]
    assert (t1["theme_id"], t1["confirmed"], t1["pending"]) == ("T01", 3, 1)  # shared, solo, mixed; pending
    assert (t2["theme_id"], t2["confirmed"], t2["pending"]) == ("T02", 1, 1)  # shared; mixed pending for T02
    # distinct papers in the total: shared, solo, mixed confirmed; 'pending' only pending
    assert (r["papers_confirmed"], r["papers_pending"]) == (3, 1)
    p = next(p for p in t1["papers"] if p["paper_id"] == paper_id(world, "shared"))
    assert set(p) >= {"paper_id", "title", "venue", "year", "doi", "status", "person_ids"}
    assert p["status"] == "confirmed" and sorted(p["person_ids"]) == ["a1", "a2"]
    json.dumps(r)  # serialisable


def test_fiscal_year_attribution_uses_the_conference_date(world, settings):
    r = rep.build_report(world, settings, 2023)
    assert r["papers_confirmed"] == 1  # CVPR 2023 (2023-06-18)
    assert rep.build_report(world, settings, 2026)["papers_confirmed"] == 0


def test_targets_come_from_config(world, settings):
    r = rep.build_report(world, settings, 2026)
    assert (r["target_total"], r["target_per_theme"]) == (30, 3)
    assert all(t["target"] == 3 for t in r["themes"])


def test_staff_decision_moves_the_count(world, settings):
    lid = world.execute("SELECT link_id FROM links WHERE paper_id = ?", [paper_id(world, "pending")]).fetchone()[0]
    decide(world, lid, "accept", "ann", "same person")
    assert rep.build_report(world, settings, 2024)["themes"][0]["confirmed"] == 4
    decide(world, lid, "undo", "ann")
    assert rep.build_report(world, settings, 2024)["themes"][0]["confirmed"] == 3


def test_csv_and_table_renderings_agree_with_json(world, settings):
    r = rep.build_report(world, settings, 2024)
    lines = rep.render_csv(r).splitlines()
    assert lines[0] == "fiscal_year,theme_id,theme_name,target,confirmed,pending,gap"
    assert lines[1].startswith("2024,T01,Theme T01,,3,1")
    assert lines[-1].startswith("2024,TOTAL,,,3,1")
    assert "T02" in rep.render_table(r)


def test_venue_years_with_no_paper_stored_are_named_as_not_harvested(world, settings):
    r = rep.build_report(world, settings, 2024)
    stored = {"CVPR 2024", "ACL 2024"}  # the world holds papers of these two only
    assert set(r["venue_years"]) > stored
    assert r["venue_years_without_papers"] == sorted(set(r["venue_years"]) - stored)
    table = rep.render_table(r)
    for vy in r["venue_years_without_papers"]:
        assert f"{vy} (no papers harvested yet)" in table
    assert "CVPR 2024 (no papers" not in table


def test_themes_in_the_fiscal_year_times_per_theme_against_the_total_warns(world, settings):
    import datetime as dt

    # T03's only member left before FY2026 starts: two themes count in FY2026, not three.
    import_roster(world, [
        member("a1", "T01", "P1", "Sato"), member("a2", "T01", "P2", "Ito"),
        member("b1", "T02", "P3", "Mori"), member("late", "T02", "P3", "Abe", start=dt.date(2025, 1, 1)),
        member("gone", "T03", "P4", "Ueda", end=dt.date(2026, 3, 31)),
    ])
    (warning,) = rep.build_report(world, settings, 2026)["warnings"]
    assert warning.startswith("FY2026: 2 themes have members in the fiscal year x 3 per theme = 6")
    assert "total target is 30" in warning and "[targets.2026]" in warning
    assert rep.target_warnings(world, settings, 2024) == []  # no FY2024 target: nothing to compare
    agreeing = settings.model_copy(
        update={"targets": {2026: settings.targets[2026].model_copy(update={"total": 6})}}
    )
    assert rep.build_report(world, agreeing, 2026)["warnings"] == []
