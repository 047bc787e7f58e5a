"""papertally.enrichment: candidates only, once, cached; refreshed when sources change; offline is clean."""

from __future__ import annotations

import pdfkit
import pytest
import responses

from db.enrichment import NONE, NOT_FETCHED, OK, load
from db.links import store_candidates
from db.papers import store_records
from db.roster import import_roster
from harvesters.http import HttpClient
from harvesters.records import AuthorRecord, PaperRecord
from matching.model import Candidate as LinkCandidate
from matching.model import Evidence
from papertally.config import Settings
from papertally.enrichment import FULLTEXT, FullTextEnricher, run_enrichers, summary_line
from papertally.roster import RosterRow

CVF = "http://127.0.0.1:9/content/CVPR2024/html/{}_CVPR_2024_paper.html"
PDF = "http://127.0.0.1:9/content/CVPR2024/papers/{}_CVPR_2024_paper.pdf"


def _settings(**program) -> Settings:
    return Settings.model_validate(
        {"program": {"grant_numbers": [pdfkit.GRANT], "funder_names": list(pdfkit.FUNDERS),
                     **program}}
    )


def _paper(key: str, status: str, url: str | None = None) -> PaperRecord:
    return PaperRecord(
        "cvf", key, "CVPR", 2024, f"Paper {key}",
        (AuthorRecord("Kazuki Sato", 1), AuthorRecord("Hanako Suzuki", 2)),
        url=url or CVF.format(key),
    )


@pytest.fixture
def linked(db):
    """Three papers by member p1: a confirmed link, one needing review, one rejected."""
    import_roster(db, [RosterRow(0, "T1", "t", "P1", "p1", "Sato", "Kazuki", None, (),
                                 "The University of Tokyo", (), None, None, None, None)])
    store_records(db, [_paper("A", ""), _paper("B", ""), _paper("C", "")], None)
    ids = {r[1]: r[0] for r in db.execute("SELECT paper_id, title FROM papers").fetchall()}
    cands = [
        LinkCandidate(ids[f"Paper {k}"], "p1", f"cvf:{k}#1", s, st, (Evidence("name", s, "x"),), "x")
        for k, s, st in (("A", 0.95, "confirmed"), ("B", 0.6, "needs_review"), ("C", 0.05, "rejected"))
    ]
    store_candidates(db, cands, "v1")
    return db, {k[-1]: v for k, v in ids.items()}


def _client() -> HttpClient:
    return HttpClient(contact_email="t@example.org", max_retries=1, backoff=0, sleep=lambda s: None)


def _serve(key: str, body: bytes, status: int = 200, ctype: str = "application/pdf"):
    responses.add(responses.GET, PDF.format(key), body=body, status=status, content_type=ctype)


@responses.activate
def test_candidates_only_once_each_and_a_second_night_makes_no_call(linked):
    db, ids = linked
    ack = pdfkit.paper(ack=f"This work is based on results of project {pdfkit.GRANT} (NEDO).")
    plain = pdfkit.paper(ack=None)
    _serve("A", ack)
    _serve("B", plain)
    enrichers = [FullTextEnricher(_settings())]
    first = run_enrichers(db, enrichers, _client())[FULLTEXT]
    assert (first.candidates, first.asked, first.ok, first.calls) == (2, 2, 2, 2)
    assert first.bytes == len(ack) + len(plain)
    assert [c.request.url for c in responses.calls] == [PDF.format("A"), PDF.format("B")]
    rows = load(db, kind=FULLTEXT)
    a = rows[(ids["A"], FULLTEXT)]
    assert a.status == OK and a.calls == 1
    assert a.data["acknowledgement"]["status"] == "acknowledged"
    assert a.data["ack_line"].startswith(f"acknowledges {pdfkit.GRANT} (p.4:")
    sato = a.data["authors"][0]
    assert sato["name"] == "Kazuki Sato" and sato["affiliations"] == ["The University of Tokyo"]
    assert rows[(ids["B"], FULLTEXT)].data["acknowledgement"]["status"] == "not_acknowledged"
    assert (ids["C"], FULLTEXT) not in rows  # rejected link: not a candidate

    second = run_enrichers(db, enrichers, _client())[FULLTEXT]
    assert (second.asked, second.cached, second.calls) == (0, 2, 0)
    assert len(responses.calls) == 2
    assert summary_line({FULLTEXT: second}) == (
        "enrichment: fulltext 2 candidates: 0 asked, 0 without input, 2 cached; 0 calls, 0 bytes"
    )


