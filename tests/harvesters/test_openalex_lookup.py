"""OpenAlex gap lookup (HTTP mocked): papers other sources stored, looked up by DOI or title."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

sys.path.insert(
    0, str(Path(__file__).parent)
)  # importlib mode: reach the helper module
from livekit import OA_IDS, URLS, client_for, job, live_settings, oa_page, oa_works

from db import harvest_state
from db import papers as papers_db
from harvesters import openalex as oa
from papertally.harvesting import harvest_live
from harvesters.records import AuthorRecord, PaperRecord
from matching.text import normalise_doi, normalise_title
from papertally.errors import HarvestError

CVPR = "2024 IEEE/CVF Conference on Computer Vision and Pattern Recognition (CVPR)"
ARXIV = {
    "id": "https://openalex.org/S4306400194",
    "display_name": "arXiv (Cornell University)",
    "type": "repository",
}


def location(raw_source_name: str | None, source: dict | None = None, doi=None) -> dict:
    """A location shaped like the recorded 2026 ones (bibliographic keys only)."""
    return {
        "id": f"doi:{doi}" if doi else None,
        "is_oa": False,
        "landing_page_url": f"https://doi.org/{doi}" if doi else None,
        "pdf_url": None,
        "source": source,
        "license": None,
        "license_id": None,
        "version": "publishedVersion",
        "is_accepted": True,
        "is_published": True,
        "raw_source_name": raw_source_name,
        "raw_type": "proceedings-article",
    }


def work(n: int, title: str, *, year=2024, doi=None, locations=None) -> dict:
    """A work shaped like the recorded ones: primary source null, venue in raw_source_name."""
    locations = locations if locations is not None else [location(CVPR, doi=doi)]
    return {
        "id": f"https://openalex.org/W9{n:09d}",
        "doi": f"https://doi.org/{doi}" if doi else None,
        "title": title,
        "publication_year": year,
        "type": "article",
        "authorships": [
            {
                "author_position": "first",
                "author": {
                    "id": f"https://openalex.org/A9{n:09d}",
                    "display_name": "Taro Yamada",
                    "orcid": None,
                },
                "institutions": [],
                "raw_author_name": "Taro Yamada",
                "raw_affiliation_strings": ["The University of Tokyo"],
            }
        ],
        "primary_location": locations[0] if locations else None,
        "locations": locations,
        "funders": [],
        "awards": [],
    }


class FakeOpenAlex:
    """/works answering like OpenAlex: the source-ID pull (the livekit works), the count,
    and lookups by doi or title.search over `universe` (with `decoys` always in title hits).
    `faults` maps a text of a lookup's filter to the (status, body, headers) it answers."""

    def __init__(self, universe=(), decoys=()):
        self.main = oa_works()
        self.universe = list(universe)
        self.decoys = list(decoys)
        self.faults: dict[str, tuple] = {}
        self.lookups: list[dict] = []  # params of every lookup call
        responses.add_callback(responses.GET, URLS["openalex"], callback=self)

    def __call__(self, request):
        params = {k: v[0] for k, v in parse_qs(urlsplit(request.url).query).items()}
        flt = params.get("filter", "")
        if flt.startswith("locations.source.id:"):
            if params.get("per-page") == "1":
                return 200, {}, json.dumps(oa_page(self.main[:1], len(self.main), None))
            if params.get("cursor") == "*":
                return 200, {}, json.dumps(oa_page(self.main, len(self.main), "c2"))
            return 200, {}, json.dumps(oa_page([], len(self.main), None))
        self.lookups.append(params)
        for text, (status, body, headers) in self.faults.items():
            if text in flt:
                return status, headers, body
        if flt.startswith("doi:"):
            asked = set(flt.removeprefix("doi:").split("|"))
            hits = [w for w in self.universe if normalise_doi(w["doi"]) in asked]
        else:
            words = flt.split(",")[0].removeprefix("title.search:")
            hits = [w for w in self.universe if normalise_title(w["title"]) == words]
            hits += self.decoys
        return 200, {}, json.dumps(oa_page(hits, len(hits), None))


def titles(lookups) -> list[str]:
    return [p["filter"] for p in lookups if p["filter"].startswith("title.search:")]


