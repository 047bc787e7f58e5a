"""The file parsers by source name, and the one entry point that reads a saved file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from harvesters.acl_anthology import parse_acl_anthology
from harvesters.base import ParseResult
from harvesters.cvf import parse_cvf
from harvesters.dblp import parse_dblp
from harvesters.neurips import parse_neurips
from harvesters.openalex import parse_openalex
from harvesters.openreview import parse_openreview
from harvesters.paperlists import parse_paperlists
from papertally.errors import PapertallyError, ParseError

FileParser = Callable[[str, str, int], ParseResult]

# Source name (as in config.toml [[harvest]] and `papertally harvest --source`) -> parser.
FILE_PARSERS: dict[str, FileParser] = {
    "paperlists": parse_paperlists,
    "acl-anthology": parse_acl_anthology,
    "openalex": parse_openalex,
    "cvf": parse_cvf,
    "neurips": parse_neurips,
    "openreview": parse_openreview,
    "dblp": parse_dblp,
}


def parse_file(source: str, path: Path, venue: str, year: int) -> ParseResult:
    """Read a saved source file (UTF-8) and parse it with that source's parser.

    Args:
        source: a key of FILE_PARSERS.
        path: the downloaded file.
        venue: config venue key stored on every record.
        year: edition year stored on every record.

    Returns:
        The parser's ParseResult.

    Raises:
        PapertallyError: `source` has no file parser (the message lists the known ones).
        ParseError: the file cannot be read or decoded as UTF-8, or its content is malformed;
        the message starts with the path.
    """
    parser = FILE_PARSERS.get(source)
    if parser is None:
        raise PapertallyError(
            f"unknown source {source!r} for a file harvest; known sources: "
            f"{', '.join(sorted(FILE_PARSERS))}"
        )
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError(
            f"{path}: not UTF-8 (byte {exc.start}: {exc.reason}); save the file as UTF-8"
        ) from exc
    except OSError as exc:
        raise ParseError(
            f"{path}: cannot read the file: {exc.strerror or exc}"
        ) from exc
    try:
        return parser(text, venue, year)
    except ParseError as exc:
        raise ParseError(f"{path}: {exc}") from exc
