"""The review queue paged in SQL: a page, the total and an item's place, without loading all."""

from __future__ import annotations

from db import links as links_db
from db.links import store_candidates
from db.papers import store_records
from db.roster import import_roster
from harvesters.records import AuthorRecord, PaperRecord
from matching.model import Candidate
from papertally.roster import RosterRow


def _queue(db, n=12):
    import_roster(db, [RosterRow(
        line=0, theme_id=f"T0{i % 2}", theme_name="T", project_id=f"P{i % 2}", person_id=f"m{i}",
        family_name="Sato", given_name="X", name_ja=None, aliases=(), affiliation="RIKEN",
        affiliation_aliases=(), orcid=None, openalex_id=None, start_date=None, end_date=None,
    ) for i in range(3)])
    store_records(db, [PaperRecord(
        source="paperlists", source_id=str(i), venue="CVPR", year=2024, title=f"Paper {i}",
        authors=(AuthorRecord(name="X Sato", position=1),),
    ) for i in range(n)], None)
    ids = [r[0] for r in db.execute("SELECT paper_id FROM papers ORDER BY paper_id")]
    store_candidates(db, [
        Candidate(paper_id=p, person_id=f"m{i % 3}", mention_key=f"paperlists:{i}#1",
                  score=0.5 + (i % 7) / 100, status="needs_review")
        for i, p in enumerate(ids)
    ], "test")


def test_pages_in_sql_are_the_slices_of_the_whole_queue(db):
    _queue(db)
    whole = [r["link_id"] for r in links_db.review_queue(db, short_themes=["T01"])]
    paged = [
        r["link_id"]
        for offset in range(0, 12, 5)
        for r in links_db.review_queue(db, 5, offset=offset, short_themes=["T01"])
    ]
    assert paged == whole and len(whole) == 12
    assert links_db.queue_length(db) == 12 and links_db.queue_length(db, theme="T00") == 8


def test_an_items_place_is_found_in_sql(db):
    _queue(db)
    whole = [r["link_id"] for r in links_db.review_queue(db, short_themes=["T01"])]
    for i, link_id in enumerate(whole):
        assert links_db.queue_position(db, link_id, short_themes=["T01"]) == i
    assert links_db.queue_position(db, whole[0], theme="T99") is None