def dois(lookups) -> list[list[str]]:
    return [
        p["filter"].removeprefix("doi:").split("|")
        for p in lookups
        if p["filter"].startswith("doi:")
    ]


def store_other(
    db, source: str, papers: list[tuple[str, str | None]], track: str = "main"
) -> None:
    """Papers of CVPR 2024 stored by another source: (title, doi) each."""
    papers_db.store_records(
        db,
        [
            PaperRecord(
                source=source,
                source_id=f"{source}-{i}",
                venue="CVPR",
                year=2024,
                title=title,
                authors=(AuthorRecord(name="Taro Yamada", position=1),),
                doi=doi,
                track=track,
            )
            for i, (title, doi) in enumerate(papers)
        ],
        None,
    )


def openalex_rows(db) -> dict[str, tuple]:
    return {
        r[0]: (r[1], r[2])
        for r in db.execute(
            "SELECT source_id, paper_id, missing_since FROM source_records "
            "WHERE source = 'openalex'"
        )
    }


def settings_with(settings, tmp_path, **openalex):
    s = live_settings(settings, tmp_path)
    sources = dict(s.sources)
    sources["openalex"] = sources["openalex"].model_copy(update=openalex)
    return s.model_copy(update={"sources": sources})


@responses.activate
def test_dois_are_looked_up_in_batches_of_50_with_the_main_select(
    db, settings, tmp_path
):
    main_doi = normalise_doi(
        oa_works()[0]["doi"]
    )  # the source-ID pull returns this one
    known = [
        (f"Paper number {i}", f"10.1109/cvpr52733.2024.{i:05d}") for i in range(120)
    ]
    store_other(db, "dblp", known + [("Already pulled", main_doi)])
    fake = FakeOpenAlex()
    s = live_settings(settings, tmp_path)
    outcome = harvest_live(db, s, job("openalex", "CVPR", 2024), client=client_for(s))
    batches = dois(fake.lookups)
    assert [len(b) for b in batches] == [50, 50, 20]
    asked = [d for batch in batches for d in batch]
    assert sorted(asked) == sorted(d for _, d in known)  # the pulled one is not asked
    for params in fake.lookups:
        assert params["select"] == ",".join(oa.SELECT) + ",locations"
        assert params["per-page"] == "100"  # room for a DOI with two works
    assert outcome.requests == 1 + 2 + 3  # count, two cursor pages, three lookups
    assert "121 paper(s)" not in outcome.message
    assert "gap lookup: 120 paper(s) stored by other sources" in outcome.message
    assert "3 call(s), 0 found" in outcome.message


@responses.activate
def test_work_with_null_source_everywhere_but_the_venue_raw_source_name_is_stored(
    db, settings, tmp_path
):
    store_other(db, "cvf", [("Deep Gaps: Finding What Sources Miss", None)])
    store_other(db, "dblp", [("By DOI Only Visible", "10.1109/cvpr.2024.00042")])
    found_by_title = work(1, "Deep gaps - finding what sources miss")
    found_by_doi = work(
        2,
        "By DOI Only Visible",
        year=2023,  # a year off: the source-ID pull (publication_year 2024) missed it
        doi="10.1109/cvpr.2024.00042",
        locations=[
            location(None),
            location(None, {"id": f"https://openalex.org/{OA_IDS[0]}"}),
        ],
    )
    fake = FakeOpenAlex([found_by_title, found_by_doi])
    s = live_settings(settings, tmp_path)
    client = client_for(s)
    outcome = harvest_live(db, s, job("openalex", "CVPR", 2024), client=client)
    assert outcome.status == "ok"
    assert outcome.counts.new == 4  # the two of the pull and the two found
    rows = openalex_rows(db)
    cvf_paper = db.execute("SELECT paper_id FROM source_records WHERE source = 'cvf'")
    assert rows["W9000000001"][0] == cvf_paper.fetchone()[0]  # joined the CVF paper
    assert "W9000000002" in rows
    assert "2 call(s), 2 found" in outcome.message
    first_calls = len(responses.calls)

    # Count unchanged: the snapshot and the cached lookup answers are re-read, no lookup
    # call is made, and the found works are seen again (not flagged missing).
    again = harvest_live(db, s, job("openalex", "CVPR", 2024), client=client)
    assert len(responses.calls) - first_calls == 1  # the count check only
    assert again.counts.unchanged == 4 and again.counts.missing == 0
    assert all(missing is None for _, missing in openalex_rows(db).values())
    assert (
        "2 cached answer(s) re-read" in again.message and "0 call(s)" in again.message
    )

    # A paper another source adds later is the only one asked for on the next re-read.
    store_other(db, "paperlists", [("A Newcomer Paper", None)])
    harvest_live(db, s, job("openalex", "CVPR", 2024), client=client)
    newcomer = "title.search:a newcomer paper,from_publication_date:2023-01-01,"
    assert titles(fake.lookups[2:]) == [newcomer + "to_publication_date:2025-12-31"]


