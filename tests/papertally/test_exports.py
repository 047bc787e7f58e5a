"""Exports read back (openpyxl, csv, json) and checked cell by cell against build_report."""

from __future__ import annotations

import csv
import html
import io
import json
import os
import warnings
from pathlib import Path

import pytest
from openpyxl import load_workbook

from db.links import decide, store_candidates
from db.papers import store_records
from db.roster import import_roster
from harvesters.records import AuthorRecord, PaperRecord
from matching.model import Candidate
from papertally import exports
from papertally.config import Target
from papertally.errors import ExportWriteError, PapertallyError
from papertally.report import build_report
from papertally.roster import RosterRow


def member(pid, theme, theme_name, project, family, name_ja=None):
    return RosterRow(
        line=0,
        theme_id=theme,
        theme_name=theme_name,
        project_id=project,
        person_id=pid,
        family_name=family,
        given_name="Taro",
        name_ja=name_ja,
        aliases=(),
        affiliation="RIKEN",
        affiliation_aliases=(),
        orcid=None,
        openalex_id=None,
        start_date=None,
        end_date=None,
    )


def rec(sid, venue="CVPR", year=2024, doi=None, title=None):
    return PaperRecord(
        source="paperlists",
        source_id=sid,
        venue=venue,
        year=year,
        track="main" if venue != "ACL" else "long",
        title=title or f"Paper {sid}",
        authors=(AuthorRecord(name="Taro Sato", position=1),),
        doi=doi,
        url=f"https://example.org/{sid}",
    )


def pid_of(db, sid):
    return db.execute(
        "SELECT paper_id FROM source_records WHERE source_id = ?", [sid]
    ).fetchone()[0]


def cand(db, sid, person, status):
    score = {"confirmed": 0.95, "needs_review": 0.6}[status]
    return Candidate(
        paper_id=pid_of(db, sid),
        person_id=person,
        mention_key=f"paperlists:{sid}#1",
        score=score,
        status=status,
        explanation="test",
    )


@pytest.fixture
def world(db, settings):
    import_roster(
        db,
        [
            member("a1", "T01", "視覚基盤モデル", "P1", "Sato", "佐藤 太郎"),
            member("a2", "T01", "視覚基盤モデル", "P2", "Ito"),
            member("b1", "T02", "ロボット学習", "P3", "Mori", "森 太郎"),
            member("c1", "T03", "Language, 言語", "P4", "Abe"),
        ],
    )
    store_records(
        db,
        [
            rec("s1", doi="10.1/s1"),
            rec("s2"),
            rec("s3"),
            rec("acl1", venue="ACL"),
            rec("s4", title='Commas, "quotes" and 改行\nin a title'),
        ],
        None,
    )
    store_candidates(
        db,
        [
            cand(db, "s1", "a1", "confirmed"),
            cand(db, "s1", "b1", "confirmed"),
            cand(db, "s2", "a2", "needs_review"),
            cand(db, "s3", "b1", "needs_review"),
            cand(db, "acl1", "a1", "confirmed"),
            cand(db, "s4", "c1", "confirmed"),
        ],
        "test-1",
    )
    link_s3 = db.execute(
        "SELECT link_id FROM links WHERE person_id = 'b1' AND paper_id = ?",
        [pid_of(db, "s3")],
    ).fetchone()[0]
    decide(db, link_s3, "accept", "yamada", "checked the PDF")
    # FY2024 target: 2 per theme, 5 in total (the repo config has none for FY2024)
    s = settings.model_copy(
        update={"targets": {**settings.targets, 2024: Target(total=5, per_theme=2)}}
    )
    return db, s


def summary_expected(report, lang):
    lab = exports.labels(lang)
    rows = []
    for t in report["themes"]:
        status = exports.theme_status(t["target"], t["confirmed"], t["pending"])
        rows.append(
            [
                t["theme_id"],
                t["theme_name"],
                t["target"],
                t["confirmed"],
                t["pending"],
                exports.gap(t["target"], t["confirmed"]),
                lab[status],
            ]
        )
    total = exports.theme_status(
        report["target_total"], report["papers_confirmed"], report["papers_pending"]
    )
    rows.append(
        [
            lab["total"],
            lab["total_name"],
            report["target_total"],
            report["papers_confirmed"],
            report["papers_pending"],
            exports.gap(report["target_total"], report["papers_confirmed"]),
            lab[total],
        ]
    )
    return rows


