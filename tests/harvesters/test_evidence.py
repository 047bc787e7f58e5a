"""What records say about their own venue-year (harvesters/evidence.py)."""

from __future__ import annotations

import pytest

from harvesters.evidence import contradiction
from harvesters.records import PaperRecord


def rec(i: int, url: str | None = None, **extra) -> PaperRecord:
    return PaperRecord(
        source="x", source_id=f"id{i}", venue="V", year=2024, title=f"Paper {i}",
        authors=(), url=url, extra=extra,
    )


@pytest.mark.parametrize(
    ("url", "venue", "year", "named"),
    [
        ("https://openaccess.thecvf.com/content/CVPR2023/html/A_CVPR_2023_paper.html", "CVPR", 2024, "CVPR 2023"),
        ("https://cvpr.thecvf.com/virtual/2023/poster/21053", "CVPR", 2024, "CVPR 2023"),
        ("https://nips.cc/virtual/2024/poster/99349", "NeurIPS", 2023, "NeurIPS 2024"),
        ("https://www.roboticsproceedings.org/rss19/p001.html", "RSS", 2024, "RSS 2023"),
        ("https://www.ecva.net/papers/eccv_2024/papers_ECCV/html/2130_ECCV_2024_paper.php", "ECCV", 2022, "ECCV 2024"),
        ("https://aclanthology.org/2023.acl-long.1", "ACL", 2024, "ACL 2023"),
        ("https://openaccess.thecvf.com/content/ICCV2023/html/A_ICCV_2023_paper.html", "CVPR", 2023, "ICCV 2023"),
    ],
)
def test_urls_that_name_another_venue_year(url, venue, year, named):
    found = contradiction([rec(1, url), rec(2, url)], venue, year)
    assert found is not None and found.named == named and found.example == url


def test_the_asked_venue_year_agrees():
    url = "https://www.roboticsproceedings.org/rss20/p067.html"
    assert contradiction([rec(1, url)], "RSS", 2024) is None


def test_a_publication_year_may_be_one_off():
    records = [rec(i, publication_year=2025) for i in range(3)]
    assert contradiction(records, "V", 2024) is None  # proceedings of the next year
    found = contradiction(records, "V", 2022)
    assert found is not None and found.named == "V 2025"


def test_a_stray_link_to_another_year_is_not_enough():
    good = [rec(i, f"https://cvpr.thecvf.com/virtual/2024/poster/{i}") for i in range(3)]
    stray = rec(9, "https://cvpr.thecvf.com/virtual/2023/poster/9")
    assert contradiction([*good, stray], "CVPR", 2024) is None
    assert contradiction([rec(i) for i in range(5)], "CVPR", 2024) is None  # no evidence
