"""Review logic shared by the web app and the CLI: which themes are short of their target."""

from __future__ import annotations

import datetime as dt

import sqlite_utils

from papertally import report as report_mod
from papertally.config import Settings


def short_themes(
    db: sqlite_utils.Database, settings: Settings, today: dt.date | None = None
) -> set[str]:
    """Themes whose confirmed papers for the current fiscal year are below their target
    (the numbers of `papertally report`); their items come first in the queue. Only
    harvested venue-years count: with none harvested yet no theme is short (a zero that
    is not a count says nothing about a theme)."""
    fy = settings.fiscal_year_of(today or dt.date.today())
    data = report_mod.build_report(db, settings, fy)
    if not harvested_venue_years(data):
        return set()
    return {
        t["theme_id"]
        for t in data["themes"]
        if t["target"] is not None and t["confirmed"] < t["target"]
    }


def harvested_venue_years(report: dict) -> list[str]:
    """The venue-years of `report` with at least one paper stored."""
    empty = set(report["venue_years_without_papers"])
    return [vy for vy in report["venue_years"] if vy not in empty]
