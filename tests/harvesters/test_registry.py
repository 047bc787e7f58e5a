"""The file-parser registry: reads a saved file and names it in every error."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

from harvesters.acl_anthology import parse_acl_anthology
from harvesters.openalex import parse_openalex
from harvesters.paperlists import parse_paperlists
from harvesters.registry import FILE_PARSERS, SOURCES, parse_file
from papertally.errors import PapertallyError, ParseError

from .conftest import FIXTURES, REPO


def test_registry_names_every_file_source():
    from harvesters.cvf import parse_cvf
    from harvesters.dblp import parse_dblp
    from harvesters.ecva import parse_ecva
    from harvesters.neurips import parse_neurips
    from harvesters.openreview import parse_openreview
    from harvesters.pmlr import parse_pmlr
    from harvesters.roboticsproceedings import parse_roboticsproceedings

    assert FILE_PARSERS == {
        "paperlists": parse_paperlists,
        "acl-anthology": parse_acl_anthology,
        "openalex": parse_openalex,
        "cvf": parse_cvf,
        "neurips": parse_neurips,
        "openreview": parse_openreview,
        "dblp": parse_dblp,
        "pmlr": parse_pmlr,
        "roboticsproceedings": parse_roboticsproceedings,
        "ecva": parse_ecva,
    }
    assert all(SOURCES[name].plan is not None for name in FILE_PARSERS)  # all live today


# Packages of the product whose code may not keep its own list of sources.
PACKAGES = ("papertally", "harvesters", "flows", "review", "db", "matching")


def _source_lists(path: Path, root: Path = REPO) -> list[str]:
    """Places in a module that list three or more sources: a literal list, tuple, set or
    dict (keys) made only of source names, or a string naming them ("Source: paperlists,
    cvf, dblp"). Two names are let through: a pair is a choice (a benchmark's two jobs, the
    enrichment kinds "openalex" and "openreview"), not a list of every source."""
    found = []
    words = re.compile(r"[\w-]+")
    tree = ast.parse(path.read_text(encoding="utf-8"))
    # Docstrings are prose (a command's examples name a few sources), not lists.
    docstrings = {
        id(body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        and (body := node.body)
        and isinstance(body[0], ast.Expr)
    }
    for node in ast.walk(tree):
        if id(node) in docstrings:
            continue
        if isinstance(node, ast.Dict):
            items = node.keys
        elif isinstance(node, ast.List | ast.Tuple | ast.Set):
            items = node.elts
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            names = set(words.findall(node.value)) & set(SOURCES)
            if len(names) >= 3:
                found.append(f"{path.relative_to(root)}:{node.lineno}: {sorted(names)}")
            continue
        else:
            continue
        strings = {i.value for i in items if isinstance(i, ast.Constant)}
        names = strings & set(SOURCES)
        # Every string a source name: a list of sources. Identifier schemes ("orcid",
        # "openalex", "openreview", "dblp") share some names but are another list.
        if len(names) >= 3 and names == strings:
            found.append(f"{path.relative_to(root)}:{node.lineno}: {sorted(names)}")
    return found


def test_the_registry_is_the_only_list_of_sources():
    lists = [
        hit
        for package in PACKAGES
        for path in sorted((REPO / package).rglob("*.py"))
        if path != REPO / "harvesters" / "registry.py"
        for hit in _source_lists(path)
    ]
    assert lists == []


def test_the_scan_finds_a_second_list(tmp_path):
    # The check above can fail: a module with its own list of sources is caught.
    module = tmp_path / "probe.py"
    module.write_text(
        'LIVE = ("cvf", "dblp", "neurips")\n'
        'SCHEMES = ("orcid", "dblp", "openalex", "openreview")\n'
        'KINDS = ("openalex", "openreview")\n'
        'HELP = "Source: paperlists, acl-anthology, cvf."\n'
        'def f():\n    """Example: paperlists, cvf, dblp."""\n'
    )
    assert _source_lists(module, tmp_path) == [
        "probe.py:1: ['cvf', 'dblp', 'neurips']",
        "probe.py:4: ['acl-anthology', 'cvf', 'paperlists']",
    ]


def test_each_source_module_declares_its_own_spec():
    for name, spec in SOURCES.items():
        module = importlib.import_module(spec.parse.__module__)
        assert module.__name__.startswith("harvesters."), name
        package = module.__name__.rsplit(".", 1)[0] if "openalex" in module.__name__ else None
        declared = importlib.import_module(package or module.__name__).SPEC
        assert declared is spec, name


def test_harvest_help_lists_every_source_with_its_summary():
    from click.testing import CliRunner

    from papertally.cli import cli

    out = CliRunner().invoke(cli, ["harvest", "--help"], terminal_width=1000).output
    listed = re.search(r"--source TEXT\s+Source, one of: (.*)\.", out).group(1)
    assert listed == "; ".join(f"{n}: {s.summary}" for n, s in SOURCES.items())


def test_config_checks_each_source_table_with_its_own_options(tmp_path):
    from papertally.config import load_settings
    from papertally.errors import ConfigError

    def load(text):
        path = tmp_path / "config.toml"
        path.write_text(text, encoding="utf-8")
        return load_settings(path)

    good = load('[sources.openalex]\nbase_url = "https://x"\nlookup_budget = 5\n')
    assert isinstance(good.sources["openalex"], SOURCES["openalex"].options)
    assert good.sources["openalex"].lookup_budget == 5
    # lookup_budget is OpenAlex's own option: on another source it is a misspelt key.
    with pytest.raises(ConfigError, match=r"key sources\.cvf\.lookup_budget: unknown key"):
        load('[sources.cvf]\nbase_url = "https://x"\nlookup_budget = 5\n')
    with pytest.raises(ConfigError, match=r"key sources\.ieee: unknown source; known sources: "
                       + re.escape(", ".join(sorted(SOURCES)))):
        load('[sources.ieee]\nbase_url = "https://x"\n')
    with pytest.raises(ConfigError, match=r"source 'ieee' is unknown"):
        load(
            '[venues.CVPR.editions]\n2024 = { conference_date = 2024-06-17 }\n'
            '[[harvest]]\nsource = "ieee"\nvenue = "CVPR"\nyear = 2024\n'
        )


def test_readme_source_table_is_the_registry():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    table = text.split("<!-- sources: the rows below must match harvesters.registry.SOURCES -->")[1]
    rows = re.findall(r"^\| `([^`]+)` \| (.+?) \|$", table.split("\n\n")[0], re.M)
    assert rows == [(n, s.summary) for n, s in SOURCES.items()]


def test_adding_a_source_doc_names_what_a_source_declares():
    text = (REPO / "docs" / "adding-a-source.md").read_text(encoding="utf-8")
    for field in ("name", "summary", "parse", "plan", "options"):
        assert f"{field}=" in text, field


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
        match="'ieee'.*acl-anthology, cvf, dblp, ecva, neurips, openalex, openreview, paperlists, "
        "pmlr, roboticsproceedings",
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
