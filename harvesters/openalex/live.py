"""OpenAlex's live plan for one venue-year: the count check, the snapshot it caches and
re-reads while the count is unchanged, and the gap lookup after the pull."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator

from pydantic import Field

from harvesters.http import Fetched, HttpClient, _now
from harvesters.openalex import api
from harvesters.openalex.lookup import (
    DEFAULT_RAW_SOURCE_NAMES,
    GapLookup,
    KnownPaper,
    VenueCheck,
)
from harvesters.openalex.parse import parse_openalex, track_for_doi
from harvesters.source import Plan, SourceOptions, Target, TomlStrs
from papertally.errors import HarvestError


class OpenAlexOptions(SourceOptions):
    """[sources.openalex]: the common options and OpenAlex's own."""

    # A pull skipped by an unchanged count is forced after this many days.
    refresh_days: int = Field(7, ge=0, le=365)
    # Gap lookup: calls per venue-year for papers other sources stored that the source-ID
    # pull missed (0 = no lookup), and the venue names (keyed by venue) a location's
    # raw_source_name must contain for a found work to count.
    lookup_budget: int = Field(30, ge=0, le=10000)
    raw_source_names: dict[str, TomlStrs] = {}


def plan(target: Target, client: HttpClient) -> Plan:
    """The venue-year's works by its configured OpenAlex source IDs.

    One count call first. With the same count as the saved snapshot and a snapshot younger
    than refresh_days, the saved pages are re-read instead of pulled; otherwise the cursor
    pages are pulled and saved as the new snapshot. Then, when `target.known` offers papers
    other sources stored, the gap lookup asks for those the pull missed.

    Raises:
        HarvestError: no source IDs configured for the venue-year, or the count call fails.
    """
    options = target.options
    if not target.ids:
        raise HarvestError(
            f"{target.what}: no OpenAlex source IDs configured; add "
            f'[sources.openalex.venue_ids] "{target.what}" = ["S..."] (look the '
            f"proceedings up at {options.base_url}/sources)",
            source=target.source,
        )
    query = api.Query(
        base_url=options.base_url,
        source_ids=target.ids,
        year=target.year,
        what=target.what,
        per_page=options.per_page,
        api_key=api.api_key_from_env(options.api_key_env),
    )
    parse = functools.partial(parse_openalex, venue=target.venue, year=target.year)
    lookup = gap_lookup(target, query)
    count, _ = api.count_works(client, query)
    key = api.snapshot_key(query)
    saved = client.cache.get(target.source, key) if client.cache else None
    plan = Plan(query.url(), iter(()), parse, expected_hint=count)
    if saved and api.snapshot_fresh(saved[0], count, options.refresh_days):
        plan.pages = _saved_pages(client, target, query, lookup, plan, saved)
        plan.notes.append(
            f"count unchanged ({count}); pages saved on {saved[0]['fetched_at'][:10]} "
            "re-read, no full pull"
        )
    else:
        plan.pages = _pulled_pages(client, target, query, lookup, plan, count)
    return plan


def _saved_pages(client, target, query, lookup, plan, saved) -> Iterator[Fetched]:
    meta, text = saved
    for line in text.splitlines():
        if line.strip():
            try:
                document = json.loads(line)
            except ValueError:
                document = None  # the parser says where it breaks
            if lookup is not None and document is not None:
                lookup.saw(document)
            yield Fetched(query.url(), line, 304, from_cache=True, document=document)
    if lookup is not None:
        yield from _lookup_pages(client, target, query, lookup, plan, meta)


def _pulled_pages(client, target, query, lookup, plan, count) -> Iterator[Fetched]:
    lines = []
    for page in api.fetch_openalex(client, query, expected=count, max_pages=target.max_pages):
        lines.append(page.text.replace("\n", " "))
        if lookup is not None:
            lookup.saw(page.document)
        yield page
    meta = {"url": query.url(), "count": count, "pages": len(lines), "fetched_at": _now()}
    if client.cache is not None:
        client.cache.put(target.source, api.snapshot_key(query), "\n".join(lines) + "\n", meta)
    if lookup is not None:
        yield from _lookup_pages(client, target, query, lookup, plan, meta)


def gap_lookup(target: Target, query: api.Query) -> GapLookup | None:
    """The gap lookup of a venue-year, or None when off (budget 0, no `known`, or no known
    paper whose OpenAlex record would be in a counted track).

    `target.known` is called here, in the caller's thread (the pages are fetched in another).
    """
    options = target.options
    if target.known is None or options.lookup_budget == 0:
        return None
    # Only papers whose OpenAlex record would count: its track comes from its DOI (ACL
    # Anthology volumes), else "main".
    rows = [r for r in target.known() if track_for_doi(r["doi"]) in target.tracks]
    if not rows:
        return None
    names = options.raw_source_names.get(target.venue) or DEFAULT_RAW_SOURCE_NAMES.get(
        target.venue, (target.venue_name or target.venue,)
    )
    return GapLookup(
        query=query,
        check=VenueCheck(query.what, target.year, query.source_ids, tuple(names)),
        known=tuple(KnownPaper(r["title"], r["doi"], tuple(r["own_ids"])) for r in rows),
        budget=options.lookup_budget,
    )


def _lookup_pages(client, target, query, lookup, plan, snapshot: dict) -> Iterator[Fetched]:
    """The gap lookup's pages after the main pull; its calls and answers are cached with
    the snapshot they complete, so that a re-read snapshot only asks for new gaps."""
    key = f"lookup {query.url()}"
    replay = []
    held = client.cache.get(target.source, key) if client.cache else None
    if held and held[0].get("snapshot_fetched_at") == snapshot.get("fetched_at"):
        try:
            replay = [json.loads(line) for line in held[1].splitlines() if line.strip()]
        except ValueError:
            replay = []  # an unreadable cache only costs the calls again
    yield from lookup.pages(client, replay)
    if client.cache is not None and lookup.calls:
        client.cache.put(
            target.source,
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
