"""The store: one paper however many sources saw it, idempotent re-harvests, flags not deletes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

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


def _snapshot(db):
    """Everything the store decided, without timestamps: papers, who saw them, authors."""
    return (
        sorted(db.execute("SELECT paper_id, venue, year, title_norm, doi, url FROM papers").fetchall()),
        sorted(db.execute("SELECT source, source_id, paper_id FROM source_records").fetchall()),
        sorted(db.execute("SELECT source, source_id, position, paper_id, name FROM authorships").fetchall()),
    )


def _mixed_records():
    return [
        # cvf first: a paper with no DOI...
        paper(source="cvf", sid="Enyo_2024", title="Diffusion Reflectance Map"),
        # ...that openalex joins by title and gives a DOI...
        paper(source="openalex", sid="W1", title="Diffusion reflectance map", doi="10.1109/cvpr.2024.1"),
        # ...by which a third source joins it although its title differs.
        paper(source="ieee", sid="X1", title="Diffusion Reflectance Maps", doi="10.1109/cvpr.2024.1"),
        # One source, two papers with one title (two reproducibility studies)...
        paper(source="paperlists", sid="r1", title="Reproducibility Study of X", authors=("Ann Lee", "Bo Chen")),
        paper(source="paperlists", sid="r2", title="Reproducibility study of X", authors=("Cy Diaz", "Di Egan")),
        # ...and another source's record goes to the one its authors overlap.
        paper(source="cvf", sid="Diaz_2024", title="Reproducibility Study of X", authors=("Cy Diaz", "Di Egan")),
        paper(source="paperlists", sid="u1", title="Unrelated Paper"),
    ]


def test_a_batch_places_records_exactly_as_one_record_at_a_time(tmp_path):
    # The store reads what a batch can join up front; records of the same batch must still
    # see the papers, DOIs and authors the earlier ones added.
    one_by_one = open_db(tmp_path / "a.db")
    for rec in _mixed_records():
        store_records(one_by_one, [rec], None)
    batched = open_db(tmp_path / "b.db")
    counts = store_records(batched, _mixed_records(), None)
    assert counts.new == 7
    assert _snapshot(batched) == _snapshot(one_by_one)
    papers = dict(
        (sid, pid) for sid, pid in batched.execute("SELECT source_id, paper_id FROM source_records")
    )
    assert papers["Enyo_2024"] == papers["W1"] == papers["X1"]
    assert papers["Diaz_2024"] == papers["r2"] != papers["r1"]
    assert count(batched, "papers") == 4


def test_the_same_record_twice_in_one_call_is_stored_once_with_its_last_content(db):
    first = paper(authors=("Ko Nishino",))
    second = paper(authors=("Ko Nishino", "Yuto Enyo", "Ryo Kawahara"))
    c = store_records(db, [first, first, second], None)
    assert (c.seen, c.new, c.unchanged, c.updated) == (3, 1, 1, 1)
    assert count(db, "source_records") == 1 and count(db, "papers") == 1
    names = [r[0] for r in db.execute("SELECT name FROM authorships ORDER BY position")]
    assert names == ["Ko Nishino", "Yuto Enyo", "Ryo Kawahara"]


def test_batches_larger_than_one_query_chunk_are_stored_whole(db):
    recs = [paper(sid=str(i), title=f"Paper {i}", doi=f"10.1/{i}") for i in range(1234)]
    assert store_records(db, recs, None, batch_size=1200).new == 1234
    again = store_records(db, recs, None, batch_size=1200)
    assert (again.unchanged, count(db, "papers")) == (1234, 1234)


def test_author_ids_from_paper_copilot_survive_to_the_database(db):
    """CoRL's byline-aligned OpenReview ids, ORCIDs and dblp pids reach authorships (the
    enrichment step reads the profile ids from there)."""
    from harvesters.paperlists import parse_paperlists

    text = (Path(__file__).parents[1] / "fixtures" / "paperlists" / "corl2023_sample.json").read_text()
    store_records(db, parse_paperlists(text, "CoRL", 2023).records, None)
    rows = db.execute(
        "SELECT name, openreview_id, orcid, dblp_pid FROM authorships "
        "WHERE source_id = '5JMGq83yf1N' ORDER BY position"
    ).fetchall()
    assert rows[0] == ("Jana Pavlasek", "~Jana_Pavlasek1", "0000-0001-6332-2646", None)
    assert rows[4] == ("Tucker Hermans", "~Tucker_Hermans2", "0000-0003-2496-2768", "67/4241")
