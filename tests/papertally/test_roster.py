"""Roster CSV: Excel-style UTF-8 with or without BOM, all-or-nothing import, clear errors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from db.roster import import_roster, list_members, load_persons
from papertally.errors import RosterError
from papertally.roster import COLUMNS, read_roster

HEADER = ",".join(COLUMNS)
GOOD = [
    "T01,Vision,T01-P1,p1,Ohta,Kouhei,太田 浩平,Kohei Ota;K. Ohta,The University of Tokyo,東京大学;UTokyo,0000-0002-1825-0097,A5023888391,2026-04-01,",
    "T01,Vision,T01-P1,p2,Sato,Yuki,,,Kyoto University,,,,,2027-03-31",
    "T02,Robots,T02-P1,p3,Harada,Tatsuya,原田 達也,,RIKEN,,,,,",
]


def write(tmp_path: Path, lines: list[str], bom: bool = False, name: str = "roster.csv") -> Path:
    p = tmp_path / name
    data = "\r\n".join([HEADER, *lines]) + "\r\n"
    p.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data.encode("utf-8"))
    return p


@pytest.mark.parametrize("bom", [False, True])
def test_excel_utf8_with_or_without_bom_is_read(tmp_path, bom):
    rows = read_roster(write(tmp_path, GOOD, bom=bom))
    assert [r.person_id for r in rows] == ["p1", "p2", "p3"]
    first = rows[0]
    assert first.aliases == ("Kohei Ota", "K. Ohta")
    assert first.affiliation_aliases == ("東京大学", "UTokyo")
    assert first.name_ja == "太田 浩平"
    assert first.start_date == dt.date(2026, 4, 1) and first.end_date is None
    assert first.orcid == "0000-0002-1825-0097" and first.openalex_id == "A5023888391"


def test_every_bad_row_is_reported_with_line_column_and_reason(tmp_path):
    bad = [
        GOOD[0],
        "T01,Vision,T01-P1,,Sato,Yuki,,,Kyoto University,,,,,",  # line 3: no person_id
        "T01,Vision,T01-P1,p4,Ito,Aki,,,Osaka University,,0000-12,,2026-13-01,",  # line 4
        "T02,Robots,T02-P1,p1,Mori,Ken,,,,,,,,",  # line 5: duplicate id, no affiliation
    ]
    with pytest.raises(RosterError) as err:
        read_roster(write(tmp_path, bad))
    text = str(err.value)
    assert "line 3: column person_id: required but empty" in text
    assert "line 4: column orcid" in text
    assert "line 4: column start_date: '2026-13-01' is not a date" in text
    assert "line 5: column affiliation: required but empty" in text
    assert "line 5: column person_id: 'p1' already used on line 2" in text
    assert "nothing imported" in text


def test_wrong_header_is_rejected(tmp_path):
    p = tmp_path / "r.csv"
    p.write_text("theme,person\nT1,p1\n", encoding="utf-8")
    with pytest.raises(RosterError, match="line 1: header: missing column"):
        read_roster(p)


def test_non_utf8_file_says_how_to_save_it(tmp_path):
    p = tmp_path / "r.csv"
    p.write_bytes((HEADER + "\n" + GOOD[0] + "\n").encode("cp932"))
    with pytest.raises(RosterError, match="CSV UTF-8"):
        read_roster(p)


def test_a_project_belongs_to_one_theme(tmp_path):
    rows = [GOOD[0], "T02,Robots,T01-P1,p9,Mori,Ken,,,RIKEN,,,,,"]
    with pytest.raises(RosterError, match="project 'T01-P1' is in theme 'T01'"):
        read_roster(write(tmp_path, rows))


def test_reimport_updates_in_place_and_keeps_dropped_members_inactive(tmp_path, db):
    change = import_roster(db, read_roster(write(tmp_path, GOOD)))
    assert (change.added, change.updated) == (3, 0)
    edited = [GOOD[0].replace("The University of Tokyo", "RIKEN AIP"), GOOD[1]]
    change = import_roster(db, read_roster(write(tmp_path, edited, name="r2.csv")))
    assert (change.added, change.updated, change.unchanged, change.deactivated) == (0, 1, 1, 1)
    members = {m["person_id"]: m for m in list_members(db, include_inactive=True)}
    assert members["p1"]["affiliation"] == "RIKEN AIP"
    assert members["p3"]["active"] == 0
    assert [p.person_id for p in load_persons(db)] == ["p1", "p2"]


def test_a_rejected_file_changes_nothing(tmp_path, db):
    import_roster(db, read_roster(write(tmp_path, GOOD)))
    before = list_members(db)
    with pytest.raises(RosterError):
        read_roster(write(tmp_path, [GOOD[0].replace("p1", "")], name="bad.csv"))
    assert list_members(db) == before


def test_shipped_example_roster_is_valid(repo_root):
    rows = read_roster(repo_root / "examples" / "roster.csv")
    assert len({r.theme_id for r in rows}) >= 4


EXCEL_JA = [
    "T01,Vision,T01-P1,p1,Ohta,Kouhei,太田 浩平,,The University of Tokyo,,,,2026/4/1,",
    "T01,Vision,T01-P1,p2,Sato,Yuki,,,Kyoto University,,,,2026/04/01,2027/3/31",
]


def test_dates_as_excel_shows_them_on_a_japanese_desktop_are_read(tmp_path):
    rows = read_roster(write(tmp_path, EXCEL_JA))
    assert rows[0].start_date == dt.date(2026, 4, 1) and rows[1].start_date == dt.date(2026, 4, 1)
    assert rows[1].end_date == dt.date(2027, 3, 31)


@pytest.mark.parametrize("bad", ["2026/13/1", "2026/4/31", "26/4/1", "2026.4.1"])
def test_a_slash_date_that_is_no_date_is_still_refused(tmp_path, bad):
    with pytest.raises(RosterError, match=f"line 2: column start_date: '{bad}' is not a date"):
        read_roster(write(tmp_path, [GOOD[1].replace(",,,,,2027-03-31", f",,,,{bad},2027-03-31")]))


def test_a_trailing_empty_column_is_accepted_but_not_a_value_in_it(tmp_path):
    p = tmp_path / "r.csv"
    p.write_text("\r\n".join([HEADER + ",", *(g + "," for g in GOOD)]) + "\r\n", encoding="utf-8")
    assert [r.person_id for r in read_roster(p)] == ["p1", "p2", "p3"]
    p.write_text("\r\n".join([HEADER + ",", GOOD[0] + ",", GOOD[1] + ",oops"]) + "\r\n", encoding="utf-8")
    with pytest.raises(RosterError, match="line 3: more fields than the 14 columns"):
        read_roster(p)


@pytest.mark.parametrize(("sep", "name"), [(";", "semicolon"), ("\t", "tab")])
def test_a_semicolon_or_tab_separated_roster_is_detected_and_said(tmp_path, sep, name):
    import csv
    import io

    from papertally.roster import read_roster_file

    out = io.StringIO()
    writer = csv.writer(out, delimiter=sep, lineterminator="\r\n")
    for line in [HEADER, *GOOD]:
        writer.writerow(next(csv.reader([line])))
    p = tmp_path / "r.csv"
    p.write_text(out.getvalue(), encoding="utf-8")
    rows, notes = read_roster_file(p)
    assert [r.person_id for r in rows] == ["p1", "p2", "p3"]
    assert rows[0].aliases == ("Kohei Ota", "K. Ohta")  # the ';' inside a quoted field stays
    assert notes == [f"read as {name}-separated, detected from the header"]


def test_a_shift_jis_file_is_named_and_how_to_save_it_said(tmp_path):
    p = tmp_path / "r.csv"
    p.write_bytes((HEADER + "\n" + GOOD[0] + "\n").encode("cp932"))
    with pytest.raises(RosterError, match="looks like Shift_JIS.*CSV UTF-8"):
        read_roster(p)
