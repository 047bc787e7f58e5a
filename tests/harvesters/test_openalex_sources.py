"""Finding a venue-year's OpenAlex source IDs (HTTP mocked with responses).

The /sources answers are built from the Source fields documented in
../shared/data/OPENALEX_FORMAT_NOTES.md (section 4); no recorded /sources page exists here.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from harvesters import openalex as oa
from harvesters.http import make_client
from papertally.cli import main
from papertally.errors import HarvestError

BASE = "https://api.openalex.org"
SOURCES = [
    # A journal with a similar name and many works: found by the search, never suggested.
    {"id": "https://openalex.org/S1000", "display_name": "Pattern Recognition",
     "type": "journal", "works_count": 24000},
    {"id": "https://openalex.org/S2022", "type": "conference", "works_count": 2400,
     "display_name": "2022 IEEE/CVF Conference on Computer Vision and Pattern Recognition (CVPR)"},
    {"id": "https://openalex.org/S2026", "type": "conference", "works_count": 4100,
     "display_name": "2026 IEEE/CVF Conference on Computer Vision and Pattern Recognition (CVPR)"},
]
IN_2026 = {"S1000": 3, "S2022": 0, "S2026": 4089}


def fake_openalex(sources=SOURCES):
    """/sources answers the search; /works answers count calls per source for 2026."""
    counted: list[str] = []

    def works(request):
        params = {k: v[0] for k, v in parse_qs(urlsplit(request.url).query).items()}
        source = params["filter"].split("locations.source.id:")[1].split(",")[0]
        assert "publication_year:2026" in params["filter"] and params["per-page"] == "1"
        counted.append(source)
        body = {"meta": {"count": IN_2026[source]}, "results": [], "group_by": []}
        return 200, {}, json.dumps(body)

    responses.add(
        responses.GET,
        f"{BASE}/sources",
        json={"meta": {"count": len(sources)}, "results": sources, "group_by": []},
    )
    responses.add_callback(responses.GET, f"{BASE}/works", callback=works)
    return counted


@responses.activate
def test_candidates_naming_the_year_or_venue_come_first_with_their_works_of_the_year(settings):
    counted = fake_openalex()
    found = oa.find_sources(
        make_client(settings), BASE, venue="CVPR", year=2026,
        name="IEEE/CVF Conference on Computer Vision and Pattern Recognition",
    )
    assert [c.source_id for c in found] == ["S2026", "S2022", "S1000"]
    assert [c.works_in_year for c in found] == [4089, 0, 3]
    search = parse_qs(urlsplit(responses.calls[0].request.url).query)
    assert search["search"] == ["2026 IEEE/CVF Conference on Computer Vision and Pattern Recognition"]
    assert search["select"] == ["id,display_name,type,works_count"]
    assert counted == ["S2026", "S2022", "S1000"]


@responses.activate
def test_only_the_first_candidates_are_counted(settings):
    counted = fake_openalex()
    found = oa.find_sources(make_client(settings), BASE, venue="CVPR", year=2026, name="x", limit=1)
    assert counted == ["S2026"]  # one priced count call, not three
    assert [c.works_in_year for c in found] == [4089, None, None]


@responses.activate
def test_the_command_prints_the_config_line_for_the_edition_only(settings, capsys):
    fake_openalex()
    main(["openalex-sources", "--venue", "cvpr", "--year", "2026"])
    out = capsys.readouterr().out
    assert '"CVPR 2026" = ["S2026"]' in out  # not the 2022 edition, not the journal
    assert "S1000" in out and "Pattern Recognition" in out  # listed for the record


@responses.activate
def test_no_edition_with_works_says_so_instead_of_suggesting(settings, capsys):
    fake_openalex(SOURCES[:2])
    main(["openalex-sources", "--venue", "CVPR", "--year", "2026"])
    out = capsys.readouterr().out
    assert "= [" not in out and "may not be indexed yet" in out


@responses.activate
def test_an_answer_that_is_not_a_sources_list_is_a_clear_error(settings):
    responses.add(responses.GET, f"{BASE}/sources", body='{"meta": {"count": 3}, "resu')
    with pytest.raises(HarvestError) as err:
        oa.find_sources(make_client(settings), BASE, venue="CVPR", year=2026, name="x")
    assert "CVPR 2026" in str(err.value) and "/sources?search=" in str(err.value)
