"""roboticsproceedings.org (RSS) index parser: papers, DOIs, printed names, layout changes."""

from __future__ import annotations

import pytest

from harvesters.roboticsproceedings import (
    doi_from_url,
    index_url,
    parse_roboticsproceedings,
    rss_doi,
)
from papertally.errors import ParseError

FIXTURE = "roboticsproceedings/rss20_index_sample.html"


def test_index_gives_each_paper_with_key_title_authors_doi_url(fixture_text):
    result = parse_roboticsproceedings(fixture_text(FIXTURE), "RSS", 2024)
    assert [r.source_id for r in result.records] == ["rss20/p001", "rss20/p002", "rss20/p003"]
    first = result.records[0]
    assert first.title == "Stein Variational Ergodic Search"
    assert [a.name for a in first.authors] == [
        "Darrick Lee",
        "Cameron Lerch",
        "Fabio Ramos",
        "Ian Abraham",
    ]
    assert first.doi == "10.15607/rss.2024.xx.001"
    assert first.url == "https://www.roboticsproceedings.org/rss20/p001.html"


def test_last_author_after_and_is_an_author(fixture_text):
    third = parse_roboticsproceedings(fixture_text(FIXTURE), "RSS", 2024).records[2]
    assert [a.name for a in third.authors] == [
        "Alex Oshin",
        "Hassan Almubarak",
        "Evangelos Theodorou",
    ]


def test_paper_listed_twice_is_named(fixture_text):
    result = parse_roboticsproceedings(fixture_text(FIXTURE), "RSS", 2024)
    assert result.skipped == ["entry 3 (rss20/p002): listed twice, kept once"]


def test_page_without_paper_links_is_a_layout_change():
    with pytest.raises(ParseError, match="pNNN.html"):
        parse_roboticsproceedings("<html><a href='authors.html'>x</a></html>", "RSS", 2024)


@pytest.mark.parametrize(
    ("year", "number", "doi"),
    [
        (2023, "54", "10.15607/rss.2023.xix.054"),
        (2024, "067", "10.15607/rss.2024.xx.067"),
        (2025, "126", "10.15607/rss.2025.xxi.126"),
        (2026, "1", "10.15607/rss.2026.xxii.001"),
    ],
)
def test_rss_doi_uses_the_roman_volume(year, number, doi):
    assert rss_doi(year, number) == doi


def test_doi_from_url_reads_pages_and_pdfs_only_of_this_site():
    assert doi_from_url("https://www.roboticsproceedings.org/rss21/p044.pdf") == (
        "10.15607/rss.2025.xxi.044"
    )
    assert doi_from_url("https://roboticsconference.org/program/papers/44/") is None
    assert index_url("https://www.roboticsproceedings.org", 2024) == (
        "https://www.roboticsproceedings.org/rss20/index.html"
    )
