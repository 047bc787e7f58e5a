"""The plain steps the CLI and the Prefect flows call: harvest a venue-year, match, tally."""

from __future__ import annotations

import datetime as dt
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

import sqlite_utils

from db import links as links_db
from db import papers as papers_db
from db import roster as roster_db
from harvesters.base import ParseResult
from papertally.config import HarvestJob, Settings
from papertally.errors import HarvestError, PapertallyError


@dataclass
class HarvestOutcome:
    """What one harvest of a (source, venue, year) did."""

    source: str
    venue: str
    year: int
    origin: str  # a URL or a file path
    status: str = "ok"  # ok | failed
    run_id: int | None = None
    counts: papers_db.IngestCounts = field(default_factory=papers_db.IngestCounts)
    skipped_tracks: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    message: str = ""

    def summary(self) -> str:
        c = self.counts
        text = (
            f"{self.source} {self.venue} {self.year}: {self.status}, {c.seen} papers "
            f"({c.new} new, {c.updated} updated, {c.unchanged} unchanged)"
        )
        if self.skipped_tracks:
            text += "; not counted, skipped: " + ", ".join(
                f"{t} {n}" for t, n in sorted(self.skipped_tracks.items())
            )
        if c.missing:
            text += f"; {c.missing} no longer listed (flagged, kept)"
        if self.message:
            text += f"; {self.message}"
        return text

    def as_dict(self) -> dict:
        return {**asdict(self), "counts": asdict(self.counts)}


def store_parsed(
    db: sqlite_utils.Database,
    settings: Settings,
    result: ParseResult,
    outcome: HarvestOutcome,
    *,
    complete: bool,
) -> HarvestOutcome:
    """Keep the records of counted tracks, store them, and (for a complete listing) flag
    the source's records of this venue-year that it no longer lists."""
    tracks = settings.venues[outcome.venue].tracks
    kept = []
    for rec in result.records:
        if rec.track in tracks:
            kept.append(rec)
        else:
            outcome.skipped_tracks[rec.track] = outcome.skipped_tracks.get(rec.track, 0) + 1
    outcome.warnings.extend(result.skipped)
    outcome.counts = papers_db.store_records(db, kept, outcome.run_id)
    outcome.counts.skipped = sum(outcome.skipped_tracks.values()) + len(result.skipped)
    if complete:
        outcome.counts.missing = papers_db.mark_missing(
            db, outcome.source, outcome.venue, outcome.year, {r.source_id for r in kept}
        )
    return outcome


def harvest_file(
    db: sqlite_utils.Database,
    settings: Settings,
    source: str,
    venue: str,
    year: int,
    path: str | Path,
    *,
    complete: bool = True,
) -> HarvestOutcome:
    """Harvest a downloaded file of `source` for one venue-year (the offline path).

    The run is recorded in harvest_runs whether it succeeds or fails; a failure raises
    after recording, leaving everything stored before it in place.
    """
    from harvesters.registry import parse_file

    venue = settings.venue_key(venue)
    if settings.edition(venue, year) is None:
        raise PapertallyError(
            f"{venue} {year} is not configured: add it under [venues.{venue}.editions] in "
            f"{settings.base_dir / 'config.toml'} with its conference_date"
        )
    outcome = HarvestOutcome(source, venue, year, origin=str(path))
    outcome.run_id = papers_db.start_run(db, source, venue, year, str(path))
    try:
        result = parse_file(source, Path(path), venue, year)
        store_parsed(db, settings, result, outcome, complete=complete)
    except PapertallyError as exc:
        outcome.status, outcome.message = "failed", str(exc)
        papers_db.finish_run(db, outcome.run_id, status="failed", errors=[str(exc)])
        raise
    papers_db.finish_run(
        db,
        outcome.run_id,
        status="ok",
        counts=outcome.counts,
        errors=outcome.warnings,
        message=outcome.summary(),
    )
    return outcome


def harvest_job(
    db: sqlite_utils.Database, settings: Settings, job: HarvestJob, *, offline: bool = False
) -> HarvestOutcome:
    """Harvest one configured job: the live source, or its offline file when the live
    source cannot be reached (or `offline` is set). The outcome's message says which."""
    from harvesters import live

    unreachable = None
    if not offline:
        try:
            return live.harvest_live(db, settings, job)
        except HarvestError as exc:
            if not job.offline_file:
                raise
            unreachable = str(exc)
    if not job.offline_file:
        raise PapertallyError(
            f"{job.source} {job.venue} {job.year}: offline mode but no offline_file configured"
        )
    outcome = harvest_file(
        db, settings, job.source, job.venue, job.year, settings.resolve(job.offline_file),
        complete=False,
    )
    note = "offline sample used"
    if unreachable:
        note = f"live source not reachable ({unreachable}); offline sample used"
    outcome.message = note
    return outcome


def conference_dates(settings: Settings) -> dict[tuple[str, int], dt.date]:
    return {
        (venue, year): ed.conference_date
        for venue, v in settings.venues.items()
        for year, ed in v.editions.items()
    }


def run_matching(db: sqlite_utils.Database, settings: Settings) -> links_db.MatchCounts:
    """Match every stored mention against the active roster and store the links,
    leaving every staff decision as it is."""
    from matching import match as matcher

    persons = roster_db.load_persons(db)
    mentions = list(links_db.load_mentions(db, conference_dates(settings)))
    context = matcher.build_context(
        mentions,
        confirmed=links_db.confirmed_pairs(db),
        funder_names=settings.program.funder_names,
        grant_numbers=settings.program.grant_numbers,
        rules=links_db.load_rules(db),
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
