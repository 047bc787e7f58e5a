"""The per-theme summary (the numbers of `papertally report`) and the decision log."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from db import links as links_db
from papertally import report as report_mod
from papertally.config import Settings
from review.service import harvested_venue_years
from review.web import Db, PageError, User, int_or_none, render, state

router = APIRouter()


def fiscal_years(settings: Settings) -> list[int]:
    """The fiscal years the summary offers: every configured edition's, every target's and
    this one, newest first."""
    years = {
        settings.fiscal_year_of(ed.conference_date)
        for v in settings.venues.values()
        for ed in v.editions.values()
    }
    years |= set(settings.targets)
    years.add(settings.fiscal_year_of(dt.date.today()))
    return sorted(years, reverse=True)


@router.get("/log", response_class=HTMLResponse)
def log_page(
    request: Request, user: User, db: Db, by: str | None = None, link: str | None = None
):
    rows = links_db.recent_decisions(
        db, limit=300, decided_by=by or None, link_id=int_or_none(link)
    )
    return render(request, "log.html", user.lang, user=user, rows=rows)


@router.get("/summary", response_class=HTMLResponse)
def summary(request: Request, user: User, db: Db, fy: str | None = None):
    settings = state(request).settings
    year = int_or_none(fy) or settings.fiscal_year_of(dt.date.today())
    if not 1990 <= year <= 2100:
        raise PageError(400, "error.fiscal_year_range", year=year)
    report = report_mod.build_report(db, settings, year)
    return render(
        request,
        "summary.html",
        user.lang,
        user=user,
        report=report,
        harvested=harvested_venue_years(report),
        fiscal_years=fiscal_years(settings),
    )
