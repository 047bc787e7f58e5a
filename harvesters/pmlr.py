"""PMLR volume pages (ICML, CoRL on proceedings.mlr.press): pure parser and a thin fetcher."""

from __future__ import annotations

import functools
import re
from html.parser import HTMLParser

from harvesters.base import Listing, ParseResult, feed_html
from harvesters.http import Fetched, HttpClient
from harvesters.source import Plan, SourceSpec, Target, one_page
from papertally.errors import HarvestError
from papertally.errors import ParseError

SOURCE = "pmlr"
_SPACES = re.compile(r"\s+")
# The paper's own page: https://proceedings.mlr.press/v305/aoyama25a.html
_KEY = re.compile(r"/(?P<volume>v\d+)/(?P<key>[^/]+?)\.html$")
_OPENREVIEW = re.compile(r"openreview\.net/forum\?id=(?P<id>[^&\"'#]+)")


def volume_url(base_url: str, volume: str) -> str:
    """A volume's page: `<base>/v305/` (volume "v305" or "305")."""
    return f"{base_url.rstrip('/')}/v{volume.lstrip('v')}/"


class _Volume(HTMLParser):
    """Collects each `<div class="paper">`: title, authors span, links, and the section
    (`<h3 id="Oral">`) it is listed under.

    Layout (mlresearch/jekyll-theme `_includes/pmlr/home.html` and `listpaper.html`):
    `<div class="paper"><p class="title">T</p><p class="details"><span class="authors">A,&nbsp;B
    </span>; <span class="info">...</span></p><p class="links">[<a href="…/v305/key.html">abs
    </a>][<a href="….pdf">Download PDF</a>][<a href="https://openreview.net/forum?id=…">
    OpenReview</a>]</p></div>`.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.papers: list[dict] = []
        self._section = ""
        self._in_h3 = False
        self._field: str | None = None
        self._depth = 0  # open <div>s inside the current paper
        self._link: dict | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if tag == "h3":
            self._in_h3 = True
            self._section = ""
        elif tag == "div":
            if "paper" in classes:
                self.papers.append(
                    {"title": "", "authors": "", "links": [], "section": self._section}
                )
                self._depth = 1
            elif self._depth:
                self._depth += 1
        elif not self._depth:
            return
        elif tag == "p" and "title" in classes:
            self._field = "title"
        elif tag == "span" and "authors" in classes:
            self._field = "authors"
        elif tag == "a":
            self._link = {"href": a.get("href") or "", "text": ""}

    def handle_endtag(self, tag: str) -> None:
        if tag == "h3":
            self._in_h3 = False
        elif tag == "div" and self._depth:
            self._depth -= 1
        elif tag in {"p", "span"}:
            self._field = None
        elif tag == "a" and self._link is not None:
            self.papers[-1]["links"].append(self._link)
            self._link = None

    def handle_data(self, data: str) -> None:
        if self._in_h3:
            self._section += data
        elif self._depth and self._link is not None:
            self._link["text"] += data
        elif self._depth and self._field:
            self.papers[-1][self._field] += data


def parse_pmlr(text: str, venue: str, year: int) -> ParseResult:
    """Parse a PMLR volume page (proceedings.mlr.press/vNNN/) into papers.

    Args:
        text: the volume page's HTML.
        venue: config venue key stored on every record (ICML, CoRL).
        year: edition year stored on every record.

    Returns:
        ParseResult: one record per `<div class="paper">` (source_id `v305/aoyama25a` from
        its abs link; url that page; the OpenReview forum id and the volume section such as
        "Oral" in `extra`). Entries without a title or an abs link, and a key listed twice,
        go to `skipped`.

    Raises:
        ParseError: not HTML, or no `<div class="paper">` at all (not a volume page, or the
        layout changed).
    """
    parser = _Volume()
    feed_html(parser, text, "a PMLR volume page")
    if not parser.papers:
        raise ParseError(
            'no <div class="paper"> entries: not a PMLR volume page, or its layout changed'
        )
    listing = Listing(SOURCE, venue, year)
    for index, paper in enumerate(parser.papers):
        title = _SPACES.sub(" ", paper["title"]).strip()
        abs_link = next(
            (
                link["href"]
                for link in paper["links"]
                if link["text"].strip().casefold() == "abs" and _KEY.search(link["href"])
            ),
            None,
        )
        if not title or abs_link is None:
            listing.skip(index, repr(title[:60]), "no title or no abs link")
            continue
        match = _KEY.search(abs_link)
        extra: dict = {}
        section = _SPACES.sub(" ", paper["section"]).strip()
        if section:
            extra["section"] = section
        for link in paper["links"]:
            found = _OPENREVIEW.search(link["href"])
            if found:
                extra["openreview_forum"] = found.group("id")
        # Authors are joined with ",&nbsp;" (listperson.html); &nbsp; is whitespace here.
        listing.add(
            index,
            f"{match.group('volume')}/{match.group('key')}",
            title,
            paper["authors"].split(","),
            url=abs_link,
            extra=extra,
        )
    return listing.result()


def fetch_pmlr(client: HttpClient, base_url: str, venue: str, year: int, volume: str) -> Fetched:
    """Download one volume page (conditional on the cached copy's validators)."""
    return client.get(
        volume_url(base_url, volume),
        source=SOURCE,
        what=f"{venue} {year}",
        conditional=True,
    )


def plan(target: Target, client: HttpClient) -> Plan:
    """The venue-year's volume page; the volume is the configured id ("v305"), which config
    takes from the venue catalogue."""
    if not target.ids:
        raise HarvestError(
            f"{target.what}: no PMLR volume known; set [sources.pmlr] venue_ids "
            f'"{target.what}" = ["vNNN"] (the volume on proceedings.mlr.press)',
            source=SOURCE,
        )
    base_url, volume = target.options.base_url, target.ids[0]
    return Plan(
        volume_url(base_url, volume),
        one_page(lambda: fetch_pmlr(client, base_url, target.venue, target.year, volume)),
        functools.partial(parse_pmlr, venue=target.venue, year=target.year),
    )


SPEC = SourceSpec(
    name=SOURCE,
    title="PMLR",
    summary="PMLR volume pages (ICML, CoRL), one volume per venue-year",
    parse=parse_pmlr,
    plan=plan,
)
