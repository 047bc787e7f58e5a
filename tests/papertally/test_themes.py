"""Themes come and go: a theme counts toward a fiscal year's target only while active."""

from __future__ import annotations

import datetime as dt

import pytest

from db.roster import import_roster
from papertally import report as rep
from papertally.errors import RosterError
from papertally.roster import RosterRow, read_themes


def member(pid, theme, start=None, end=None):
    return RosterRow(
        line=0, theme_id=theme, theme_name=f"Theme {theme}", project_id=f"P{pid}", person_id=pid,
        family_name="Sato", given_name="X", name_ja=None, aliases=(), affiliation="RIKEN",
        affiliation_aliases=(), orcid=None, openalex_id=None, start_date=start, end_date=end,
    )


def _with_themes_file(settings, path):
    return settings.model_copy(
        update={"roster": settings.roster.model_copy(update={"themes_file": str(path)})}
    )


def test_old_roster_every_theme_active_and_the_configured_total(db, settings):
    import_roster(db, [member("a", "T01"), member("b", "T02")])
    r = rep.build_report(db, settings, 2026)
    assert [t["activity"] for t in r["themes"]] == ["active", "active"]
    assert [t["target"] for t in r["themes"]] == [3, 3]
    assert r["target_total"] == 30  # [targets.2026] total, as before


def test_a_theme_whose_members_all_start_later_is_not_active_yet(db, settings):
    import_roster(db, [member("a", "T01"), member("b", "T05", start=dt.date(2028, 4, 1))])
    r = rep.build_report(db, settings, 2026)
    t05 = next(t for t in r["themes"] if t["theme_id"] == "T05")
    assert (t05["activity"], t05["target"], t05["active_from"]) == ("not_active_yet", None, "2028-04-01")
    assert rep.theme_row(t05)["status"] == "not_active_yet"  # not "below"
    assert rep.build_report(db, settings, 2028)["themes"][1]["activity"] == "active"


def test_themes_file_windows_give_each_years_rows_and_total(db, settings, tmp_path):
    import_roster(db, [member("a", "T01"), member("b", "T02")])
    themes = tmp_path / "themes.csv"
    themes.write_text(
        "theme_id,theme_name,start_date,end_date\n"
        "T01,First call,2026-04-01,\n"
        "T02,First call too,2026-04-01,2027-03-31\n"
        "T11,Second call,2028-04-01,\n",
        encoding="utf-8",
    )
    s = _with_themes_file(settings, themes)
    fy2026 = rep.build_report(db, s, 2026)
    assert {t["theme_id"]: t["activity"] for t in fy2026["themes"]} == {
        "T01": "active", "T02": "active", "T11": "not_active_yet",
    }
    assert fy2026["target_total"] == 6 and fy2026["target_total_configured"] == 30
    fy2028 = rep.build_report(db, s, 2028)
    assert {t["theme_id"]: t["activity"] for t in fy2028["themes"]} == {
        "T01": "active", "T02": "ended", "T11": "active",
    }
    assert fy2028["target_total"] == 6  # T01 and T11, 3 each
    assert next(t for t in fy2028["themes"] if t["theme_id"] == "T11")["theme_name"] == "Second call"


def test_a_bad_themes_file_names_line_and_column(tmp_path):
    bad = tmp_path / "themes.csv"
    bad.write_text(
        "theme_id,theme_name,start_date,end_date\nT01,A,2026-13-01,\nT02,B,2027-01-01,2026-01-01\n",
        encoding="utf-8",
    )
    with pytest.raises(RosterError) as err:
        read_themes(bad)
    text = str(err.value)
    assert "line 2: column start_date: '2026-13-01' is not an ISO date" in text
    assert "line 3: column end_date: 2026-01-01 is before start_date" in text


def test_table_and_export_show_a_theme_not_active_yet_as_such(db, settings):
    from papertally import exports

    import_roster(db, [member("a", "T01"), member("b", "T05", start=dt.date(2028, 4, 1))])
    r = rep.build_report(db, settings, 2026)
    assert "Theme T05 (not active yet)" in rep.render_table(r)
    data = exports.build_export(db, settings, r, lang="en")
    row = next(x for x in data["summary"] if x.get("theme_id") == "T05")
    assert "not active yet" in str(row)
