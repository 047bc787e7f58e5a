"""Parser for ACL Anthology proceedings XML (acl-org/acl-anthology data/xml/<collection>.xml)."""

from __future__ import annotations

import functools
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator

from harvesters.base import ParseResult
from harvesters.http import Fetched, HttpClient
from harvesters.records import AuthorRecord, PaperRecord
from harvesters.source import Plan, SourceSpec, Target
from matching.text import normalise_doi, normalise_orcid
from papertally.errors import ParseError

SOURCE = "acl-anthology"
ANTHOLOGY_URL = "https://aclanthology.org/"

# Anthology volume ids -> canonical tracks. Which tracks count is config's business.
VOLUME_TRACKS = {
    "main": "main",  # EMNLP's main conference papers (2023.emnlp-main.1)
    "long": "long",
    "short": "short",
    "demo": "demo",
    "demos": "demo",
    "srw": "srw",
    "industry": "industry",
    "tutorials": "tutorial",
    "tutorial": "tutorial",
    "findings": "findings",
    "findings-acl": "findings",
}
_SPACES = re.compile(r"\s+")
# Invisible bidi controls and BOMs that some Anthology names carry ("\u202aPere-Lluís").
_INVISIBLE = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def parse_acl_anthology(text: str, venue: str, year: int) -> ParseResult:
    """Parse one Anthology collection file (`<collection><volume><paper>...`) into papers.

    Each `<volume id=...>` gives the track (VOLUME_TRACKS). Front matter is not a `<paper>`
    and is never read. A paper whose anthology id has a non-numeric paper part (the program
    chairs' report, `2023.acl-long.report`) is not an accepted paper and goes to `skipped`, as
    do papers without a title or id and every paper of a volume with an unknown id.

    Args:
        text: the XML file's content.
        venue: config venue key (ACL); stored on every record.
        year: the edition's year; stored on every record.

    Returns:
        ParseResult with one PaperRecord per accepted paper, in file order.

    Raises:
        ParseError: the XML is malformed (with line and column) or the root is not a
        `<collection>`.
    """
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        line, column = exc.position
        reason = re.sub(
            r": line \d+, column \d+$", "", str(exc)
        )  # expat's 0-based column
        raise ParseError(
            f"malformed XML at line {line}, column {column + 1}: {reason}; "
            "expected an ACL Anthology collection file (data/xml/<year>.<venue>.xml)"
        ) from exc
    if root.tag != "collection":
        raise ParseError(
            f"root element is <{root.tag}>, expected <collection> "
            "(an ACL Anthology data/xml file)"
        )
    collection = root.get("id", "")
    records: list[PaperRecord] = []
    skipped: list[str] = []
    for volume in root.findall("volume"):
        volume_id = volume.get("id", "")
        papers = volume.findall("paper")
        track = VOLUME_TRACKS.get(volume_id)
        if track is None:
            if papers:
                skipped.append(
                    f"volume {volume_id!r}: {len(papers)} paper(s) skipped, unknown volume "
                    f"(known: {', '.join(sorted(VOLUME_TRACKS))})"
                )
            continue
        for paper in papers:
            record, problem = _paper(paper, collection, volume_id, track, venue, year)
            if record is not None:
                records.append(record)
            else:
                skipped.append(problem)
    return ParseResult(records=records, skipped=skipped)


def _text(element: ET.Element | None) -> str:
    """All text inside an element: markup flattened, bidi controls dropped, spaces collapsed."""
    if element is None:
        return ""
    return _SPACES.sub(" ", _INVISIBLE.sub("", "".join(element.itertext()))).strip()


def _paper(
    paper: ET.Element,
    collection: str,
    volume_id: str,
    track: str,
    venue: str,
    year: int,
) -> tuple[PaperRecord | None, str]:
    """One `<paper>` as a record, or None and the reason it is not an accepted paper."""
    anthology_id = _text(paper.find("url"))
    if not anthology_id:
        anthology_id = f"{collection}-{volume_id}.{paper.get('id', '?')}"
        return None, f"paper {anthology_id}: no <url> anthology id"
    number = anthology_id.rsplit(".", 1)[-1]
    title = _text(paper.find("title"))
    if not number.isdigit():
        return None, (
            f"paper {anthology_id} ({title!r}): paper number {number!r} is not an integer, "
            "so not an accepted paper (e.g. the program chairs' report)"
        )
    if not title:
        return None, f"paper {anthology_id}: no title"
    authors = tuple(
        _author(element, position)
        for position, element in enumerate(paper.findall("author"), start=1)
    )
    return (
        PaperRecord(
            source=SOURCE,
            source_id=anthology_id,
            venue=venue,
            year=year,
            title=title,
            authors=authors,
            track=track,
            doi=normalise_doi(_text(paper.find("doi"))),
            url=ANTHOLOGY_URL + anthology_id,
            extra={"volume": volume_id},
        ),
        "",
    )


def _author(element: ET.Element, position: int) -> AuthorRecord:
    """One `<author>`: name as printed ("First Last"), affiliations, ORCID, anthology person id."""
    given = _text(element.find("first")) or None
    family = _text(element.find("last")) or None
    name = " ".join(part for part in (given, family) if part)
    affiliations = tuple(
        a for a in (_text(e) for e in element.findall("affiliation")) if a
    )
    return AuthorRecord(
        name=name,
        position=position,
        affiliations=affiliations,
        given=given,
        family=family,
        orcid=normalise_orcid(element.get("orcid")),
        anthology_id=element.get("id") or None,
    )


def plan(target: Target, client: HttpClient) -> Plan:
    """The venue-year's collection files (conditional GETs): the configured ids, else
    `<year>.<venue>` and, when config counts findings, `<year>.findings`."""
    base = target.options.base_url.rstrip("/")
    names = list(target.ids) or [f"{target.year}.{target.venue.lower()}"]
    # Findings are a separate collection; fetched only when config counts them.
    if "findings" in target.tracks and not target.ids:
        names.append(f"{target.year}.findings")
    urls = [f"{base}/{n}.xml" for n in names]

    def pages() -> Iterator[Fetched]:
        for url in urls:
            yield client.get(url, source=SOURCE, what=target.what, conditional=True)

    return Plan(
        urls[0],
        pages(),
        functools.partial(parse_acl_anthology, venue=target.venue, year=target.year),
    )


SPEC = SourceSpec(
    name=SOURCE,
    title="ACL Anthology",
    summary="ACL Anthology collection XML, with Findings when counted",
    parse=parse_acl_anthology,
    plan=plan,
)
