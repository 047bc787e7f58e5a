"""Live harvesting of one configured venue-year: each source's fetch plan over the shared client."""

from __future__ import annotations

import functools
import json
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from harvesters import cvf, dblp, neurips, openreview
from harvesters import openalex as oa
from harvesters.acl_anthology import parse_acl_anthology
from harvesters.base import ParseResult
from harvesters.http import Fetched, HttpClient, _now, make_client
from harvesters.openalex import parse_openalex
from harvesters.paperlists import parse_paperlists
from papertally.config import HarvestJob, Settings
from papertally.errors import HarvestError

# A page parser takes the body text, or the decoded JSON when the fetcher already read it.
Parser = Callable[[object], ParseResult]


@dataclass
class Plan:
    """How one venue-year is fetched: lazily fetched pages and the parser for each page.

    `complete` is False when the pages are known not to be the whole listing.
    `notes` are said in the run's summary (e.g. "count unchanged, cached pages re-read").
    """

    origin: str
    pages: Iterator[Fetched]
    parse: Parser
    expected_hint: int | None = None  # the source's own count, when it gives one
    notes: list[str] = field(default_factory=list)


def _source(settings: Settings, job: HarvestJob):
    source = settings.sources.get(job.source)
    if source is None:
        raise HarvestError(
            f"no [sources.{job.source}] section in the config, so its base URL is unknown; "
            "add it with base_url",
            source=job.source,
        )
    return source


def _ids(source, job: HarvestJob) -> tuple[str, ...]:
    return tuple(source.venue_ids.get(f"{job.venue} {job.year}", ()))


def _one(fetch: Callable[[], Fetched]) -> Iterator[Fetched]:
    yield fetch()


def _paperlists(settings, job, client, source) -> Plan:
    folder = {"NeurIPS": "nips"}.get(job.venue, job.venue.lower())
    url = f"{source.base_url.rstrip('/')}/{folder}/{folder}{job.year}.json"
    what = f"{job.venue} {job.year}"
    return Plan(
        url,
        _one(lambda: client.get(url, source=job.source, what=what, conditional=True)),
        functools.partial(parse_paperlists, venue=job.venue, year=job.year),
    )


def _acl(settings, job, client, source) -> Plan:
    base = source.base_url.rstrip("/")
    names = list(_ids(source, job)) or [f"{job.year}.{job.venue.lower()}"]
    # Findings are a separate collection; fetched only when config counts them.
    if "findings" in settings.venues[job.venue].tracks and not _ids(source, job):
        names.append(f"{job.year}.findings")
    urls = [f"{base}/{n}.xml" for n in names]
    what = f"{job.venue} {job.year}"

    def pages() -> Iterator[Fetched]:
        for url in urls:
            yield client.get(url, source=job.source, what=what, conditional=True)

    return Plan(
        urls[0],
        pages(),
        functools.partial(parse_acl_anthology, venue=job.venue, year=job.year),
    )


def _cvf(settings, job, client, source) -> Plan:
    names = _ids(source, job)
    url = cvf.listing_url(
        source.base_url, job.venue, job.year, names[0] if names else None
    )
    return Plan(
        url,
        _one(
            lambda: cvf.fetch_cvf(
                client,
                source.base_url,
                job.venue,
                job.year,
                names[0] if names else None,
            )
        ),
        functools.partial(
            cvf.parse_cvf, venue=job.venue, year=job.year, base_url=source.base_url
        ),
    )


def _neurips(settings, job, client, source) -> Plan:
    return Plan(
        neurips.listing_url(source.base_url, job.year),
        _one(
            lambda: neurips.fetch_neurips(client, source.base_url, job.venue, job.year)
        ),
        functools.partial(
            neurips.parse_neurips,
            venue=job.venue,
            year=job.year,
            base_url=source.base_url,
        ),
    )


def _openreview(settings, job, client, source) -> Plan:
    venue_ids = list(_ids(source, job))
    if not venue_ids:
        venue_ids = [f"{job.venue}.cc/{job.year}/Conference"]
        if "datasets_benchmarks" in settings.venues[job.venue].tracks:
            venue_ids.append(f"{job.venue}.cc/{job.year}/Datasets_and_Benchmarks_Track")
    what = f"{job.venue} {job.year}"

    def pages() -> Iterator[Fetched]:
        for venue_id in venue_ids:
            yield from openreview.fetch_openreview(
                client,
                source.base_url,
                venue_id,
                what,
                max_pages=settings.http.max_pages,
            )

    return Plan(
        f"{source.base_url.rstrip('/')}/notes?content.venueid={venue_ids[0]}",
        pages(),
        functools.partial(openreview.parse_openreview, venue=job.venue, year=job.year),
    )


