"""Harvesting one venue-year into the store: from a file, or a configured job (live or offline)."""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import sqlite_utils

from db import harvest_state
from db import papers as papers_db
from harvesters import registry
from harvesters.base import ParseResult
from harvesters.http import HttpClient
from harvesters.live import prefetch, shared_client
from harvesters.source import Plan, Target
from papertally.config import HarvestJob, Settings
from papertally.errors import HarvestError, PapertallyError

# A streamed pull stores its pages in transactions of about this many records: fewer
# commits than one per page, and a crash loses at most these (a re-run fetches them again).
STREAM_BATCH = 500


@dataclass
class HarvestOutcome:
    """What one harvest of a (source, venue, year) did."""

    source: str
    venue: str
    year: int
    origin: str  # a URL or a file path
    status: str = "ok"  # ok | failed | offline (live source unreachable, no sample) | skipped
    run_id: int | None = None
    counts: papers_db.IngestCounts = field(default_factory=papers_db.IngestCounts)
    skipped_tracks: dict[str, int] = field(default_factory=dict)
    # Entries the source itself marks as not accepted ({"status Reject": 192}): not papers.
    excluded: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    message: str = ""
    requests: int = 0  # HTTP requests made (live harvests)
    bytes: int = 0  # bytes downloaded (live harvests)
    # The live source could not be reached at all (no DNS, no route, refused): the night
    # decides whether that is "offline" (nothing answered) or a failure (others did).
    live_unreachable: bool = False

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
        if self.excluded:
            text += "; not accepted, not papers: " + ", ".join(
                f"{k} {n}" for k, n in sorted(self.excluded.items())
            )
        if c.missing:
            text += f"; {c.missing} no longer listed (flagged, kept)"
        if self.requests:
            text += f"; {self.requests} request(s), {_size(self.bytes)}"
        twice = [w.split(" (", 1)[1].split("):", 1)[0] for w in self.warnings if "listed twice" in w]
        if twice:
            text += f"; listed twice, kept once: {', '.join(twice)}"
        if self.message:
            text += f"; {self.message}"
        return text

    def as_dict(self) -> dict:
        return {**asdict(self), "counts": asdict(self.counts)}


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 100_000 else f"{n / 1e3:.1f} kB"


def _bare(exc: PapertallyError) -> str:
    """A HarvestError's message without the "(source ..., URL)" suffix it adds."""
    text = str(exc)
    if isinstance(exc, HarvestError):
        where = ", ".join(
            p
            for p in (f"source {exc.source}" if exc.source else "", exc.url or "")
            if p
        )
        if where and text.endswith(f" ({where})"):
            return text[: -len(where) - 3]
    return text


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
            outcome.skipped_tracks[rec.track] = (
                outcome.skipped_tracks.get(rec.track, 0) + 1
            )
    outcome.warnings.extend(result.skipped)
    for key, n in result.excluded.items():
        outcome.excluded[key] = outcome.excluded.get(key, 0) + n
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
    venue = settings.venue_key(venue)
    if settings.edition(venue, year) is None:
        raise PapertallyError(
            f"{venue} {year} is not configured: add it under [venues.{venue}.editions] in "
            f"{settings.base_dir / 'config.toml'} with its conference_date"
        )
    outcome = HarvestOutcome(source, venue, year, origin=str(path))
    digest = _file_digest(Path(path), settings.venues[venue].tracks, complete)
    last = harvest_state.file_digest(db, source, venue, year, str(path)) if digest else None
    outcome.run_id = papers_db.start_run(db, source, venue, year, str(path))
    if last and last[0] == digest:
        # The same bytes, read by this version for the same tracks: what is stored stands.
        outcome.counts.seen = outcome.counts.unchanged = last[2]
        outcome.message = f"file unchanged since harvest run {last[1]}; not read again"
        harvest_state.record_details(db, outcome.run_id, complete=complete, counted=last[2], pages=0)
        papers_db.finish_run(
            db, outcome.run_id, status="ok", counts=outcome.counts, message=outcome.summary()
        )
        harvest_state.save_file_digest(db, source, venue, year, str(path), digest, outcome.run_id)
        return outcome
    try:
        result = registry.parse_file(source, Path(path), venue, year)
        store_parsed(db, settings, result, outcome, complete=complete)
    except PapertallyError as exc:
        outcome.status, outcome.message = "failed", str(exc)
        papers_db.finish_run(db, outcome.run_id, status="failed", errors=[str(exc)])
        raise
    harvest_state.record_details(
        db,
        outcome.run_id,
        complete=complete,
        counted=outcome.counts.seen,
        expected=expected_size(db, settings, source, venue, year),
        pages=1,
        excluded=json.dumps(result.excluded),
    )
    papers_db.finish_run(
        db,
        outcome.run_id,
        status="ok",
        counts=outcome.counts,
        errors=outcome.warnings,
        message=outcome.summary(),
    )
    if digest:
        harvest_state.save_file_digest(db, source, venue, year, str(path), digest, outcome.run_id)
    return outcome


