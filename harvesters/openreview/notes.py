"""OpenReview API v2 accepted notes (with their authors' profiles): pure parser, thin fetcher, plan."""

from __future__ import annotations

import functools
import json
import re
from collections import Counter
from collections.abc import Iterator

from harvesters.base import ParseResult, parse_json, unusable
from harvesters.http import Fetched, HttpClient
from harvesters.openreview.profiles import fetch_profiles, history_of
from harvesters.records import AuthorRecord, PaperRecord
from harvesters.source import Plan, SourceSpec, Target
from papertally.errors import HarvestError, ParseError

SOURCE = "openreview"
_SPACES = re.compile(r"\s+")
# venueid values of notes that are not accepted papers.
_NOT_ACCEPTED = ("submission", "withdrawn", "reject", "desk")


def _value(content: dict, key: str):
    """`content.<key>.value` (API v2), tolerating the bare v1 shape."""
    field = content.get(key)
    return field.get("value") if isinstance(field, dict) else field


def _clean(value: object) -> str:
    return _SPACES.sub(" ", value).strip() if isinstance(value, str) else ""


def _track(venueid: str, venue: str) -> str | None:
    lowered = venueid.lower()
    if any(stem in lowered for stem in _NOT_ACCEPTED):
        return None
    if (
        "datasets_and_benchmarks" in lowered
        or "datasets and benchmarks" in venue.lower()
    ):
        return "datasets_benchmarks"
    return "main"


def profile_affiliations(profile: dict, year: int) -> tuple[str, ...]:
    """Institution names of a profile's history entries that cover `year` (open ends count)."""
    positions = [p for p in history_of(profile) if p.covers(year)]
    # An entry with only a domain names no institution to print as an affiliation.
    names = (p.institution for p in positions if p.institution != p.domain)
    return tuple(dict.fromkeys(names))


def parse_openreview(text: str, venue: str, year: int) -> ParseResult:
    """Parse OpenReview v2 notes (and, when present, profiles) into accepted papers.

    Accepts a `/notes` response (`{"notes": [...], "count": N}`), the same with a
    `"profiles"` array (`/profiles` results, as the live fetcher saves each page), or a JSON
    array of notes. Authors keep their printed names; `~Given_Family1` ids become
    `openreview_id`; a profile's institution history covering `year` gives affiliations.

    Returns:
        ParseResult: accepted notes; notes whose venueid marks a submission, rejection or
        withdrawal are counted in `excluded`; notes without id or title in `skipped`.

    Raises:
        ParseError: not JSON, or no `notes` array.
    """
    data = parse_json(text, "an OpenReview /notes response")
    profiles: list = []
    if isinstance(data, dict):
        notes = data.get("notes")
        profiles = data.get("profiles") or []
    else:
        notes = data
    if not isinstance(notes, list):
        raise ParseError(
            "no 'notes' array: expected an OpenReview API v2 /notes response (the API may "
            "have changed)"
        )
    by_id = {p.get("id"): p for p in profiles if isinstance(p, dict) and p.get("id")}
    for p in profiles:  # a profile is also reachable under each of its usernames
        if isinstance(p, dict):
            for name in (p.get("content") or {}).get("names") or []:
                if isinstance(name, dict) and name.get("username"):
                    by_id.setdefault(name["username"], p)
    records: list[PaperRecord] = []
    skipped: list[str] = []
    excluded: Counter[str] = Counter()
    for index, note in enumerate(notes):
        if not isinstance(note, dict) or not isinstance(note.get("content"), dict):
            skipped.append(f"note {index}: not a note object with content")
            continue
        content = note["content"]
        note_id = _clean(note.get("id"))
        title = _clean(_value(content, "title"))
        if not note_id or not title:
            skipped.append(f"note {index} ({note_id or 'no id'}): no id or no title")
            continue
        venueid = _clean(_value(content, "venueid"))
        track = _track(venueid, _clean(_value(content, "venue")))
        if track is None:
            excluded[f"venueid {venueid}"] += 1
            continue
        names = _value(content, "authors") or []
        ids = _value(content, "authorids") or []
        authors = []
        for position, name in enumerate(names, start=1):
            author_id = ids[position - 1] if position - 1 < len(ids) else None
            profile_id = (
                author_id
                if isinstance(author_id, str) and author_id.startswith("~")
                else None
            )
            profile = by_id.get(profile_id) if profile_id else None
            authors.append(
                AuthorRecord(
                    name=_clean(name),
                    position=position,
                    openreview_id=profile_id,
                    affiliations=profile_affiliations(profile, year) if profile else (),
                )
            )
        records.append(
            PaperRecord(
                source=SOURCE,
                source_id=note_id,
                venue=venue,
                year=year,
                title=title,
                authors=tuple(authors),
                track=track,
                url=f"https://openreview.net/forum?id={_clean(note.get('forum')) or note_id}",
                extra={"venueid": venueid},
            )
        )
    return ParseResult(records=records, skipped=skipped, excluded=dict(excluded))


