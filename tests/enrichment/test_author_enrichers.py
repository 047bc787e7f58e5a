"""The OpenReview-profile and OpenAlex enrichers in the enrichment step: candidates only, one
OpenAlex call per candidate at most, cached, no call on a night with no new candidate,
offline is a clean "not fetched: offline"."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
import responses

from db.enrichment import NONE, NOT_FETCHED, OK, load
from db.links import store_candidates
from db.papers import store_records
from db.roster import import_roster
from harvesters.http import HttpClient
from harvesters.openalex.papers import SEARCH, SINGLE
from harvesters.records import AuthorRecord, PaperRecord
from matching.enriched import author_facts_from, profile_facts_from
from matching.model import Candidate as LinkCandidate
from matching.model import Evidence
from papertally.author_enrichers import OPENALEX, OPENREVIEW, OpenAlexEnricher, OpenReviewEnricher
from papertally.config import Settings
from papertally.enrichers import default_enrichers
from papertally.enrichment import run_enrichers
from papertally.roster import RosterRow

FIXTURES = Path(__file__).parents[1] / "fixtures"
OA = "http://127.0.0.1:9/oa"
OR = "http://127.0.0.1:9/or"


def _settings(**enrichment) -> Settings:
    return Settings.model_validate(
        {
            "program": {"grant_numbers": ["JPNP20006"]},
            "sources": {"openalex": {"base_url": OA}, "openreview": {"base_url": OR}},
            "enrichment": enrichment,
        }
    )


def _client() -> HttpClient:
    return HttpClient(contact_email="t@example.org", max_retries=1, backoff=0, sleep=lambda s: None)


@pytest.fixture
def linked(db):
    """Papers A (DOI, OpenReview ids), B (no DOI) linked to member p1 at position 1; C rejected."""
    import_roster(db, [RosterRow(0, "T1", "t", "P1", "p1", "Yamada", "Taro", None, (),
                                 "The University of Tokyo", (), None, None, None, None)])
    def paper(key, doi=None):
        return PaperRecord(
            "paperlists", key, "CoRL", 2026, f"Grasping Paper {key}",
            (AuthorRecord("Taro Yamada", 1, openreview_id="~Taro_Yamada1"),
             AuthorRecord("Hanako Suzuki", 2, openreview_id="~Hanako_Suzuki1")),
            doi=doi,
        )
    store_records(db, [paper("A", "10.1109/icra99999.2026.0001"), paper("B"), paper("C", "10.1234/c")], None)
    ids = {r[1][-1]: r[0] for r in db.execute("SELECT paper_id, title FROM papers").fetchall()}
    store_candidates(db, [
        LinkCandidate(ids[k], "p1", f"paperlists:{k}#1", s, st, (Evidence("name", s, "x"),), "x")
        for k, s, st in (("A", 0.95, "confirmed"), ("B", 0.6, "needs_review"), ("C", 0.05, "rejected"))
    ], "v1")
    return db, ids


def _work(title="Grasping Paper B", doi="https://doi.org/10.1109/icra99999.2026.0001"):
    work = json.loads((FIXTURES / "openalex/work_awards_documented.json").read_text())
    return {**work, "title": title, "doi": doi}


@responses.activate
def test_openalex_one_call_per_candidate_then_cached(linked):
    db, ids = linked
    responses.get(f"{OA}/works/doi:10.1109/icra99999.2026.0001", json=_work("Grasping Paper A"))
    responses.get(f"{OA}/works", json={"meta": {"count": 1}, "results": [_work(doi=None)]})
    enricher = OpenAlexEnricher(_settings())
    night = run_enrichers(db, [enricher], _client())[OPENALEX]
    assert (night.candidates, night.asked, night.ok, night.calls) == (2, 2, 2, 2)
    assert night.price == {SINGLE: 1, SEARCH: 1}
    assert len(responses.calls) == 2  # C (rejected) is not asked
    row = load(db, [ids["A"]], OPENALEX)[(ids["A"], OPENALEX)]
    assert row.status == OK and row.data["price_class"] == SINGLE
    yamada = author_facts_from(row.data["authors"]["1"])  # byline position 1
    assert (yamada.orcid, yamada.institutions[0].ror) == ("0000-0002-1825-0097", "057zh3y96")
    assert row.data["work"]["awards"] == ["JPNP20006", "JP22H00001", "JPMJCR19U1"]
    assert enricher.ledger.summary() == (
        "OpenAlex: 2 call(s) (1 single work, free; 1 search, ~$0.0010)"
    )
    again = run_enrichers(db, [OpenAlexEnricher(_settings())], _client())[OPENALEX]
    assert (again.asked, again.cached, again.calls) == (0, 2, 0)
    assert len(responses.calls) == 2  # a night with no new candidate makes no call


@responses.activate
def test_openalex_budget_and_a_404(linked):
    db, ids = linked
    responses.get(f"{OA}/works/doi:10.1109/icra99999.2026.0001", status=404)
    responses.get(f"{OA}/works", status=404)
    night = run_enrichers(db, [OpenAlexEnricher(_settings(openalex_max_calls=1))], _client())[OPENALEX]
    rows = load(db, kind=OPENALEX)
    statuses = sorted((r.status, r.reason) for r in rows.values())
    assert statuses == [
        (NONE, "OpenAlex has no such work (HTTP 404)"),
        (NOT_FETCHED, "not fetched: over tonight's OpenAlex call budget"),
    ]
    assert (night.calls, len(responses.calls)) == (1, 1)


def test_openalex_offline_is_not_fetched_and_makes_one_attempt(linked):
    db, ids = linked
    offline = requests.ConnectionError("Name or service not known")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.get(f"{OA}/works/doi:10.1109/icra99999.2026.0001", body=offline)
        mock.get(f"{OA}/works", body=offline)
        night = run_enrichers(db, [OpenAlexEnricher(_settings())], _client())[OPENALEX]
        assert len(mock.calls) == 1  # no further call once offline
    assert night.not_fetched == 2
    assert {r.reason for r in load(db, kind=OPENALEX).values()} == {"not fetched: offline"}


@responses.activate
def test_openreview_profiles_of_member_positions_only_batched(linked):
    db, ids = linked
    profiles = json.loads((FIXTURES / "openreview/profiles_documented.json").read_text())
    responses.get(f"{OR}/profiles", json={"profiles": profiles["profiles"][:1]})
    night = run_enrichers(db, [OpenReviewEnricher(_settings())], _client())[OPENREVIEW]
    assert (night.asked, night.ok, night.calls) == (2, 2, 1)  # two papers, one call
    # only position 1 (the member's) is asked: not ~Hanako_Suzuki1 at position 2
    assert responses.calls[0].request.params == {"ids": "~Taro_Yamada1"}
    row = load(db, [ids["A"]], OPENREVIEW)[(ids["A"], OPENREVIEW)]
    facts = profile_facts_from(row.data["profiles"]["~Taro_Yamada1"])
    assert facts.profile_id == "~Taro_Yamada3" and facts.stints[1].org == "The University of Tokyo"
    again = run_enrichers(db, [OpenReviewEnricher(_settings())], _client())[OPENREVIEW]
    assert (again.asked, again.calls, len(responses.calls)) == (0, 0, 1)


@responses.activate
def test_openreview_unknown_profile_and_429_storm(linked):
    db, ids = linked
    responses.get(f"{OR}/profiles", json={"profiles": []})
    run_enrichers(db, [OpenReviewEnricher(_settings())], _client())
    row = load(db, [ids["A"]], OPENREVIEW)[(ids["A"], OPENREVIEW)]
    assert (row.status, row.reason) == (NONE, "no OpenReview profile for ~Taro_Yamada1")
    db.execute("DELETE FROM enrichments")
    responses.replace(responses.GET, f"{OR}/profiles", status=429)
    night = run_enrichers(db, [OpenReviewEnricher(_settings())], _client())[OPENREVIEW]
    assert night.not_fetched == 2
    assert "HTTP 429" in load(db, [ids["A"]], OPENREVIEW)[(ids["A"], OPENREVIEW)].reason


def test_enrichers_registered_and_switchable():
    kinds = [e.kind for e in default_enrichers(_settings())]
    assert kinds == ["fulltext", OPENREVIEW, OPENALEX]
    off = _settings(openalex_max_calls=0, openreview_profiles=False)
    assert [e.kind for e in default_enrichers(off)] == ["fulltext"]


def test_harvest_status_shows_the_nights_enrichment_calls_by_price_class(tmp_path):
    from click.testing import CliRunner

    from db import runs as runs_db
    from db.schema import open_db
    from papertally.cli import cli

    db_path = tmp_path / "t.db"
    db = open_db(db_path)
    db["harvest_runs"].insert({"source": "cvf", "venue": "CVPR", "year": 2024, "started_at": "2026-11-29T03:00:00", "status": "ok"})
    quiet = runs_db.start_run(db, "schedule")
    runs_db.finish_run(db, quiet, {"enrichment": None})  # enrichment off: no line
    run = runs_db.start_run(db, "schedule")
    runs_db.finish_run(db, run, {"enrichment": {"kinds": {
        "openalex": {"calls": 3, "bytes": 12000, "price": {SINGLE: 2, SEARCH: 1}},
        "openreview": {"calls": 1, "bytes": 900, "price": {}},
    }}})
    db.close()
    config = Path(__file__).parents[2] / "config.toml"
    result = CliRunner().invoke(cli, ["--config", str(config), "--db", str(db_path), "harvest", "--status"])
    assert result.exit_code == 0, result.output
    tail = result.output.split("enrichment calls, newest night first:\n")[1].splitlines()
    assert len(tail) == 1
    assert tail[0].startswith(f"  run {run} ")
    assert tail[0].endswith(
        "openalex 3 call(s) (2 single work, free; 1 search, ~$0.0010), 12,000 bytes; "
        "openreview 1 call(s), 900 bytes"
    )


def test_run_summary_line_prices_the_openalex_calls():
    from papertally.enrichment import KindSummary, summary_line

    night = KindSummary(candidates=3, asked=3, ok=3, calls=3, bytes=9000, price={SINGLE: 2, SEARCH: 1})
    assert "3 calls (2 single work, free; 1 search, ~$0.0010), 9,000 bytes" in summary_line({OPENALEX: night})


def test_ids_another_source_printed_reach_the_candidates_byline(db):
    """NeurIPS: the proceedings list (chosen byline: same length, first by name) has no
    OpenReview ids; Paper Copilot's has them. The enricher still gets the member's id, and
    an id is never taken from an author of another name."""
    from db.enrichment import candidate_rows

    def record(source, ids):
        return PaperRecord(source, "X1", "NeurIPS", 2025, "One Paper", tuple(
            AuthorRecord(name, i + 1, openreview_id=oid)
            for i, (name, oid) in enumerate(zip(("Taro Yamada", "Hanako Suzuki"), ids))
        ))

    store_records(db, [record("neurips", (None, None))], None)
    store_records(db, [PaperRecord("paperlists", "X1", "NeurIPS", 2025, "One Paper", (
        AuthorRecord("Taro Yamada", 1, openreview_id="~Taro_Yamada1"),
        AuthorRecord("H. Suzuki", 2, openreview_id="~Hanako_Suzuki1"),
    ))], None)
    (pid,) = [r[0] for r in db.execute("SELECT paper_id FROM papers").fetchall()]
    (row,) = candidate_rows(db, [pid])
    assert [(a["name"], a["openreview_id"]) for a in row["authors"]] == [
        ("Taro Yamada", "~Taro_Yamada1"), ("Hanako Suzuki", None),
    ]


@responses.activate
def test_openreview_one_profile_a_call_when_configured(linked):
    db, ids = linked
    profiles = json.loads((FIXTURES / "openreview/profiles_documented.json").read_text())
    responses.get(f"{OR}/profiles", json={"profiles": profiles["profiles"][:1]})
    night = run_enrichers(db, [OpenReviewEnricher(_settings(openreview_profile_batch=1))], _client())[OPENREVIEW]
    assert night.ok == 2
    assert [c.request.params for c in responses.calls] == [{"id": "~Taro_Yamada1"}]
