"""Plain steps the CLI and the nightly flow share: roster import, matching, fiscal years."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import sqlite_utils

from db import links as links_db
from db import roster as roster_db
from papertally.config import Settings


def conference_dates(settings: Settings) -> dict[tuple[str, int], dt.date]:
    return {
        (venue, year): ed.conference_date
        for venue, v in settings.venues.items()
        for year, ed in v.editions.items()
    }


def rules_for_matching(db: sqlite_utils.Database) -> list:
    """Staff rules (identifier always/never this member, member never at an organisation)
    that every matching pass applies first."""
    from db.rules import load_rules

    return load_rules(db)


def enriched_mentions(db: sqlite_utils.Database, mentions) -> list:
    """The mentions with what the enrichment step learnt of their papers (the answered
    OpenReview-profile and OpenAlex rows of db.enrichment), for the matcher's evidence."""
    from db import enrichment as enrichment_db
    from matching.enriched import attach

    cached: dict[str, dict[str, dict]] = {}
    for (paper_id, kind), row in enrichment_db.load(db).items():
        if row.status == enrichment_db.OK and kind in ("openreview", "openalex"):
            cached.setdefault(paper_id, {})[kind] = row.data
    return attach(mentions, cached)


def run_matching(db: sqlite_utils.Database, settings: Settings) -> links_db.MatchCounts:
    """Match every stored mention against the active roster and store the links,
    leaving every staff decision as it is."""
    from matching import match as matcher
    from matching.context import MatchContext, NameStats

    persons = roster_db.load_persons(db)
    mentions = enriched_mentions(db, links_db.load_mentions(db, conference_dates(settings)))
    context = MatchContext(
        name_stats=NameStats.from_names(m.name for m in mentions),
        rules=tuple(rules_for_matching(db)),
        confirmed_links=frozenset(links_db.staff_confirmed_pairs(db)),
        funder_names=settings.program.funder_names,
        grant_numbers=settings.program.grant_numbers,
    )
    candidates = matcher.match_all(
        mentions,
        persons,
        confirm_threshold=settings.matching.confirm_threshold,
        review_threshold=settings.matching.review_threshold,
        context=context,
    )
    return links_db.store_candidates(db, candidates, matcher.MATCHER_VERSION)


def current_fiscal_year(settings: Settings, today: dt.date | None = None) -> int:
    return settings.fiscal_year_of(today or dt.date.today())


def import_roster_file(db: sqlite_utils.Database, path: str | Path) -> roster_db.RosterChange:
    """Check and import a roster CSV (all or nothing)."""
    from papertally.roster import read_roster

    return roster_db.import_roster(db, read_roster(path))


def fiscal_years_to_report(settings: Settings, today: dt.date | None = None) -> list[int]:
    """The current fiscal year and those of the harvested editions, oldest first."""
    years = {current_fiscal_year(settings, today)}
    for job in settings.harvest:
        ed = settings.edition(job.venue, job.year)
        if ed:
            years.add(settings.fiscal_year_of(ed.conference_date))
    return sorted(years)
