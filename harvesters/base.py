"""Parse results (records, and entries left out with why) and helpers shared by the parsers."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

from harvesters.records import PaperRecord
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
