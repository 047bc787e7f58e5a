"""OpenAlex works parser: envelopes, authorships as printed, funders and awards."""

from __future__ import annotations

import copy
import json

import pytest

from harvesters.openalex import parse_openalex
from papertally.errors import ParseError

JP_GRANTS = "openalex/works_jp_grants_2025-11.json"


@pytest.fixture
def jp_page(fixture_text):
    return json.loads(fixture_text(JP_GRANTS))


def _parse(obj, venue="ACL", year=2020):
    return parse_openalex(json.dumps(obj), venue, year)


def test_list_page_gives_one_record_per_work_in_order(fixture_text):
    result = parse_openalex(fixture_text(JP_GRANTS), "ACL", 2020)
    assert [r.source_id for r in result.records] == ["W3046863325", "W3045921891"]
    assert result.skipped == []
    first = result.records[0]
    assert (first.source, first.venue, first.year, first.track) == (
        "openalex",
        "ACL",
        2020,
        "main",
    )
    assert (
        first.title
        == "Trends of Publications' Citations and Altmetrics Based on Open Access Types"
    )
    assert first.doi == "10.1145/3383583.3398584"


def test_a_page_already_decoded_parses_like_its_text(fixture_text, jp_page):
    # The live fetcher decodes each page for its cursor and hands the document on.
    from_text = parse_openalex(fixture_text(JP_GRANTS), "ACL", 2020)
    from_document = parse_openalex(jp_page, "ACL", 2020)
    assert from_document.records == from_text.records
    assert [r.extra for r in from_document.records] == [r.extra for r in from_text.records]


def test_authorship_uses_raw_name_raw_affiliation_and_bare_ids(fixture_text):
    paper = parse_openalex(fixture_text(JP_GRANTS), "ACL", 2020).records[0]
    nishioka = paper.authors[0]
    assert nishioka.name == "Chifumi Nishioka"
    assert nishioka.position == 1
    assert nishioka.affiliations == ("Kyoto University, Kyoto, Japan",)
    assert nishioka.orcid == "0000-0002-1853-3038"
    assert nishioka.openalex_id == "A5089069811"
    assert nishioka.rors == ("02kpeqv85",)
    assert paper.authors[1].name == "Michael Färber"
    assert paper.authors[1].position == 2


def test_raw_author_name_wins_over_display_name(jp_page):
    work = jp_page["results"][0]
    work["authorships"][0]["raw_author_name"] = "C. Nishioka"
    assert _parse(work).records[0].authors[0].name == "C. Nishioka"


def test_display_name_and_institutions_are_fallbacks(jp_page):
    work = jp_page["results"][0]
    authorship = work["authorships"][0]
    authorship["raw_author_name"] = None
    authorship["raw_affiliation_strings"] = []
    author = _parse(work).records[0].authors[0]
    assert author.name == "Chifumi Nishioka"
    assert author.affiliations == ("Kyoto University",)


def test_legacy_grants_give_funders_only_when_funders_empty_and_split_award_ids(
    jp_page,
):
    work = jp_page["results"][0]
    paper = _parse(work).records[0]
    assert paper.funders == (
        "Japan Society for the Promotion of Science",
        "Japan Science and Technology Agency",
    )
    # "18K13235, 20K20132" is two KAKENHI numbers in one legacy string.
    assert paper.awards == ("18K13235", "20K20132", "JPMJCR19U1")
    work["funders"] = []
    assert _parse(work).records[0].funders == paper.funders
    del work["grants"]
    assert _parse(work).records[0].funders == ()
    assert _parse(work).records[0].awards == ()


def test_awards_take_precedence_over_grants(jp_page):
    work = jp_page["results"][0]
    work["awards"] = [
        {"id": "https://openalex.org/G1", "funder_award_id": "JP22H05015; JP23K00001 "},
        {"id": "https://openalex.org/G2", "funder_award_id": None},
    ]
    assert _parse(work).records[0].awards == ("JP22H05015", "JP23K00001")


def test_funders_from_new_field_in_2026_work_without_grants(fixture_text):
    paper = parse_openalex(
        fixture_text("openalex/work_W2162348455_single_2026-03.json"), "X", 2000
    ).records[0]
    assert paper.source_id == "W2162348455"
    assert paper.funders == (
        "John D. and Catherine T. MacArthur Foundation",
        "WWF International",
    )
    assert paper.awards == ()
    assert paper.authors[1].orcid == "0000-0002-8002-826X"
    assert paper.authors[4].affiliations == (
        "35 Dorchester Close, Headington, Oxford, OX3 8SS, UK",
    )


