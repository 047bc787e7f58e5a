"""Harvesting one venue-year into the store: from a file, or a configured job (live or offline)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import sqlite_utils

from db import papers as papers_db
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