def evidence_expected(report):
    """(theme, paper_id, person_id, title, venue, conference_date, decided_by) per link."""
    return [
        (
            t["theme_id"],
            p["paper_id"],
            link["person_id"],
            p["title"],
            p["venue"],
            p["conference_date"],
            link["decided_by"],
        )
        for t in report["themes"]
        for p in t["papers"]
        for link in p["links"]
    ]


def test_world_numbers_are_what_the_rules_say(world):
    db, s = world
    r = build_report(db, s, 2024)
    t1, t2, t3 = r["themes"]
    assert (t1["confirmed"], t1["pending"]) == (2, 1)  # s1, acl1; s2 pending
    assert (t2["confirmed"], t2["pending"]) == (2, 0)  # s1, s3 (staff accepted)
    assert (t3["confirmed"], t3["pending"]) == (1, 0)
    assert (r["papers_confirmed"], r["papers_pending"]) == (4, 1)


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_xlsx_summary_and_evidence_match_the_report_cell_by_cell(world, tmp_path, lang):
    db, s = world
    report = build_report(db, s, 2024)
    data = exports.build_export(db, s, report, lang=lang)
    path = exports.write_export(data, "xlsx", tmp_path / "fy.xlsx")
    wb = load_workbook(path)
    lab = exports.labels(lang)
    assert wb.sheetnames == [
        lab["sheet_summary"],
        lab["sheet_evidence"],
        lab["sheet_about"],
    ]

    ws = wb[lab["sheet_summary"]]
    assert ws.freeze_panes == "A3"
    assert (
        exports.reading_text(report, s, lang) in ws["A1"].value
    )  # the reading, on the sheet
    assert [c.value for c in ws[2]] == [lab[k] for k in exports.SUMMARY_KEYS]
    got = [[c.value for c in row] for row in ws.iter_rows(min_row=3)]
    assert got == summary_expected(report, lang)
    assert got[0][:6] == ["T01", "視覚基盤モデル", 2, 2, 1, 0]
    assert ws.column_dimensions["B"].width >= 16  # sized for the Japanese theme names

    ev = wb[lab["sheet_evidence"]]
    assert ev.freeze_panes == "A3"
    header = [c.value for c in ev[2]]
    assert header == [lab[k] for k in exports.EVIDENCE_KEYS]
    col = {k: i for i, k in enumerate(exports.EVIDENCE_KEYS)}
    rows = [[c.value for c in row] for row in ev.iter_rows(min_row=3)]
    assert [
        (
            r[col["theme_id"]],
            r[col["paper_id"]],
            r[col["person_id"]],
            r[col["title"]],
            r[col["venue"]],
            r[col["conference_date"]],
            r[col["decided_by"]],
        )
        for r in rows
    ] == evidence_expected(report)
    accepted = next(r for r in rows if r[col["decided_by"]] == "yamada")
    assert accepted[col["how"]] == lab["staff_accept"]
    assert accepted[col["decided_at"]]
    auto = next(
        r for r in rows if r[col["person_id"]] == "a1" and r[col["venue"]] == "CVPR"
    )
    assert (
        auto[col["how"]] == lab["automatic"]
        and auto[col["decided_by"]] == "matcher test-1"
    )
    assert auto[col["doi"]] == "10.1/s1" and auto[col["fiscal_year"]] == 2024
    if lang == "ja":
        assert auto[col["member"]] == "佐藤 太郎 (Taro Sato)"

    about = {r[0].value: r[1].value for r in wb[lab["sheet_about"]].iter_rows()}
    assert about[lab["k_reading"]] == exports.reading_text(report, s, lang)
    assert about[lab["k_fiscal_year"]] == "FY2024"