@responses.activate
def test_works_of_another_venue_or_year_are_rejected_and_reported(
    db, settings, tmp_path
):
    store_other(
        db,
        "cvf",
        [
            ("Only On ArXiv", None),
            ("Published Long Before", None),
            ("A Workshop Twin", None),
        ],
    )
    store_other(db, "dblp", [("Journal Version", "10.1109/tpami.2024.1")])
    rejected = [
        work(
            1,
            "Only on arXiv",
            locations=[location("arXiv (Cornell University)", ARXIV)],
        ),
        work(2, "Published long before", year=2021),
        work(
            3,
            "A workshop twin",
            locations=[location(CVPR.replace("(CVPR)", "Workshops (CVPRW)"))],
        ),
        work(
            4,
            "Journal Version",
            doi="10.1109/tpami.2024.1",
            locations=[
                location(
                    "IEEE Transactions on Pattern Analysis and Machine Intelligence"
                )
            ],
        ),
    ]
    decoy = work(5, "Only on arXiv, and something else entirely")
    fake = FakeOpenAlex(rejected, decoys=[decoy])
    s = live_settings(settings, tmp_path)
    outcome = harvest_live(db, s, job("openalex", "CVPR", 2024), client=client_for(s))
    assert outcome.status == "ok"
    assert len(fake.lookups) == 4
    assert set(openalex_rows(db)) == {"W3046863325", "W3045921891"}  # the pull only
    message = outcome.message
    assert "4 work(s) from the lookup were not CVPR 2024" in message
    assert "raw_source_name 'arXiv (Cornell University)' (1)" in message
    assert "publication_year 2021 (1)" in message
    assert "Workshops (CVPRW)" in message
    assert "Pattern Analysis and Machine Intelligence" in message
    assert (
        "0 found" in message
    )  # the decoy (another title) is neither stored nor counted


@pytest.mark.parametrize(
    ("budget", "title_calls", "doi_calls"), [(4, 3, 1), (1, 0, 1), (0, 0, 0)]
)
@responses.activate
def test_lookup_budget_bounds_the_calls(
    db, settings, tmp_path, budget, title_calls, doi_calls
):
    store_other(db, "cvf", [(f"Untitled work {i}", None) for i in range(6)])
    store_other(db, "dblp", [("With a DOI", "10.1109/cvpr.2024.7")])
    fake = FakeOpenAlex()
    s = settings_with(settings, tmp_path, lookup_budget=budget)
    outcome = harvest_live(db, s, job("openalex", "CVPR", 2024), client=client_for(s))
    assert len(titles(fake.lookups)) == title_calls
    assert len(dois(fake.lookups)) == doi_calls
    assert outcome.requests == 3 + title_calls + doi_calls
    if budget:
        assert (
            f"{6 - title_calls} left unlooked-up (lookup_budget of {budget}"
            in outcome.message
        )
    else:
        assert "gap lookup" not in outcome.message


@responses.activate
def test_configured_raw_source_names_replace_the_defaults(db, settings, tmp_path):
    store_other(db, "cvf", [("Renamed Venue Paper", None)])
    FakeOpenAlex(
        [work(1, "Renamed venue paper", locations=[location("Proc. CVPR-X 2024")])]
    )
    s = settings_with(settings, tmp_path, raw_source_names={"CVPR": ("CVPR-X",)})
    outcome = harvest_live(db, s, job("openalex", "CVPR", 2024), client=client_for(s))
    assert "W9000000001" in openalex_rows(db) and "1 found" in outcome.message


