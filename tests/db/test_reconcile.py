"""Two sources of one venue-year side by side: both, only one, track disagreements."""

from __future__ import annotations

from db.papers import mark_missing, store_records
from db.reconcile import reconcile
from harvesters.records import AuthorRecord, PaperRecord


def paper(source, sid, title, doi=None, track="main", venue="CVPR", year=2024):
    return PaperRecord(
        source=source,
        source_id=sid,
        venue=venue,
        year=year,
        title=title,
        authors=(AuthorRecord(name="Ko Nishino", position=1),),
        doi=doi,
        track=track,
    )


def _two_lists(db):
    store_records(
        db,
        [
            paper("cvf", "a", "Learning to Grasp"),
            paper("cvf", "b", "Seeing Through Fog", doi="10.1/fog"),
            paper("cvf", "c", "Only The Listing Has This"),
        ],
        None,
    )
    store_records(
        db,
        [
            paper("paperlists", "1", "Learning  to grasp"),  # same normalised title
            paper("paperlists", "2", "Seeing Through Fog (extended)", doi="10.1/fog"),  # by DOI
            paper("paperlists", "3", "Only Paper Copilot Has This"),
            paper("paperlists", "4", "And This One Too", track="datasets_benchmarks"),
        ],
        None,
    )


def test_both_and_one_sided_by_doi_or_normalised_title(db):
    _two_lists(db)
    [pair] = reconcile(db)
    assert (pair.a, pair.b, pair.count_a, pair.count_b, pair.both) == ("cvf", "paperlists", 3, 4, 2)
    assert [t for _, t in pair.only_a] == ["Only The Listing Has This"]
    assert [t for _, t in pair.only_b] == ["And This One Too", "Only Paper Copilot Has This"]
    assert pair.line({"cvf": "CVF", "paperlists": "Paper Copilot"}) == (
        "CVPR 2024: CVF 3; Paper Copilot 4; both 2; only CVF 1; only Paper Copilot 2"
    )


def test_one_sided_titles_are_in_the_json_form(db):
    _two_lists(db)
    data = reconcile(db)[0].as_dict()
    assert [e["title"] for e in data["only"]["cvf"]] == ["Only The Listing Has This"]
    assert data["counts"] == {"cvf": 3, "paperlists": 4}


def test_track_disagreement_is_shown(db):
    store_records(db, [paper("neurips", "x", "A Benchmark", track="datasets_benchmarks")], None)
    store_records(db, [paper("paperlists", "y", "A Benchmark", track="main")], None)
    [pair] = reconcile(db, "CVPR", 2024)
    assert pair.both == 1
    assert [(t, tracks) for _, t, tracks in pair.tracks] == [
        ("A Benchmark", {"neurips": "datasets_benchmarks", "paperlists": "main"})
    ]
    assert pair.line().endswith("; track disagrees on 1")


def test_single_source_or_other_venue_year_gives_nothing(db):
    store_records(db, [paper("cvf", "a", "Alone")], None)
    store_records(db, [paper("paperlists", "1", "Alone", year=2023)], None)
    assert reconcile(db) == []


def test_papers_a_source_stopped_listing_are_not_its_papers(db):
    _two_lists(db)
    mark_missing(db, "cvf", "CVPR", 2024, {"a", "b"})
    [pair] = reconcile(db)
    assert (pair.count_a, pair.both, len(pair.only_a)) == (2, 2, 0)
