"""Live harvests per source (HTTP mocked with responses): stored, counted, incremental, guarded."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import responses
from responses import matchers

sys.path.insert(
    0, str(Path(__file__).parent)
)  # importlib mode: reach the helper module
from livekit import (
    FIXTURES,
    URLS,
    client_for,
    fixture,
    job,
    live_settings,
    oa_page,
    oa_works,
    serve,
)

from db import harvest_state
from db import papers as papers_db
from papertally.harvesting import harvest_live
from papertally.errors import HarvestError

CASES = [
    # source, venue, year, papers counted (configured tracks), a source_id it must hold
    ("paperlists", "CVPR", 2024, 2, None),
    ("acl-anthology", "ACL", 2023, 5, "2023.acl-long.1"),
    (
        "cvf",
        "CVPR",
        2024,
        3,
        "Deng_2S-UDF_A_Novel_Two-stage_UDF_Learning_Method_for_Robust_Non-watertight_CVPR_2024",
    ),
    ("neurips", "NeurIPS", 2023, 2, "11b2c3d4e5f60718293a4b5c6d7e8f90"),
    ("openreview", "NeurIPS", 2024, 2, "nRp0XhTf61"),
    ("dblp", "ICRA", 2024, 3, "conf/icra/WangH24"),
    ("openalex", "CVPR", 2024, 2, "W3046863325"),
]


@pytest.mark.parametrize(("source", "venue", "year", "n", "some_id"), CASES)
@responses.activate
def test_every_source_harvests_live_into_the_store(
    db, settings, tmp_path, source, venue, year, n, some_id
):
    s = live_settings(settings, tmp_path)
    serve(source)
    outcome = harvest_live(db, s, job(source, venue, year), client=client_for(s))
    assert outcome.status == "ok", outcome.message
    assert outcome.counts.new == n
    run = papers_db.recent_runs(db, 1)[0]
    assert run["status"] == "ok" and run["n_new"] == n
    assert run["requests"] == len(responses.calls) and run["bytes"] > 0
    ids = {
        r[0]
        for r in db.execute(
            "SELECT source_id FROM source_records WHERE source = ?", [source]
        )
    }
    assert len(ids) == n
    if some_id:
        assert some_id in ids
    assert harvest_state.last_complete_count(db, source, venue, year) == n


@responses.activate
def test_openalex_query_selects_only_used_fields_filters_locations_and_pages_by_cursor(
    db, settings, tmp_path
):
    s = live_settings(settings, tmp_path)
    serve("openalex")
    harvest_live(db, s, job("openalex", "CVPR", 2024), client=client_for(s))
    count_call, *pages = [c.request for c in responses.calls]
    assert "per-page=1" in count_call.url and "select=id" in count_call.url
    assert [p.params["cursor"] for p in pages] == ["*", "c2"]
    for p in pages:
        assert p.params["per-page"] == "100"
        assert p.params["select"] == (
            "id,doi,title,publication_year,type,authorships,primary_location,funders,awards"
        )
        assert (
            p.params["filter"]
            == "locations.source.id:S4363607701|S4363608181,publication_year:2024"
        )


@responses.activate
def test_openalex_api_key_from_environment_never_in_the_url(
    db, settings, tmp_path, monkeypatch
):
    monkeypatch.setenv("OPENALEX_API_KEY", "secret-key")
    s = live_settings(settings, tmp_path)
    serve("openalex")
    harvest_live(db, s, job("openalex", "CVPR", 2024), client=client_for(s))
    for call in responses.calls:
        assert call.request.headers["Authorization"] == "Bearer secret-key"
        assert "secret-key" not in call.request.url
    cached = "".join(p.read_text() for p in (tmp_path / "cache").rglob("*.json"))
    assert "secret-key" not in cached


@responses.activate
def test_openalex_repeat_with_unchanged_count_makes_one_request(db, settings, tmp_path):
    s = live_settings(settings, tmp_path)
    serve("openalex")
    client = client_for(s)
    harvest_live(db, s, job("openalex", "CVPR", 2024), client=client)
    first = len(responses.calls)
    again = harvest_live(db, s, job("openalex", "CVPR", 2024), client=client)
    assert len(responses.calls) - first == 1  # the count check only
    assert again.counts.unchanged == 2 and again.counts.new == 0
    assert "count unchanged" in again.message
    run = papers_db.recent_runs(db, 1)[0]
    assert run["requests"] == 1


@responses.activate
def test_openalex_changed_count_pulls_again(db, settings, tmp_path):
    s = live_settings(settings, tmp_path)
    serve("openalex")
    client = client_for(s)
    harvest_live(db, s, job("openalex", "CVPR", 2024), client=client)
    responses.replace(
        responses.GET,
        URLS["openalex"],
        json=oa_page(oa_works()[:1], 3, None),
        match=[matchers.query_param_matcher({"per-page": "1"}, strict_match=False)],
    )
    before = len(responses.calls)
    harvest_live(db, s, job("openalex", "CVPR", 2024), client=client)
    assert len(responses.calls) - before == 3  # count + two cursor pages


def test_openalex_without_source_ids_is_a_clear_error(db, settings, tmp_path):
    s = live_settings(settings, tmp_path)
    with pytest.raises(HarvestError, match=r"venue_ids.*ICRA 2023"):
        harvest_live(db, s, job("openalex", "ICRA", 2023), client=client_for(s))


@pytest.mark.parametrize("source", ["paperlists", "cvf", "acl-anthology"])
@responses.activate
def test_repeat_run_with_nothing_changed_downloads_no_body(
    db, settings, tmp_path, source
):
    s = live_settings(settings, tmp_path)
    serve(source)
    client = client_for(s)
    venue, year = {
        "paperlists": ("CVPR", 2024),
        "cvf": ("CVPR", 2024),
        "acl-anthology": ("ACL", 2023),
    }[source]
    first = harvest_live(db, s, job(source, venue, year), client=client)
    responses.replace(responses.GET, URLS[source], status=304)
    second = harvest_live(db, s, job(source, venue, year), client=client)
    sent = responses.calls[-1].request.headers
    assert "If-None-Match" in sent or "If-Modified-Since" in sent
    assert second.bytes == 0 and first.bytes > 0
    assert second.counts.unchanged == first.counts.new and second.counts.new == 0


@responses.activate
def test_paper_gone_from_the_listing_is_flagged_not_deleted(db, settings, tmp_path):
    s = live_settings(settings, tmp_path, min_ratio=0.5)
    serve("cvf")
    client = client_for(s)
    harvest_live(db, s, job("cvf", "CVPR", 2024), client=client)
    html = fixture("cvf/CVPR2024_listing_sample.html")
    start = html.index('<dt class="ptitle"><br><a href="/content/CVPR2024/html/Deng')
    end = html.index('<dt class="ptitle">', start + 10)
    responses.replace(responses.GET, URLS["cvf"], body=html[:start] + html[end:])
    outcome = harvest_live(db, s, job("cvf", "CVPR", 2024), client=client)
    assert outcome.counts.missing == 1
    rows = dict(
        db.execute(
            "SELECT source_id, missing_since FROM source_records WHERE source='cvf'"
        ).fetchall()
    )
    assert len(rows) == 3
    assert [k for k, v in rows.items() if v] == [
        "Deng_2S-UDF_A_Novel_Two-stage_UDF_Learning_Method_for_Robust_Non-watertight_CVPR_2024"
    ]


@responses.activate
def test_coverage_guard_against_config_expectation(db, settings, tmp_path):
    s = live_settings(settings, tmp_path, expected={("CVPR", 2024): 10})
    serve("cvf")
    with pytest.raises(HarvestError) as err:
        harvest_live(db, s, job("cvf", "CVPR", 2024), client=client_for(s))
    text = str(err.value)
    assert (
        "only 3 papers where 10 are expected" in text
        and "layout or API probably changed" in text
    )
    assert "CVPR 2024" in text and URLS["cvf"] in text
    assert db.execute("SELECT COUNT(*) FROM source_records").fetchone()[0] == 0
    assert papers_db.recent_runs(db, 1)[0]["status"] == "failed"


@responses.activate
def test_coverage_guard_against_previous_complete_run(db, settings, tmp_path):
    s = live_settings(settings, tmp_path)
    serve("cvf")
    client = client_for(s)
    harvest_live(db, s, job("cvf", "CVPR", 2024), client=client)
    html = fixture("cvf/CVPR2024_listing_sample.html")
    first_dt = html.index('<dt class="ptitle"><br>')
    second_dt = html.index('<dt class="ptitle"><br>', first_dt + 10)
    responses.replace(
        responses.GET, URLS["cvf"], body=html[:second_dt] + "</dl></div></body></html>"
    )
    with pytest.raises(HarvestError, match="only 1 papers where 3 are expected"):
        harvest_live(db, s, job("cvf", "CVPR", 2024), client=client)
    # Nothing was flagged missing by the failed run.
    assert (
        db.execute(
            "SELECT COUNT(*) FROM source_records WHERE missing_since IS NOT NULL"
        ).fetchone()[0]
        == 0
    )


def test_offline_samples_never_set_the_coverage_baseline(db, settings, tmp_path):
    from papertally.harvesting import harvest_file

    s = live_settings(settings, tmp_path)
    harvest_file(
        db,
        s,
        "paperlists",
        "CVPR",
        2024,
        FIXTURES / "paperlists/cvpr2024_sample.json",
        complete=False,
    )
    assert harvest_state.last_complete_count(db, "paperlists", "CVPR", 2024) is None


FINDINGS_XML = """<?xml version='1.0' encoding='UTF-8'?>
<collection id="2023.findings">
  <volume id="findings-acl" type="proceedings">
    <meta><booktitle>Findings of the Association for Computational Linguistics: ACL 2023</booktitle><year>2023</year></meta>
    <paper id="1"><title>A Findings Paper</title><author><first>Ann</first><last>Lee</last></author>
      <url>2023.findings-acl.1</url></paper>
  </volume>
  <volume id="findings-emnlp" type="proceedings">
    <meta><booktitle>Findings of EMNLP 2023</booktitle><year>2023</year></meta>
    <paper id="1"><title>An EMNLP Findings Paper</title><author><first>Bo</first><last>Li</last></author>
      <url>2023.findings-emnlp.1</url></paper>
  </volume>
