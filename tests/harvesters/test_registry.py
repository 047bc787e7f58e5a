"""The file-parser registry: reads a saved file and names it in every error."""

from __future__ import annotations

import pytest

from harvesters.acl_anthology import parse_acl_anthology
from harvesters.openalex import parse_openalex
from harvesters.paperlists import parse_paperlists
from harvesters.registry import FILE_PARSERS, parse_file
from papertally.errors import PapertallyError, ParseError

from .conftest import FIXTURES


def test_registry_names_every_file_source():
    from harvesters.cvf import parse_cvf
    from harvesters.dblp import parse_dblp
    from harvesters.neurips import parse_neurips
    from harvesters.openreview import parse_openreview

    assert FILE_PARSERS == {
        "paperlists": parse_paperlists,
        "acl-anthology": parse_acl_anthology,
        "openalex": parse_openalex,
        "cvf": parse_cvf,
        "neurips": parse_neurips,
        "openreview": parse_openreview,
        "dblp": parse_dblp,
    }


@pytest.mark.parametrize(
    ("source", "relative", "venue", "year", "count"),
    [
        ("paperlists", "paperlists/nips2023_sample.json", "NeurIPS", 2023, 4),
        ("acl-anthology", "acl-anthology/2023.acl_sample.xml", "ACL", 2023, 6),
        ("openalex", "openalex/works_jp_grants_2025-11.json", "ACL", 2020, 2),
    ],
)
def test_parse_file_dispatches_on_source(source, relative, venue, year, count):
    result = parse_file(source, FIXTURES / relative, venue, year)
    assert len(result.records) == count
    assert {(r.source, r.venue, r.year) for r in result.records} == {
        (source, venue, year)
    }


def test_unknown_source_lists_the_known_ones(tmp_path):
    with pytest.raises(
        PapertallyError,
        match="'ieee'.*acl-anthology, cvf, dblp, neurips, openalex, openreview, paperlists",
    ):
        parse_file("ieee", tmp_path / "x.html", "CVPR", 2024)


def test_missing_file_is_a_parse_error_naming_the_path(tmp_path):
    path = tmp_path / "nope.json"
    with pytest.raises(ParseError, match=f"{path}: cannot read the file"):
        parse_file("paperlists", path, "CVPR", 2024)


def test_non_utf8_file_is_a_parse_error_naming_the_path(tmp_path):
    path = tmp_path / "latin1.json"
    path.write_bytes('[{"title": "Caf\u00e9"}]'.encode("latin-1"))
    with pytest.raises(ParseError, match=f"{path}: not UTF-8"):
        parse_file("paperlists", path, "CVPR", 2024)


def test_utf8_bom_is_tolerated(tmp_path):
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + b'[{"id": "a", "title": "T"}]')
    assert [
        r.source_id for r in parse_file("paperlists", path, "CVPR", 2024).records
    ] == ["a"]


def test_parser_errors_are_prefixed_with_the_path(tmp_path):
    path = tmp_path / "broken.xml"
    path.write_text("<collection>\n<volume>\n", encoding="utf-8")
    with pytest.raises(ParseError) as caught:
        parse_file("acl-anthology", path, "ACL", 2024)
    assert str(caught.value).startswith(f"{path}: malformed XML at line 3")


def test_parse_file_accepts_a_string_path():
    result = parse_file(
        "paperlists", str(FIXTURES / "paperlists/cvpr2024_sample.json"), "CVPR", 2024
    )
    assert len(result.records) == 2
