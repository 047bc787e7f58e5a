"""Every source under faults: each ends in complete data or a clear error naming source,
venue-year and URL; what was stored before is kept, nothing is duplicated, and one failing
source does not stop the others."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import requests
import responses
from responses import matchers

sys.path.insert(
    0, str(Path(__file__).parent)
)  # importlib mode: reach the helper module
from livekit import (
    URLS,
    client_for,
    fixture,
    job,
    live_settings,
    oa_page,
    oa_works,
    serve,
)

from db import papers as papers_db
from harvesters.http import QuotaExhausted
from papertally.harvesting import harvest_live
from papertally.errors import HarvestError

SOURCES = {
    "paperlists": ("CVPR", 2024),
    "acl-anthology": ("ACL", 2023),
    "cvf": ("CVPR", 2024),
    "neurips": ("NeurIPS", 2023),
    "openreview": ("NeurIPS", 2024),
    "dblp": ("ICRA", 2024),
    "openalex": ("CVPR", 2024),
}


def good_first_body(source: str) -> str:
    """The body of the first request a harvest of `source` makes."""
    if source == "paperlists":
        return fixture("paperlists/cvpr2024_sample.json")
    if source == "acl-anthology":
        return fixture("acl-anthology/2023.acl_sample.xml")
    if source == "cvf":
        return fixture("cvf/CVPR2024_listing_sample.html")
    if source == "neurips":
        return fixture("neurips/2023_listing_sample.html")
    if source == "openreview":
        data = json.loads(fixture("openreview/neurips2024_notes_sample.json"))
        return json.dumps({"notes": data["notes"], "count": 4})
    if source == "dblp":
        return fixture("dblp/icra2024_toc_sample.json")
    return json.dumps(oa_page(oa_works()[:1], 2, None))


def state(db, source):
    """(source ids, flagged-missing ids, row count) of a source's records."""
    rows = db.execute(
        "SELECT source_id, missing_since FROM source_records WHERE source = ?", [source]
    ).fetchall()
    papers = db.execute("SELECT COUNT(*) FROM papers").fetchone()[0]
    return {r[0] for r in rows}, {r[0] for r in rows if r[1]}, len(rows), papers


@pytest.fixture
def waits():
    return []


def first_run(db, s, source, client):
    """A good harvest, so that faults can be checked against what is already stored."""
    venue, year = SOURCES[source]
    serve(source)
    outcome = harvest_live(db, s, job(source, venue, year), client=client)
    assert outcome.status == "ok"
    return state(db, source)


def ends_complete_or_clear(db, s, source, client, before):
    """Run a harvest; it must give the same complete data or a clear error, and leave
    what was stored intact (no loss, no duplicates, nothing flagged)."""
    venue, year = SOURCES[source]
    try:
        outcome = harvest_live(db, s, job(source, venue, year), client=client)
    except HarvestError as exc:
        text = str(exc)
        assert source in text and f"{venue} {year}" in text and "https://" in text, text
        assert papers_db.recent_runs(db, 1)[0]["status"] == "failed"
        result = "error"
    else:
        assert outcome.counts.seen == len(before[0]) and outcome.counts.new == 0
        result = "complete"
    assert state(db, source) == before
    return result


@pytest.mark.parametrize("source", SOURCES)
@responses.activate
def test_429_with_retry_after_is_waited_then_complete(
    db, settings, tmp_path, waits, source
):
    s = live_settings(settings, tmp_path)
    client = client_for(s, waits)
    before = first_run(db, s, source, client)
    responses.reset()
    responses.get(URLS[source], status=429, headers={"Retry-After": "3"})
    serve(source)
    assert ends_complete_or_clear(db, s, source, client, before) == "complete"
    assert 3.0 in waits


@pytest.mark.parametrize("source", SOURCES)
@responses.activate
def test_500_then_success_is_complete(db, settings, tmp_path, waits, source):
    s = live_settings(settings, tmp_path)
    client = client_for(s, waits)
    before = first_run(db, s, source, client)
    responses.reset()
    responses.get(URLS[source], status=500)
    responses.get(URLS[source], status=502)
    serve(source)
    assert ends_complete_or_clear(db, s, source, client, before) == "complete"
    assert len(waits) == 2


@pytest.mark.parametrize("source", SOURCES)
@responses.activate
def test_connection_reset_then_success_is_complete(db, settings, tmp_path, source):
    s = live_settings(settings, tmp_path)
    client = client_for(s)
    before = first_run(db, s, source, client)
    responses.reset()
    responses.get(
        URLS[source], body=requests.ConnectionError("Connection reset by peer")
    )
    serve(source)
    assert ends_complete_or_clear(db, s, source, client, before) == "complete"