</collection>
"""


@pytest.mark.parametrize("with_findings", [False, True])
@responses.activate
def test_acl_findings_fetched_only_when_counted(db, settings, tmp_path, with_findings):
    s = live_settings(settings, tmp_path)
    if with_findings:
        venues = dict(s.venues)
        venues["ACL"] = venues["ACL"].model_copy(
            update={"tracks": ("long", "short", "findings")}
        )
        s = s.model_copy(update={"venues": venues})
    serve("acl-anthology")
    findings_url = URLS["acl-anthology"].replace("2023.acl.xml", "2023.findings.xml")
    responses.get(findings_url, body=FINDINGS_XML)
    outcome = harvest_live(
        db, s, job("acl-anthology", "ACL", 2023), client=client_for(s)
    )
    asked = [c.request.url for c in responses.calls]
    assert (findings_url in asked) is with_findings
    ids = {r[0] for r in db.execute("SELECT source_id FROM source_records")}
    assert ("2023.findings-acl.1" in ids) is with_findings
    assert not any(
        "emnlp" in i for i in ids
    )  # another conference's Findings never count
    assert outcome.status == "ok"


@responses.activate
def test_openalex_snapshot_older_than_refresh_days_is_pulled_again(
    db, settings, tmp_path
):
    s = live_settings(settings, tmp_path)
    serve("openalex")
    client = client_for(s)
    harvest_live(db, s, job("openalex", "CVPR", 2024), client=client)
    for sidecar in (tmp_path / "cache" / "openalex").glob("*.json"):
        meta = json.loads(sidecar.read_text())
        if "count" in meta:
            meta["fetched_at"] = "2020-01-01T00:00:00+00:00"
            sidecar.write_text(json.dumps(meta))
    before = len(responses.calls)
    again = harvest_live(db, s, job("openalex", "CVPR", 2024), client=client)
    assert len(responses.calls) - before == 3  # count + full pull
    assert "count unchanged" not in again.message


def test_snapshot_freshness_rules():
    import datetime as dt

    from harvesters.openalex import snapshot_fresh

    meta = {"count": 10, "fetched_at": "2026-03-01T00:00:00+00:00"}
    today = dt.date(2026, 3, 5)
    assert snapshot_fresh(meta, 10, 7, today)
    assert not snapshot_fresh(meta, 11, 7, today)  # the count moved
    assert not snapshot_fresh(meta, 10, 4, today)  # too old
    assert not snapshot_fresh(meta, 10, 0, today)  # refresh_days 0: always pull
    assert not snapshot_fresh({"count": 10}, 10, 7, today)