FAULTS = {
    "429 with a spent budget": (
        429,
        json.dumps({"error": "Rate limit exceeded", "message": "daily budget spent"}),
        {"Retry-After": "86400"},
        "request budget is spent",
    ),
    "truncated JSON": (
        200,
        '{"meta": {"count": 1}, "results": [{"id": "https://openalex.org/W1", "ti',
        {},
        "gap lookup response is not an OpenAlex list response",
    ),
}


@pytest.mark.parametrize("fault", FAULTS)
@responses.activate
def test_lookup_fault_fails_the_run_clearly_and_keeps_what_was_stored(
    db, settings, tmp_path, fault
):
    status, body, headers, says = FAULTS[fault]
    store_other(db, "cvf", [("First Gap", None), ("Second Gap", None)])
    fake = FakeOpenAlex([work(1, "First gap")])
    fake.faults["second gap"] = (status, body, headers)
    s = live_settings(settings, tmp_path)
    with pytest.raises(HarvestError) as err:
        harvest_live(db, s, job("openalex", "CVPR", 2024), client=client_for(s))
    text = str(err.value)
    assert says in text
    assert "openalex" in text and "CVPR 2024" in text
    assert err.value.url and "title.search:second+gap" in err.value.url
    assert err.value.url in text
    # The pull (and what the lookup found before the fault) is stored; nothing flagged.
    pulled = {"W3046863325", "W3045921891"}
    first_asked = "first gap" in fake.lookups[0]["filter"]
    assert set(openalex_rows(db)) == pulled | (
        {"W9000000001"} if first_asked else set()
    )
    assert all(missing is None for _, missing in openalex_rows(db).values())
    run = papers_db.recent_runs(db, 1)[0]
    assert run["status"] == "failed" and run["n_missing"] == 0


def test_venue_check_matches_whole_words_and_skips_workshops():
    check = oa.VenueCheck(
        "CVPR 2024", 2024, ("S1",), oa.DEFAULT_RAW_SOURCE_NAMES["CVPR"]
    )
    assert check.problem(work(1, "t")) is None
    assert check.problem(work(1, "t", locations=[location("Proc. CVPR 2024")])) is None
    assert check.problem(work(1, "t", locations=[location("CVPRW 2024")])) is not None
    assert check.problem(work(1, "t", locations=[location(None, {"id": "S1"})])) is None
    acl = oa.VenueCheck("ACL 2023", 2023, (), oa.DEFAULT_RAW_SOURCE_NAMES["ACL"])
    main = "Proceedings of the 61st Annual Meeting of the Association for Computational Linguistics (Volume 1: Long Papers)"
    findings = "Findings of the Association for Computational Linguistics: ACL 2023"
    assert acl.problem(work(1, "t", year=2023, locations=[location(main)])) is None
    assert acl.problem(work(1, "t", year=2023, locations=[location(findings)]))
    assert check.problem(work(1, "t", year=2026)) == "publication_year 2026"
    assert check.problem(work(1, "t", year=2023)) is None
    assert check.problem(work(1, "t", locations=[])) == "raw_source_name null"


def test_doi_batches_hold_at_most_50():
    query = oa.Query("https://api.openalex.org", OA_IDS, 2024, "CVPR 2024")
    with pytest.raises(ValueError):
        oa.doi_lookup_url(query, [f"10.1/{i}" for i in range(51)])
    url = oa.doi_lookup_url(query, ["10.1/a", "10.1/b"])
    assert "filter=doi:10.1%2Fa%7C10.1%2Fb&" in url


