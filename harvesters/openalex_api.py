"""OpenAlex /works fetcher: queries built with pyalex, HTTP through the shared client."""

from __future__ import annotations

import datetime as dt
import json
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass

from pyalex import Works

from harvesters.http import Fetched, HttpClient
from papertally.errors import HarvestError

SOURCE = "openalex"
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
        return works.url.replace(
            "https://api.openalex.org", self.base_url.rstrip("/"), 1
        )

    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}


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
        raise HarvestError(
            f"{query.what}: the count response has no meta.count ({type(exc).__name__}); "
            "truncated or the API changed",
            source=SOURCE,
            url=page.url,
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
        try:
            data = json.loads(page.text)
            results = data["results"]
            cursor = (data.get("meta") or {}).get("next_cursor")
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise HarvestError(
                f"{query.what}: the page is not an OpenAlex list response "
                f"({type(exc).__name__}: {str(exc)[:120]}); truncated or the API changed",
                source=SOURCE,
                url=page.url,
            ) from None
        if not isinstance(results, list):
            raise HarvestError(
                f"{query.what}: 'results' is not a list; the API changed",
                source=SOURCE,
                url=page.url,
            )
        if results:
            yield page
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
