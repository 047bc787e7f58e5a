"""Plain steps the CLI and the nightly flow share: roster import, matching, fiscal years."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

from db import links as links_db
from db import roster as roster_db
from papertally.config import Settings
from papertally.errors import RosterError


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
    OpenReview-profile, OpenAlex and full-text rows of db.enrichment), for the matcher's
    evidence."""
    from db import enrichment as enrichment_db
    from matching.enriched import attach

    cached: dict[str, dict[str, dict]] = {}
    for (paper_id, kind), row in enrichment_db.load(db).items():
        if row.status == enrichment_db.OK and kind in ("openreview", "openalex", "fulltext"):
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


@dataclass(frozen=True)
class RosterImport:
    """What importing a roster file did: the members in the file, the changes, and notes
    on how it was read (a detected separator)."""

    path: str
    members: int
    change: roster_db.RosterChange
    notes: tuple[str, ...] = ()

    def summary(self) -> str:
        c = self.change
        notes = "".join(f" ({n})" for n in self.notes)
        return (
            f"{self.path}{notes}: {self.members} members: {c.added} added, {c.updated} updated, "
            f"{c.unchanged} unchanged, {c.deactivated} no longer listed (kept, inactive)"
        )


def import_roster_file(
    db: sqlite_utils.Database,
    settings: Settings,
    path: str | Path,
    *,
    allow_shrink: bool = False,
) -> RosterImport:
    """Check and import a roster CSV (all or nothing).

    Raises:
        RosterError: a bad row (every one listed), or the file would deactivate more than
            [roster] max_deactivate_share of the active members (a cut-off or wrong file)
            and `allow_shrink` is False. Nothing is imported then.
    """
    from papertally.roster import read_roster_file

    rows, notes = read_roster_file(path)
    active = {m["person_id"] for m in roster_db.list_members(db)}
    leaving = active - {r.person_id for r in rows}
    share = settings.roster.max_deactivate_share
    if active and len(leaving) > share * len(active) and not allow_shrink:
        raise RosterError(
            str(path),
            [
                f"it would deactivate {len(leaving)} of the {len(active)} active members "
                f"({len(leaving) / len(active):.0%}; [roster] max_deactivate_share is "
                f"{share:.0%}). A cut-off or wrong file? If they really left: papertally "
                f"roster import {path} --allow-shrink"
            ],
        )
    change = roster_db.import_roster(db, rows)
    return RosterImport(str(path), len(rows), change, tuple(notes))


def fiscal_years_to_report(settings: Settings, today: dt.date | None = None) -> list[int]:
    """The current fiscal year and those of the harvested editions, oldest first."""
    years = {current_fiscal_year(settings, today)}
    for job in settings.harvest:
        if settings.edition(job.venue, job.year):
            years.add(settings.fiscal_year_of(settings.counting_date(job.venue, job.year)))
    return sorted(years)
