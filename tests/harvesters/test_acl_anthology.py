"""ACL Anthology XML parser: volumes as tracks, the PC report skipped, markup flattened."""

from __future__ import annotations

import pytest

from harvesters.acl_anthology import parse_acl_anthology
from papertally.errors import ParseError


@pytest.fixture
def result(fixture_text):
    return parse_acl_anthology(
        fixture_text("acl-anthology/2023.acl_sample.xml"), "ACL", 2023
    )


def _by_id(result):
    return {r.source_id: r for r in result.records}


def test_volumes_map_to_tracks_and_front_matter_is_not_a_paper(result):
    assert [(r.source_id, r.track) for r in result.records] == [
        ("2023.acl-long.1", "long"),
        ("2023.acl-long.2", "long"),
        ("2023.acl-long.77", "long"),
        ("2023.acl-long.237", "long"),
        ("2023.acl-short.1", "short"),
        ("2023.acl-tutorials.1", "tutorial"),
    ]


def test_program_chairs_report_is_skipped_with_reason(result):
    assert len(result.skipped) == 1
    assert "2023.acl-long.report" in result.skipped[0]
    assert "not an integer" in result.skipped[0]
    assert all("Report" not in r.title for r in result.records)


def test_fixed_case_markup_is_flattened(result):
    assert _by_id(result)["2023.acl-long.2"].title == (
        "SafeConv: Explaining and Correcting Conversational Unsafe Behavior"
    )
    assert _by_id(result)["2023.acl-tutorials.1"].title == (
        "Goal Awareness for Conversational AI: Proactivity, Non-collaborativity, and Beyond"
    )


def test_tex_math_is_kept_as_its_text(result):
    assert _by_id(result)["2023.acl-long.237"].title == (
        r"RED^{\textrm{FM}}: a Filtered and Multilingual Relation Extraction Dataset"
    )


def test_authors_have_given_family_affiliation_and_orcid(result):
    paper = _by_id(result)["2023.acl-long.1"]
    assert len(paper.authors) == 8
    jiang = paper.authors[1]
    assert (jiang.name, jiang.given, jiang.family, jiang.position) == (
        "Xin Jiang",
        "Xin",
        "Jiang",
        2,
    )
    assert jiang.affiliations == ("Huawei Noah’s Ark Lab",)
    assert jiang.orcid == "0000-0002-9117-8247"
    assert paper.authors[0].orcid is None


def test_author_id_attribute_is_the_anthology_person_id(result):
    authors = _by_id(result)["2023.acl-long.77"].authors
    assert authors[2].name == "Hao Zhang"
    assert authors[2].anthology_id == "hao-zhang"
    assert authors[0].anthology_id is None


def test_invisible_bidi_marks_are_dropped_from_names(result):
    # The Anthology prints "\u202aPere-Lluís": an invisible LEFT-TO-RIGHT EMBEDDING.
    first = _by_id(result)["2023.acl-long.237"].authors[0]
    assert first.given == "Pere-Lluís"
    assert first.name == "Pere-Lluís Huguet Cabot"


def test_doi_is_bare_lower_case_and_url_is_the_anthology_page(result):
    paper = _by_id(result)["2023.acl-long.1"]
    assert paper.doi == "10.18653/v1/2023.acl-long.1"
    assert paper.url == "https://aclanthology.org/2023.acl-long.1"
    assert (paper.source, paper.venue, paper.year) == ("acl-anthology", "ACL", 2023)


@pytest.mark.parametrize(
    ("volume", "track"),
    [
        ("long", "long"),
        ("short", "short"),
        ("demo", "demo"),
        ("demos", "demo"),
        ("srw", "srw"),
        ("industry", "industry"),
        ("tutorials", "tutorial"),
        ("findings", "findings"),
        ("findings-acl", "findings"),
    ],
)
def test_each_known_volume_id_maps_to_a_track(volume, track):
    xml = (
        f'<collection id="2024.x"><volume id="{volume}"><paper id="3"><title>T</title>'
        f"<url>2024.x-{volume}.3</url><doi>10.18653/V1/2024.X-{volume.upper()}.3</doi>"
        "</paper></volume></collection>"
    )
    record = parse_acl_anthology(xml, "ACL", 2024).records[0]
    assert record.track == track
    assert record.doi == f"10.18653/v1/2024.x-{volume}.3"


def test_unknown_volume_is_skipped_and_reported():
    xml = (
        '<collection id="2024.x"><volume id="keynotes"><paper id="1"><title>T</title>'
        "<url>2024.x-keynotes.1</url></paper></volume></collection>"
    )
    result = parse_acl_anthology(xml, "ACL", 2024)
    assert result.records == []
    assert "'keynotes'" in result.skipped[0] and "unknown volume" in result.skipped[0]


def test_paper_without_url_or_title_is_skipped():
    xml = (
        '<collection id="2024.x"><volume id="long">'
        '<paper id="1"><title>No url</title></paper>'
        '<paper id="2"><url>2024.x-long.2</url></paper>'
        "</volume></collection>"
    )
    result = parse_acl_anthology(xml, "ACL", 2024)
    assert result.records == []
    assert "no <url>" in result.skipped[0]
    assert "2024.x-long.2: no title" in result.skipped[1]


def test_malformed_xml_raises_parse_error_with_line_and_column():
    xml = '<collection id="2024.x">\n  <volume id="long">\n    <paper id="1"><title>T</paper>\n'
    with pytest.raises(ParseError, match=r"line 3, column 29: mismatched tag;"):
        parse_acl_anthology(xml, "ACL", 2024)


def test_wrong_root_element_raises_parse_error():
    with pytest.raises(ParseError, match="expected <collection>"):
        parse_acl_anthology("<html><body/></html>", "ACL", 2024)


def test_emnlp_main_volume_is_the_main_track():
    from harvesters.acl_anthology import parse_acl_anthology

    xml = (
        '<?xml version="1.0" encoding="UTF-8"?><collection id="2023.emnlp">'
        '<volume id="main"><paper id="1"><title>Reading Minds</title>'
        "<author><first>Taro</first><last>Yamada</last></author>"
        "<url>2023.emnlp-main.1</url><doi>10.18653/v1/2023.emnlp-main.1</doi></paper></volume>"
        "</collection>"
    )
    result = parse_acl_anthology(xml, "EMNLP", 2023)
    assert [(r.track, r.source_id) for r in result.records] == [("main", "2023.emnlp-main.1")]
    assert result.skipped == []