@responses.activate
def test_a_changed_source_link_refreshes_that_paper_only(linked):
    db, ids = linked
    _serve("A", pdfkit.paper(ack=None))
    _serve("B", pdfkit.paper(ack=None))
    enrichers = [FullTextEnricher(_settings())]
    run_enrichers(db, enrichers, _client())
    # Another source now lists paper A with an Anthology-style page: its best link changes.
    store_records(db, [_paper("A2", "", url="http://127.0.0.1:9/2024.acl-long.7")], None)
    db.execute("UPDATE source_records SET paper_id = ? WHERE source_id = 'A2'", [ids["A"]])
    responses.add(responses.GET, "http://127.0.0.1:9/2024.acl-long.7.pdf",
                  body=pdfkit.paper(ack=f"Supported by {pdfkit.GRANT}."))
    again = run_enrichers(db, enrichers, _client())[FULLTEXT]
    assert (again.asked, again.cached, again.calls) == (0, 2, 0)  # CVF's link still ranks first
    db.execute("DELETE FROM authorships WHERE source_id = 'A'")
    db.execute("UPDATE source_records SET url = ? WHERE source_id = 'A'",
               ["http://127.0.0.1:9/2024.acl-long.7"])
    third = run_enrichers(db, enrichers, _client())[FULLTEXT]
    assert (third.asked, third.cached, third.calls) == (1, 1, 1)
    assert load(db, [ids["A"]], FULLTEXT)[(ids["A"], FULLTEXT)].data["acknowledgement"]["status"] == "acknowledged"


@responses.activate
def test_offline_is_not_fetched_never_a_failure_and_the_next_night_fetches(linked):
    db, ids = linked
    enrichers = [FullTextEnricher(_settings())]
    night = run_enrichers(db, enrichers, None, offline_reason="offline")[FULLTEXT]
    assert (night.not_fetched, night.calls) == (2, 0)
    assert load(db, kind=FULLTEXT)[(ids["A"], FULLTEXT)].reason == "not fetched: offline"
    _serve("A", pdfkit.paper(ack=None))
    _serve("B", pdfkit.paper(ack=None))
    assert run_enrichers(db, enrichers, _client())[FULLTEXT].ok == 2


@responses.activate
def test_an_empty_answer_is_asked_again_after_the_configured_days_only(linked):
    """A PDF that was a 404 (the camera-ready not online yet) is asked again once the answer
    is older than ask_again_after_days; an answer with something in it never is."""
    db, ids = linked
    responses.add(responses.GET, PDF.format("A"), body=b"Not found", status=404)
    _serve("B", pdfkit.paper(ack=None))
    enrichers = [FullTextEnricher(_settings())]

    def night(day: str, days: int = 30):
        return run_enrichers(db, enrichers, _client(), now=f"2026-{day}T03:00:00+00:00",
                             ask_again_after_days=days)[FULLTEXT]

    first = night("10-01")
    assert (first.ok, first.none, first.calls) == (1, 1, 2)
    assert (night("10-30").calls, night("10-31", days=0).calls) == (0, 0)  # 29 days; never
    responses.replace(responses.GET, PDF.format("A"), body=pdfkit.paper(ack=None),
                      content_type="application/pdf")
    later = night("11-01")  # 31 days after the 404: A again, B (ok) stays cached
    assert (later.asked, later.ok, later.cached, later.calls) == (1, 1, 1, 1)
    assert responses.calls[-1].request.url == PDF.format("A")
    assert load(db, [ids["A"]], FULLTEXT)[(ids["A"], FULLTEXT)].status == OK
    assert night("12-31").calls == 0  # an answer with something in it is never asked again


