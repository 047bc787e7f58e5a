"""Sources that check each other, shown where staff look: run summary, harvest --status,
the export's sources sheet and its JSON (with the titles only one source lists)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from db.papers import store_records
from db.schema import open_db
from harvesters.records import AuthorRecord, PaperRecord
from papertally import exports, steps
from papertally.cli import cli
from papertally.report import build_report

REPO = Path(__file__).resolve().parents[2]


def rec(source, sid, title):
    return PaperRecord(
        source=source, source_id=sid, venue="CVPR", year=2024, title=title,
        authors=(AuthorRecord(name="Ko Nishino", position=1),),
    )


def _two_sources(db):
    store_records(db, [rec("cvf", "a", "Learning to Grasp"), rec("cvf", "b", "Only CVF Lists This")], None)
    store_records(db, [rec("paperlists", "1", "Learning to Grasp"), rec("paperlists", "2", "Only Copilot")], None)


def test_export_sources_sheet_and_json_show_the_comparison(db, settings):
    _two_sources(db)
    data = exports.build_export(db, settings, build_report(db, settings, 2024), lang="en")
    rows = [v for k, v in data["meta"] if k == exports.labels("en")["k_sources_agree"]]
    assert rows == ["CVPR 2024: CVF 2; Paper Copilot 2; both 1; only CVF 1; only Paper Copilot 1"]
    body = json.loads(exports.render_json(data))
    [check] = body["export"]["source_checks"]
    assert [e["title"] for e in check["only"]["cvf"]] == ["Only CVF Lists This"]
    assert [e["title"] for e in check["only"]["paperlists"]] == ["Only Copilot"]


def test_harvest_status_prints_the_comparison_and_one_sided_titles(tmp_path):
    from db.papers import finish_run, start_run

    db = open_db(tmp_path / "t.db")
    for source in ("cvf", "paperlists"):
        finish_run(db, start_run(db, source, "CVPR", 2024, "file"), status="ok")
    _two_sources(db)
    db.close()
    result = CliRunner().invoke(
        cli, ["--config", str(REPO / "config.toml"), "--db", str(tmp_path / "t.db"), "harvest", "--status"]
    )
    assert result.exit_code == 0, result.output
    assert "  CVPR 2024: CVF 2; Paper Copilot 2; both 1; only CVF 1; only Paper Copilot 1" in result.output
    assert "    only CVF: Only CVF Lists This" in result.output


def test_run_summary_names_the_entries_listed_twice_and_compares_sources():
    row = steps.harvest_row(
        {"source": "pmlr", "venue": "CoRL", "year": 2025, "counts": {"seen": 3},
         "warnings": ["entry 3 (v305/agia25a): listed twice, kept once", "entry 4: no title"]}
    )
    assert row["listed_twice"] == ["entry 3 (v305/agia25a): listed twice, kept once"]
    summary = {
        "run_id": 1, "trigger": "test", "started_at": "s", "finished_at": "f", "failures": [],
        "harvests": [row], "matching": None, "review_queue": 0, "tally": [], "exports": [],
        "source_checks": [{"line": "CVPR 2024: cvf 2; paperlists 2; both 1; only cvf 1; only paperlists 1"}],
    }
    text = steps.render_summary(summary)
    assert "    listed twice by pmlr, kept once: entry 3 (v305/agia25a): listed twice, kept once" in text
    assert "  CVPR 2024: cvf 2; paperlists 2; both 1; only cvf 1; only paperlists 1" in text
