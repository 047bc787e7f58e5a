"""Harvesting one venue-year into the store: from a file, or a configured job (live or offline)."""

from __future__ import annotations

import json
import re
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import sqlite_utils

from db import harvest_state
from db import papers as papers_db
from harvesters import evidence, registry
from harvesters.http import HttpClient, QuotaExhausted, Unreachable
from harvesters.live import prefetch, shared_client
from harvesters.source import Plan, Target
from papertally.config import HarvestJob, Settings
from papertally.errors import HarvestError, PapertallyError

_LISTED_TWICE = re.compile(r"entry \d+ \((.*)\): listed twice, kept once$")
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
    duplicates: int = 0  # source ids listed again in the listing (stored once)
    elsewhere: int = 0  # records stored under another venue-year (left out, not moved)
    track_disagreements: int = 0  # papers whose sources disagree about the track

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
        if self.duplicates:
            text += f"; {self.duplicates} id(s) listed more than once (stored once, see warnings)"
        if self.elsewhere:
            text += (
                f"; {self.elsewhere} record(s) stored under another venue-year left out (not "
                "moved, see warnings)"
            )
        if self.track_disagreements:
            text += (
                f"; {self.track_disagreements} paper(s) whose sources disagree about the "
                f"track, counted by the rule ({papers_db.RULE_TRACKS}; see warnings)"
            )
        if self.requests:
            text += f"; {self.requests} request(s), {_size(self.bytes)}"
        # "entry 7 (v305/agia25a): listed twice, kept once" (a parser's Listing); the
        # summary line of capped warnings names the kind only and is not one of them
        twice = [m.group(1) for w in self.warnings if (m := _LISTED_TWICE.match(w))]
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


# Warnings stored per run as they are; past this many, counts per kind and a few examples.
WARNINGS_KEPT = 50
WARNING_EXAMPLES = 10
# A listing more than this share of whose records are stored under another venue-year is
# refused whole: it is most likely another venue-year's listing.
ELSEWHERE_SHARE = 0.5


def summarise_warnings(warnings: list[str]) -> list[str]:
    """The warnings as stored with a run: all of them up to WARNINGS_KEPT; past that one
    line of counts per kind, the first WARNING_EXAMPLES, and how many more were left out."""
    if len(warnings) <= WARNINGS_KEPT:
        return list(warnings)
    kinds = Counter(_kind(w) for w in warnings)
    shown = kinds.most_common(10)
    head = f"{len(warnings)} warnings; by kind: " + "; ".join(f"{k} x{n}" for k, n in shown)
    if len(kinds) > len(shown):
        head += f"; {len(kinds) - len(shown)} more kind(s)"
    return [
        head,
        *warnings[:WARNING_EXAMPLES],
        f"... {len(warnings) - WARNING_EXAMPLES} more warning(s) not kept",
    ]


def _kind(warning: str) -> str:
    """A warning's kind: its reason (after the last ': ') with numbers as N."""
    reason = warning.rsplit(": ", 1)[-1]
    return re.sub(r"\d+", "N", reason)[:100]


class Screen:
    """What must not be stored as it is: a source id listed again in one listing (stored
    once, reported) and a record stored under another venue-year (left out, never moved)."""

    def __init__(self, db: sqlite_utils.Database, source: str, venue: str, year: int):
        self.db, self.source, self.venue, self.year = db, source, venue, year
        self.seen: set[str] = set()
        self.repeats: Counter[str] = Counter()
        self.elsewhere: dict[str, tuple[str, int, int | None]] = {}

    def unique(self, records: list) -> list:
        """The records whose source id this listing has not given before."""
        kept = []
        for rec in records:
            if rec.source_id in self.seen:
                self.repeats[rec.source_id] += 1
            else:
                self.seen.add(rec.source_id)
                kept.append(rec)
        return kept

    def placeable(self, records: list) -> list:
        """The records not stored under another venue-year (the others are remembered)."""
        found = papers_db.stored_elsewhere(
            self.db, self.source, self.venue, self.year, (r.source_id for r in records)
        )
        self.elsewhere.update(found)
        return [r for r in records if r.source_id not in found]

    def refusal(self, listed: int) -> str | None:
        """Why the listing is refused whole (most of it is stored under another venue-year),
        or None."""
        if not self.elsewhere or len(self.elsewhere) <= ELSEWHERE_SHARE * listed:
            return None
        places = Counter((v, y, run) for v, y, run in self.elsewhere.values())
        (venue, year, run), _ = places.most_common(1)[0]
        by = f" by run {run}" if run else ""
        return (
            f"{self.venue} {self.year}: {len(self.elsewhere)} of the {listed} papers listed are "
            f"already stored under {venue} {year} (first stored{by}); a source record never "
            "moves between venue-years, so the listing is refused. If this load is the "
            "mistake, load it with the right --venue/--year"
            + (f"; if run {run} was the mistake, take it back with `papertally harvest forget "
               f"--run {run}` and load again" if run else "")
        )

    def note(self, outcome: HarvestOutcome) -> None:
        """Count and name what was left out in the outcome (one warning each)."""
        outcome.duplicates = len(self.repeats)
        outcome.elsewhere = len(self.elsewhere)
        for source_id, n in sorted(self.repeats.items()):
            outcome.warnings.append(f"{source_id}: listed {n + 1} times, stored once")
        for source_id, (venue, year, run) in sorted(self.elsewhere.items()):
            by = f", run {run}" if run else ""
            outcome.warnings.append(
                f"{source_id}: stored under {venue} {year}{by}, not moved to "
                f"{self.venue} {self.year}"
            )


