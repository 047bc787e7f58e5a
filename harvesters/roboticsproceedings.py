"""Robotics: Science and Systems proceedings (roboticsproceedings.org): parser and fetcher."""

from __future__ import annotations

import functools
import re
from html.parser import HTMLParser

from harvesters.base import Listing, ParseResult, feed_html
from harvesters.http import Fetched, HttpClient
from harvesters.source import Plan, SourceSpec, Target, one_page
from papertally.errors import ParseError

SOURCE = "roboticsproceedings"
_PAPER = re.compile(r"^p(?P<number>\d+)\.html$")
# A paper page or PDF anywhere: https://www.roboticsproceedings.org/rss20/p067.html
_PAPER_URL = re.compile(r"roboticsproceedings\.org/rss(?P<volume>\d+)/p(?P<number>\d+)\.(?:html|pdf)")
_AND = re.compile(r"\s+and\s+|,")
# RSS 2005 was the first edition: volume N is the edition of 2004 + N (rss20 = RSS 2024).
_FIRST_YEAR = 2004


def volume_of(year: int) -> int:
    """The proceedings volume of an RSS year: 2024 -> 20 (`rss20`)."""
    return year - _FIRST_YEAR


def index_url(base_url: str, year: int) -> str:
    """The table of contents of one edition: `<base>/rss20/index.html`."""
    return f"{base_url.rstrip('/')}/rss{volume_of(year):02d}/index.html"


def _roman(value: int) -> str:
    out = ""
    for number, numeral in ((10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while value >= number:
            out += numeral
            value -= number
    return out


def rss_doi(year: int, number: str) -> str:
    """The DOI RSS registers for paper `number` of `year`: 10.15607/rss.2024.xx.067 (lower case).

    RSS DOIs read `10.15607/RSS.<year>.<volume in Roman numerals>.<three-digit number>`; stored
    lower case like every DOI in papertally.
    """
    return f"10.15607/rss.{year}.{_roman(volume_of(year)).lower()}.{int(number):03d}"


def doi_from_url(url: str) -> str | None:
    """The RSS DOI a roboticsproceedings.org paper or PDF URL names, else None."""
    match = _PAPER_URL.search(url or "")
    if not match:
        return None
    return rss_doi(int(match.group("volume")) + _FIRST_YEAR, match.group("number"))


class _Index(HTMLParser):
    """Collects each `<a href="pNNN.html">title</a>` and the `<i>authors</i>` after it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.papers: list[dict] = []
        self._in_title = False
        self._in_authors = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            match = _PAPER.match((dict(attrs).get("href") or "").strip())
            if match:
                self.papers.append({"number": match.group("number"), "title": "", "authors": None})
                self._in_title = True
        elif tag == "i" and self.papers and self.papers[-1]["authors"] is None:
            self.papers[-1]["authors"] = ""
            self._in_authors = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._in_title = False
        elif tag == "i":
            self._in_authors = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.papers[-1]["title"] += data
        elif self._in_authors:
            self.papers[-1]["authors"] += data


def parse_roboticsproceedings(
    text: str, venue: str, year: int, base_url: str = "https://www.roboticsproceedings.org"
) -> ParseResult:
    """Parse an RSS proceedings table of contents (`rss20/index.html`) into papers.

    Args:
        text: the index page's HTML: per paper a link `<a href="p001.html">title</a>` and, after
            it, the authors in `<i>`, comma-separated (the last one may follow "and").
        venue: config venue key stored on every record (RSS).
        year: edition year; gives the volume (2024 -> rss20) and the DOIs.
        base_url: joined with the volume and each paper's link to make its URL.

    Returns:
        ParseResult: one record per paper (source_id `rss20/p001`, DOI 10.15607/rss.2024.xx.001).
        A link without a title, or a paper number listed twice, goes to `skipped`.

    Raises:
        ParseError: not HTML, or no `pNNN.html` link at all (not an index page, or the layout
        changed).
    """
    parser = _Index()
    feed_html(parser, text, "a roboticsproceedings.org index page")
    if not parser.papers:
        raise ParseError(
            'no <a href="pNNN.html"> paper links: not a roboticsproceedings.org index page, '
            "or its layout changed"
        )
    volume = f"rss{volume_of(year):02d}"
    root = f"{base_url.rstrip('/')}/{volume}/"
    listing = Listing(SOURCE, venue, year)
    for index, paper in enumerate(parser.papers):
        key = f"{volume}/p{paper['number']}"
        if not paper["title"].strip():
            listing.skip(index, key, "link without a title")
            continue
        listing.add(
            index,
            key,
            paper["title"],
            _AND.split(paper["authors"] or ""),
            doi=rss_doi(year, paper["number"]),
            url=f"{root}p{paper['number']}.html",
        )
    return listing.result()


def fetch_roboticsproceedings(client: HttpClient, base_url: str, venue: str, year: int) -> Fetched:
    """Download one edition's table of contents (conditional on the cached copy)."""
    return client.get(
        index_url(base_url, year), source=SOURCE, what=f"{venue} {year}", conditional=True
    )


def plan(target: Target, client: HttpClient) -> Plan:
    """The edition's table of contents (rssNN/index.html, NN = year - 2004)."""
    base_url = target.options.base_url
    return Plan(
        index_url(base_url, target.year),
        one_page(lambda: fetch_roboticsproceedings(client, base_url, target.venue, target.year)),
        functools.partial(
            parse_roboticsproceedings, venue=target.venue, year=target.year, base_url=base_url
        ),
    )


SPEC = SourceSpec(
    name=SOURCE,
    title="RSS proceedings",
    summary="Robotics: Science and Systems proceedings (roboticsproceedings.org), with DOIs",
    parse=parse_roboticsproceedings,
    plan=plan,
)
