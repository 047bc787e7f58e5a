"""dblp TOC search API parser: papers, pids, homonym suffixes, editorship left out."""

from __future__ import annotations

import json

import pytest

from harvesters.dblp import parse_dblp, split_homonym, toc_key
from papertally.errors import ParseError

FIXTURE = "dblp/icra2024_toc_sample.json"


def test_papers_without_the_proceedings_volume(fixture_text):
    result = parse_dblp(fixture_text(FIXTURE), "ICRA", 2024)
    assert [r.source_id for r in result.records] == [
        "conf/icra/WangH24",
        "conf/icra/Suzuki24",
        "conf/icra/GarciaW24",
    ]
    assert result.excluded == {"type Editorship": 1}


def test_title_trailing_period_dropped_and_doi_bare(fixture_text):
    paper = parse_dblp(fixture_text(FIXTURE), "ICRA", 2024).records[0]
    assert paper.title == "Learning Dexterous Grasping from Multimodal Demonstrations"
    assert paper.doi == "10.1109/icra57147.2024.10610001"


def test_homonym_suffix_kept_as_printed_and_usable_split(fixture_text):
    wang = parse_dblp(fixture_text(FIXTURE), "ICRA", 2024).records[0].authors[0]
    assert wang.name == "Wei Wang 0042"
    assert (wang.given, wang.family) == ("Wei", "Wang")
    assert wang.dblp_pid == "01/2345"


def test_single_author_object_and_entities(fixture_text):
    records = parse_dblp(fixture_text(FIXTURE), "ICRA", 2024).records
    assert [a.name for a in records[1].authors] == ["Kenji Suzuki"]
    assert records[1].authors[0].given is None  # no suffix: the matcher splits the name
    assert records[2].authors[0].name == "María García"
    assert (
        records[2].doi is None
        and records[2].url == "https://dblp.org/rec/conf/icra/GarciaW24"
    )


def test_pages_as_json_lines_dedupe_overlaps(fixture_text):
    page = json.dumps(json.loads(fixture_text(FIXTURE)))
    assert len(parse_dblp(page + "\n" + page + "\n", "ICRA", 2024).records) == 3


@pytest.mark.parametrize(
    ("printed", "expected"),
    [
        ("Wei Wang 0042", ("Wei Wang", "0042")),
        ("Wei Wang", ("Wei Wang", None)),
        ("Louis XIV 1638", ("Louis XIV", "1638")),
        ("R2D2", ("R2D2", None)),
    ],
)
def test_split_homonym(printed, expected):
    assert split_homonym(printed) == expected


def test_toc_key_default_and_configured():
    assert toc_key("ICRA", 2024) == "db/conf/icra/icra2024.bht"
    assert (
        toc_key("ICRA", 2024, "db/conf/icra/icra2024-1.bht")
        == "db/conf/icra/icra2024-1.bht"
    )


@pytest.mark.parametrize(
    "text", ['{"result": {"hits": ', '{"result": {}}', "<html>error</html>"]
)
def test_not_a_search_result_is_a_parse_error(text):
    with pytest.raises(ParseError):
        parse_dblp(text, "ICRA", 2024)