def _dblp(settings, job, client, source) -> Plan:
    keys = _ids(source, job)
    key = dblp.toc_key(job.venue, job.year, keys[0] if keys else None)
    return Plan(
        f"{source.base_url.rstrip('/')}/search/publ/api?q=toc:{key}:",
        dblp.fetch_dblp(
            client,
            source.base_url,
            key,
            f"{job.venue} {job.year}",
            max_pages=settings.http.max_pages,
        ),
        functools.partial(dblp.parse_dblp, venue=job.venue, year=job.year),
    )


def _openalex(settings, job, client, source, known=None) -> Plan:
    ids = _ids(source, job)
    what = f"{job.venue} {job.year}"
    if not ids:
        raise HarvestError(
            f"{what}: no OpenAlex source IDs configured; add [sources.openalex.venue_ids] "
            f'"{what}" = ["S..."] (look the proceedings up at {source.base_url}/sources)',
            source=job.source,
        )
    query = oa.Query(
        base_url=source.base_url,
        source_ids=ids,
        year=job.year,
        what=what,
        per_page=source.per_page,
        api_key=oa.api_key_from_env(source.api_key_env),
    )
    parse = functools.partial(parse_openalex, venue=job.venue, year=job.year)
    lookup = _gap_lookup(settings, job, source, query, known)
    # Count check first: one cheap call. With the same count as the saved snapshot and a
    # snapshot younger than refresh_days, the saved pages are re-read instead of pulled.
    count, _ = oa.count_works(client, query)
    key = oa.snapshot_key(query)
    saved = client.cache.get(job.source, key) if client.cache else None
    if saved and oa.snapshot_fresh(saved[0], count, source.refresh_days):

        def saved_pages() -> Iterator[Fetched]:
            for line in saved[1].splitlines():
                if line.strip():
                    try:
                        document = json.loads(line)
                    except ValueError:
                        document = None  # the parser says where it breaks
                    if lookup is not None and document is not None:
                        lookup.saw(document)
                    yield Fetched(
                        query.url(), line, 304, from_cache=True, document=document
                    )
            if lookup is not None:
                yield from _lookup_pages(client, job, query, lookup, plan, saved[0])

        plan = Plan(query.url(), saved_pages(), parse, expected_hint=count)
        plan.notes.append(
            f"count unchanged ({count}); pages saved on {saved[0]['fetched_at'][:10]} re-read, "
            "no full pull"
        )
        return plan

    def pages() -> Iterator[Fetched]:
        lines = []
        for page in oa.fetch_openalex(
            client, query, expected=count, max_pages=settings.http.max_pages
        ):
            lines.append(page.text.replace("\n", " "))
            if lookup is not None:
                lookup.saw(page.document)
            yield page
        meta = {
            "url": query.url(),
            "count": count,
            "pages": len(lines),
            "fetched_at": _now(),
        }
        if client.cache is not None:
            client.cache.put(job.source, key, "\n".join(lines) + "\n", meta)
        if lookup is not None:
            yield from _lookup_pages(client, job, query, lookup, plan, meta)

    plan = Plan(query.url(), pages(), parse, expected_hint=count)
    return plan  # named: the pages add the gap lookup's note to it


def _gap_lookup(settings, job, source, query, known) -> oa.GapLookup | None:
    """The gap lookup of an OpenAlex venue-year, or None when off (budget 0, or no known
    paper whose OpenAlex record would be in a counted track).

    `known` returns the rows of db.harvest_state.known_papers; it is called here, in the
    caller's thread (the pages are fetched in another).
    """
    if known is None or source.lookup_budget == 0:
        return None
    # Only papers whose OpenAlex record would count: its track comes from its DOI (ACL
    # Anthology volumes), else "main".
    tracks = settings.venues[job.venue].tracks
    rows = [r for r in known() if oa.track_for_doi(r["doi"]) in tracks]
    if not rows:
        return None
    names = source.raw_source_names.get(job.venue) or oa.DEFAULT_RAW_SOURCE_NAMES.get(
        job.venue, (settings.venues[job.venue].name or job.venue,)
    )
    return oa.GapLookup(
        query=query,
        check=oa.VenueCheck(query.what, job.year, query.source_ids, tuple(names)),
        known=tuple(
            oa.KnownPaper(r["title"], r["doi"], tuple(r["own_ids"])) for r in rows
        ),
        budget=source.lookup_budget,
    )