def _file_digest(path: Path, tracks: tuple[str, ...], complete: bool) -> str | None:
    """A digest of the file's bytes, the counted tracks, whether the file is complete and
    papertally's version (a new parser reads old files again); None if unreadable (the
    parse then says why)."""
    import hashlib
    from importlib.metadata import PackageNotFoundError, version

    try:
        data = path.read_bytes()
    except OSError:
        return None
    try:
        release = version("papertally")
    except PackageNotFoundError:
        release = "dev"
    h = hashlib.blake2b(data, digest_size=16)
    h.update(repr((sorted(tracks), complete, release)).encode())
    return h.hexdigest()


def harvest_job(
    db: sqlite_utils.Database,
    settings: Settings,
    job: HarvestJob,
    *,
    offline: bool = False,
    client=None,
    progress: Progress | None = None,
) -> HarvestOutcome:
    """Harvest one configured job: the live source, or its offline file when the live
    source cannot be reached (or `offline` is set). The outcome's message says which.

    `client` is the shared HTTP client (default: one per settings for the process);
    `progress` reports pages and counts (default: quiet)."""
    from harvesters.http import Unreachable
    from harvesters.registry import SOURCES

    what = f"{job.source} {job.venue} {job.year}"
    spec = SOURCES.get(job.source)
    options = settings.sources.get(job.source)
    if spec and spec.needs_ids and not (options and options.venue_ids.get(f"{job.venue} {job.year}")):
        # OpenAlex lists a venue-year only by its source IDs; none known is not a failure.
        return HarvestOutcome(
            job.source, job.venue, job.year, origin="", status="skipped",
            message=f"no {job.source} source ID configured for {job.venue} {job.year}, "
            f"nothing to list (find one with papertally openalex-sources --venue {job.venue} "
            f"--year {job.year})",
        )
    unreachable = None
    failed = None
    if not offline:
        try:
            return harvest_live(
                db, settings, job, client=client, progress=progress
            )
        except Unreachable as exc:
            unreachable = str(exc)
            if not job.offline_file:
                # Nothing harvested (the live run is recorded as failed, with why), nothing
                # stored is touched; the night decides whether this is an offline machine
                # or a failed source.
                return HarvestOutcome(
                    job.source, job.venue, job.year, origin=exc.url or "", status="offline",
                    live_unreachable=True,
                    message=f"live source not reachable ({_bare(exc)}); stored papers kept",
                )
        except HarvestError as exc:
            if not job.offline_file:
                raise
            failed = str(exc)
    if not job.offline_file:
        # --offline, and this venue-year has no sample: nothing to read, nothing lost.
        return HarvestOutcome(
            job.source, job.venue, job.year, origin="", status="offline",
            message="offline mode and no offline sample for this venue-year; stored papers kept",
        )
    outcome = harvest_file(
        db,
        settings,
        job.source,
        job.venue,
        job.year,
        settings.resolve(job.offline_file),
        complete=False,
    )
    note = "offline sample used"
    if unreachable:
        note = f"live source not reachable ({unreachable}); offline sample used"
        outcome.live_unreachable = True
    elif failed:
        note = f"live source failed ({failed}); offline sample used"
    outcome.message = note
    return outcome


