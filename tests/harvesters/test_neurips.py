"""NeurIPS proceedings listing parser: main track vs Datasets & Benchmarks by li class."""

from __future__ import annotations

import pytest

from harvesters.neurips import listing_url, parse_neurips
from papertally.errors import ParseError

FIXTURE = "neurips/2023_listing_sample.html"


def test_tracks_come_from_the_li_class(fixture_text):
    result = parse_neurips(fixture_text(FIXTURE), "NeurIPS", 2023)
    assert [r.track for r in result.records] == ["main", "main", "datasets_benchmarks"]
    assert result.records[2].title == "RoboHive: A Unified Framework for Robot Learning"


def test_authors_string_split_in_order(fixture_text):
    paper = parse_neurips(fixture_text(FIXTURE), "NeurIPS", 2023).records[0]
    assert [a.name for a in paper.authors] == [
        "Mehrdad Ghadiri",
        "David Arbour",
        "Tung Mai",
        "Cameron Musco",
        "Anup B. Rao",
    ]
    assert paper.source_id == "00a1b2c3d4e5f60718293a4b5c6d7e8f"
    assert paper.url == (
        "https://proceedings.neurips.cc/paper_files/paper/2023/hash/"
        "00a1b2c3d4e5f60718293a4b5c6d7e8f-Abstract-Conference.html"
    )


def test_older_layout_with_italic_authors_and_track_from_link():
    html = (
        '<ul><li class="none"><a title="paper title" href="/paper_files/paper/2021/hash/'
        'abcdefabcdefabcdefabcdefabcdefab-Abstract-Datasets_and_Benchmarks.html">T</a> '
        "<i>A One, B Two</i></li></ul>"
    )
    paper = parse_neurips(html, "NeurIPS", 2021).records[0]
    assert paper.track == "datasets_benchmarks"
    assert [a.name for a in paper.authors] == ["A One", "B Two"]


def test_unknown_track_is_skipped_with_reason():
    html = (
        '<ul><li class="other"><a href="/paper_files/paper/2021/hash/'
        'abcdefabcdefabcdefabcdefabcdefab-Abstract.html">T</a> <i>A</i></li></ul>'
    )
    result = parse_neurips(html, "NeurIPS", 2021)
    assert result.records == [] and "track unknown" in result.skipped[0]


def test_listing_url():
    assert listing_url("https://proceedings.neurips.cc/", 2024) == (
        "https://proceedings.neurips.cc/paper_files/paper/2024"
    )


@pytest.mark.parametrize(
    "text", ["", "{}", "<html><body><p>Maintenance</p></body></html>"]
)
def test_no_paper_links_is_a_parse_error(text):
    with pytest.raises(ParseError):
        parse_neurips(text, "NeurIPS", 2023)
