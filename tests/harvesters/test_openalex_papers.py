"""OpenAlex per paper: parsing a work's evidence, one call per candidate within a budget,
price classes counted, and every fault ending as "not fetched (why)" rather than a crash."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlparse

import pytest
import requests
import responses

from harvesters.http import HttpClient
from harvesters.openalex.papers import (
    LIST,
    SEARCH,
    SINGLE,
    CallLedger,
    Enriched,
    PaperAsk,
    enrich_papers,
    parse_work,
    plan_calls,
    single_work_url,
)

BASE = "https://api.openalex.test"
AWARDS = "openalex/work_awards_documented.json"
JP = "openalex/works_jp_grants_2025-11.json"
SINGLE_2026 = "openalex/work_W2162348455_single_2026-03.json"


def client() -> HttpClient:
    return HttpClient(contact_email="t@example.org", sleep=lambda s: None, max_retries=2)


def ask(pid: str, title: str = "A Paper", year: int = 2026, **kw) -> PaperAsk:
    return PaperAsk(paper_id=pid, title=title, year=year, **kw)


def run(asks, budget=10, **kw):
    ledger = CallLedger()
    out = enrich_papers(client(), asks, base_url=BASE, budget=budget, ledger=ledger, **kw)
    return out, ledger


# -- parsing -----------------------------------------------------------------------------


def test_work_authors_ids_institutions_and_awards(fixture_text):
    work = parse_work(json.loads(fixture_text(AWARDS)))
    assert (work.work_id, work.doi, work.year) == (
        "W4999000001", "10.1109/icra99999.2026.0001", 2026,
    )
    yamada, suzuki = work.authors
    assert (yamada.openalex_id, yamada.orcid) == ("A5099000001", "0000-0002-1825-0097")
    (tokyo,) = yamada.institutions
    assert (tokyo.ror, tokyo.country) == ("057zh3y96", "JP")
    assert yamada.affiliations[0].startswith("Graduate School of Information Science")
    # Every field null: a name from display_name, nothing else, no crash.
    assert (suzuki.name, suzuki.openalex_id, suzuki.orcid, suzuki.institutions) == (
        "Hanako Suzuki", None, None, (),
    )
    assert work.awards == ("JPNP20006", "JP22H00001", "JPMJCR19U1")
    assert work.funders == ("New Energy and Industrial Technology Development Organization",)


def test_legacy_grants_and_real_kyoto_ror(fixture_text):
    work = parse_work(json.loads(fixture_text(JP))["results"][0])
    assert work.awards == ("18K13235", "20K20132", "JPMJCR19U1")
    assert work.authors[0].institutions[0].ror == "02kpeqv85"  # Kyoto University


@pytest.mark.parametrize("value", [None, [], "W1", {"title": "no id"}])
def test_not_a_work_gives_none(value):
    assert parse_work(value) is None


def test_enriched_round_trips_through_json(fixture_text):
    work = parse_work(json.loads(fixture_text(AWARDS)))
    before = Enriched("P1", "found", SINGLE, work)
    assert Enriched.from_dict(json.loads(json.dumps(before.to_dict()))) == before
    missing = Enriched("P2", "not_fetched", reason="not fetched: offline")
    assert Enriched.from_dict(json.loads(json.dumps(missing.to_dict()))) == missing


# -- planning ----------------------------------------------------------------------------


def test_each_paper_costs_at_most_one_call_and_order_is_kept():
    asks = [
        ask("P1", doi="10.1234/a"), ask("P2", title="No DOI Here"), ask("P3", openalex_id="W7"),
        ask("P4", doi="10.1234/b"), ask("P5", title="  "),
    ]
    calls, later = plan_calls(asks, budget=10)
    assert [(c.price_class, [a.paper_id for a in c.asks]) for c in calls] == [
        (SINGLE, ["P1"]), (SEARCH, ["P2"]), (SINGLE, ["P3"]), (SINGLE, ["P4"]),
    ]
    assert later == [asks[4]]  # no DOI and no title: nothing to ask


def test_batched_dois_share_one_list_call():
    asks = [ask(f"P{i}", doi=f"10.1234/{i}") for i in range(3)] + [ask("P9", doi="10.1234/x,y")]
    calls, _ = plan_calls(asks, budget=10, batch_dois=True)
    kinds = [(c.price_class, len(c.asks)) for c in calls]
    # a DOI with a comma cannot stand in a filter: it is asked alone
    assert kinds == [(LIST, 3), (SINGLE, 1)]


def test_budget_leaves_the_rest_for_another_night():
    asks = [ask(f"P{i}", doi=f"10.1234/{i}") for i in range(5)]
    calls, later = plan_calls(asks, budget=2)
    assert [c.asks[0].paper_id for c in calls] == ["P0", "P1"]
    assert [a.paper_id for a in later] == ["P2", "P3", "P4"]


def test_single_work_url_by_doi_and_by_id():
    assert single_work_url(BASE + "/", ask("P", doi="https://doi.org/10.1234/AB")) == (
        f"{BASE}/works/doi:10.1234/ab"
    )
    assert single_work_url(BASE, ask("P", openalex_id="https://openalex.org/W12")) == (
        f"{BASE}/works/W12"
    )


# -- fetching ----------------------------------------------------------------------------


@responses.activate
def test_single_work_by_doi_is_free_and_found(fixture_text):
    responses.get(
        f"{BASE}/works/doi:10.1109/icra99999.2026.0001",
        body=fixture_text(AWARDS),
        headers={"x-ratelimit-cost-usd": "0"},
    )
    (got,), ledger = run([ask("P1", doi="10.1109/ICRA99999.2026.0001")], api_key="k")
    assert (got.status, got.price_class, got.work.work_id) == ("found", SINGLE, "W4999000001")
    sent = responses.calls[0].request
    assert sent.headers["Authorization"] == "Bearer k"
    assert "authorships" in parse_qs(urlparse(sent.url).query)["select"][0]
    assert ledger.as_dict() == {"calls": {SINGLE: 1}, "estimated_usd": 0.0, "reported_usd": 0.0}
    assert ledger.summary() == (
        "OpenAlex: 1 call(s) (1 single work, free); OpenAlex reported $0.0000"
    )


@responses.activate
def test_title_search_takes_only_the_same_title_within_a_year(fixture_text):
    work = json.loads(fixture_text(AWARDS))
    other = {**work, "id": "https://openalex.org/W2", "title": "Grasping Deformable Objects"}
    old = {**work, "id": "https://openalex.org/W3", "publication_year": 2019}
    responses.get(f"{BASE}/works", json={"meta": {"count": 3}, "results": [other, old, work]})
    (got,), ledger = run([ask("P1", title="Grasping deformable objects with tactile feedback.")])
    assert (got.status, got.work.work_id) == ("found", "W4999000001")
    query = parse_qs(urlparse(responses.calls[0].request.url).query)
    assert "title.search:grasping deformable objects" in query["filter"][0]
    assert ledger.calls[SEARCH] == 1 and ledger.estimated_usd == pytest.approx(0.001)


@responses.activate
def test_title_search_without_the_title_is_not_found():
    responses.get(f"{BASE}/works", json={"meta": {"count": 0}, "results": []})
    (got,), _ = run([ask("P1", title="Nothing Like It")])
    assert (got.status, got.price_class) == ("not_found", SEARCH)
    assert "title" in got.reason


@responses.activate
def test_batched_dois_answer_each_paper(fixture_text):
    page = json.loads(fixture_text(JP))
    responses.get(f"{BASE}/works", json=page, headers={"x-ratelimit-cost-usd": "0.0001"})
    asks = [
        ask("P1", doi="10.1145/3383583.3398584"), ask("P2", doi="10.9999/none"),
        ask("P3", doi="10.48550/ARXIV.2007.14454"),
    ]
    got, ledger = run(asks, batch_dois=True)
    assert [(g.paper_id, g.status) for g in got] == [
        ("P1", "found"), ("P2", "not_found"), ("P3", "found"),
    ]
    assert len(responses.calls) == 1
    assert "doi:10.1145/3383583.3398584|10.9999/none|10.48550/arxiv.2007.14454" in (
        parse_qs(urlparse(responses.calls[0].request.url).query)["filter"][0]
    )
    assert ledger.as_dict() == {"calls": {LIST: 1}, "estimated_usd": 0.0001, "reported_usd": 0.0001}


def test_no_candidate_makes_no_call():
    with responses.RequestsMock() as mock:
        got, ledger = run([])
        assert got == [] and len(mock.calls) == 0
    assert ledger.summary() == "OpenAlex: no call"


@responses.activate
def test_404_is_not_found_and_the_night_goes_on(fixture_text):
    responses.get(f"{BASE}/works/doi:10.1234/gone", status=404)
    responses.get(f"{BASE}/works/doi:10.1234/here", body=fixture_text(SINGLE_2026))
    got, ledger = run([ask("P1", doi="10.1234/gone"), ask("P2", doi="10.1234/here")])
    assert [g.status for g in got] == ["not_found", "found"]
    assert "404" in got[0].reason
    assert ledger.calls[SINGLE] == 2


@responses.activate
def test_truncated_answer_is_not_fetched_for_that_paper_only(fixture_text):
    text = fixture_text(SINGLE_2026)
    responses.get(f"{BASE}/works/doi:10.1234/cut", body=text[: len(text) // 2])
    responses.get(f"{BASE}/works/doi:10.1234/here", body=text)
    got, _ = run([ask("P1", doi="10.1234/cut"), ask("P2", doi="10.1234/here")])
    assert [g.status for g in got] == ["not_fetched", "found"]
    assert "not a work" in got[0].reason and "doi:10.1234/cut" in got[0].reason


@responses.activate
def test_429_storm_stops_openalex_for_the_night():
    responses.get(f"{BASE}/works/doi:10.1234/a", status=429, headers={"Retry-After": "1"})
    got, ledger = run([ask("P1", doi="10.1234/a"), ask("P2", doi="10.1234/b")])
    assert [g.status for g in got] == ["not_fetched", "not_fetched"]
    assert "HTTP 429 after 3 attempt" in got[0].reason
    assert got[1].reason == got[0].reason
    assert len(responses.calls) == 3  # the retries of the first call, none for P2
    assert ledger.calls[SINGLE] == 1


@responses.activate
def test_spent_budget_stops_openalex_for_the_night():
    responses.get(
        f"{BASE}/works/doi:10.1234/a", status=429,
        headers={"x-ratelimit-remaining-usd": "0"}, body="daily budget exceeded",
    )
    got, ledger = run([ask("P1", doi="10.1234/a"), ask("P2", title="Another")])
    assert all(g.status == "not_fetched" and "budget is spent" in g.reason for g in got)
    assert len(responses.calls) == 1 and ledger.total == 0


def test_offline_is_a_clean_not_fetched_with_no_further_call():
    with responses.RequestsMock() as mock:
        mock.get(
            f"{BASE}/works/doi:10.1234/a",
            body=requests.ConnectionError("Failed to resolve: Name or service not known"),
        )
        got, ledger = run([ask("P1", doi="10.1234/a"), ask("P2", doi="10.1234/b")])
        assert len(mock.calls) == 1
    assert [g.reason for g in got] == ["not fetched: offline"] * 2
    assert ledger.total == 0


@responses.activate
def test_missing_fields_in_a_work_are_tolerated():
    responses.get(f"{BASE}/works/W5", json={"id": "https://openalex.org/W5"})
    (got,), _ = run([ask("P1", openalex_id="W5")])
    assert got.status == "found"
    assert (got.work.title, got.work.authors, got.work.awards, got.work.doi) == ("", (), (), None)


@responses.activate
def test_a_list_answer_without_results_is_not_fetched():
    responses.get(f"{BASE}/works", json={"error": "Invalid query parameters error."})
    (got,), _ = run([ask("P1", title="A Title")])
    assert got.status == "not_fetched" and "not a list response" in got.reason


@responses.activate
def test_over_budget_papers_are_not_fetched_and_not_asked(fixture_text):
    responses.get(f"{BASE}/works/doi:10.1234/a", body=fixture_text(SINGLE_2026))
    got, _ = run([ask("P1", doi="10.1234/a"), ask("P2", doi="10.1234/b")], budget=1)
    assert [g.status for g in got] == ["found", "not_fetched"]
    assert "budget" in got[1].reason
    assert len(responses.calls) == 1


def test_a_paper_with_nothing_to_ask_says_so_without_a_call():
    with responses.RequestsMock() as mock:
        (got,), _ = run([ask("P1", title="", doi="not a doi")])
        assert len(mock.calls) == 0
    assert got.status == "not_fetched" and "nothing to ask" in got.reason


def test_work_facts_per_printed_author(fixture_text):
    work = parse_work(json.loads(fixture_text(AWARDS)))
    facts = work.author_facts(["Hanako Suzuki", "T. Yamada", "Ken Ito"])
    assert set(facts) == {0, 1}  # Ken Ito is not in OpenAlex's list
    assert facts[1].orcid == "0000-0002-1825-0097"
    assert facts[1].institutions[0].ror == "057zh3y96"
    assert facts[0].openalex_id is None and facts[0].work_id == "W4999000001"


def test_price_text_estimates_each_class():
    from harvesters.openalex.papers import price_text

    assert price_text({SEARCH: 2, SINGLE: 3, LIST: 0}) == "3 single work, free; 2 search, ~$0.0020"
    assert price_text({LIST: 10}) == "10 list, ~$0.0010"
    assert price_text({}) == ""
