"""The plain steps the CLI and the Prefect flows call: roster, harvest jobs, match, tally."""

from __future__ import annotations

import datetime as dt
import sys
from dataclasses import dataclass, field
from pathlib import Path

import sqlite_utils

from db import links as links_db
from db import roster as roster_db
from papertally.config import Settings
from papertally.errors import PapertallyError
from papertally.harvesting import HarvestOutcome, harvest_job


def conference_dates(settings: Settings) -> dict[tuple[str, int], dt.date]:
    return {
        (venue, year): ed.conference_date
        for venue, v in settings.venues.items()
        for year, ed in v.editions.items()
    }


def rules_for_matching(db: sqlite_utils.Database) -> list:
    """Staff rules (identifier always/never this member, member never at an organisation)
    that every matching pass applies first."""
    from db.review import load_rules

    return load_rules(db)


def run_matching(db: sqlite_utils.Database, settings: Settings) -> links_db.MatchCounts:
    """Match every stored mention against the active roster and store the links,
    leaving every staff decision as it is."""
    from matching import match as matcher
    from matching.context import MatchContext, NameStats

    persons = roster_db.load_persons(db)
    mentions = list(links_db.load_mentions(db, conference_dates(settings)))
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


def say(text: str) -> None:
    """Progress and summaries go to stderr so that stdout stays machine-readable."""
    print(text, file=sys.stderr, flush=True)


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


@dataclass
class RunSummary:
    roster: str = ""
    harvests: list[HarvestOutcome] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    matching: links_db.MatchCounts | None = None
    reports: list[dict] = field(default_factory=list)


def run_once(
    db: sqlite_utils.Database, settings: Settings, *, offline: bool = False
) -> RunSummary:
    """The main job without a scheduler: roster, every harvest job, match, tally.

    A failing harvest job is recorded and the others go on; the summary lists failures.
    """
    from papertally import report as rep

    summary = RunSummary()
    if settings.roster.file:
        path = settings.resolve(settings.roster.file)
        try:
            change = import_roster_file(db, path)
            summary.roster = (
                f"roster {path}: {change.added} added, {change.updated} updated, "
                f"{change.unchanged} unchanged, {change.deactivated} deactivated"
            )
        except PapertallyError as exc:
            summary.failures.append(f"roster not re-imported, stored roster kept: {exc}")
    for job in settings.harvest:
        say(f"harvesting {job.source} {job.venue} {job.year} ...")
        try:
            summary.harvests.append(harvest_job(db, settings, job, offline=offline))
        except PapertallyError as exc:
            summary.failures.append(f"{job.source} {job.venue} {job.year}: {exc}")
    summary.matching = run_matching(db, settings)
    summary.reports = [rep.build_report(db, settings, fy) for fy in fiscal_years_to_report(settings)]
    return summary
