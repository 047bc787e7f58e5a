"""Parse results (records, and entries left out with why) and helpers shared by the parsers."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser

from harvesters.records import AuthorRecord, PaperRecord
from papertally.errors import HarvestError, ParseError


@dataclass(frozen=True)
class ParseResult:
    """The outcome of parsing one source file.

    `records` are the accepted papers, in file order. `skipped` holds one human-readable line
    per entry that could not be read or is not an accepted paper although it looks like one
    (index or ID, and the reason), for the harvest summary. `excluded` counts entries the
    source itself marks as not accepted (e.g. ``{"status Reject": 192}``): expected, not errors.
    """

    records: list[PaperRecord]
    skipped: list[str] = field(default_factory=list)
    excluded: dict[str, int] = field(default_factory=dict)


def json_kind(value: object) -> str:
    """JSON's own name for a parsed value's type, for messages."""
    names = {
        dict: "object",
        list: "array",
        str: "string",
        bool: "boolean",
        type(None): "null",
    }
    return names.get(type(value), "number")


def json_error(exc: json.JSONDecodeError, expected: str, prefix: str = "") -> ParseError:
    """A ParseError naming the line and column of a JSON syntax error and what the source
    should have sent (`expected`, e.g. "an OpenReview /notes response")."""
    return ParseError(
        f"{prefix}not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}; "
        f"expected {expected}"
    )


def parse_json(text: str, expected: str) -> object:
    """`text` parsed as JSON; ParseError (json_error) when it is not JSON."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise json_error(exc, expected) from exc


def feed_html(parser: HTMLParser, text: str, expected: str) -> None:
    """Run an html.parser subclass over a page, as a ParseError when it cannot be read.

    `expected` names the page wanted ("a CVF Open Access listing page") for the messages.
    """
    if "<" not in text:
        raise ParseError(f"not HTML: expected {expected}")
    try:
        parser.feed(text)
        parser.close()
    except Exception as exc:  # html.parser is lenient; anything it raises is a broken page
        raise ParseError(f"unreadable HTML: {exc}") from exc


def unusable(what: str, expected: str, exc: Exception, *, source: str, url: str) -> HarvestError:
    """The error for an answer that does not have the shape the fetcher needs.

    "CVPR 2024: the page is not an OpenAlex list response (KeyError: 'results'); truncated
    or the API changed" -- naming the venue-year, what was expected, why, and the URL.
    """
    return HarvestError(
        f"{what}: {expected} ({type(exc).__name__}: {str(exc)[:120]}); truncated or the API "
        "changed",
        source=source,
        url=url,
    )


def mentions(names: Iterable[str]) -> tuple[AuthorRecord, ...]:
    """Author mentions in byline order from printed names (whitespace collapsed, blanks dropped)."""
    cleaned = (" ".join(n.split()) for n in names)
    return tuple(AuthorRecord(name=n, position=i) for i, n in enumerate((n for n in cleaned if n), 1))


class Listing:
    """The records of one listing page as a parser reads it: each paper key once.

    A key seen again is named in `skipped` ("entry 7 (v305/agia25a): listed twice, kept
    once"), so that the run's message says which entries a parser dropped.
    """

    def __init__(self, source: str, venue: str, year: int) -> None:
        self.source, self.venue, self.year = source, venue, year
        self.records: list[PaperRecord] = []
        self.skipped: list[str] = []
        self._seen: set[str] = set()

    def skip(self, index: int, label: str, why: str) -> None:
        """Leave entry `index` out, with what identifies it and why."""
        self.skipped.append(f"entry {index} ({label}): {why}")

    def add(self, index: int, key: str, title: str, names: Iterable[str], **fields) -> None:
        """Keep entry `index` as paper `key` unless that key was already kept."""
        if key in self._seen:
            self.skip(index, key, "listed twice, kept once")
            return
        self._seen.add(key)
        self.records.append(
            PaperRecord(
                source=self.source,
                source_id=key,
                venue=self.venue,
                year=self.year,
                title=" ".join(title.split()),
                authors=mentions(names),
                **fields,
            )
        )

    def result(self) -> ParseResult:
        return ParseResult(records=self.records, skipped=self.skipped)
