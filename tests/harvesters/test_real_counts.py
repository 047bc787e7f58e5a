"""The parsers against the full real files in ../shared/data: the counts issue 2 requires."""

from __future__ import annotations

from collections import Counter

import pytest

from harvesters.registry import parse_file
from matching.text import normalise_title

from .conftest import SHARED_DATA

pytestmark = [
    pytest.mark.realdata,
    pytest.mark.skipif(
        not SHARED_DATA.is_dir(),
        reason=f"real data not found at {SHARED_DATA} (clone shared/ beside the repo to run)",
    ),
]


def _parse(source: str, name: str, venue: str, year: int):
    path = SHARED_DATA / name
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    return parse_file(source, path, venue, year)


@pytest.mark.parametrize(
    ("name", "venue", "year", "expected"),
    [
        ("paperlists/cvpr2023.json", "CVPR", 2023, 2359),
        ("paperlists/cvpr2024.json", "CVPR", 2024, 2716),
        ("paperlists/icra2023.json", "ICRA", 2023, 1341),
    ],
)
def test_paperlists_paper_counts(name, venue, year, expected):
    result = _parse("paperlists", name, venue, year)
    assert len(result.records) == expected
    assert result.skipped == []
    assert len({r.source_id for r in result.records}) == expected


def test_neurips_2023_accepted_of_all_entries_all_tracks():
    result = _parse("paperlists", "paperlists/nips2023.json", "NeurIPS", 2023)
    assert len(result.records) == 3540
    assert len(result.records) + sum(result.excluded.values()) == 3732
    assert result.excluded == {"status Reject": 192}
    assert Counter(r.track for r in result.records) == {
        "main": 3218,
        "datasets_benchmarks": 322,
    }
    assert sum(1 for r in result.records if not r.authors) == 2


def test_neurips_2024_keeps_both_reproducibility_studies_with_one_title():
    result = _parse("paperlists", "paperlists/nips2024.json", "NeurIPS", 2024)
    assert len(result.records) == 4553
    by_title = Counter(normalise_title(r.title) for r in result.records)
    twice = [title for title, n in by_title.items() if n > 1]
    assert len(twice) == 1
    studies = [r for r in result.records if normalise_title(r.title) == twice[0]]
    assert len({r.source_id for r in studies}) == 2
    assert {a.name for a in studies[0].authors}.isdisjoint(
        {a.name for a in studies[1].authors}
    )


def test_icra_2023_authors_halved_and_mostly_affiliated():
    result = _parse("paperlists", "paperlists/icra2023.json", "ICRA", 2023)
    authors = [a for r in result.records for a in r.authors]
    assert all(a.ieee_id for a in authors)
    assert sum(1 for a in authors if a.affiliations) / len(authors) > 0.95


@pytest.mark.parametrize(("year", "expected"), [(2023, 1074), (2024, 940)])
def test_acl_long_plus_short(year, expected):
    result = _parse("acl-anthology", f"acl-anthology/{year}.acl.xml", "ACL", year)
    assert sum(1 for r in result.records if r.track in {"long", "short"}) == expected
    assert len({r.source_id for r in result.records}) == len(result.records)


def test_acl_2023_program_chairs_report_is_the_only_skip():
    result = _parse("acl-anthology", "acl-anthology/2023.acl.xml", "ACL", 2023)
    assert len(result.skipped) == 1 and "2023.acl-long.report" in result.skipped[0]
    assert len(result.records) == 1248


@pytest.mark.parametrize(
    ("name", "venue", "year", "papers", "authors", "affiliated", "openreview", "orcid", "dblp"),
    [
        ("paperlists/corl2023.json", "CoRL", 2023, 199, 1148, 1012, 1112, 203, 577),
        ("paperlists/corl2024.json", "CoRL", 2024, 264, 1526, 1339, 1473, 312, 723),
        ("paperlists/corl2025.json", "CoRL", 2025, 263, 1751, 1464, 1691, 412, 687),
        ("paperlists/rss2024.json", "RSS", 2024, 134, 897, 546, 0, 0, 0),
        ("paperlists/rss2025.json", "RSS", 2025, 163, 1024, 746, 0, 0, 0),
        ("paperlists/iros2023.json", "IROS", 2023, 1195, 5523, 5440, 0, 0, 0),
    ],
)
def test_robotics_lists_exact_counts_with_per_author_ids(
    name, venue, year, papers, authors, affiliated, openreview, orcid, dblp
):
    result = _parse("paperlists", name, venue, year)
    assert len(result.records) == papers
    assert result.skipped == [] and result.excluded == {}
    assert len({r.source_id for r in result.records}) == papers
    mentions = [a for r in result.records for a in r.authors]
    assert len(mentions) == authors
    assert sum(1 for a in mentions if a.affiliations) == affiliated
    assert sum(1 for a in mentions if a.openreview_id) == openreview
    assert sum(1 for a in mentions if a.orcid) == orcid
    assert sum(1 for a in mentions if a.dblp_pid) == dblp


def test_corl_2025_double_affiliations_are_split():
    result = _parse("paperlists", "paperlists/corl2025.json", "CoRL", 2025)
    mentions = [a for r in result.records for a in r.authors]
    assert not any("+" in aff for a in mentions for aff in a.affiliations)


def test_iros_2023_ieee_ids_for_every_author_and_japanese_affiliations():
    result = _parse("paperlists", "paperlists/iros2023.json", "IROS", 2023)
    assert all(a.ieee_id for r in result.records for a in r.authors)
    japan = [
        r
        for r in result.records
        if any("Japan" in aff for a in r.authors for aff in a.affiliations)
    ]
    assert len(japan) == 66


@pytest.mark.parametrize(("year", "with_doi"), [(2024, 134), (2025, 160)])
def test_rss_dois_from_roboticsproceedings_links(year, with_doi):
    result = _parse("paperlists", f"paperlists/rss{year}.json", "RSS", year)
    dois = [r.doi for r in result.records if r.doi]
    assert len(dois) == len(set(dois)) == with_doi
