"""OpenAlex's API: the works query (built with pyalex, sent through the shared client), the
count, the cursor pages, snapshot freshness and the /sources search for a venue-year's IDs."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass

from pyalex import Sources, Works

from harvesters.base import unusable
from harvesters.http import Fetched, HttpClient
from harvesters.openalex.parse import SOURCE, _clean, _dict
from matching.text import bare_openalex_id
from papertally.errors import HarvestError

# -- live fetching: queries built with pyalex, HTTP through the shared client --------

PYALEX_HOST = "https://api.openalex.org"  # where pyalex's URLs point, whatever config says
MAX_PER_PAGE = 100  # the current documented cap (older docs: 200)
# Only the fields parse_openalex reads: every other field costs bytes, and OpenAlex
# prices calls, so nothing more is asked for.
SELECT = (
    "id",
    "doi",
    "title",
    "publication_year",
    "type",
    "authorships",
    "primary_location",
    "funders",
    "awards",
)


@dataclass(frozen=True)
class Query:
    """One venue-year's works query."""

    base_url: str
    source_ids: tuple[str, ...]
    year: int
    what: str  # "CVPR 2024", for messages
    per_page: int = MAX_PER_PAGE
    api_key: str | None = None

    def url(self) -> str:
        """The /works URL with filter and select (no paging), on the configured host.

        pyalex builds the query; its host is hard-coded, so it is swapped for base_url.
        """
        # locations.source.id, not primary_location: conference papers often have a null
        # primary source while another location (the proceedings) names it.
        works = (
            Works()
            .filter(
                locations={"source": {"id": "|".join(self.source_ids)}},
                publication_year=self.year,
            )
            .select(list(SELECT))
        )
        return on_host(works.url, self.base_url)

    def headers(self) -> dict:
        return auth_headers(self.api_key)


def on_host(url: str, base_url: str) -> str:
    """A URL pyalex built, moved to the configured host (pyalex hard-codes its own)."""
    return url.replace(PYALEX_HOST, base_url.rstrip("/"), 1)


def auth_headers(api_key: str | None) -> dict:
    """The API key as OpenAlex (and pyalex) send it: a Bearer header, never in the URL."""
    return {"Authorization": f"Bearer {api_key}"} if api_key else {}


def api_key_from_env(variable: str | None) -> str | None:
    """The API key from the environment variable named in config, if set."""
    return (os.environ.get(variable) or None) if variable else None


def count_works(client: HttpClient, query: Query) -> tuple[int, Fetched]:
    """The number of works the query matches (one cheap call: per-page=1, select=id)."""
    page = client.get(
        query.url().split("&select=")[0],
        params={"per-page": 1, "select": "id"},
        source=SOURCE,
        what=query.what,
        headers=query.headers(),
    )
    try:
        return int(json.loads(page.text)["meta"]["count"]), page
    except (ValueError, KeyError, TypeError) as exc:
        raise unusable(
            query.what, "the count response has no meta.count", exc, source=SOURCE, url=page.url
        ) from None


def fetch_openalex(
    client: HttpClient,
    query: Query,
    *,
    expected: int | None = None,
    max_pages: int = 500,
) -> Iterator[Fetched]:
    """Yield each cursor page of the query, with no 10,000 cap.

    Stops on an empty page or a null next_cursor. Bounded: at most
    ceil(expected / per_page) + 2 pages when the count is known (else `max_pages`), and a
    cursor that repeats is an error, so a cursor that never ends cannot loop forever.
    """
    per_page = max(1, min(query.per_page, MAX_PER_PAGE))
    bound = max_pages
    if expected is not None:
        bound = min(max_pages, math.ceil(expected / per_page) + 2)
    url = query.url()
    cursor = "*"
    seen_cursors = set()
    for _ in range(bound):
        page = client.get(
            url,
            params={"per-page": per_page, "cursor": cursor},
            source=SOURCE,
            what=query.what,
            headers=query.headers(),
        )
        data = _list_response(page, query.what, "the page")
        results = data["results"]
        cursor = _dict(data.get("meta")).get("next_cursor")
        if results:
            yield dataclasses.replace(page, document=data)
        if not results or not cursor:
            return
        if cursor in seen_cursors:
            raise HarvestError(
                f"{query.what}: the cursor repeats ({cursor[:40]}...); the listing does not "
                "end, stopped",
                source=SOURCE,
                url=page.url,
            )
        seen_cursors.add(cursor)
    raise HarvestError(
        f"{query.what}: still more pages after {bound} pages"
        + (f" for {expected} works" if expected is not None else "")
        + "; the cursor does not end, stopped (nothing after the fault is trusted)",
        source=SOURCE,
        url=url,
    )