def test_csv_has_bom_and_the_same_cells(world, tmp_path):
    db, s = world
    report = build_report(db, s, 2024)
    data = exports.build_export(db, s, report, lang="ja")
    path = exports.write_export(data, "csv", tmp_path / "fy.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    blocks, current = [], []
    for row in rows:
        if not row:
            blocks.append(current)
            current = []
        else:
            current.append(row)
    blocks.append(current)
    meta, summary, evidence = blocks
    assert "年度ごと" in meta[0][0]  # title states the reading
    assert ["目標の読み方", exports.reading_text(report, s, "ja")] in meta
    lab = exports.labels("ja")
    assert summary[0] == [lab[k] for k in exports.SUMMARY_KEYS]
    expected = [
        ["" if v is None else str(v) for v in r] for r in summary_expected(report, "ja")
    ]
    assert summary[1:] == expected
    assert evidence[0] == [lab[k] for k in exports.EVIDENCE_KEYS]
    col = {k: i for i, k in enumerate(exports.EVIDENCE_KEYS)}
    got = [
        (
            r[col["theme_id"]],
            r[col["paper_id"]],
            r[col["person_id"]],
            r[col["title"]],
            r[col["venue"]],
            r[col["conference_date"]],
            r[col["decided_by"]],
        )
        for r in evidence[1:]
    ]
    assert got == evidence_expected(
        report
    )  # incl. the title with commas, quotes and a newline


def test_json_keeps_the_report_shape_and_adds_the_export(world, tmp_path):
    db, s = world
    report = build_report(db, s, 2024)
    data = exports.build_export(db, s, report, lang="en")
    body = json.loads(
        exports.write_export(data, "json", tmp_path / "fy.json").read_text(
            encoding="utf-8"
        )
    )
    export = body.pop("export")
    assert body == json.loads(json.dumps(report))
    assert export["lang"] == "en"
    assert export["target_reading_text"].startswith("per fiscal year")
    assert [
        [r[k] for k in exports.SUMMARY_KEYS] for r in export["summary"]
    ] == summary_expected(report, "en")
    assert len(export["evidence"]) == len(evidence_expected(report))


def test_cumulative_reading_is_stated(world, tmp_path):
    db, s = world
    cum = s.model_copy(
        update={
            "program": s.program.model_copy(
                update={"target_reading": "cumulative", "first_fiscal_year": 2023}
            )
        }
    )
    report = build_report(db, cum, 2024)
    data = exports.build_export(db, cum, report, lang="en")
    assert (
        data["reading"]
        == "cumulative: papers from FY2023 to FY2024 against the FY2024 target"
    )
    wb = load_workbook(exports.write_export(data, "xlsx", tmp_path / "c.xlsx"))
    assert "cumulative" in wb["Summary"]["A1"].value


def test_export_sources_and_run_date(world, tmp_path):
    from db import papers as papers_db
    from db import runs as runs_db

    db, s = world
    run = papers_db.start_run(
        db, "paperlists", "CVPR", 2024, "https://example.org/cvpr2024.json"
    )
    papers_db.finish_run(db, run, status="ok", counts=papers_db.IngestCounts(seen=5))
    other = papers_db.start_run(
        db, "paperlists", "CVPR", 2023, "https://example.org/cvpr2023.json"
    )
    papers_db.finish_run(
        db, other, status="ok", counts=papers_db.IngestCounts(seen=7)
    )  # FY2023
    rid = runs_db.start_run(db, "cli")
    runs_db.finish_run(db, rid, {"failures": [], "review_queue": 1})
    data = exports.build_export(db, s, build_report(db, s, 2024), lang="en")
    meta = {k: v for k, v in data["meta"] if k != "Counting rule"}
    assert "https://example.org/cvpr2024.json" in meta["Data source"]
    assert [v for k, v in data["meta"] if k == "Data source"] == [
        meta["Data source"]
    ]  # not FY2023's
    assert meta["Last nightly run"].startswith(f"#{rid} ")
    assert sum(1 for k, _ in data["meta"] if k == "Counting rule") == len(
        build_report(db, s, 2024)["counting_rules"]
    )


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_export_names_the_venue_years_with_no_papers_harvested(world, lang):
    db, s = world
    report = build_report(db, s, 2024)
    assert report["venue_years_without_papers"]  # the world stores some venue-years only
    data = exports.build_export(db, s, report, lang=lang)
    key = exports.labels(lang)["k_not_harvested"]
    (value,) = [v for k, v in data["meta"] if k == key]
    assert value == ", ".join(report["venue_years_without_papers"])


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_chart_says_which_venue_years_are_not_harvested_yet(world, tmp_path, lang):
    import matplotlib

    db, s = world
    report = build_report(db, s, 2024)
    assert report["venue_years_without_papers"]
    data = exports.build_export(db, s, report, lang=lang)
    with matplotlib.rc_context({"svg.fonttype": "none"}):  # text as text, to read it back
        svg = exports.write_chart(data, tmp_path / "fy.svg", settings=s).read_text(encoding="utf-8")
    said = f"{exports.labels(lang)['k_not_harvested']}: {', '.join(report['venue_years_without_papers'])}"
    assert html.escape(said, quote=False) in svg
    harvested = exports.build_export(db, s, {**report, "venue_years_without_papers": []}, lang=lang)
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        svg = exports.write_chart(harvested, tmp_path / "all.svg", settings=s).read_text(encoding="utf-8")
    assert html.escape(exports.labels(lang)["k_not_harvested"], quote=False) not in svg


def test_chart_renders_japanese_labels_with_a_cjk_font(world, tmp_path):
    from matplotlib.ft2font import FT2Font

    db, s = world
    data = exports.build_export(db, s, build_report(db, s, 2024), lang="ja")
    font = exports.cjk_font(s)
    assert font is not None
    face = FT2Font(font.get_file())
    assert all(face.get_char_index(ord(ch)) for ch in "確定保留目標論文数視覚基盤")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = exports.write_chart(data, tmp_path / "fy.png", settings=s)
        svg = exports.write_chart(data, tmp_path / "fy.svg", settings=s)
    missing = [str(w.message) for w in caught if "missing from" in str(w.message)]
    assert missing == []
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in svg.read_text(encoding="utf-8")[:500]
    assert not list(tmp_path.glob(".*.tmp"))


@pytest.fixture
def no_system_cjk_font(monkeypatch):
    """matplotlib sees no installed font with Japanese glyphs, as on a fresh machine."""
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    def japanese(fname: str) -> bool:
        try:
            return bool(FT2Font(fname).get_char_index(ord("確")))
        except (OSError, RuntimeError):
            return False

    kept = [f for f in font_manager.fontManager.ttflist if not japanese(f.fname)]
    monkeypatch.setattr(font_manager.fontManager, "ttflist", kept)


def test_chart_draws_japanese_with_no_font_from_the_system(world, tmp_path, no_system_cjk_font):
    from matplotlib.ft2font import FT2Font

    db, s = world
    data = exports.build_export(db, s, build_report(db, s, 2024), lang="ja")
    font = exports.cjk_font(s)
    assert font is not None and Path(font.get_file()).name == "ipaexg.ttf"
    assert all(FT2Font(font.get_file()).get_char_index(ord(ch)) for ch in "確定保留目標論文数視覚基盤")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = exports.write_chart(data, tmp_path / "fy.png", settings=s)
    assert [str(w.message) for w in caught if "missing from" in str(w.message)] == []
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_font_file_overrides_the_bundled_font(world, tmp_path):
    import shutil

    db, s = world
    own = tmp_path / "own-font.ttf"
    shutil.copy(exports.bundled_font(), own)
    s = s.model_copy(update={"export": s.export.model_copy(update={"font_file": str(own)})})
    assert Path(exports.cjk_font(s).get_file()) == own


def test_chart_without_a_cjk_font_refuses_japanese(world, tmp_path, monkeypatch):
    db, s = world
    monkeypatch.setattr(exports, "cjk_font", lambda settings=None: None)
    data = exports.build_export(db, s, build_report(db, s, 2024), lang="ja")
    with pytest.raises(PapertallyError, match="matplotlib-fontja"):
        exports.write_chart(data, tmp_path / "fy.png", settings=s)
    assert not (tmp_path / "fy.png").exists()


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path):
    target = tmp_path / "report.csv"
    target.write_text("old complete export\n")

    def half_then_crash(tmp):
        tmp.write_text("half of the new")
        raise OSError("disk full")

    with pytest.raises(ExportWriteError, match=f"^{target}: cannot write the export \\(disk full\\)"):
        exports.atomic_write(target, half_then_crash)
    assert target.read_text() == "old complete export\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.csv"]


def test_atomic_write_removes_temp_files_of_dead_processes(tmp_path):
    import subprocess
    import sys

    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    stale = tmp_path / f".report.csv.{dead}.1234.tmp"
    stale.write_text("left by a killed export")
    live = tmp_path / f".report.csv.{os.getpid()}.99.tmp"  # a live writer's: kept
    live.write_text("in progress")
    exports.atomic_write(tmp_path / "report.csv", lambda tmp: tmp.write_text("new"))
    assert not stale.exists() and live.exists()
    assert (tmp_path / "report.csv").read_text() == "new"


def test_atomic_write_refuses_a_read_only_file_and_leaves_it(tmp_path):
    target = tmp_path / "report.csv"
    target.write_text("kept\n")
    target.chmod(0o444)
    with pytest.raises(PapertallyError, match="read-only, so it is not replaced"):
        exports.atomic_write(target, lambda tmp: tmp.write_text("new\n"))
    assert target.read_text() == "kept\n" and not list(tmp_path.glob(".*.tmp"))