@responses.activate
def test_a_title_is_searched_once_and_a_cut_answer_is_reported(db, settings, tmp_path):
    # One source listing a title twice: two papers (dedupe keeps a source's own entries).
    store_other(db, "cvf", [("Twice Listed Title", None), ("Twice listed title", None)])
    store_other(db, "dblp", [("Has A DOI", "10.1109/cvpr.2024.9")])
    assert len(harvest_state.known_papers(db, "CVPR", 2024, other_than="openalex")) == 3
    fake = FakeOpenAlex()
    many = work(1, "Has A DOI", doi="10.1109/cvpr.2024.9")
    fake.faults["doi:"] = (200, json.dumps(oa_page([many], 150, None)), {})
    s = live_settings(settings, tmp_path)
    outcome = harvest_live(db, s, job("openalex", "CVPR", 2024), client=client_for(s))
    assert len(titles(fake.lookups)) == 1 and len(dois(fake.lookups)) == 1
    assert "1 found" in outcome.message
    assert "1 lookup answer(s) held more works than one page" in outcome.message


def test_known_papers_are_those_other_sources_still_list(db):
    store_other(db, "cvf", [("Listed By CVF", None), ("Dropped By CVF", None)])
    store_other(db, "openalex", [("Listed By CVF", None), ("Only In OpenAlex", None)])
    papers_db.mark_missing(db, "cvf", "CVPR", 2024, {"cvf-0"})  # cvf-1 no longer listed
    rows = harvest_state.known_papers(db, "CVPR", 2024, other_than="openalex")
    assert [(r["title"], r["own_ids"]) for r in rows] == [
        ("Listed By CVF", ["openalex-0"])
    ]
    assert (
        harvest_state.known_papers(
            db, "CVPR", 2024, other_than="openalex", tracks=("findings",)
        )
        == []
    )


@responses.activate
def test_no_lookup_of_papers_whose_openalex_record_would_not_count(
    db, settings, tmp_path
):
    # No DOI naming an Anthology volume: the record would be "main", which is not counted.
    store_other(db, "cvf", [("Would Not Count", None)], track="long")
    fake = FakeOpenAlex([work(1, "Would not count")])
    s = live_settings(settings, tmp_path)
    venues = dict(s.venues)
    venues["CVPR"] = venues["CVPR"].model_copy(update={"tracks": ("long",)})
    s = s.model_copy(update={"venues": venues})
    with pytest.raises(HarvestError):  # no OpenAlex record counts: the guard fails it
        harvest_live(db, s, job("openalex", "CVPR", 2024), client=client_for(s))
    assert fake.lookups == []


ACL_LONG = (
    "Proceedings of the 62nd Annual Meeting of the Association for Computational "
    "Linguistics (Volume 1: Long Papers)"
)


@responses.activate
def test_acl_papers_are_looked_up_by_their_anthology_doi_and_count_in_their_track(
    db, settings, tmp_path
):
    # ACL counts long and short papers; an OpenAlex work takes its track from its DOI.
    doi = "10.18653/v1/2024.acl-long.9"
    papers_db.store_records(
        db,
        [
            PaperRecord(
                source="acl-anthology",
                source_id="2024.acl-long.9",
                venue="ACL",
                year=2024,
                title="Grounded Robots Talk Back",
                authors=(AuthorRecord(name="Taro Yamada", position=1),),
                doi=doi,
                track="long",
            )
        ],
        None,
    )
    found = work(1, "Grounded Robots Talk Back", doi=doi, locations=[location(ACL_LONG, doi=doi)])
    fake = FakeOpenAlex([found])
    s = live_settings(settings, tmp_path)
    sources = dict(s.sources)
    sources["openalex"] = sources["openalex"].model_copy(
        update={"venue_ids": {"ACL 2024": OA_IDS}, "min_coverage": 0.0}
    )
    s = s.model_copy(update={"sources": sources})
    outcome = harvest_live(db, s, job("openalex", "ACL", 2024), client=client_for(s))
    assert dois(fake.lookups) == [[doi]]
    assert outcome.status == "ok" and outcome.counts.new == 1
    assert outcome.skipped_tracks == {"main": 2}  # the pull's two works are not ACL papers
    (paper_id, track), = db.execute(
        "SELECT paper_id, track FROM source_records WHERE source = 'openalex'"
    ).fetchall()
    anthology = db.execute(
        "SELECT paper_id FROM source_records WHERE source = 'acl-anthology'"
    ).fetchone()[0]
    assert (paper_id, track) == (anthology, "long")
