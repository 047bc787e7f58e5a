"""Paper Copilot lists of robotics venues (CoRL, RSS, IROS): per-author ids and affiliations."""

from __future__ import annotations

from harvesters.paperlists import parse_paperlists


def _by_id(result):
    return {r.source_id: r for r in result.records}


def _corl(fixture_text):
    return _by_id(parse_paperlists(fixture_text("paperlists/corl_sample.json"), "CoRL", 2025))


def test_corl_plus_joined_affiliations_are_two_affiliations(fixture_text):
    paper = _corl(fixture_text)["06YyNxzwae"]
    assert paper.authors[0].affiliations == ("Princeton University", "University of Utah")
    assert paper.authors[3].affiliations == ("NVIDIA", "University of Utah")
    assert paper.authors[1].affiliations == ("University of Utah",)


def test_corl_affiliation_without_department_loses_its_leading_comma(fixture_text):
    # ", University of Utah": the department before the comma is empty.
    assert _corl(fixture_text)["06YyNxzwae"].authors[2].affiliations == ("University of Utah",)


def test_corl_openreview_profile_ids_are_kept_per_author(fixture_text):
    paper = _corl(fixture_text)["06YyNxzwae"]
    assert [a.openreview_id for a in paper.authors] == [
        "~Yixuan_Huang1",
        "~Novella_Alvina1",
        "~Mohanraj_Devendran_Shanthi1",
        "~Tucker_Hermans2",
    ]
    assert all(a.ieee_id is None for a in paper.authors)


def test_corl_orcid_and_dblp_url_become_bare_ids_on_the_right_author(fixture_text):
    paper = _corl(fixture_text)["06YyNxzwae"]
    assert [a.orcid for a in paper.authors] == [None, None, None, "0000-0003-2496-2768"]
    assert [a.dblp_pid for a in paper.authors] == [None, None, None, "67/4241"]
    bare = _corl(fixture_text)["-3G6_D66Aua"]
    assert [a.dblp_pid for a in bare.authors] == [None, None, "129/2382"]


def test_corl_bare_semicolon_affiliations_align_with_the_byline(fixture_text):
    paper = _corl(fixture_text)["-3G6_D66Aua"]
    assert paper.authors[1].affiliations == (
        "School of Engineering and Applied Science, University of Pennsylvania",
        "University of Pennsylvania",
    )


def test_corl_empty_per_author_fields_mean_not_given(fixture_text):
    paper = _corl(fixture_text)["0M7JiV1GFN"]
    assert [a.affiliations for a in paper.authors] == [
        (),
        ("University of Cambridge",),
        ("University of Cambridge",),
        (),
    ]
    assert all(a.orcid is None and a.dblp_pid is None for a in paper.authors)
    assert paper.authors[0].openreview_id == "~Zhan_Gao1"


def test_dblp_placeholder_is_not_an_id():
    entry = {
        "id": "x",
        "title": "T",
        "author": "A B;C D",
        "authorids": "~A_B1;~C_D1",
        "dblp": "1234567;https://dblp.org/pid/f/ChelseaFinn.html",
    }
    paper = parse_paperlists(__import__("json").dumps([entry]), "CoRL", 2025).records[0]
    assert [a.dblp_pid for a in paper.authors] == [None, "f/ChelseaFinn"]


def test_plus_inside_a_name_is_kept_when_nothing_confirms_two_parts():
    entry = {
        "id": "x",
        "title": "T",
        "author": "A B;C D",
        "aff": "AI+X Lab;Other",
        "aff_unique_index": "0;1",
        "aff_domain": "aix.org;other.org",
    }
    paper = parse_paperlists(__import__("json").dumps([entry]), "CoRL", 2025).records[0]
    assert paper.authors[0].affiliations == ("AI+X Lab",)


def _rss(fixture_text):
    return _by_id(parse_paperlists(fixture_text("paperlists/rss_sample.json"), "RSS", 2024))


def test_rss_empty_affiliation_strings_give_no_affiliation(fixture_text):
    paper = _rss(fixture_text)["bf7d951976"]
    assert len(paper.authors) == 6
    assert [a.affiliations for a in paper.authors] == [()] * 6


def test_rss_three_affiliations_with_their_normalised_names(fixture_text):
    wen = _rss(fixture_text)["e130e9a510"].authors[0]
    assert wen.affiliations == (
        "UC Berkeley",
        "IIIS, Tsinghua University",
        "Shanghai Qi Zhi Institute",
        "University of California, Berkeley",
        "Tsinghua University",
    )


def test_rss_doi_from_the_roboticsproceedings_link(fixture_text):
    records = _rss(fixture_text)
    assert records["bf7d951976"].doi == "10.15607/rss.2024.xx.067"
    # RSS 2025 (rss21) carries only the PDF link.
    assert records["44"].doi == "10.15607/rss.2025.xxi.044"


def test_iros_doubled_byline_full_addresses_and_ieee_ids(fixture_text):
    paper = parse_paperlists(
        fixture_text("paperlists/iros2023_sample.json"), "IROS", 2023
    ).records[0]
    assert [a.name for a in paper.authors] == [
        "Masahiko Osada",
        "Guangwei Zhang",
        "Shunsuke Yoshimoto",
        "Akio Yamamoto",
    ]
    assert paper.authors[0].affiliations == (
        "Frontier Robotics, Honda R&D Co. Ltd., Saitama, Japan",
        "Honda R&D Co. Ltd.",
    )
    assert paper.authors[0].ieee_id == "37995161400"
    assert paper.authors[0].openreview_id is None
    assert paper.doi is None
