"""CVF Open Access listings (CVPR, ICCV, WACV): pure parser and a thin fetcher."""

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

SOURCE = "cvf"
_SPACES = re.compile(r"\s+")
_KEY = re.compile(r"/html/(?P<key>[^/]+?)(?:_paper)?\.html$")
# Workshop papers live under /content/CVPR2024W/<workshop>/ or a *_workshops path.
_WORKSHOP = re.compile(r"/content/[A-Za-z]+\d{4}W/|_workshops/")


def listing_url(base_url: str, venue: str, year: int, name: str | None = None) -> str:
    """The main-conference listing of one venue-year: `<base>/CVPR2024?day=all`.

    `name` overrides the listing name (config [sources.cvf] venue_ids "CVPR 2024").
    """
    return f"{base_url.rstrip('/')}/{name or f'{venue}{year}'}?day=all"


class _Listing(HTMLParser):
    """Collects each `<dt class="ptitle">` and the author inputs of the `<dd>` after it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.papers: list[dict] = []
        self._in_title = False
        self._in_link = False
        self._dd_count = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "dt":
            classes = (a.get("class") or "").split()
            self._in_title = "ptitle" in classes
            if self._in_title:
                self.papers.append({"href": None, "title": "", "authors": []})
                self._dd_count = 0
        elif (
            tag == "a"
            and self._in_title
            and self.papers
            and self.papers[-1]["href"] is None
        ):
            self.papers[-1]["href"] = a.get("href")
            self._in_link = True
        elif tag == "dd" and self.papers:
            self._in_title = False
            self._dd_count += 1
        elif (
            tag == "input"
            and self.papers
            and self._dd_count == 1
            and a.get("name") == "query_author"
        ):
            self.papers[-1]["authors"].append(a.get("value") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._in_link = False
        elif tag == "dt":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_link and self.papers:
            self.papers[-1]["title"] += data


_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_DT = re.compile(r'<dt class="ptitle"><br>\s*<a href="([^"<>]*)">([^<]*)</a>\s*</dt>')
_INPUT = re.compile(r'<input type="hidden" name="query_author" value="([^"<>]*)">')


def _fast_entries(text: str) -> list[dict] | None:
    """The listing's entries by pattern, for the exact markup CVF generates (html.parser
    takes over 1 s on a 4 MB listing). None when any entry deviates from that markup, so
    that the tolerant parser reads the page instead."""
    import html

    body = _COMMENT.sub("", text)
    chunks = body.split('<dt class="ptitle">')
    if len(chunks) < 2 or body.count("ptitle") != len(chunks) - 1:
        return None
    entries = []
    for match_start in _DT.finditer(body):
        entries.append(
            (
                match_start.start(),
                match_start.end(),
                match_start.group(1),
                match_start.group(2),
            )
        )
    if len(entries) != len(chunks) - 1:
        return None
    papers = []
    for i, (_, end, href, title) in enumerate(entries):
        stop = entries[i + 1][0] if i + 1 < len(entries) else len(body)
        first_dd = body[end:stop].split("</dd>", 1)[0]
        papers.append(
            {
                "href": html.unescape(href),
                "title": html.unescape(title),
                "authors": [html.unescape(v) for v in _INPUT.findall(first_dd)],
            }
        )
    return papers


def parse_cvf(
    text: str, venue: str, year: int, base_url: str = "https://openaccess.thecvf.com"
) -> ParseResult:
    """Parse a CVF Open Access listing page into main-conference papers.

    Args:
        text: the listing's HTML (`<dt class="ptitle">` + author `<dd>` per paper).
        venue: config venue key stored on every record.
        year: edition year stored on every record.
        base_url: joined with each paper's relative link to make its URL.

    Returns:
        ParseResult: one record per paper (source_id is the paper key from its link,
        e.g. `Smith_Title_Words_CVPR_2024`); entries without a link or title, or under a
        workshop path, go to `skipped`.

    Raises:
        ParseError: the text does not look like HTML, or holds no `<dt class="ptitle">` at
        all (the listing layout changed, or this is not a listing page).
    """
    if "<" not in text:
        raise ParseError("not HTML: expected a CVF Open Access listing page")
    papers = _fast_entries(text)
    if papers is None:
        parser = _Listing()
        feed_html(parser, text, "a CVF Open Access listing page")
        papers = parser.papers
    if not papers:
        raise ParseError(
            'no <dt class="ptitle"> entries: not a CVF listing, or its layout changed '
            "(see SOURCE_FORMATS.md, CVF Open Access)"
        )
    records: list[PaperRecord] = []
    skipped: list[str] = []
    seen: set[str] = set()
    root = base_url.rstrip("/") + "/"
    for index, paper in enumerate(papers):
        title = _SPACES.sub(" ", paper["title"]).strip()
        href = paper["href"] or ""
        match = _KEY.search(href)
        if not title or not match:
            skipped.append(
                f"entry {index}: no title or no /html/<key>_paper.html link ({href!r})"
            )
            continue
        if _WORKSHOP.search(href):
            skipped.append(
                f"entry {index} ({href}): a workshop paper, not main conference"
            )
            continue
        key = match.group("key")
        if key in seen:
            skipped.append(f"entry {index} ({key}): listed twice, kept once")
            continue
        seen.add(key)
        names = [" ".join(n.split()) for n in paper["authors"]]
        records.append(
            PaperRecord(
                source=SOURCE,
                source_id=key,
                venue=venue,
                year=year,
                title=title,
                authors=tuple(
                    AuthorRecord(name=n, position=i)
                    for i, n in enumerate((n for n in names if n), 1)
                ),
                url=_absolute(root, href),
            )
        )
    return ParseResult(records=records, skipped=skipped)


def _absolute(root: str, href: str) -> str:
    """The paper page's URL: a site-relative link (the usual case) is simply appended."""
    if href.startswith("/") and not href.startswith("//"):
        return root + href.lstrip("/")
    return urljoin(root, href)


def fetch_cvf(
    client: HttpClient, base_url: str, venue: str, year: int, name: str | None = None
) -> Fetched:
    """Download one venue-year's listing (conditional on the cached copy's validators)."""
    return client.get(
        listing_url(base_url, venue, year, name),
        source=SOURCE,
        what=f"{venue} {year}",
        conditional=True,
    )


def plan(target: Target, client: HttpClient) -> Plan:
    """The venue-year's one listing page (the configured listing name, else VENUEYEAR)."""
    base_url = target.options.base_url
    name = target.ids[0] if target.ids else None
    return Plan(
        listing_url(base_url, target.venue, target.year, name),
        one_page(lambda: fetch_cvf(client, base_url, target.venue, target.year, name)),
        functools.partial(parse_cvf, venue=target.venue, year=target.year, base_url=base_url),
    )


SPEC = SourceSpec(
    name=SOURCE,
    title="CVF",
    summary="CVF Open Access listing pages, main conference only",
    parse=parse_cvf,
    plan=plan,
)