@pytest.mark.parametrize("source", SOURCES)
@responses.activate
def test_timeout_on_every_try_is_a_clear_error_keeping_the_store(
    db, settings, tmp_path, source
):
    s = live_settings(settings, tmp_path)
    client = client_for(s)
    before = first_run(db, s, source, client)
    responses.reset()
    responses.get(URLS[source], body=requests.Timeout("read timed out"))
    assert ends_complete_or_clear(db, s, source, client, before) == "error"
    assert "timeout" in papers_db.recent_runs(db, 1)[0]["errors"]


@pytest.mark.parametrize("source", SOURCES)
@responses.activate
def test_truncated_body_is_complete_or_clear_error(db, settings, tmp_path, source):
    s = live_settings(settings, tmp_path)
    client = client_for(s)
    before = first_run(db, s, source, client)
    responses.reset()
    body = good_first_body(source)
    responses.get(URLS[source], body=body[: len(body) // 2])
    serve(source)
    ends_complete_or_clear(db, s, source, client, before)


@pytest.mark.parametrize("source", ["paperlists", "openreview", "dblp", "openalex"])
@responses.activate
def test_truncated_json_is_a_clear_error(db, settings, tmp_path, source):
    s = live_settings(settings, tmp_path)
    client = client_for(s)
    before = first_run(db, s, source, client)
    responses.reset()
    body = good_first_body(source)
    responses.get(URLS[source], body=body[: len(body) // 2])
    assert ends_complete_or_clear(db, s, source, client, before) == "error"


@pytest.mark.parametrize(
    ("source", "body"),
    [
        (
            "acl-anthology",
            "<collection id='2023.acl'><volume id='long'><paper id='1'><title>x",
        ),
        (
            "cvf",
            "<html><body><div id='content'><dl><dt class='ptitle'><br><a href='/conte",
        ),
        ("neurips", "<<<>>> not really </li html"),
        ("paperlists", "<html>503 Service Unavailable</html>"),
    ],
)
@responses.activate
def test_malformed_xml_or_html_is_a_clear_error(db, settings, tmp_path, source, body):
    s = live_settings(settings, tmp_path)
    client = client_for(s)
    before = first_run(db, s, source, client)
    responses.reset()
    responses.get(URLS[source], body=body)
    assert ends_complete_or_clear(db, s, source, client, before) == "error"


EMPTY = {
    "paperlists": "[]",
    "acl-anthology": "<collection id='2023.acl'></collection>",
    "cvf": "",
    "neurips": "<html><body></body></html>",
    "openreview": json.dumps({"notes": [], "count": 0}),
    "dblp": json.dumps(
        {"result": {"hits": {"@total": "0", "@sent": "0", "@first": "0"}}}
    ),
    "openalex": json.dumps(oa_page([], 0, None)),
}


@pytest.mark.parametrize("source", SOURCES)
@responses.activate
def test_empty_answer_fails_the_harvest_and_deletes_nothing(
    db, settings, tmp_path, source
):
    s = live_settings(settings, tmp_path)
    client = client_for(s)
    before = first_run(db, s, source, client)
    responses.reset()
    responses.get(URLS[source], body=EMPTY[source])
    if source == "openreview":
        responses.get("https://api2.openreview.net/profiles", json={"profiles": []})
    assert ends_complete_or_clear(db, s, source, client, before) == "error"


def test_empty_answer_on_a_first_harvest_says_layout_changed(db, settings, tmp_path):
    s = live_settings(settings, tmp_path)
    with responses.RequestsMock() as mock:
        mock.get(URLS["paperlists"], body="[]")
        with pytest.raises(
            HarvestError, match="listed no papers.*layout or API probably changed"
        ):
            harvest_live(db, s, job("paperlists", "CVPR", 2024), client=client_for(s))


CHANGED = {
    "paperlists": json.dumps(
        {"papers": json.loads(fixture("paperlists/cvpr2024_sample.json"))}
    ),
    "acl-anthology": fixture("acl-anthology/2023.acl_sample.xml")
    .replace("<paper ", "<article ")
    .replace("</paper>", "</article>"),
    "cvf": fixture("cvf/CVPR2024_listing_sample.html").replace(
        'class="ptitle"', 'class="paper-title"'
    ),
    "neurips": fixture("neurips/2023_listing_sample.html").replace("/hash/", "/paper/"),
    "openreview": json.dumps({"results": [], "total": 4}),
    "dblp": json.dumps({"data": {"hits": []}}),
    "openalex": json.dumps({"items": [], "meta": {"total": 2}}),
}


@pytest.mark.parametrize("source", SOURCES)
@responses.activate
def test_changed_layout_is_a_clear_error(db, settings, tmp_path, source):
    s = live_settings(settings, tmp_path)
    client = client_for(s)
    before = first_run(db, s, source, client)
    responses.reset()
    responses.get(URLS[source], body=CHANGED[source])
    assert ends_complete_or_clear(db, s, source, client, before) == "error"


@responses.activate
def test_openalex_cursor_that_never_ends_is_bounded(db, settings, tmp_path):
    s = live_settings(settings, tmp_path)
    client = client_for(s)
    works = oa_works()
    responses.get(
        URLS["openalex"],
        json=oa_page(works[:1], 2, None),
        match=[matchers.query_param_matcher({"per-page": "1"}, strict_match=False)],
    )
    counter = iter(range(10_000))
    responses.add_callback(
        responses.GET,
        URLS["openalex"],
        callback=lambda req: (
            200,
            {},
            json.dumps(oa_page(works, 2, f"c{next(counter)}")),
        ),
    )
    with pytest.raises(HarvestError, match="still more pages after 3 pages") as err:
        harvest_live(db, s, job("openalex", "CVPR", 2024), client=client)
    assert "openalex" in str(err.value) and "CVPR 2024" in str(err.value)
    assert len(responses.calls) == 4  # count + the bound of 3 pages
    # The works read before the fault are stored once each.
    assert state(db, "openalex")[2] == 2


@responses.activate
def test_openalex_repeating_cursor_stops(db, settings, tmp_path):
    s = live_settings(settings, tmp_path)
    works = oa_works()
    responses.get(
        URLS["openalex"],
        json=oa_page(works[:1], 500, None),
        match=[matchers.query_param_matcher({"per-page": "1"}, strict_match=False)],
    )
    responses.get(URLS["openalex"], json=oa_page(works, 500, "same"))
    with pytest.raises(HarvestError, match="cursor repeats"):
        harvest_live(db, s, job("openalex", "CVPR", 2024), client=client_for(s))


@responses.activate
def test_openalex_more_than_10000_works_are_all_paged(db, settings, tmp_path):
    from harvesters import openalex as openalex_api

    s = live_settings(settings, tmp_path)
    client = client_for(s)
    template = oa_works()[0]
    total = 10_150
    pages = -(-total // 100)

    def page(req):
        n = int(req.params["cursor"][1:]) if req.params["cursor"] != "*" else 0
        size = min(100, total - n * 100)
        results = [
            dict(template, id=f"https://openalex.org/W{n * 100 + i + 1}")
            for i in range(size)
        ]
        nxt = f"c{n + 1}" if n + 1 < pages else None
        return 200, {}, json.dumps(oa_page(results, total, nxt))

    responses.add_callback(responses.GET, URLS["openalex"], callback=page)
    query = openalex_api.Query(
        base_url="https://api.openalex.org",
        source_ids=("S1",),
        year=2024,
        what="CVPR 2024",
    )
    got = list(
        openalex_api.fetch_openalex(client, query, expected=total, max_pages=1000)
    )
    assert len(got) == pages
    assert sum(len(json.loads(p.text)["results"]) for p in got) == total


@pytest.mark.parametrize("source", ["dblp", "openreview"])
@responses.activate
def test_paged_listing_that_never_ends_is_bounded(db, settings, tmp_path, source):
    s = live_settings(settings, tmp_path)
    client = client_for(s)
    body = json.loads(good_first_body(source))
    if source == "dblp":
        body["result"]["hits"]["@total"] = "99999999"
    else:
        body["count"] = 99_999_999
        responses.get("https://api2.openreview.net/profiles", json={"profiles": []})
    responses.get(URLS[source], json=body)
    venue, year = SOURCES[source]
    with pytest.raises(HarvestError, match="after 20 pages"):
        harvest_live(db, s, job(source, venue, year), client=client)
    ids, _, rows, _ = state(db, source)
    assert rows == len(ids) > 0  # what was read is stored once


@responses.activate
def test_spent_budget_stops_openalex_but_not_the_other_sources(
    db, settings, tmp_path, waits
):
    s = live_settings(settings, tmp_path)
    client = client_for(s, waits)
    responses.get(
        URLS["openalex"],
        status=429,
        headers={"Retry-After": "40000"},
        body='{"error": "Rate limit exceeded", "message": "daily budget used"}',
    )
    with pytest.raises(QuotaExhausted, match="budget is spent") as err:
        harvest_live(db, s, job("openalex", "CVPR", 2024), client=client)
    assert "CVPR 2024" in str(err.value) and "openalex" in str(err.value)
    assert waits == [] and len(responses.calls) == 1
    # Another venue-year of the same source is not even tried ...
    with pytest.raises(HarvestError, match="not tried"):
        harvest_live(db, s, job("openalex", "CVPR", 2024), client=client)
    assert len(responses.calls) == 1
    # ... while another source goes on.
    serve("cvf")
    assert harvest_live(db, s, job("cvf", "CVPR", 2024), client=client).status == "ok"


@responses.activate
def test_one_failing_job_does_not_stop_the_others(db, settings, tmp_path):
    from papertally.harvesting import harvest_job

    s = live_settings(settings, tmp_path)
    client = client_for(s)
    responses.get(URLS["neurips"], status=500)
    serve("cvf")
    serve("dblp")
    results = {}
    for source in ("neurips", "cvf", "dblp"):
        venue, year = SOURCES[source]
        try:
            results[source] = harvest_job(
                db, s, job(source, venue, year), client=client
            ).status
        except HarvestError as exc:
            results[source] = f"failed: {exc}"
    assert results["cvf"] == results["dblp"] == "ok"
    assert (
        results["neurips"].startswith("failed") and "NeurIPS 2023" in results["neurips"]
    )


@responses.activate
def test_no_network_falls_back_to_the_offline_sample_without_waiting(
    db, settings, tmp_path, waits
):
    from papertally.config import HarvestJob
    from papertally.harvesting import harvest_job

    s = live_settings(settings, tmp_path)
    client = client_for(s, waits)
    responses.get(
        URLS["paperlists"],
        body=requests.ConnectionError(
            "HTTPSConnectionPool(host='raw.githubusercontent.com'): Max retries exceeded "
            "(Caused by NameResolutionError: Failed to resolve 'raw.githubusercontent.com' "
            "([Errno -3] Temporary failure in name resolution))"
        ),
    )
    sample = (
        Path(__file__).resolve().parents[2] / "examples/sample/paperlists_cvpr2024.json"
    )
    outcome = harvest_job(
        db,
        s,
        HarvestJob(
            source="paperlists", venue="CVPR", year=2024, offline_file=str(sample)
        ),
        client=client,
    )
    assert outcome.status == "ok" and "offline sample used" in outcome.message
    assert "DNS" in outcome.message
    assert waits == [] and len(responses.calls) == 1


@responses.activate
def test_a_source_stopped_for_the_run_is_recorded_as_not_tried(db, settings, tmp_path):
    s = live_settings(settings, tmp_path)
    client = client_for(s)
    client.stopped["dblp"] = "HTTP 429: the source's request budget is spent"
    with pytest.raises(HarvestError, match="not tried"):
        harvest_live(db, s, job("dblp", "ICRA", 2024), client=client)
    run = papers_db.recent_runs(db, 1)[0]
    assert run["status"] == "failed" and "not tried" in run["errors"]
    assert len(responses.calls) == 0


@responses.activate
def test_openalex_fault_mid_cursor_keeps_earlier_pages_and_a_rerun_completes(
    db, settings, tmp_path
):
    s = live_settings(settings, tmp_path)
    client = client_for(s)
    works = oa_works()
    count = matchers.query_param_matcher({"per-page": "1"}, strict_match=False)
    first = matchers.query_param_matcher({"cursor": "*"}, strict_match=False)
    second = matchers.query_param_matcher({"cursor": "c2"}, strict_match=False)
    responses.get(URLS["openalex"], json=oa_page(works[:1], 2, None), match=[count])
    responses.get(URLS["openalex"], json=oa_page(works[:1], 2, "c2"), match=[first])
    responses.get(
        URLS["openalex"], body='{"meta": {"count": 2, "next_cur', match=[second]
    )
    with pytest.raises(HarvestError) as err:
        harvest_live(db, s, job("openalex", "CVPR", 2024), client=client)
    text = str(err.value)
    assert (
        "cursor=c2" in text and "CVPR 2024" in text and "1 papers read before" in text
    )
    assert state(db, "openalex")[2] == 1  # page 1 kept
    responses.reset()
    responses.get(URLS["openalex"], json=oa_page(works[:1], 2, None), match=[count])
    responses.get(URLS["openalex"], json=oa_page(works[:1], 2, "c2"), match=[first])
    responses.get(URLS["openalex"], json=oa_page(works[1:], 2, None), match=[second])
    again = harvest_live(db, s, job("openalex", "CVPR", 2024), client=client)
    assert (again.counts.new, again.counts.unchanged) == (1, 1)
    ids, missing, rows, _ = state(db, "openalex")
    assert rows == len(ids) == 2 and not missing
