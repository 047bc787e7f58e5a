"""An offline machine is not a failed night; one source down while others answer is."""

from __future__ import annotations

import sys
from pathlib import Path

import requests
import responses

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "harvesters"))
from livekit import client_for, live_settings  # noqa: E402

from papertally.config import HarvestJob
from papertally.harvesting import harvest_job
from papertally.steps import classify_unreachable, render_summary

REPO = Path(__file__).resolve().parents[2]


def _down(url_prefix: str) -> None:
    responses.add(responses.GET, __import__("re").compile(url_prefix + ".*"),
                  body=requests.exceptions.ConnectionError("Name or service not known"))


@responses.activate
def test_unreachable_live_source_without_sample_is_offline_not_an_error(db, settings, tmp_path):
    s = live_settings(settings, tmp_path)
    _down("https://openaccess.thecvf.com")
    outcome = harvest_job(db, s, HarvestJob(source="cvf", venue="CVPR", year=2026), client=client_for(s))
    assert (outcome.status, outcome.live_unreachable) == ("offline", True)
    assert "live source not reachable" in outcome.message and "stored papers kept" in outcome.message


@responses.activate
def test_unreachable_live_source_with_sample_reads_the_sample(db, settings, tmp_path):
    s = live_settings(settings, tmp_path)
    _down("https://raw.githubusercontent.com")
    job = HarvestJob(source="paperlists", venue="CVPR", year=2024,
                     offline_file=str(REPO / "examples/sample/paperlists_cvpr2024.json"))
    outcome = harvest_job(db, s, job, client=client_for(s))
    assert outcome.status == "ok" and outcome.live_unreachable and outcome.counts.seen == 56


def test_openalex_job_without_a_source_id_is_skipped_with_the_way_to_find_one(db, settings):
    outcome = harvest_job(db, settings, HarvestJob(source="openalex", venue="ICRA", year=2026))
    assert outcome.status == "skipped"
    assert "papertally openalex-sources --venue ICRA --year 2026" in outcome.message


def _h(source, venue, year, status="ok", unreachable=False, origin="https://x"):
    return {"source": source, "venue": venue, "year": year, "status": status,
            "live_unreachable": unreachable, "origin": origin, "message": "m", "counts": {}}


def test_every_live_source_unreachable_is_an_offline_night_not_a_failure():
    harvests = [
        _h("cvf", "CVPR", 2026, "offline", True),
        _h("paperlists", "CVPR", 2024, "ok", True, origin="examples/sample/x.json"),
    ]
    note, failures = classify_unreachable(harvests, [])
    assert failures == []
    assert note == (
        "offline: no live source could be reached (2 venue-year(s)); stored data kept, "
        "offline samples used for 1"
    )


def test_one_source_down_while_others_answer_is_a_failure():
    harvests = [_h("cvf", "CVPR", 2026, "offline", True), _h("dblp", "ICRA", 2026)]
    note, failures = classify_unreachable(harvests, [])
    assert note == ""
    assert [f["what"] for f in failures] == ["cvf CVPR 2026"]
    assert "not reachable while 1 other(s) answered" in failures[0]["reason"]


def test_the_summary_says_offline():
    summary = {
        "run_id": 1, "trigger": "test", "started_at": "s", "finished_at": "f", "failures": [],
        "harvests": [], "matching": None, "review_queue": 0, "tally": [], "exports": [],
        "offline_night": "offline: no live source could be reached (4 venue-year(s)); stored data kept, offline samples used for 0",
    }
    assert "offline: no live source could be reached" in render_summary(summary)


def test_an_unchanged_file_is_not_read_again(db, settings, tmp_path, monkeypatch):
    from harvesters import registry
    from papertally.harvesting import harvest_file

    sample = tmp_path / "cvpr2024.json"
    sample.write_bytes((REPO / "examples/sample/paperlists_cvpr2024.json").read_bytes())
    # a sample of the listing (complete=False: not held to CVPR 2024's expected size)
    first = harvest_file(db, settings, "paperlists", "CVPR", 2024, sample, complete=False)
    calls = []
    monkeypatch.setattr(registry, "parse_file", lambda *a, **k: calls.append(a))
    again = harvest_file(db, settings, "paperlists", "CVPR", 2024, sample, complete=False)
    assert calls == [] and (again.counts.seen, again.counts.unchanged) == (first.counts.seen, 56)
    assert again.message == f"file unchanged since harvest run {first.run_id}; not read again"
    monkeypatch.undo()
    sample.write_bytes(sample.read_bytes().replace(b"]", b" ]", 1))  # changed bytes: read again
    third = harvest_file(db, settings, "paperlists", "CVPR", 2024, sample, complete=False)
    assert third.counts.unchanged == 56 and "not read again" not in third.message
