"""The store: one paper however many sources saw it, idempotent re-harvests, flags not deletes."""

from __future__ import annotations

import sqlite3

import pytest

from db.papers import mark_missing, store_records
from db.schema import open_db
from harvesters.records import AuthorRecord, PaperRecord


def paper(source="paperlists", sid="1", title="Learning to Grasp", doi=None, authors=("Ko Nishino", "Yuto Enyo"), **kw):
    return PaperRecord(
        source=source,
        source_id=sid,
        venue=kw.pop("venue", "CVPR"),
        year=kw.pop("year", 2024),
        title=title,
        authors=tuple(AuthorRecord(name=n, position=i + 1) for i, n in enumerate(authors)),
        doi=doi,
        **kw,
    )


def count(db, table):
    return db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def test_reharvest_inserts_no_duplicate(db):
    recs = [paper(sid=str(i), title=f"Paper {i}") for i in range(5)]
    first = store_records(db, recs, None)
    again = store_records(db, recs, None)
    assert (first.new, again.new, again.unchanged) == (5, 0, 5)
    assert (count(db, "papers"), count(db, "source_records"), count(db, "authorships")) == (5, 5, 10)


def test_changed_record_is_updated_in_place(db):
    store_records(db, [paper()], None)
    c = store_records(db, [paper(authors=("Ko Nishino", "Yuto Enyo", "Ryo Kawahara"))], None)
    assert c.updated == 1
    assert count(db, "authorships") == 3 and count(db, "papers") == 1


def test_same_doi_from_two_sources_is_one_paper(db):
    store_records(db, [paper(source="acl-anthology", sid="2023.acl-long.1", doi="10.18653/v1/2023.acl-long.1", venue="ACL", year=2023)], None)
    store_records(db, [paper(source="openalex", sid="W1", title="Learning to grasp!", doi="10.18653/v1/2023.acl-long.1", venue="ACL", year=2023)], None)
    assert count(db, "papers") == 1 and count(db, "source_records") == 2


def test_same_normalised_title_venue_year_from_two_sources_is_one_paper(db):
    store_records(db, [paper(source="paperlists", sid="a", title="Diffusion Reflectance Map: Single-Image")], None)
    store_records(db, [paper(source="cvf", sid="Enyo_2024", title="Diffusion reflectance map - single-image")], None)
    assert count(db, "papers") == 1
    # ...but not across venues or years
    store_records(db, [paper(source="openalex", sid="W9", title="Diffusion Reflectance Map: Single-Image", year=2023)], None)
    assert count(db, "papers") == 2


def test_one_source_listing_two_papers_with_one_title_keeps_both(db):
    # NeurIPS 2024 has two reproducibility studies of one paper, by different teams.
    a = paper(source="paperlists", sid="site_1", title='Reproducibility Study of "Robust Fair Clustering"', authors=("Iason Skylitsis",))
    b = paper(source="paperlists", sid="site_2", title='Reproducibility study of "Robust Fair Clustering"', authors=("Lucas Ponticelli",))
    store_records(db, [a, b], None)
    assert count(db, "papers") == 2
    # a second source seeing the second one joins the right paper, by its authors
    c = paper(source="openreview", sid="x", title='Reproducibility study of "Robust Fair Clustering"', authors=("Lucas Ponticelli", "Vincent Loos"))
    store_records(db, [c], None)
    assert count(db, "papers") == 2
    joined = db.execute(
        "SELECT s2.source_id FROM source_records s1 JOIN source_records s2 USING (paper_id) "
        "WHERE s1.source = 'openreview' AND s2.source = 'paperlists'"
    ).fetchall()
    assert joined == [("site_2",)]


def test_papers_a_source_stops_listing_are_flagged_not_deleted(db):
    store_records(db, [paper(sid="1", title="A"), paper(sid="2", title="B")], None)
    assert mark_missing(db, "paperlists", "CVPR", 2024, {"1"}) == 1
    assert count(db, "papers") == 2
    flagged = db.execute("SELECT source_id FROM source_records WHERE missing_since IS NOT NULL").fetchall()
    assert flagged == [("2",)]
    store_records(db, [paper(sid="2", title="B")], None)  # listed again: flag cleared
    assert db.execute("SELECT COUNT(*) FROM source_records WHERE missing_since IS NOT NULL").fetchone()[0] == 0


def test_database_uses_wal_and_migrations_are_recorded(tmp_path):
    path = tmp_path / "x.db"
    db = open_db(path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    applied = db.execute("SELECT migration_set, name FROM _sqlite_migrations").fetchall()
    assert ("papertally.core", "m0001_harvest") in applied
    db.close()
    db = open_db(path)  # reopening applies nothing twice
    assert db.execute("SELECT COUNT(*) FROM _sqlite_migrations").fetchone()[0] == len(applied)


def test_decisions_table_is_append_only(db):
    db.execute("INSERT INTO themes VALUES ('T1', 't')")
    db.execute("INSERT INTO projects VALUES ('P1', 'T1')")
    db.execute("INSERT INTO members (person_id, project_id, family_name, affiliation, imported_at) VALUES ('p1', 'P1', 'Sato', 'RIKEN', 'now')")
    store_records(db, [paper()], None)
    pid = db.execute("SELECT paper_id FROM papers").fetchone()[0]
    db.execute(
        "INSERT INTO links (paper_id, person_id, mention, status, machine_status, score, matcher_version, created_at, updated_at) "
        "VALUES (?, 'p1', 'm', 'needs_review', 'needs_review', 0.5, 'v', 'now', 'now')",
        [pid],
    )
    db.execute("INSERT INTO decisions (link_id, action, status_after, decided_by, decided_at) VALUES (1, 'accept', 'confirmed', 'ann', 'now')")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("UPDATE decisions SET decided_by = 'bob'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("DELETE FROM decisions")