def test_may_2025_list_with_only_grants(fixture_text):
    result = parse_openalex(
        fixture_text("openalex/works_keypaper_2025-05.json"), "X", 2017
    )
    assert [r.source_id for r in result.records] == ["W2755950973", "W2741809807"]
    lariviere = result.records[1].authors[2]
    assert lariviere.name == "Vincent Larivière"
    assert len(lariviere.affiliations) == 2


def test_null_title_is_skipped_with_reason(fixture_text):
    result = parse_openalex(
        fixture_text("openalex/work_W4234567890_null_title_2026-03.json"), "X", 2020
    )
    assert result.records == []
    assert result.skipped == ["work (W4234567890): title is null or empty"]


def test_url_is_landing_page_else_doi_url(jp_page):
    work = jp_page["results"][1]
    assert _parse(work).records[0].url == "http://arxiv.org/abs/2007.14454"
    work["primary_location"] = None
    assert _parse(work).records[0].url == "https://doi.org/10.48550/arxiv.2007.14454"
    work["doi"] = None
    assert _parse(work).records[0].url is None


def test_array_of_works_and_json_lines_of_pages_are_accepted(jp_page):
    works = jp_page["results"]
    assert [r.source_id for r in _parse(works).records] == [
        "W3046863325",
        "W3045921891",
    ]
    page1 = copy.deepcopy(jp_page)
    page1["results"] = works[:1]
    page2 = copy.deepcopy(jp_page)
    page2["results"] = works[1:]
    empty = {"meta": {"next_cursor": None}, "results": []}
    lines = "\n".join(json.dumps(p) for p in (page1, page2, empty)) + "\n"
    result = parse_openalex(lines, "ACL", 2020)
    assert [r.source_id for r in result.records] == ["W3046863325", "W3045921891"]


def test_json_lines_skipped_work_names_its_line(jp_page):
    bad = copy.deepcopy(jp_page["results"][0])
    bad["title"] = bad["display_name"] = None
    lines = (
        json.dumps({"results": [jp_page["results"][1]]})
        + "\n"
        + json.dumps({"results": [bad]})
    )
    result = parse_openalex(lines, "ACL", 2020)
    assert len(result.records) == 1
    assert result.skipped == [
        "line 2, results[0] (W3046863325): title is null or empty"
    ]


def test_no_venue_filtering_here(jp_page):
    # The JCDL paper is not an ACL paper; the live harvester filters, the parser does not.
    paper = _parse(jp_page, "ACL", 2023).records[0]
    assert (paper.venue, paper.year) == ("ACL", 2023)
    assert paper.extra["raw_source_name"].startswith(
        "Proceedings of the ACM/IEEE Joint"
    )


def test_error_body_raises_parse_error_with_the_message():
    body = {
        "error": "Invalid query parameters error.",
        "message": "foo is not a valid field.",
    }
    with pytest.raises(
        ParseError, match="OpenAlex error response.*foo is not a valid field"
    ):
        _parse(body)


def test_group_by_response_raises_parse_error():
    with pytest.raises(ParseError, match="group_by"):
        _parse({"meta": {}, "group_by": [{"key": "article", "count": 3}]})


def test_unknown_object_raises_parse_error_naming_the_expected_shapes():
    with pytest.raises(ParseError, match="expected an OpenAlex /works response"):
        _parse({"foo": 1})


def test_malformed_json_raises_parse_error_with_line_and_column():
    with pytest.raises(ParseError, match=r"line 3, column 1"):
        parse_openalex('{"results": [\n {"id": "W1"},\n', "X", 2020)


def test_malformed_json_lines_names_the_line():
    text = '{"results": []}\n{"results": [}\n'
    with pytest.raises(
        ParseError, match=r"JSON lines, line 2: not valid JSON at line 1, column 14"
    ):
        parse_openalex(text, "X", 2020)


@pytest.mark.parametrize(
    "doi, track",
    [
        ("10.18653/v1/2023.acl-long.1", "long"),
        ("10.18653/v1/2024.acl-short.12", "short"),
        ("10.18653/v1/2023.findings-acl.5", "findings"),
        ("10.18653/v1/2023.acl-demo.3", "demo"),
        ("10.18653/v1/2023.acl-unknownvolume.3", "main"),
        ("10.1109/cvpr52733.2024.00042", "main"),
        (None, "main"),
    ],
)
def test_the_track_comes_from_an_anthology_doi(doi, track):
    work = {"id": "https://openalex.org/W1", "title": "T", "doi": doi and f"https://doi.org/{doi}"}
    (record,) = _parse(work).records
    assert record.track == track
