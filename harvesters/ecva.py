"""ECCV papers from the ECVA listing (ecva.net/papers.php): pure parser and a thin fetcher."""

from __future__ import annotations

import functools
import re
from html.parser import HTMLParser
from urllib.parse import urljoin

from harvesters.base import Listing, ParseResult, feed_html
from harvesters.http import Fetched, HttpClient
from harvesters.source import Plan, SourceSpec, Target, one_page
from papertally.errors import ParseError

SOURCE = "ecva"
_SPACES = re.compile(r"\s+")
# The page holds every edition, one accordion per year headed "ECCV 2024 Papers".
_SECTION = re.compile(r"ECCV\s+(?P<year>\d{4})\s+Papers", re.IGNORECASE)
# papers/eccv_2024/papers_ECCV/html/1_ECCV_2024_paper.php
_KEY = re.compile(r"papers/eccv_(?P<year>\d{4})/[^\"']*?/html/(?P<key>[^/\"']+?)(?:_paper)?\.php")
_SPRINGER_DOI = re.compile(r"link\.springer\.com/chapter/(?P<doi>10\.\d{4,9}/[^\s\"'<>]+)")
# Corresponding-author and affiliation markers printed after names: "Smith*", "Lee ¹²".
_MARKERS = re.compile(r"[*\u00b2\u00b3\u00b9\u2070-\u2079]+")


def listing_url(base_url: str) -> str:
    """The one page listing every ECCV edition: `<base>/papers.php`."""
    return f"{base_url.rstrip('/')}/papers.php"


class _Listing(HTMLParser):
    """Each `<dt class="ptitle">` with its link, the authors `<dd>` and the links `<dd>`."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.papers: list[dict] = []
        self._in_title = False
        self._dd = 0
        self._in_dd = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "dt" and "ptitle" in (a.get("class") or "").split():
            self.papers.append({"href": "", "title": "", "authors": "", "links": []})
            self._in_title = True
            self._dd = 0
        elif tag == "a" and self.papers:
            href = a.get("href") or ""
            if self._in_title and not self.papers[-1]["href"]:
                self.papers[-1]["href"] = href
            elif self._in_dd:
                self.papers[-1]["links"].append(href)
        elif tag == "dd" and self.papers:
            self._in_title = False
            self._dd += 1
            self._in_dd = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "dt":
            self._in_title = False
        elif tag == "dd":
            self._in_dd = False

    def handle_data(self, data: str) -> None:
        if self._in_title and self.papers:
            self.papers[-1]["title"] += data
        elif self._in_dd and self._dd == 1:
            self.papers[-1]["authors"] += data


def _section(text: str, year: int) -> str:
    """The part of the page under the "ECCV <year> Papers" heading (up to the next one)."""
    headings = list(_SECTION.finditer(text))
    for i, heading in enumerate(headings):
        if int(heading.group("year")) == year:
            end = headings[i + 1].start() if i + 1 < len(headings) else len(text)
            return text[heading.end() : end]
    found = sorted({int(h.group("year")) for h in headings})
    raise ParseError(
        f"no \"ECCV {year} Papers\" section (editions on the page: "
        f"{', '.join(map(str, found)) or 'none'}): not published yet, or the layout changed"
    )


def parse_ecva(
    text: str, venue: str, year: int, base_url: str = "https://www.ecva.net"
) -> ParseResult:
    """Parse the ECVA papers page into one ECCV edition's papers.

    Args:
        text: ecva.net/papers.php (all editions, one "ECCV <year> Papers" section each).
        venue: config venue key stored on every record (ECCV).
        year: the edition to read.
        base_url: joined with each paper's relative link to make its URL.

    Returns:
        ParseResult: one record per `<dt class="ptitle">` of that section (source_id
        `eccv_2024/1_ECCV_2024`, the Springer chapter DOI when linked). Entries without a
        title or paper link, or listed twice, go to `skipped`.

    Raises:
        ParseError: not HTML, the year has no section, or it holds no `<dt class="ptitle">`.
    """
    if "<" not in text:
        raise ParseError("not HTML: expected the ECVA papers page")
    parser = _Listing()
    feed_html(parser, _section(text, year), "the ECVA papers page")
    if not parser.papers:
        raise ParseError(
            f'the "ECCV {year} Papers" section holds no <dt class="ptitle"> entries: '
            "the layout changed"
        )
    root = base_url.rstrip("/") + "/"
    listing = Listing(SOURCE, venue, year)
    for index, paper in enumerate(parser.papers):
        title = _SPACES.sub(" ", paper["title"]).strip().strip('"').strip()
        match = _KEY.search(paper["href"])
        if not title or not match:
            listing.skip(index, repr(paper["href"]), "no title or no paper link")
            continue
        doi = next(
            (m.group("doi").lower() for h in paper["links"] if (m := _SPRINGER_DOI.search(h))),
            None,
        )
        listing.add(
            index,
            f"eccv_{match.group('year')}/{match.group('key')}",
            title,
            (_MARKERS.sub("", n) for n in paper["authors"].split(",")),
            doi=doi,
            url=urljoin(root, paper["href"]),
        )
    return listing.result()


def fetch_ecva(client: HttpClient, base_url: str, venue: str, year: int) -> Fetched:
    """Download the papers page (all editions; conditional on the cached copy)."""
    return client.get(listing_url(base_url), source=SOURCE, what=f"{venue} {year}", conditional=True)


def plan(target: Target, client: HttpClient) -> Plan:
    """The one ECVA papers page; the edition's section is read from it."""
    base_url = target.options.base_url
    return Plan(
        listing_url(base_url),
        one_page(lambda: fetch_ecva(client, base_url, target.venue, target.year)),
        functools.partial(parse_ecva, venue=target.venue, year=target.year, base_url=base_url),
    )


SPEC = SourceSpec(
    name=SOURCE,
    title="ECVA",
    summary="ECVA papers page (ECCV), one section per edition, Springer DOIs",
    parse=parse_ecva,
    plan=plan,
)
