"""dblp table-of-contents search API (ICRA, any venue by its dblp key): parser and fetcher."""

from __future__ import annotations

import functools
import html
import json
import re
from collections import Counter
from collections.abc import Iterator

from harvesters.base import ParseResult, json_error, unusable
from harvesters.http import Fetched, HttpClient
from harvesters.records import AuthorRecord, PaperRecord
from harvesters.source import Plan, SourceSpec, Target
from matching.text import normalise_doi
from papertally.errors import HarvestError, ParseError

SOURCE = "dblp"
PAGE_SIZE = 1000  # dblp's maximum hits per call
_SPACES = re.compile(r"\s+")
# dblp disambiguates homonyms with a 4-digit suffix: "Wei Wang 0042".
_HOMONYM = re.compile(r"^(?P<name>.*\S)\s+(?P<number>\d{4})$")
# Entries of a TOC that are not papers (the proceedings volume itself).
_NOT_PAPERS = ("editorship",)


def toc_key(venue: str, year: int, configured: str | None = None) -> str:
    """The dblp TOC key of a venue-year: config's, else `db/conf/<v>/<v><year>.bht`."""
    if configured:
        return configured
    v = venue.lower()
    return f"db/conf/{v}/{v}{year}.bht"


def split_homonym(printed: str) -> tuple[str, str | None]:
    """("Wei Wang", "0042") from "Wei Wang 0042"; (printed, None) without a suffix."""
    match = _HOMONYM.match(printed)
    return (match.group("name"), match.group("number")) if match else (printed, None)


def _author(entry: object, position: int) -> AuthorRecord | None:
    if isinstance(entry, str):
        printed, pid = entry, None
    elif isinstance(entry, dict):
        printed, pid = entry.get("text") or "", entry.get("@pid")
    else:
        return None
    printed = _SPACES.sub(" ", html.unescape(str(printed))).strip()
    if not printed:
        return None
    plain, number = split_homonym(printed)
    given = family = None
    if number:
        # The name as printed keeps the suffix; given/family carry the usable name (dblp
        # prints western order), so the matcher compares "Wei Wang", not "Wang 0042".
        parts = plain.split(" ")
        if len(parts) > 1:
            given, family = " ".join(parts[:-1]), parts[-1]
    return AuthorRecord(
        name=printed,
        position=position,
        given=given,
        family=family,
        dblp_pid=str(pid) if pid else None,
    )


def _as_list(value: object) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def parse_dblp(text: str, venue: str, year: int) -> ParseResult:
    """Parse dblp search API JSON (one page, or a JSON array / JSON lines of pages).

    Args:
        text: `{"result": {"hits": {"@total": ..., "hit": [{"info": {...}}]}}}`.
        venue: config venue key stored on every record.
        year: edition year stored on every record.

    Returns:
        ParseResult: one record per hit (source_id is the dblp record key, authors keep
        the printed name with any homonym suffix and their dblp pid); editorships are
        counted in `excluded`, hits without key or title are in `skipped`.

    Raises:
        ParseError: not JSON, or no `result.hits` object (the API changed or errored).
    """
    pages = []
    try:
        data = json.loads(text)
        pages = data if isinstance(data, list) else [data]
    except json.JSONDecodeError as exc:
        if exc.msg != "Extra data":
            raise json_error(exc, "a dblp search API response (format=json)") from exc
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                try:
                    pages.append(json.loads(line))
                except json.JSONDecodeError as line_exc:
                    raise ParseError(
                        f"JSON lines, line {number}: not valid JSON: {line_exc.msg}"
                    ) from line_exc
    records: list[PaperRecord] = []
    skipped: list[str] = []
    excluded: Counter[str] = Counter()
    seen: set[str] = set()
    for page_no, page in enumerate(pages):
        hits = (
            ((page or {}).get("result") or {}).get("hits")
            if isinstance(page, dict)
            else None
        )
        if not isinstance(hits, dict):
            raise ParseError(
                f"page {page_no}: no result.hits object; expected a dblp search API response "
                "(the API changed, or this is an error page)"
            )
        for index, hit in enumerate(_as_list(hits.get("hit"))):
            info = hit.get("info") if isinstance(hit, dict) else None
            if not isinstance(info, dict):
                skipped.append(f"page {page_no} hit {index}: no info object")
                continue
            kind = str(info.get("type") or "")
            if kind.lower() in _NOT_PAPERS:
                excluded[f"type {kind}"] += 1
                continue
            key = str(info.get("key") or "").strip()
            title = _SPACES.sub(
                " ", html.unescape(str(info.get("title") or ""))
            ).strip()
            if title.endswith(".") and not title.endswith(".."):
                title = title[:-1]  # dblp ends every title with a period
            if not key or not title:
                skipped.append(f"page {page_no} hit {index}: no key or no title")
                continue
            if key in seen:
                continue  # overlapping pages: one record per key
            seen.add(key)
            authors = []
            for entry in _as_list((info.get("authors") or {}).get("author")):
                author = _author(entry, len(authors) + 1)
                if author:
                    authors.append(author)
            ee = _as_list(info.get("ee"))
            records.append(
                PaperRecord(
                    source=SOURCE,
                    source_id=key,
                    venue=venue,
                    year=year,
                    title=title,
                    authors=tuple(authors),
                    doi=normalise_doi(
                        info.get("doi") if isinstance(info.get("doi"), str) else None
                    ),
                    url=info.get("url") or (ee[0] if ee else None),
                )
            )
    return ParseResult(records=records, skipped=skipped, excluded=dict(excluded))


def fetch_dblp(
    client: HttpClient, base_url: str, key: str, what: str, *, max_pages: int = 500
) -> Iterator[Fetched]:
    """Yield each search API page of a TOC (`q=toc:<key>:`, 1000 hits a page) until
    `@total` is reached or a page is empty; at most `max_pages` pages."""
    url = f"{base_url.rstrip('/')}/search/publ/api"
    first = 0
    for _page in range(max_pages):
        page = client.get(
            url,
            params={"q": f"toc:{key}:", "h": PAGE_SIZE, "f": first, "format": "json"},
            source=SOURCE,
            what=what,
            conditional=True,
        )
        try:
            hits = json.loads(page.text)["result"]["hits"]
            total = int(hits.get("@total", 0))
            sent = len(_as_list(hits.get("hit")))
        except (ValueError, KeyError, TypeError) as exc:
            raise unusable(
                what, "the response is not a dblp search result", exc, source=SOURCE,
                url=page.url,
            ) from None
        yield page
        first += sent
        if sent == 0 or first >= total:
            return
    raise HarvestError(
        f"{what}: still more hits after {max_pages} pages; the listing does not end",
        source=SOURCE,
        url=url,
    )


def plan(target: Target, client: HttpClient) -> Plan:
    """The venue-year's table of contents through the search API (the configured TOC key,
    else dblp's usual key for the venue)."""
    key = toc_key(target.venue, target.year, target.ids[0] if target.ids else None)
    base_url = target.options.base_url
    return Plan(
        f"{base_url.rstrip('/')}/search/publ/api?q=toc:{key}:",
        fetch_dblp(client, base_url, key, target.what, max_pages=target.max_pages),
        functools.partial(parse_dblp, venue=target.venue, year=target.year),
    )


SPEC = SourceSpec(
    name=SOURCE,
    title="dblp",
    summary="dblp table-of-contents search API, with dblp person IDs",
    parse=parse_dblp,
    plan=plan,
)
