"""OpenAlex /works: the parser of saved responses (a list response, a bare list of works, or
one page per line as the snapshot cache keeps them)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

from harvesters.acl_anthology import VOLUME_TRACKS
from harvesters.base import ParseResult, json_error, json_kind
from harvesters.records import AuthorRecord, PaperRecord
from matching.text import bare_openalex_id, normalise_doi, normalise_orcid
from papertally.errors import ParseError

SOURCE = "openalex"

_AWARD_SEPARATORS = re.compile(r"[,;]")


def parse_openalex(text: str | dict, venue: str, year: int) -> ParseResult:
    """Parse saved OpenAlex works into papers, without filtering by venue or year.

    Accepts a list response (`{"meta": ..., "results": [...]}`), a single Work object, a JSON
    array of works (or of list responses), or JSON lines holding any of those (one page a line,
    as a cursor walk saves them).

    Args:
        text: the file's content, or one list response already decoded from JSON.
        venue: config venue key stored on every record (the caller chose the works).
        year: year stored on every record.

    Returns:
        ParseResult: one record per work with an id and a title, in file order; works without
        either are listed in `skipped` with their position and W id.

    Raises:
        ParseError: the text is neither JSON nor JSON lines (with line and column), is an
        OpenAlex error body, or holds something that is not a works response.
    """
    records: list[PaperRecord] = []
    skipped: list[str] = []
    for where, work in _works(text):
        if not isinstance(work, dict):
            skipped.append(f"{where}: is a JSON {json_kind(work)}, not a work object")
            continue
        work_id = _work_id(work)
        if not work_id:
            skipped.append(f"{where}: no OpenAlex id")
            continue
        title = _clean(work.get("title")) or _clean(work.get("display_name"))
        if not title:
            skipped.append(f"{where} ({work_id}): title is null or empty")
            continue
        doi = normalise_doi(
            work.get("doi") if isinstance(work.get("doi"), str) else None
        )
        records.append(
            PaperRecord(
                source=SOURCE,
                source_id=work_id,
                venue=venue,
                year=year,
                title=title,
                authors=tuple(
                    _author(a, i)
                    for i, a in enumerate(_list(work.get("authorships")), start=1)
                ),
                track=track_for_doi(doi),
                doi=doi,
                url=_landing_page(work) or (f"https://doi.org/{doi}" if doi else None),
                funders=_funders(work),
                awards=_awards(work),
                extra=_extra(work),
            )
        )
    return ParseResult(records=records, skipped=skipped)


# An ACL Anthology DOI names its volume: 10.18653/v1/2023.acl-long.1 (long),
# 10.18653/v1/2023.findings-acl.5 (Findings).
_ANTHOLOGY_DOI = re.compile(
    r"^10\.18653/v1/\d{4}\.(?P<first>[a-z0-9]+)-(?P<second>[a-z0-9-]+)\.\d+$"
)


def track_for_doi(doi: str | None) -> str:
    """The track a work's DOI names (ACL Anthology volumes, as the Anthology parser maps
    them), else "main". An Anthology volume with no known track gives "main" too, which
    ACL does not count."""
    m = _ANTHOLOGY_DOI.match(doi or "")
    if not m:
        return "main"
    if m["first"] == "findings":
        return "findings"
    return VOLUME_TRACKS.get(m["second"], "main")


def _works(text: str | dict) -> Iterator[tuple[str, object]]:
    """Every work in the text with where it was ("line 2, results[0]"), for messages."""
    if not isinstance(text, str):  # already decoded (a live page)
        yield from _works_in(text, "", False)
        return
    try:
        documents = [("", json.loads(text))]
    except json.JSONDecodeError as exc:
        if exc.msg != "Extra data":
            raise _json_error(exc, "") from exc
        documents = []
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                try:
                    documents.append((f"line {number}", json.loads(line)))
                except json.JSONDecodeError as line_exc:
                    raise _json_error(
                        line_exc, f"JSON lines, line {number}: "
                    ) from line_exc
    for line, document in documents:
        is_array = isinstance(document, list)
        for item_index, item in enumerate(document if is_array else [document]):
            place = ", ".join(
                p for p in (line, f"item {item_index}" if is_array else "") if p
            )
            yield from _works_in(item, place, is_array or bool(line))


def _works_in(item: object, place: str, nested: bool) -> Iterator[tuple[str, object]]:
    """The works of one JSON value: a list page, a work, or (inside an array) anything else."""
    where = place or "top level"
    if isinstance(item, dict) and "error" in item and "id" not in item:
        raise ParseError(
            f"{where}: an OpenAlex error response, not works: {item.get('error')} "
            f"{str(item.get('message', ''))[:200]}"
        )
    if isinstance(item, dict) and "results" in item:
        results = item["results"]
        if not isinstance(results, list):
            raise ParseError(
                f"{where}: 'results' is a JSON {json_kind(results)}, expected an array of works"
            )
        for index, work in enumerate(results):
            yield ", ".join(p for p in (place, f"results[{index}]") if p), work
    elif isinstance(item, dict) and "group_by" in item:
        raise ParseError(
            f"{where}: a group_by response holds counts, not works; "
            "save a /works list response without group_by"
        )
    elif (isinstance(item, dict) and ("id" in item or "ids" in item)) or nested:
        yield place or "work", item
    else:
        raise ParseError(
            f"{where} is a JSON {json_kind(item)} without 'results' or 'id'; expected an "
            "OpenAlex /works response, a work object, an array of works or JSON lines of pages"
        )


def _work_id(work: dict) -> str | None:
    """The bare W id from `id`, or from `ids.openalex` when `id` was not selected."""
    for value in (work.get("id"), _dict(work.get("ids")).get("openalex")):
        if isinstance(value, str) and value.strip():
            return bare_openalex_id(value.strip())
    return None


def _json_error(exc: json.JSONDecodeError, prefix: str) -> ParseError:
    return json_error(
        exc,
        "an OpenAlex /works response, a work object, an array of works or JSON lines of pages",
        prefix,
    )


def _clean(value: object) -> str:
    """A string field with whitespace collapsed ('' for null or non-strings).

    str.split() splits on exactly the characters `\\s` matches, at a fifth of the cost."""
    return " ".join(value.split()) if isinstance(value, str) else ""


def _list(value: object) -> list:
    """A list field, tolerating null and absence."""
    return value if isinstance(value, list) else []


def _dict(value: object) -> dict:
    """An object field, tolerating null and absence."""
    return value if isinstance(value, dict) else {}


def _bare_ror(value: object) -> str | None:
    """`02kpeqv85` from `https://ror.org/02kpeqv85` (or a bare ROR id)."""
    text = _clean(value)
    return text.rstrip("/").rsplit("/", 1)[-1].lower() or None if text else None


def _author(authorship: object, position: int) -> AuthorRecord:
    """One authorship: the name as printed, raw affiliations, ORCID, A id and RORs."""
    authorship = _dict(authorship)
    author = _dict(authorship.get("author"))
    institutions = [_dict(i) for i in _list(authorship.get("institutions"))]
    affiliations = tuple(
        a
        for a in (_clean(s) for s in _list(authorship.get("raw_affiliation_strings")))
        if a
    ) or tuple(n for n in (_clean(i.get("display_name")) for i in institutions) if n)
    rors = tuple(
        dict.fromkeys(r for r in (_bare_ror(i.get("ror")) for i in institutions) if r)
    )
    orcid = author.get("orcid")
    author_id = author.get("id")
    return AuthorRecord(
        name=_clean(authorship.get("raw_author_name"))
        or _clean(author.get("display_name")),
        position=position,
        affiliations=affiliations,
        orcid=normalise_orcid(orcid if isinstance(orcid, str) else None),
        openalex_id=bare_openalex_id(author_id if isinstance(author_id, str) else None),
        rors=rors,
    )


def _funders(work: dict) -> tuple[str, ...]:
    """Funder names from `funders`, else from the legacy `grants` (removed from 2026 responses)."""
    names = [_clean(_dict(f).get("display_name")) for f in _list(work.get("funders"))]
    if not any(names):
        names = [
            _clean(_dict(g).get("funder_display_name"))
            for g in _list(work.get("grants"))
        ]
    return tuple(dict.fromkeys(n for n in names if n))


def _awards(work: dict) -> tuple[str, ...]:
    """Award ids from `awards[].funder_award_id`, else `grants[].award_id`, split on , and ;.

    One legacy string can hold several numbers ("18K13235, 20K20132").
    """
    raw = [_dict(a).get("funder_award_id") for a in _list(work.get("awards"))]
    if not any(isinstance(r, str) and r.strip() for r in raw):
        raw = [_dict(g).get("award_id") for g in _list(work.get("grants"))]
    split = (
        part.strip()
        for r in raw
        if isinstance(r, str)
        for part in _AWARD_SEPARATORS.split(r)
    )
    return tuple(dict.fromkeys(p for p in split if p))


def _landing_page(work: dict) -> str | None:
    """The primary location's landing page URL, if any."""
    return _clean(_dict(work.get("primary_location")).get("landing_page_url")) or None


def _extra(work: dict) -> dict:
    """Venue hints kept for the live harvester's venue filter (it runs later, not here)."""
    location = _dict(work.get("primary_location"))
    extra = {
        "publication_year": work.get("publication_year"),
        "type": work.get("type"),
        "raw_source_name": location.get("raw_source_name") or None,
        "source_name": _dict(location.get("source")).get("display_name"),
    }
    return {k: v for k, v in extra.items() if v is not None}