def _list_response(page: Fetched, what: str, kind: str) -> dict:
    """The page decoded as an OpenAlex list response (a dict with a `results` list).

    Raises:
        HarvestError: naming `kind` ("the page") and the URL: truncated, or the API changed.
    """
    try:
        data = json.loads(page.text)
        if not isinstance(data["results"], list):
            raise TypeError("'results' is not a list")
    except (ValueError, KeyError, TypeError) as exc:
        raise unusable(
            what, f"{kind} is not an OpenAlex list response", exc, source=SOURCE, url=page.url
        ) from None
    return data


def snapshot_key(query: Query) -> str:
    return f"snapshot {query.url()}"


def snapshot_fresh(
    meta: dict, count: int, refresh_days: int, today: dt.date | None = None
) -> bool:
    """True when a saved snapshot has the same count and is younger than refresh_days."""
    if meta.get("count") != count:
        return False
    try:
        fetched = dt.datetime.fromisoformat(meta["fetched_at"]).date()
    except (KeyError, TypeError, ValueError):
        return False
    return ((today or dt.date.today()) - fetched).days < refresh_days


# -- finding a venue-year's source IDs -----------------------------------------------


@dataclass(frozen=True)
class SourceCandidate:
    """An OpenAlex source that may be a venue-year's proceedings."""

    source_id: str  # bare S id
    display_name: str
    type: str | None
    works_count: int | None  # all years, as OpenAlex states it
    works_in_year: int | None = None  # works of the asked year in any location

    def names(self, venue: str, year: int) -> bool:
        """True when the name carries the year or the venue's key as a word ("CVPR")."""
        text = self.display_name.lower()
        return str(year) in text or re.search(rf"\b{re.escape(venue.lower())}\b", text) is not None


def sources_url(base_url: str, text: str) -> str:
    """The /sources search URL for `text` on the configured host (pyalex builds it)."""
    return on_host(
        Sources().search(text).select(["id", "display_name", "type", "works_count"]).url,
        base_url,
    )


def find_sources(
    client: HttpClient,
    base_url: str,
    *,
    venue: str,
    year: int,
    name: str,
    api_key: str | None = None,
    limit: int = 10,
) -> list[SourceCandidate]:
    """Candidate proceedings sources of one venue-year, with their works of that year.

    One search call ("<year> <name>"), then one count call for each of the first `limit`
    candidates (those naming the year or the venue first). OpenAlex keeps one source per
    edition, so the answer for 2026 is the source whose name says 2026 and holds its works.

    Raises:
        HarvestError: the search answer is not a /sources list (naming the URL).
    """
    what = f"{venue} {year}"
    page = client.get(
        sources_url(base_url, f"{year} {name}"),
        params={"per-page": 25},
        source=SOURCE,
        what=f"{what} sources",
        headers=auth_headers(api_key),
    )
    try:
        results = json.loads(page.text)["results"]
        found = [
            SourceCandidate(
                source_id=bare_openalex_id(r["id"]),
                display_name=_clean(r.get("display_name")),
                type=r.get("type"),
                works_count=r.get("works_count"),
            )
            for r in results
            if isinstance(r, dict) and isinstance(r.get("id"), str)
        ]
    except (ValueError, KeyError, TypeError) as exc:
        raise unusable(
            what, "the /sources answer is not a list of sources", exc, source=SOURCE, url=page.url
        ) from None
    found.sort(key=lambda c: (not c.names(venue, year), -(c.works_count or 0)))
    counted = []
    for candidate in found[:limit]:
        query = Query(base_url, (candidate.source_id,), year, what, api_key=api_key)
        count, _ = count_works(client, query)
        counted.append(dataclasses.replace(candidate, works_in_year=count))
    return counted + found[limit:]
