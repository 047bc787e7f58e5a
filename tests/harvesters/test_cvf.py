"""CVF Open Access listing parser: main-conference papers, printed names, layout changes."""

from __future__ import annotations

import pytest

from harvesters.cvf import listing_url, parse_cvf
from papertally.errors import ParseError

FIXTURE = "cvf/CVPR2024_listing_sample.html"


def test_listing_gives_every_paper_with_key_title_authors_and_url(fixture_text):
    result = parse_cvf(fixture_text(FIXTURE), "CVPR", 2024)
    assert [r.source_id for r in result.records] == [
        "Prach_1-Lipschitz_Layers_Compared_Memory_Speed_and_Certifiable_Robustness_CVPR_2024",
        "Deng_2S-UDF_A_Novel_Two-stage_UDF_Learning_Method_for_Robust_Non-watertight_CVPR_2024",
        "Yamaguchi_Adaptive_Random_Feature_Regularization_on_Fine-tuning_Deep_Neural_Networks_CVPR_2024",
    ]
    first = result.records[0]
    assert (
        first.title
        == "1-Lipschitz Layers Compared: Memory Speed and Certifiable Robustness"
    )
    assert [a.name for a in first.authors] == [
        "Bernd Prach",
        "Fabio Brau",
        "Giorgio Buttazzo",
        "Christoph H. Lampert",
    ]
    assert [a.position for a in first.authors] == [1, 2, 3, 4]
    assert first.url == (
        "https://openaccess.thecvf.com/content/CVPR2024/html/Prach_1-Lipschitz_Layers_Compared_"
        "Memory_Speed_and_Certifiable_Robustness_CVPR_2024_paper.html"
    )
    assert first.track == "main" and first.venue == "CVPR" and first.year == 2024
    assert result.skipped == []


def test_links_resolve_against_a_mirror_base_url_with_a_path(fixture_text):
    mirror = parse_cvf(fixture_text(FIXTURE), "CVPR", 2024, base_url="https://mirror.example/cvf")
    assert mirror.records[0].url.startswith(
        "https://mirror.example/cvf/content/CVPR2024/html/Prach_1-Lipschitz"
    )


def test_html_entities_in_names_are_resolved(fixture_text):
    paper = parse_cvf(fixture_text(FIXTURE), "CVPR", 2024).records[2]
    assert paper.authors[0].name == "Shin'ya Yamaguchi"


def test_pdf_and_bibtex_block_do_not_add_authors(fixture_text):
    paper = parse_cvf(fixture_text(FIXTURE), "CVPR", 2024).records[0]
    assert len(paper.authors) == 4


def test_workshop_links_are_not_main_conference(fixture_text):
    text = fixture_text(FIXTURE).replace(
        "</dl>",
        '<dt class="ptitle"><br><a href="/content/CVPR2024W/ABAW/html/Foo_Bar_CVPRW_2024_paper.html">'
        'A Workshop Paper</a></dt><dd><form class="authsearch"><input type="hidden" '
        'name="query_author" value="A B"></form></dd></dl>',
    )
    result = parse_cvf(text, "CVPR", 2024)
    assert len(result.records) == 3
    assert "workshop" in result.skipped[0]


def test_listing_name_from_config_overrides_default():
    assert (
        listing_url("https://x.org/", "CVPR", 2024) == "https://x.org/CVPR2024?day=all"
    )
    assert (
        listing_url("https://x.org", "ICCV", 2023, "ICCV2023")
        == "https://x.org/ICCV2023?day=all"
    )


@pytest.mark.parametrize(
    "text",
    [
        "",
        "just text, no markup",
        "<html><body><ul><li>a changed layout</li></ul></body></html>",
    ],
)
def test_no_ptitle_entries_is_a_parse_error_saying_layout_changed(text):
    with pytest.raises(ParseError, match="ptitle|not HTML"):
        parse_cvf(text, "CVPR", 2024)


def test_entry_without_link_is_skipped_not_fatal(fixture_text):
    text = fixture_text(FIXTURE).replace(
        "</dl>", '<dt class="ptitle"><br>Title without link</dt><dd></dd></dl>'
    )
    result = parse_cvf(text, "CVPR", 2024)
    assert len(result.records) == 3 and len(result.skipped) == 1


def test_fast_path_and_tolerant_parser_agree(fixture_text, monkeypatch):
    from harvesters import cvf

    text = fixture_text(FIXTURE)
    assert cvf._fast_entries(text) is not None  # the fixture uses CVF's exact markup
    fast = parse_cvf(text, "CVPR", 2024)
    monkeypatch.setattr(cvf, "_fast_entries", lambda _text: None)
    assert parse_cvf(text, "CVPR", 2024).records == fast.records


def test_deviating_markup_falls_back_to_the_tolerant_parser(fixture_text):
    from harvesters import cvf

    text = fixture_text(FIXTURE).replace(
        '<dt class="ptitle"><br><a href="/content/CVPR2024/html/Deng',
        "<dt class='ptitle'><br/><a title='x' href=\"/content/CVPR2024/html/Deng",
    )
    assert cvf._fast_entries(text) is None
    assert len(parse_cvf(text, "CVPR", 2024).records) == 3