def store_screened(
    db: sqlite_utils.Database,
    records: list,
    tracks: tuple[str, ...],
    outcome: HarvestOutcome,
    screen: Screen,
) -> papers_db.IngestCounts:
    """Store the records of counted tracks; a record of another track is stored only when
    it joins a paper another source stored (so that a disagreement about that paper's
    track shows). Records stored under another venue-year are left out (screen)."""
    kept, others = [], []
    for rec in screen.placeable(records):
        if rec.track in tracks:
            kept.append(rec)
        else:
            others.append(rec)
    for rec in records:
        if rec.track not in tracks:
            outcome.skipped_tracks[rec.track] = outcome.skipped_tracks.get(rec.track, 0) + 1
    counts = papers_db.store_records(db, kept, outcome.run_id)
    if others:
        papers_db.store_records(db, others, outcome.run_id, join_only=True)
    return counts


def settle_tracks(db: sqlite_utils.Database, outcome: HarvestOutcome) -> None:
    """Count the venue-year's track disagreements by the documented rule and name them in
    the outcome's warnings (one per paper)."""
    found = papers_db.settle_tracks(db, outcome.venue, outcome.year)
    outcome.track_disagreements = len(found)
    for row in found:
        said = ", ".join(f"{s} {t}" for s, t in sorted(row["tracks"].items()))
        outcome.warnings.append(
            f"{row['paper_id']} {row['title'][:80]!r}: sources say {said}; counted as "
            f"{row['counted_as']}: track disagreement"
        )


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

    Refused (nothing stored) when the file's own content names another venue-year, when
    most of it is stored under another venue-year, or when it fails the coverage guard (no
    paper of a counted track, or, for a complete listing, far fewer than expected). A
    source id listed twice is stored once and reported. The run is recorded in
    harvest_runs whether it succeeds or fails; a failure raises after recording.
    """
    venue = settings.venue_key(venue)
    if settings.edition(venue, year) is None:
        raise PapertallyError(
            f"{venue} {year} is not configured: add it under [venues.{venue}.editions] in "
            f"{settings.base_dir / 'config.toml'} with its conference_date"
        )
    what = f"{venue} {year}"
    tracks = settings.venues[venue].tracks
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
    expected = expected_size(db, settings, source, venue, year)
    try:
        result = registry.parse_file(source, Path(path), venue, year)
        found = evidence.contradiction(result.records, venue, year)
        if found:
            raise HarvestError(
                f"{path}: {found.message(what)}: nothing stored; load it with the venue-year "
                "it names, or check the file",
                source=source,
            )
        screen = Screen(db, source, venue, year)
        records = screen.unique(result.records)
        counted = sum(1 for r in records if r.track in tracks)
        problem = coverage_problem(
            settings, source, what, counted, expected if complete else None, str(path),
            file=True,
        )
        if problem:
            raise HarvestError(problem, source=source)
        screen.placeable(records)
        refusal = screen.refusal(len(records))
        if refusal:
            raise HarvestError(refusal, source=source)
        outcome.counts = store_screened(db, records, tracks, outcome, screen)
    except PapertallyError as exc:
        outcome.status, outcome.message = "failed", str(exc)
        papers_db.finish_run(db, outcome.run_id, status="failed", errors=[str(exc)])
        raise
    outcome.warnings.extend(result.skipped)
    for key, n in result.excluded.items():
        outcome.excluded[key] = outcome.excluded.get(key, 0) + n
    outcome.counts.skipped = sum(outcome.skipped_tracks.values()) + len(result.skipped)
    screen.note(outcome)
    if complete:
        # every id listed counts as listed (a record of another track may be stored to
        # show a track disagreement)
        outcome.counts.missing = papers_db.mark_missing(
            db, source, venue, year, {r.source_id for r in records}
        )
    settle_tracks(db, outcome)
    outcome.warnings = summarise_warnings(outcome.warnings)
    harvest_state.record_details(
        db,
        outcome.run_id,
        complete=complete,
        counted=outcome.counts.seen,
        expected=expected,
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


def worth_retrying(exc: BaseException | None) -> bool:
    """Whether another try of a failed harvest may succeed: not when its source is down
    (connection refused, no DNS, no route) or its request budget is spent, which a try a
    minute later meets the same way; yes for timeouts, 429/5xx after the client's own
    retries, and anything else."""
    return not isinstance(exc, Unreachable | QuotaExhausted)


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
    *,
    file: bool = False,
) -> str | None:
    """Why a listing of `counted` papers (of counted tracks) is not credible, or None when
    it is. `file`: the listing is a downloaded file (`url` is its path)."""
    ratio = settings.coverage.min_ratio
    src = settings.sources.get(source)
    if src is not None and src.min_coverage is not None:
        ratio = src.min_coverage
    if counted == 0:
        if file:
            return (
                f"{what}: {url} lists no paper of a counted track; an empty, truncated or "
                "wrong file? Nothing stored, nothing flagged"
            )
        return (
            f"{what}: the source listed no papers at {url}; its page layout or API probably "
            "changed (or the venue-year is not published yet). Nothing stored, nothing flagged"
        )
    if expected and counted < ratio * expected:
        if file:
            return (
                f"{what}: {url} lists only {counted} papers where {expected} are expected "
                f"(below {ratio:.0%}); a truncated or wrong file? Nothing stored, nothing "
                "flagged; check the file, or lower [coverage] min_ratio / the source's "
                "min_coverage if the venue really shrank"
            )
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
        self.screen = Screen(db, job.source, self.venue, job.year)
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
        self.screen.placeable(self.pending)  # what is stored elsewhere, before storing
        refusal = self.screen.refusal(self.counted)
        if refusal:
            self.pending.clear()  # not stored (a streamed pull's earlier batches stay)
            raise self._fail(HarvestError(refusal, source=job.source, url=plan.origin), plan.origin)
        self._store()
        self.outcome.counts.missing = papers_db.mark_missing(
            self.db, job.source, self.venue, job.year, self.seen_ids
        )
        self.outcome.warnings.extend(self.skipped)
        self.screen.note(self.outcome)
        settle_tracks(self.db, self.outcome)
        if plan.notes:
            self.outcome.message = "; ".join(plan.notes)
        self._finish("ok", self.outcome.warnings, complete=True, expected=expected)
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
            records = self.screen.unique(result.records)
            self.counted += sum(1 for r in records if r.track in self.tracks)
            self.seen_ids.update(r.source_id for r in records)
            self.pending.extend(records)
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
        counts = store_screened(self.db, self.pending, self.tracks, self.outcome, self.screen)
        _add_counts(self.outcome.counts, counts)
        self.pending.clear()

    def _finish(self, status: str, errors: list[str], *, complete: bool, expected=None) -> None:
        outcome = self.outcome
        used = self.client.stats.since(self.before)
        outcome.requests, outcome.bytes = used.requests, used.bytes
        outcome.counts.skipped = sum(outcome.skipped_tracks.values()) + len(self.skipped)
        outcome.warnings = summarise_warnings(outcome.warnings)
        papers_db.finish_run(
            self.db,
            outcome.run_id,
            status=status,
            counts=outcome.counts,
            errors=summarise_warnings(errors),
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
        if isinstance(exc, Unreachable):
            # Said plainly in the run summary: no retry helps until the source is back.
            bare = f"source down: {bare.removeprefix(self.what + ': ')}"
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