# -- live harvests: progress, coverage guard, fetch -> parse -> store ------------------


class Progress:
    """Progress of long harvests on stderr, per source and venue-year with counts.

    `force`: None (default) shows it only when the stream is a terminal (quiet under cron,
    CI and pipes); True always; False never. On a terminal one line is rewritten in place
    at most every `interval` seconds.
    """

    def __init__(
        self, stream=None, *, force: bool | None = None, interval: float = 0.2
    ):
        self.stream = stream or sys.stderr
        if force is None:
            force = bool(getattr(self.stream, "isatty", lambda: False)())
        self.enabled = force
        self.interval = interval
        self._last = 0.0

    def update(
        self,
        label: str,
        pages: int,
        papers: int,
        total: int | None = None,
        *,
        final: bool = False,
    ) -> None:
        """Report `pages` fetched and `papers` read so far for `label` ("openalex CVPR 2024")."""
        if not self.enabled:
            return
        now = time.monotonic()
        if not final and now - self._last < self.interval:
            return
        self._last = now
        of = f" of ~{total}" if total else ""
        end = "\n" if final else ""
        self.stream.write(f"\r{label}: {pages} page(s), {papers}{of} papers{end}")
        self.stream.flush()


def expected_size(
    db: sqlite_utils.Database, settings: Settings, source: str, venue: str, year: int
) -> int | None:
    """The size a complete listing should reach: the larger of config's expected_papers and
    the papers counted by this source's last complete good harvest (None if neither)."""
    edition = settings.edition(venue, year)
    known = [
        n
        for n in (
            edition.expected_papers if edition else None,
            harvest_state.last_complete_count(db, source, venue, year),
        )
        if n
    ]
    return max(known) if known else None


def coverage_problem(
    settings: Settings,
    source: str,
    what: str,
    counted: int,
    expected: int | None,
    url: str,
) -> str | None:
    """Why a complete listing of `counted` papers is not credible, or None when it is."""
    ratio = settings.coverage.min_ratio
    src = settings.sources.get(source)
    if src is not None and src.min_coverage is not None:
        ratio = src.min_coverage
    if counted == 0:
        return (
            f"{what}: the source listed no papers at {url}; its page layout or API probably "
            "changed (or the venue-year is not published yet). Nothing stored, nothing flagged"
        )
    if expected and counted < ratio * expected:
        return (
            f"{what}: only {counted} papers where {expected} are expected (below "
            f"{ratio:.0%}); the page layout or API probably changed. Nothing stored, nothing "
            "flagged; check the source, or lower [coverage] min_ratio / the source's "
            "min_coverage if the venue really shrank"
        )
    return None


def _add_counts(total: papers_db.IngestCounts, more: papers_db.IngestCounts) -> None:
    for name in ("seen", "new", "updated", "unchanged"):
        setattr(total, name, getattr(total, name) + getattr(more, name))


def target_for(settings: Settings, job: HarvestJob, known=None) -> Target:
    """The venue-year a source's plan is asked for, with what it needs from the config.

    Raises HarvestError when the config has no [sources.NAME] table for the job's source.
    """
    options = settings.sources.get(job.source)
    if options is None:
        raise HarvestError(
            f"no [sources.{job.source}] section in the config, so its base URL is unknown; "
            "add it with base_url",
            source=job.source,
        )
    venue = settings.venues[job.venue]
    return Target(
        source=job.source,
        venue=job.venue,
        year=job.year,
        options=options,
        tracks=venue.tracks,
        venue_name=venue.name,
        max_pages=settings.http.max_pages,
        known=known,
    )


