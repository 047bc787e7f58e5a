"""What every file parser returns: the records it read and the entries it left out, with why."""

from __future__ import annotations

from dataclasses import dataclass, field

from harvesters.records import PaperRecord


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