@pytest.mark.parametrize(
    "body, status, ctype, expect, reason",
    [
        (b"<!DOCTYPE html><html>Please sign in</html>", 200, "text/html", NONE, "not a PDF (an HTML page"),
        (b"Not found", 404, "text/plain", NONE, "no full text (HTTP 404 at"),
        (b"slow down", 429, "text/plain", NOT_FETCHED, "HTTP 429"),
        (b"oops", 503, "text/plain", NOT_FETCHED, "HTTP 503"),
    ],
)
@responses.activate
def test_bad_answers_are_a_reason_never_a_crash(linked, body, status, ctype, expect, reason):
    db, ids = linked
    _serve("A", body, status, ctype)
    # B on another host, so that a host resting after a 429 storm does not touch it.
    other = "http://127.0.0.2:9/content/CVPR2024/html/B_CVPR_2024_paper.html"
    db.execute("UPDATE source_records SET url = ? WHERE source_id = 'B'", [other])
    responses.add(responses.GET, other.replace("/html/", "/papers/").replace(".html", ".pdf"),
                  body=pdfkit.paper(ack=None), content_type="application/pdf")
    s = run_enrichers(db, [FullTextEnricher(_settings())], _client())[FULLTEXT]
    row = load(db, [ids["A"]], FULLTEXT)[(ids["A"], FULLTEXT)]
    assert row.status == expect and reason in row.reason
    assert s.ok == 1  # the other candidate is unaffected


@responses.activate
def test_a_host_in_a_429_storm_is_asked_once_per_night_and_again_the_next(linked):
    db, ids = linked
    _serve("A", b"slow down", 429, "text/plain")
    _serve("B", b"slow down", 429, "text/plain")
    night = run_enrichers(db, [FullTextEnricher(_settings())], _client())[FULLTEXT]
    assert night.not_fetched == 2
    assert len(responses.calls) == 2  # one candidate, the client's one retry; the other waits
    reasons = sorted(r.reason for r in load(db, kind=FULLTEXT).values())
    assert "HTTP 429" in reasons[0]
    assert reasons[1].startswith("not asked tonight: 127.0.0.1:9 refused or failed")
    responses.replace(responses.GET, PDF.format("A"), body=pdfkit.paper(ack=None),
                      content_type="application/pdf")
    responses.replace(responses.GET, PDF.format("B"), body=pdfkit.paper(ack=None),
                      content_type="application/pdf")
    assert run_enrichers(db, [FullTextEnricher(_settings())], _client())[FULLTEXT].ok == 2


@responses.activate
def test_a_pdf_over_the_byte_cap_is_not_read_past_the_cap(linked):
    db, ids = linked
    big = pdfkit.many_pages(80)
    _serve("A", big)
    _serve("B", pdfkit.paper(ack=None))
    settings = Settings.model_validate({"enrichment": {"pdf_max_bytes": 4096}})
    s = run_enrichers(db, [FullTextEnricher(settings)], _client())[FULLTEXT]
    row = load(db, [ids["A"]], FULLTEXT)[(ids["A"], FULLTEXT)]
    assert row.status == NONE and "too big" in row.reason
    assert row.bytes <= 4097 < len(big)  # read no further than the cap
    assert s.none == 2  # B's PDF is over 4 KB as well


def test_acknowledgement_rule_needs_grant_numbers():
    with pytest.raises(Exception, match="grant_numbers"):
        Settings.model_validate({"program": {"attribution": "acknowledgement"}})
    assert _settings(attribution="acknowledgement").program.attribution == "acknowledgement"


@responses.activate
def test_a_nightly_budget_of_downloads_and_a_pause_between_two_from_one_host(linked):
    db, ids = linked
    _serve("A", pdfkit.paper(ack=None))
    _serve("B", pdfkit.paper(ack=None))
    one = Settings.model_validate({"enrichment": {"pdf_max_per_night": 1, "pdf_delay_seconds": 2.5}})
    waits: list[float] = []
    client = HttpClient(contact_email="t@example.org", max_retries=0, sleep=waits.append)
    night = run_enrichers(db, [FullTextEnricher(one)], client)[FULLTEXT]
    assert (night.ok, night.not_fetched, night.calls) == (1, 1, 1)
    assert any("pdf_max_per_night" in r.reason for r in load(db, kind=FULLTEXT).values())
    assert waits == []  # one download: nothing to pause between
    both = Settings.model_validate({"enrichment": {"pdf_delay_seconds": 2.5}})
    db.execute("DELETE FROM enrichments")
    night = run_enrichers(db, [FullTextEnricher(both)], client)[FULLTEXT]
    assert (night.ok, night.calls) == (2, 2)
    assert waits == [2.5]  # the second download from the same host waited
