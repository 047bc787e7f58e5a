"""The one list of sources: name -> SourceSpec (file parser, live plan, config options, help).

A new source is its module (with a SPEC) plus one line in SOURCES; the harvest command's
help, config.toml's [sources.NAME] validation, `harvest --from` and the live harvest all
read this list (docs/adding-a-source.md).
"""

from __future__ import annotations

from pathlib import Path

from harvesters import (
    acl_anthology,
    cvf,
    dblp,
    ecva,
    neurips,
    openalex,
    openreview,
    paperlists,
    pmlr,
    roboticsproceedings,
)
from harvesters.base import ParseResult
from harvesters.http import HttpClient
from harvesters.source import FileParser, Plan, SourceOptions, SourceSpec, Target
from papertally.errors import HarvestError, PapertallyError, ParseError

SOURCES: dict[str, SourceSpec] = {
    spec.name: spec
    for spec in (
        paperlists.SPEC,
        acl_anthology.SPEC,
        openalex.SPEC,
        cvf.SPEC,
        neurips.SPEC,
        openreview.SPEC,
        dblp.SPEC,
        pmlr.SPEC,
        roboticsproceedings.SPEC,
        ecva.SPEC,
    )
}

# Source name -> file parser (what `harvest --from` and the evaluation read).
FILE_PARSERS: dict[str, FileParser] = {name: spec.parse for name, spec in SOURCES.items()}


def known() -> str:
    """The source names, sorted, for messages: "acl-anthology, cvf, ..."."""
    return ", ".join(sorted(SOURCES))


def spec(source: str) -> SourceSpec:
    """The registry entry of `source`. Raises PapertallyError listing the known names."""
    found = SOURCES.get(source)
    if found is None:
        raise PapertallyError(f"unknown source {source!r}; known sources: {known()}")
    return found


def options_model(source: str) -> type[SourceOptions]:
    """The model of a [sources.NAME] table. Raises PapertallyError for an unknown name."""
    return spec(source).options


def titles() -> dict[str, str]:
    """Source name -> how staff call it ("paperlists" -> "Paper Copilot")."""
    return {name: s.title or name for name, s in SOURCES.items()}


def help_text() -> str:
    """Every source with its summary ("paperlists: Paper Copilot ...; ..."), for the
    harvest command's help."""
    return "; ".join(f"{name}: {s.summary}" for name, s in SOURCES.items())


def plan_for(target: Target, client: HttpClient) -> Plan:
    """The live fetch plan of a venue-year. Raises HarvestError for a source with no live
    harvester (read it from a file instead) or an unknown one."""
    found = SOURCES.get(target.source)
    if found is None or found.plan is None:
        live = ", ".join(sorted(n for n, s in SOURCES.items() if s.plan is not None))
        raise HarvestError(
            f"live harvesting from {target.source!r} is not available (live sources: "
            f"{live}); use --from PATH",
            source=target.source,
        )
    return found.plan(target, client)


def parse_file(source: str, path: Path, venue: str, year: int) -> ParseResult:
    """Read a saved source file (UTF-8) and parse it with that source's parser.

    Args:
        source: a registry name.
        path: the downloaded file.
        venue: config venue key stored on every record.
        year: edition year stored on every record.

    Returns:
        The parser's ParseResult.

    Raises:
        PapertallyError: `source` is not in the registry (the message lists the known ones).
        ParseError: the file cannot be read or decoded as UTF-8, or its content is malformed;
        the message starts with the path.
    """
    if source not in SOURCES:
        raise PapertallyError(
            f"unknown source {source!r} for a file harvest; known sources: {known()}"
        )
    parser = SOURCES[source].parse
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError(
            f"{path}: not UTF-8 (byte {exc.start}: {exc.reason}); save the file as UTF-8"
        ) from exc
    except OSError as exc:
        raise ParseError(f"{path}: cannot read the file: {exc.strerror or exc}") from exc
    try:
        return parser(text, venue, year)
    except ParseError as exc:
        raise ParseError(f"{path}: {exc}") from exc