def harvest_live(
    db: sqlite_utils.Database,
    settings: Settings,
    job: HarvestJob,
    *,
    client: HttpClient | None = None,
    progress: Progress | None = None,
) -> HarvestOutcome:
    """Fetch, parse and store one venue-year from its live source, recording the run.

    - A fault while fetching or parsing (after the retries) fails the run with a message
      naming source, venue-year and URL; the pages read before it are stored (they are real
      papers), nothing is flagged missing, and a re-run stores nothing twice.
    - Coverage guard: a complete listing far smaller than expected fails the run. When the
      source states its size up front (OpenAlex's count) and that passes the guard, pages
      are stored as they arrive, while the next ones download; otherwise the whole listing
      is checked first and a suspicious one is not stored at all.
    - Otherwise the source's records of this venue-year it no longer lists are flagged
      (never deleted).

    The run records requests, bytes, new/updated/unchanged papers and errors. `client` is
    the shared HTTP client (default: one per settings for the process).

    Raises:
        HarvestError: the source is unreachable, misbehaves, or fails the coverage guard.
    """
    return LiveHarvest(db, settings, job, client or shared_client(settings), progress).run()


class LiveHarvest:
    """One live harvest of a venue-year: fetch -> parse -> store, with its run record."""

    def __init__(
        self,
        db: sqlite_utils.Database,
        settings: Settings,
        job: HarvestJob,
        client: HttpClient,
        progress: Progress | None = None,
    ):
        self.db = db
        self.settings = settings
        self.venue = settings.venue_key(job.venue)
        self.job = job.model_copy(update={"venue": self.venue})
        self.what = f"{self.venue} {job.year}"
        self.label = f"{job.source} {self.what}"
        self.tracks = settings.venues[self.venue].tracks
        self.progress = progress or Progress()
        self.client = client.child()  # this run's own request and byte counters
        self.before = self.client.stats.copy()
        self.pending: list = []  # read, not stored yet
        self.seen_ids: set[str] = set()
        self.skipped: list[str] = []
        self.excluded: Counter[str] = Counter()
        self.pages = self.read = self.counted = 0
        self.outcome: HarvestOutcome | None = None
        self.url: str | None = None  # the page being read, for messages

    def run(self) -> HarvestOutcome:
        job = self.job
        expected = expected_size(self.db, self.settings, job.source, self.venue, job.year)
        try:
            plan = self._read(expected)
        except HarvestError as exc:
            raise self._fail(exc, exc.url or self.url) from None
        except PapertallyError as exc:
            raise self._fail(exc, self.url) from None
        self.progress.update(self.label, self.pages, self.read, plan.expected_hint, final=True)
        problem = coverage_problem(
            self.settings, job.source, self.what, self.counted, expected, plan.origin
        )
        if problem:
            # A suspicious listing is not stored (what a streamed pull already stored
            # stays: those are real papers); nothing is flagged missing.
            self.pending.clear()
            raise self._fail(
                HarvestError(problem, source=job.source, url=plan.origin), plan.origin
            )
        self._store()
        self.outcome.counts.missing = papers_db.mark_missing(
            self.db, job.source, self.venue, job.year, self.seen_ids
        )
        self.outcome.warnings.extend(self.skipped)
        if plan.notes:
            self.outcome.message = "; ".join(plan.notes)
        self._finish("ok", self.skipped, complete=True, expected=expected)
        return self.outcome

    def _read(self, expected: int | None) -> Plan:
        """Fetch and parse every page (storing as they come when the source's own count
        passes the guard); returns the plan."""
        job = self.job
        stopped = self.client.stopped_reason(job.source)
        if stopped:
            # Recorded as a failed run, so that --status shows why it was not tried.
            raise HarvestError(f"{self.what}: not tried: {stopped}", source=job.source)
        plan = registry.plan_for(target_for(self.settings, job, self._known), self.client)
        self.url = plan.origin
        self._start(plan.origin)
        stream = plan.expected_hint is not None and not coverage_problem(
            self.settings, job.source, self.what, plan.expected_hint, expected, plan.origin
        )
        for page in prefetch(plan.pages):
            self.url = page.url
            try:
                result = plan.parse(page.text if page.document is None else page.document)
            except PapertallyError as exc:
                raise HarvestError(
                    f"{self.what}: unusable response: {exc}", source=job.source, url=page.url
                ) from None
            self.pages += 1
            self.read += len(result.records)
            counted = [r for r in result.records if r.track in self.tracks]
            self.counted += len(counted)
            self.seen_ids.update(r.source_id for r in counted)
            self.pending.extend(result.records)
            self.skipped.extend(result.skipped)
            self.excluded.update(result.excluded)
            if stream and len(self.pending) >= STREAM_BATCH:
                self._store()
            self.progress.update(self.label, self.pages, self.read, plan.expected_hint)
        return plan

    def _known(self) -> list[dict]:
        """The venue-year's papers other sources stored (OpenAlex's gap lookup asks)."""
        return harvest_state.known_papers(
            self.db, self.venue, self.job.year, other_than=self.job.source, tracks=self.tracks
        )

    def _start(self, origin: str) -> None:
        job = self.job
        self.outcome = HarvestOutcome(job.source, self.venue, job.year, origin=origin)
        self.outcome.run_id = papers_db.start_run(
            self.db, job.source, self.venue, job.year, origin
        )

    def _store(self) -> None:
        kept = []
        for rec in self.pending:
            if rec.track in self.tracks:
                kept.append(rec)
            else:
                skipped = self.outcome.skipped_tracks
                skipped[rec.track] = skipped.get(rec.track, 0) + 1
        _add_counts(
            self.outcome.counts, papers_db.store_records(self.db, kept, self.outcome.run_id)
        )
        self.pending.clear()

    def _finish(self, status: str, errors: list[str], *, complete: bool, expected=None) -> None:
        outcome = self.outcome
        used = self.client.stats.since(self.before)
        outcome.requests, outcome.bytes = used.requests, used.bytes
        outcome.counts.skipped = sum(outcome.skipped_tracks.values()) + len(self.skipped)
        papers_db.finish_run(
            self.db,
            outcome.run_id,
            status=status,
            counts=outcome.counts,
            errors=errors,
            message=outcome.summary(),
            requests=used.requests,
            bytes_=used.bytes,
        )
        harvest_state.record_details(
            self.db,
            outcome.run_id,
            complete=complete,
            counted=self.counted,
            expected=expected,
            pages=self.pages,
            not_modified=used.not_modified,
            retries=used.retries,
            excluded=json.dumps(dict(self.excluded)),
        )

    def _fail(self, exc: PapertallyError, url: str | None) -> HarvestError:
        """Record the run as failed (storing the pages read before the fault: they are
        real papers) and return the error to raise."""
        if self.outcome is None:
            self._start(url or self.job.source)
        bare = _bare(exc)
        message = bare if bare.startswith(self.what) else f"{self.what}: {bare}"
        if self.pending:
            self._store()
        outcome = self.outcome
        if outcome.counts.seen:
            message += f"; the {outcome.counts.seen} papers read before the fault were stored"
        outcome.status, outcome.message = "failed", message
        self._finish("failed", [message], complete=False)
        self.progress.update(self.label, self.pages, self.read, final=True)
        cls = type(exc) if isinstance(exc, HarvestError) else HarvestError
        source = (exc.source if isinstance(exc, HarvestError) else None) or self.job.source
        where = (exc.url if isinstance(exc, HarvestError) else None) or url
        return cls(message, source=source, url=where)
