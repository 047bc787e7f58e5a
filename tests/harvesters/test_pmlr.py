"""PMLR volume page parser (ICML, CoRL): papers, printed names, sections, layout changes."""

from __future__ import annotations

import pytest

from harvesters.pmlr import parse_pmlr, volume_url
from papertally.errors import ParseError

FIXTURE = "pmlr/v305_volume_sample.html"


def test_volume_gives_each_paper_with_key_title_authors_url(fixture_text):
    result = parse_pmlr(fixture_text(FIXTURE), "CoRL", 2025)
    assert [r.source_id for r in result.records] == [
        "v305/agia25a",
        "v305/aoyama25a",
        "v305/katsumata25a",
    ]
    poke = result.records[1]
    assert poke.title == "Poke and Strike: Learning Task-Informed Exploration Policies"
    assert [a.name for a in poke.authors] == [
        "Marina Y. Aoyama",
        "Joao Moura",
        "Juan Del Aguila Ferrandis",
        "Sethu Vijayakumar",
    ]
    assert [a.position for a in poke.authors] == [1, 2, 3, 4]
    assert poke.url == "https://proceedings.mlr.press/v305/aoyama25a.html"
    assert (poke.venue, poke.year, poke.track) == ("CoRL", 2025, "main")


def test_section_and_openreview_forum_are_kept(fixture_text):
    poke = parse_pmlr(fixture_text(FIXTURE), "CoRL", 2025).records[1]
    assert poke.extra == {"section": "Poster", "openreview_forum": "SUqMCzslNH"}


def test_a_key_listed_twice_is_named_and_kept_once(fixture_text):
    result = parse_pmlr(fixture_text(FIXTURE), "CoRL", 2025)
    assert result.skipped == ["entry 3 (v305/agia25a): listed twice, kept once"]
    assert len(result.records[0].authors) == 8


def test_paper_without_abs_link_is_skipped_with_its_title(fixture_text):
    text = fixture_text(FIXTURE).replace(
        '<p class="rss-subscribe">',
        '<div class="paper"><p class="title">Lost Links</p><p class="details">'
        '<span class="authors">A B</span></p><p class="links"></p></div><p class="rss-subscribe">',
    )
    result = parse_pmlr(text, "CoRL", 2025)
    assert result.skipped[-1] == "entry 4 ('Lost Links'): no title or no abs link"
    assert len(result.records) == 3


def test_page_without_paper_divs_is_a_layout_change():
    with pytest.raises(ParseError, match="no <div class=\"paper\"> entries"):
        parse_pmlr("<html><body><p>Volume 305</p></body></html>", "CoRL", 2025)


def test_volume_url_accepts_both_spellings():
    assert volume_url("https://proceedings.mlr.press/", "305") == "https://proceedings.mlr.press/v305/"
    assert volume_url("https://mirror.example/pmlr", "v229") == "https://mirror.example/pmlr/v229/"
