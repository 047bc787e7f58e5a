"""NeurIPS proceedings listing (proceedings.neurips.cc): pure parser and a thin fetcher."""

from __future__ import annotations

import functools
import re
from html.parser import HTMLParser
from urllib.parse import urljoin

from harvesters.base import ParseResult, feed_html
from harvesters.http import Fetched, HttpClient
from harvesters.records import AuthorRecord, PaperRecord
from harvesters.source import Plan, SourceSpec, Target, one_page
from papertally.errors import ParseError

SOURCE = "neurips"
_SPACES = re.compile(r"\s+")
_HASH = re.compile(
    r"/hash/(?P<hash>[0-9a-f]{16,64})-Abstract(?:-(?P<kind>[A-Za-z_]+))?\.html"
)


def listing_url(base_url: str, year: int) -> str:
    """The proceedings listing of one year: `<base>/paper_files/paper/2024`."""
    return f"{base_url.rstrip('/')}/paper_files/paper/{year}"


def _track(li_class: str, kind: str | None) -> str | None:
    """The canonical track from the `<li>` class, else from the link's -Abstract-<Kind>."""
    names = li_class.lower()
    if "datasets" in names:
        return "datasets_benchmarks"
    if "conference" in names or "main" in names:
        return "main"
    kind = (kind or "").lower()
    if kind.startswith("datasets"):
        return "datasets_benchmarks"
    if kind == "conference":
        return "main"
    return None


class _Listing(HTMLParser):
    """Each `<li>` holding a /hash/...-Abstract link: class, link, title, author text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.items: list[dict] = []
        self._li: dict | None = None
        self._in_link = False
        self._in_authors = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "li":
            self._li = {
                "class": a.get("class") or "",
                "href": None,
                "title": "",
                "authors": "",
                "tail": "",
            }
            self.items.append(self._li)
        elif self._li is None:
            return
        elif (
            tag == "a"
            and self._li["href"] is None
            and "/hash/" in (a.get("href") or "")
        ):
            self._li["href"] = a.get("href")
            self._in_link = True
        elif (
            tag in ("i", "span")
            and self._li["href"] is not None
            and (tag == "i" or "author" in (a.get("class") or ""))
        ):
            self._in_authors += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._in_link = False
        elif tag in ("i", "span") and self._in_authors:
            self._in_authors -= 1
        elif tag == "li":
            self._li = None

    def handle_data(self, data: str) -> None:
        if self._li is None:
            return
        if self._in_link:
            self._li["title"] += data
        elif self._in_authors:
            self._li["authors"] += data
        elif self._li["href"] is not None:
            self._li["tail"] += data


def parse_neurips(
    text: str, venue: str, year: int, base_url: str = "https://proceedings.neurips.cc"
) -> ParseResult:
    """Parse a NeurIPS proceedings listing into papers, main track vs Datasets & Benchmarks.

    Args:
        text: the listing's HTML: one `<li class="conference|datasets_and_benchmarks">` per
            paper with a `/hash/<hash>-Abstract-<Kind>.html` link and the authors as one
            comma-separated string.
        venue: config venue key stored on every record.
        year: edition year stored on every record.
        base_url: joined with each relative link.

    Returns:
        ParseResult: one record per paper (source_id is the hash); entries whose track cannot
        be told are in `skipped`.

    Raises:
        ParseError: not HTML, or no paper links at all (the layout changed).
    """
    parser = _Listing()
    feed_html(parser, text, "a NeurIPS proceedings listing page")
    items = [i for i in parser.items if i["href"]]
    if not items:
        raise ParseError(
            "no <li> with a /hash/...-Abstract link: not a proceedings listing, or its layout "
            "changed (see SOURCE_FORMATS.md, NeurIPS)"
        )
    records: list[PaperRecord] = []
    skipped: list[str] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        match = _HASH.search(item["href"])
        title = _SPACES.sub(" ", item["title"]).strip()
        if not match or not title:
            skipped.append(f"entry {index}: no title or no /hash/<hash>-Abstract link")
            continue
        track = _track(item["class"], match.group("kind"))
        if track is None:
            skipped.append(
                f"entry {index} ({match.group('hash')}): track unknown (li class "
                f"{item['class']!r}, link {item['href']!r})"
            )
            continue
        key = match.group("hash")
        if key in seen:
            skipped.append(f"entry {index} ({key}): listed twice, kept once")
            continue
        seen.add(key)
        author_text = item["authors"] if item["authors"].strip() else item["tail"]
        names = [
            n
            for n in (_SPACES.sub(" ", p).strip() for p in author_text.split(","))
            if n
        ]
        records.append(
            PaperRecord(
                source=SOURCE,
                source_id=key,
                venue=venue,
                year=year,
                title=title,
                authors=tuple(
                    AuthorRecord(name=n, position=i) for i, n in enumerate(names, 1)
                ),
                track=track,
                url=urljoin(base_url.rstrip("/") + "/", item["href"].lstrip("/")),
            )
        )
    return ParseResult(records=records, skipped=skipped)


def fetch_neurips(client: HttpClient, base_url: str, venue: str, year: int) -> Fetched:
    """Download one year's proceedings listing (conditional on the cached copy)."""
    return client.get(
        listing_url(base_url, year),
        source=SOURCE,
        what=f"{venue} {year}",
        conditional=True,
    )


def plan(target: Target, client: HttpClient) -> Plan:
    """The year's one proceedings listing page."""
    base_url = target.options.base_url
    return Plan(
        listing_url(base_url, target.year),
        one_page(lambda: fetch_neurips(client, base_url, target.venue, target.year)),
        functools.partial(
            parse_neurips, venue=target.venue, year=target.year, base_url=base_url
        ),
    )


SPEC = SourceSpec(
    name=SOURCE,
    title="NeurIPS proceedings",
    summary="NeurIPS proceedings listing, main and Datasets & Benchmarks",
    parse=parse_neurips,
    plan=plan,
)