def fetch_openreview(
    client: HttpClient,
    base_url: str,
    venue_id: str,
    what: str,
    *,
    limit: int = 1000,
    max_pages: int = 500,
) -> Iterator[Fetched]:
    """Yield one combined JSON page per /notes page: `{"notes": [...], "profiles": [...]}`.

    Pages with offset until a page is empty or the offset reaches `count`; at most
    `max_pages` pages (a listing that never ends is an error, not an endless loop).
    """
    base = base_url.rstrip("/")
    offset = 0
    for _page in range(max_pages):
        page = client.get(
            f"{base}/notes",
            params={"content.venueid": venue_id, "limit": limit, "offset": offset},
            source=SOURCE,
            what=what,
            conditional=True,
        )
        try:
            data = json.loads(page.text)
            notes = data["notes"]
            total = data.get("count")
        except (ValueError, KeyError, TypeError) as exc:
            raise unusable(
                what, "the /notes response is not a notes page", exc, source=SOURCE,
                url=page.url,
            ) from None
        if not notes:
            return
        profile_ids = sorted(
            {
                i
                for n in notes
                if isinstance(n, dict)
                for i in (_value(n.get("content") or {}, "authorids") or [])
                if isinstance(i, str) and i.startswith("~")
            }
        )
        profiles = [
            profile
            for got in fetch_profiles(
                client, base, profile_ids, what=f"{what} profiles", conditional=True
            )
            for profile in got.document["profiles"]
        ]
        yield Fetched(
            page.url,
            json.dumps({"notes": notes, "profiles": profiles}),
            200,
            from_cache=page.from_cache,
        )
        offset += len(notes)
        if isinstance(total, int) and offset >= total:
            return
    raise HarvestError(
        f"{what}: still more notes after {max_pages} pages; the listing does not end "
        "(raise [http] max_pages if the venue is really that large)",
        source=SOURCE,
        url=f"{base}/notes?content.venueid={venue_id}",
    )


def plan(target: Target, client: HttpClient) -> Plan:
    """The accepted notes of the venue-year's venue ids (configured, else
    `VENUE.cc/YEAR/Conference` and, when config counts it, the Datasets and Benchmarks
    track), each paged with its authors' profiles."""
    venue_ids = list(target.ids)
    if not venue_ids:
        venue_ids = [f"{target.venue}.cc/{target.year}/Conference"]
        if "datasets_benchmarks" in target.tracks:
            venue_ids.append(f"{target.venue}.cc/{target.year}/Datasets_and_Benchmarks_Track")
    base_url = target.options.base_url

    def pages() -> Iterator[Fetched]:
        for venue_id in venue_ids:
            yield from fetch_openreview(
                client, base_url, venue_id, target.what, max_pages=target.max_pages
            )

    return Plan(
        f"{base_url.rstrip('/')}/notes?content.venueid={venue_ids[0]}",
        pages(),
        functools.partial(parse_openreview, venue=target.venue, year=target.year),
    )


SPEC = SourceSpec(
    name=SOURCE,
    title="OpenReview",
    summary="OpenReview API v2 accepted notes and author profiles",
    parse=parse_openreview,
    plan=plan,
)
