"""ECVA papers page parser (ECCV): one edition's section, markers, DOIs, layout changes."""

from __future__ import annotations

import pytest

from harvesters.ecva import parse_ecva
from papertally.errors import ParseError

FIXTURE = "ecva/papers_sample.html"


def test_only_the_requested_edition_is_read(fixture_text):
    result = parse_ecva(fixture_text(FIXTURE), "ECCV", 2024)
    assert [r.source_id for r in result.records] == [
        "eccv_2024/5894_ECCV_2024",
        "eccv_2024/2130_ECCV_2024",
    ]
    older = parse_ecva(fixture_text(FIXTURE), "ECCV", 2022)
    assert [r.title for r in older.records] == ["An Older Paper"]


def test_title_url_and_springer_doi(fixture_text):
    first = parse_ecva(fixture_text(FIXTURE), "ECCV", 2024).records[0]
    assert first.title == "Visual Alignment Pre-training for Sign Language Translation"
    assert first.url == (
        "https://www.ecva.net/papers/eccv_2024/papers_ECCV/html/5894_ECCV_2024_paper.php"
    )
    assert first.doi == "10.1007/978-3-031-00000-0_1"


def test_corresponding_author_marker_is_not_part_of_the_name(fixture_text):
    first = parse_ecva(fixture_text(FIXTURE), "ECCV", 2024).records[0]
    assert [a.name for a in first.authors] == ["Peiqi Jiao", "Yuecong Min", "Xilin Chen"]


def test_paper_without_doi_link_has_no_doi(fixture_text):
    assert parse_ecva(fixture_text(FIXTURE), "ECCV", 2024).records[1].doi is None


def test_edition_not_on_the_page_names_the_editions_there(fixture_text):
    with pytest.raises(ParseError, match=r"no \"ECCV 2026 Papers\" section \(editions on the page: 2022, 2024\)"):
        parse_ecva(fixture_text(FIXTURE), "ECCV", 2026)


def test_paper_listed_twice_is_named(fixture_text):
    text = fixture_text(FIXTURE)
    body = text.index("<body>")
    entry = text[text.index('<dt class="ptitle">', body) : text.index("</dd>\n<dt", body) + 5]
    doubled = text.replace("</dl>", entry + "</dl>", 1)
    result = parse_ecva(doubled, "ECCV", 2024)
    assert result.skipped == ["entry 2 (eccv_2024/5894_ECCV_2024): listed twice, kept once"]
