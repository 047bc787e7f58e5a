"""Paper Copilot JSON parser: accepted papers only, and each venue's quirks."""

from __future__ import annotations

import json

import pytest

from harvesters.paperlists import parse_paperlists
from papertally.errors import ParseError


def _by_id(result):
    return {r.source_id: r for r in result.records}


def test_icra_doubled_author_list_is_halved(fixture_text):
    result = parse_paperlists(
        fixture_text("paperlists/icra2023_sample.json"), "ICRA", 2023
    )
    paper = _by_id(result)["10161454"]
    assert [a.name for a in paper.authors] == [
        "Lorenzo Rapetti",
        "Carlotta Sartore",
        "Mohamed Elobaid",
        "Yeshasvi Tirupachuri",
        "Francesco Draicchio",
        "Tomohiro Kawakami",
        "Takahide Yoshiike",
        "Daniele Pucci",
    ]
    assert [a.position for a in paper.authors] == list(range(1, 9))


def test_icra_per_author_affiliations_raw_then_normalised(fixture_text):
    paper = _by_id(
        parse_paperlists(fixture_text("paperlists/icra2023_sample.json"), "ICRA", 2023)
    )["10161454"]
    kawakami = paper.authors[5]
    assert kawakami.affiliations == (
        "Honda R&D Co., Ltd., Saitama, Japan",
        "Honda R&D Co., Ltd.",
    )
    assert paper.authors[2].affiliations[-1] == "Italian Institute of Technology"
    assert paper.paper_affiliations == ()


def test_icra_ieee_author_ids_are_bare_and_aligned(fixture_text):
    paper = _by_id(
        parse_paperlists(fixture_text("paperlists/icra2023_sample.json"), "ICRA", 2023)
    )["10161454"]
    assert paper.authors[0].ieee_id == "37087238330"
    assert paper.authors[-1].ieee_id == "37706167200"
    assert paper.url == "https://ieeexplore.ieee.org/document/10161454/"


def test_icra_misaligned_affiliation_index_is_not_assigned(fixture_text):
    # 8 index entries for 6 authors: assigning them would give people the wrong institution.
    paper = _by_id(
        parse_paperlists(fixture_text("paperlists/icra2023_sample.json"), "ICRA", 2023)
    )["10161214"]
    assert len(paper.authors) == 6
    assert all("PhiGent Robotics" not in a.affiliations for a in paper.authors)
    assert paper.authors[1].affiliations == ("PhiGent Robotics, Beijing, China",)


def test_icra_without_affiliations_gives_empty_affiliations(fixture_text):
    paper = _by_id(
        parse_paperlists(fixture_text("paperlists/icra2023_sample.json"), "ICRA", 2023)
    )["10160521"]
    assert [a.affiliations for a in paper.authors] == [()] * 6
    assert paper.authors[3].name == "Tomasz Łuczyński"


def test_author_list_not_exactly_repeated_is_kept_whole():
    entry = {
        "id": "1",
        "title": "T",
        "author": "A B;C D;A B;E F",
        "authorids": "/1;/2;/1;/3",
    }
    paper = parse_paperlists(json.dumps([entry]), "ICRA", 2023).records[0]
    assert [a.name for a in paper.authors] == ["A B", "C D", "A B", "E F"]
    assert [a.ieee_id for a in paper.authors] == ["1", "2", "1", "3"]


def test_icra_raw_affiliations_doubled_like_authors_are_halved():
    entry = {
        "id": "1",
        "title": "T",
        "author": "A B;C D;A B;C D",
        "aff": "X Univ; Y Lab; X Univ; Y Lab",
    }
    paper = parse_paperlists(json.dumps([entry]), "ICRA", 2023).records[0]
    assert [a.affiliations for a in paper.authors] == [("X Univ",), ("Y Lab",)]


def test_cvpr_html_entities_resolved_in_names(fixture_text):
    result = parse_paperlists(
        fixture_text("paperlists/cvpr2024_sample.json"), "CVPR", 2024
    )
    paper = result.records[1]
    assert paper.authors[0].name == "Shin'ya Yamaguchi"
    assert [a.name for a in paper.authors][1:] == [
        "Sekitoshi Kanai",
        "Kazuki Adachi",
        "Daiki Chijiwa",
    ]


def test_cvpr_html_entities_resolved_in_titles():
    entry = {
        "title": "Tom &amp; Jerry&#x27;s Net",
        "author": "A B",
        "oa": "https://x/K_paper.html",
    }
    assert (
        parse_paperlists(json.dumps([entry]), "CVPR", 2024).records[0].title
        == "Tom & Jerry's Net"
    )


