"""Every live source also reads a downloaded file (`--from PATH`) through the same parser."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from papertally.cli import cli
from papertally.harvesting import harvest_file

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"

CASES = [
    ("cvf", "CVPR", 2024, "cvf/CVPR2024_listing_sample.html", 3),
    ("neurips", "NeurIPS", 2023, "neurips/2023_listing_sample.html", 2),
    ("openreview", "NeurIPS", 2024, "openreview/neurips2024_notes_sample.json", 2),
    ("dblp", "ICRA", 2024, "dblp/icra2024_toc_sample.json", 3),
]


@pytest.mark.parametrize(("source", "venue", "year", "path", "n"), CASES)
def test_file_harvest_of_each_new_source(db, settings, source, venue, year, path, n):
    # Samples: a part of the listing (the coverage guard would refuse them as complete).
    outcome = harvest_file(db, settings, source, venue, year, FIXTURES / path, complete=False)
    assert outcome.status == "ok" and outcome.counts.new == n
    again = harvest_file(db, settings, source, venue, year, FIXTURES / path, complete=False)
    assert again.counts.unchanged == n and again.counts.new == 0


def test_saved_openalex_snapshot_reads_back_as_json_lines(db, settings, tmp_path):
    page = json.loads((FIXTURES / "openalex/works_jp_grants_2025-11.json").read_text())
    # works of 2020 in the fixture: as CVPR 2025's they must say 2025 (or be refused)
    page["results"] = [{**w, "publication_year": 2025} for w in page["results"]]
    snapshot = tmp_path / "openalex_cvpr2025.jsonl"
    snapshot.write_text(
        json.dumps(page) + "\n" + json.dumps({**page, "results": []}) + "\n"
    )
    outcome = harvest_file(db, settings, "openalex", "CVPR", 2025, snapshot, complete=False)
    assert outcome.counts.new == 2


def test_cli_from_path_for_dblp(tmp_path):
    result = CliRunner().invoke(
        cli,
        [
            "--config",
            str(REPO / "config.toml"),
            "--db",
            str(tmp_path / "t.db"),
            "harvest",
            "--source",
            "dblp",
            "--venue",
            "ICRA",
            "--year",
            "2024",
            "--from",
            str(FIXTURES / "dblp/icra2024_toc_sample.json"),
            "--partial",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "dblp ICRA 2024: ok, 3 papers (3 new" in result.output