def _lookup_pages(
    client, job, query, lookup, plan, snapshot: dict
) -> Iterator[Fetched]:
    """The gap lookup's pages after the main pull; its calls and answers are cached with
    the snapshot they complete, so that a re-read snapshot only asks for new gaps."""
    key = f"lookup {query.url()}"
    replay = []
    held = client.cache.get(job.source, key) if client.cache else None
    if held and held[0].get("snapshot_fetched_at") == snapshot.get("fetched_at"):
        try:
            replay = [json.loads(line) for line in held[1].splitlines() if line.strip()]
        except ValueError:
            replay = []  # an unreadable cache only costs the calls again
    yield from lookup.pages(client, replay)
    if client.cache is not None and lookup.calls:
        client.cache.put(
            job.source,
            key,
            "".join(json.dumps(entry) + "\n" for entry in lookup.log),
            {
                "snapshot_fetched_at": snapshot.get("fetched_at"),
                "fetched_at": _now(),
                "calls": len(lookup.log),
            },
        )
    if lookup.gaps or lookup.replayed or lookup.rejected:
        plan.notes.append(lookup.note())


PLANS: dict[str, Callable] = {
    "paperlists": _paperlists,
    "acl-anthology": _acl,
    "cvf": _cvf,
    "neurips": _neurips,
    "openreview": _openreview,
    "dblp": _dblp,
    "openalex": _openalex,
}


def plan_for(
    settings: Settings,
    job: HarvestJob,
    client: HttpClient,
    *,
    known: Callable[[], list[dict]] | None = None,
) -> Plan:
    """The fetch plan of a job. Raises HarvestError for a source with no live harvester.

    `known` returns the venue-year's papers other sources stored (rows of
    db.harvest_state.known_papers): OpenAlex looks up those its source-ID pull missed.
    """
    if job.source not in PLANS:
        raise HarvestError(
            f"live harvesting from {job.source!r} is not available (live sources: "
            f"{', '.join(sorted(PLANS))}); use --from PATH",
            source=job.source,
        )
    build = PLANS[job.source]
    extra = {"known": known} if build is _openalex else {}
    return build(settings, job, client, _source(settings, job), **extra)


def prefetch(pages: Iterator[Fetched], depth: int = 2) -> Iterator[Fetched]:
    """Fetch the next pages in a background thread while the caller parses and stores.

    Exceptions of the fetcher are re-raised in the caller at the point they happened.
    """
    box: queue.Queue = queue.Queue(maxsize=depth)
    done = object()
    stop = threading.Event()

    def work() -> None:
        try:
            for page in pages:
                if stop.is_set():
                    return
                box.put(("page", page))
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer thread
            box.put(("error", exc))
            return
        box.put(("done", done))

    thread = threading.Thread(target=work, name="papertally-fetch", daemon=True)
    thread.start()
    try:
        while True:
            kind, item = box.get()
            if kind == "page":
                yield item
            elif kind == "error":
                raise item
            else:
                return
    finally:
        stop.set()
        while thread.is_alive():
            try:
                box.get_nowait()
            except queue.Empty:
                thread.join(0.05)


_CLIENTS: dict[int, tuple[Settings, HttpClient]] = {}


def shared_client(settings: Settings) -> HttpClient:
    """One client per settings object for the whole process, so that a source stopped by a
    spent budget stays stopped for the other venue-years of the run."""
    held = _CLIENTS.get(id(settings))
    if held is None or held[0] is not settings:
        held = (settings, make_client(settings))
        _CLIENTS[id(settings)] = held
    return held[1]


def harvest_live(
    db,
    settings: Settings,
    job: HarvestJob,
    *,
    client: HttpClient | None = None,
    progress=None,
):
    """Fetch the job's venue-year from its live source and store it (see
    papertally.harvesting.harvest_pages for the guard, the counts and the run record).

    Raises HarvestError naming source, venue-year and URL when the source cannot be reached
    or its answer is unusable; whatever was read before the fault stays stored.
    """
    from papertally.harvesting import harvest_pages

    client = client or shared_client(settings)
    return harvest_pages(db, settings, job, client, progress=progress)