def test_cvpr_affiliations_are_paper_level(fixture_text):
    paper = parse_paperlists(
        fixture_text("paperlists/cvpr2024_sample.json"), "CVPR", 2024
    ).records[1]
    assert paper.paper_affiliations == (
        "Kyoto University",
        "NTT, The University of Tokyo",
        "NTT",
    )
    assert all(a.affiliations == () for a in paper.authors)


def test_cvpr_source_id_is_cvf_key_and_url_is_open_access(fixture_text):
    paper = parse_paperlists(
        fixture_text("paperlists/cvpr2024_sample.json"), "CVPR", 2024
    ).records[0]
    assert paper.source_id == (
        "Prach_1-Lipschitz_Layers_Compared_Memory_Speed_and_Certifiable_Robustness_CVPR_2024_paper"
    )
    assert paper.url.startswith(
        "https://openaccess.thecvf.com/content/CVPR2024/html/Prach_"
    )
    assert (paper.source, paper.venue, paper.year, paper.track) == (
        "paperlists",
        "CVPR",
        2024,
        "main",
    )


def test_source_id_falls_back_to_site_url_without_scheme():
    entry = {
        "title": "T",
        "author": "A B",
        "site": "https://cvpr.thecvf.com/virtual/2024/poster/1/",
    }
    paper = parse_paperlists(json.dumps([entry]), "CVPR", 2024).records[0]
    assert paper.source_id == "cvpr.thecvf.com/virtual/2024/poster/1"
    assert paper.url == "https://cvpr.thecvf.com/virtual/2024/poster/1/"


def test_neurips_rejects_are_not_papers(fixture_text):
    result = parse_paperlists(
        fixture_text("paperlists/nips2023_sample.json"), "NeurIPS", 2023
    )
    assert [r.source_id for r in result.records] == [
        "009LK0vLcY",
        "00EKYYu3fD",
        "3sRR2u72oQ",
        "D1MOK2t2t2",
    ]
    assert result.excluded == {"status Reject": 1}
    assert result.skipped == []


@pytest.mark.parametrize(
    "status", ["Reject", "reject", "Withdraw", "Withdrawn", "Desk Reject"]
)
def test_rejected_or_withdrawn_status_is_excluded_case_insensitively(status):
    entries = [
        {"id": "a", "title": "T", "status": status},
        {"id": "b", "title": "U", "status": "Oral"},
    ]
    result = parse_paperlists(json.dumps(entries), "NeurIPS", 2024)
    assert [r.source_id for r in result.records] == ["b"]
    assert result.excluded == {f"status {status}": 1}


def test_neurips_datasets_and_benchmarks_track(fixture_text):
    tracks = {
        r.source_id: r.track
        for r in parse_paperlists(
            fixture_text("paperlists/nips2023_sample.json"), "NeurIPS", 2023
        ).records
    }
    assert tracks == {
        "009LK0vLcY": "main",
        "00EKYYu3fD": "main",
        "3sRR2u72oQ": "datasets_benchmarks",
        "D1MOK2t2t2": "datasets_benchmarks",
    }


def test_neurips_empty_author_string_is_a_paper_with_no_authors(fixture_text):
    paper = _by_id(
        parse_paperlists(
            fixture_text("paperlists/nips2023_sample.json"), "NeurIPS", 2023
        )
    )["3sRR2u72oQ"]
    assert paper.authors == ()
    # NeurIPS 2023's list gives no page, but its ids are OpenReview notes: the forum (and
    # from it the full text) is the paper's page.
    assert paper.url == "https://openreview.net/forum?id=3sRR2u72oQ"


def test_only_openreview_shaped_ids_without_a_page_become_forum_links():
    entries = [
        {"id": "RMeQjexaRj", "title": "A"},  # an OpenReview note id
        {"id": "bf7d951976", "title": "B"},  # Paper Copilot's own hex id (RSS)
        {"id": "site_ea31116628", "title": "C"},
        {"id": "10160459", "title": "D"},  # an IEEE document number
        {"id": "Xy_Z-12345", "title": "E", "site": "https://example.org/e"},
    ]
    urls = {r.title: r.url for r in parse_paperlists(json.dumps(entries), "NeurIPS", 2023).records}
    assert urls == {"A": "https://openreview.net/forum?id=RMeQjexaRj", "B": None, "C": None,
                    "D": None, "E": "https://example.org/e"}


def test_neurips_2023_authors_field_and_2024_author_field(fixture_text):
    n23 = parse_paperlists(
        fixture_text("paperlists/nips2023_sample.json"), "NeurIPS", 2023
    ).records
    n24 = parse_paperlists(
        fixture_text("paperlists/nips2024_sample.json"), "NeurIPS", 2024
    ).records
    assert n23[0].authors[-1].name == "Anup B. Rao"
    assert [a.name for a in n24[0].authors] == [
        "Adrian Sauter",
        "Milan Miletić",
        "Ryan Ott",
        "Rohith Prabakaran",
    ]
    assert n24[0].url == "https://nips.cc/virtual/2024/poster/99349"


