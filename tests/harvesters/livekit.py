"""Helpers for the live-harvest tests: settings with a temporary cache, a no-wait client,
and small source bodies built from the fixtures."""

from __future__ import annotations

import json
from pathlib import Path

import responses
from responses import matchers

from harvesters.http import make_client
from papertally.config import HarvestJob

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
OA = "https://api.openalex.org"
OA_IDS = ("S4363607701", "S4363608181")


def live_settings(
    settings, tmp_path, *, expected: dict | None = None, min_ratio: float = 0.8
):
    """The repo's settings with the HTTP cache in tmp_path, no backoff, OpenAlex source IDs
    for CVPR 2024, and expected_papers only where `expected` says ({("CVPR", 2024): 3})."""
    expected = expected or {}
    venues = {}
    for key, venue in settings.venues.items():
        editions = {
            year: ed.model_copy(update={"expected_papers": expected.get((key, year))})
            for year, ed in venue.editions.items()
        }
        venues[key] = venue.model_copy(update={"editions": editions})
    sources = dict(settings.sources)
    sources["openalex"] = sources["openalex"].model_copy(
        update={"venue_ids": {"CVPR 2024": OA_IDS}, "min_coverage": None}
    )
    return settings.model_copy(
        update={
            "venues": venues,
            "sources": sources,
            "http": settings.http.model_copy(
                update={
                    "cache_dir": str(tmp_path / "cache"),
                    "backoff_seconds": 0.0,
                    "max_pages": 20,
                }
            ),
            "coverage": settings.coverage.model_copy(update={"min_ratio": min_ratio}),
        }
    )


def client_for(settings, waits: list | None = None):
    """The shared client of these settings, waiting nowhere (waits are recorded)."""
    return make_client(
        settings, sleep=(waits.append if waits is not None else lambda s: None)
    )


def job(source: str, venue: str, year: int) -> HarvestJob:
    return HarvestJob(source=source, venue=venue, year=year)


def fixture(relative: str) -> str:
    return (FIXTURES / relative).read_text(encoding="utf-8")


def oa_works() -> list[dict]:
    return json.loads(fixture("openalex/works_jp_grants_2025-11.json"))["results"]


def oa_page(works: list[dict], count: int, next_cursor: str | None) -> dict:
    return {
        "meta": {
            "count": count,
            "page": None,
            "per_page": 100,
            "next_cursor": next_cursor,
        },
        "results": works,
        "group_by": [],
    }


# Live URLs of each source for the venue-years the tests use.
URLS = {
    "paperlists": "https://raw.githubusercontent.com/papercopilot/paperlists/main/cvpr/cvpr2024.json",
    "acl-anthology": "https://raw.githubusercontent.com/acl-org/acl-anthology/master/data/xml/2023.acl.xml",
    "cvf": "https://openaccess.thecvf.com/CVPR2024",
    "neurips": "https://proceedings.neurips.cc/paper_files/paper/2023",
    "openreview": "https://api2.openreview.net/notes",
    "dblp": "https://dblp.org/search/publ/api",
    "openalex": f"{OA}/works",
}


def serve(source: str) -> None:
    """Register the fixture bodies of one source at its live URLs."""
    if source == "paperlists":
        responses.get(
            URLS[source],
            body=fixture("paperlists/cvpr2024_sample.json"),
            headers={"ETag": '"pl1"'},
        )
    elif source == "acl-anthology":
        responses.get(
            URLS[source],
            body=fixture("acl-anthology/2023.acl_sample.xml"),
            headers={"Last-Modified": "Mon, 01 Jan 2024 00:00:00 GMT"},
        )
    elif source == "cvf":
        responses.get(
            URLS[source],
            body=fixture("cvf/CVPR2024_listing_sample.html"),
            headers={"ETag": '"cvf1"'},
        )
    elif source == "neurips":
        responses.get(URLS[source], body=fixture("neurips/2023_listing_sample.html"))
    elif source == "openreview":
        data = json.loads(fixture("openreview/neurips2024_notes_sample.json"))
        responses.get(
            URLS[source],
            json={"notes": data["notes"], "count": 4},
            match=[matchers.query_param_matcher({"offset": "0"}, strict_match=False)],
        )
        responses.get(
            "https://api2.openreview.net/profiles", json={"profiles": data["profiles"]}
        )
    elif source == "dblp":
        responses.get(URLS[source], body=fixture("dblp/icra2024_toc_sample.json"))
    elif source == "openalex":
        works = oa_works()
        responses.get(
            URLS[source],
            json=oa_page(works[:1], 2, None),
            match=[matchers.query_param_matcher({"per-page": "1"}, strict_match=False)],
        )
        responses.get(
            URLS[source],
            json=oa_page(works, 2, "c2"),
            match=[matchers.query_param_matcher({"cursor": "*"}, strict_match=False)],
        )
        responses.get(
            URLS[source],
            json=oa_page([], 2, None),
            match=[matchers.query_param_matcher({"cursor": "c2"}, strict_match=False)],
        )