def test_neurips_2024_same_title_different_case_stays_two_papers(fixture_text):
    records = parse_paperlists(
        fixture_text("paperlists/nips2024_sample.json"), "NeurIPS", 2024
    ).records
    studies = [
        r for r in records if r.title.casefold().startswith("reproducibility study of")
    ]
    assert len(studies) == 2
    assert {r.source_id for r in studies} == {"site_1e01cf0d59", "site_b4d3e0edcf"}
    assert studies[0].authors[0].name != studies[1].authors[0].name


def test_malformed_entries_are_skipped_with_reason_not_fatal():
    entries = [
        "not an object",
        {"id": "x", "title": "  "},
        {"id": "y"},
        {"id": "z", "title": "Ok"},
    ]
    result = parse_paperlists(json.dumps(entries), "CVPR", 2024)
    assert [r.source_id for r in result.records] == ["z"]
    assert len(result.skipped) == 3
    assert result.skipped[0].startswith("entry 0:") and "string" in result.skipped[0]
    assert "entry 1" in result.skipped[1] and "no title" in result.skipped[1]
    assert "entry 2" in result.skipped[2]


def test_entry_without_any_identifier_is_skipped():
    result = parse_paperlists(
        json.dumps([{"title": "T", "author": "A B"}]), "CVPR", 2024
    )
    assert result.records == []
    assert "no id, oa or site" in result.skipped[0]


def test_top_level_object_raises_parse_error_naming_expected_shape():
    with pytest.raises(ParseError, match="expected a JSON array"):
        parse_paperlists(json.dumps({"results": []}), "CVPR", 2024)


def test_invalid_json_raises_parse_error_with_line_and_column():
    with pytest.raises(ParseError, match=r"line 2, column 16"):
        parse_paperlists('[\n {"title": "T",}]', "CVPR", 2024)


def test_cvpr_doubly_escaped_entity_is_resolved_before_splitting():
    # Real CVPR 2024 byline: "Guido M. D&amp;#x27;Amely di Melendugno".
    entry = {
        "title": "T",
        "oa": "https://x/K_paper.html",
        "author": "Alessandro Flaborea, Guido M. D&amp;#x27;Amely di Melendugno, Leonardo Plini",
    }
    paper = parse_paperlists(json.dumps([entry]), "CVPR", 2024).records[0]
    assert [a.name for a in paper.authors] == [
        "Alessandro Flaborea",
        "Guido M. D'Amely di Melendugno",
        "Leonardo Plini",
    ]


def test_corl_openreview_profile_ids_follow_the_byline(fixture_text):
    # authorids are in byline order; or_profile names Heni Ben Amor as ~Heni_Amor1 and
    # puts people in another order elsewhere: the byline's ids are the ones kept.
    result = parse_paperlists(fixture_text("paperlists/corl2023_sample.json"), "CoRL", 2023)
    paper = _by_id(result)["0hQMcWfjG9"]
    assert [(a.name, a.openreview_id) for a in paper.authors] == [
        ("Xiao Liu", "~Xiao_Liu16"),
        ("Yifan Zhou", "~Yifan_Zhou4"),
        ("Shuhei Ikemoto", "~Shuhei_Ikemoto1"),
        ("Heni Ben Amor", "~Heni_Ben_Amor4"),
    ]
    assert all(a.ieee_id is None for a in paper.authors)


def test_corl_affiliations_orcids_and_dblp_pids_per_author(fixture_text):
    result = parse_paperlists(fixture_text("paperlists/corl2023_sample.json"), "CoRL", 2023)
    ikemoto = _by_id(result)["0hQMcWfjG9"].authors[2]
    assert ikemoto.affiliations == ("Kyushu Institute of Technology",)
    paper = _by_id(result)["5JMGq83yf1N"]
    assert [a.orcid for a in paper.authors] == [
        "0000-0001-6332-2646", None, None, None, "0000-0003-2496-2768",
    ]
    # bare, ".html" and dblp.uni-trier.de URL spellings all give the bare pid
    assert [a.dblp_pid for a in paper.authors] == [None, "149/8180", None, "22/2488", "67/4241"]


def test_ieee_author_ids_are_not_openreview_ids(fixture_text):
    result = parse_paperlists(fixture_text("paperlists/icra2023_sample.json"), "ICRA", 2023)
    assert all(a.openreview_id is None for r in result.records for a in r.authors)
