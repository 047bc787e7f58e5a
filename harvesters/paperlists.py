"""Parser for Paper Copilot accepted-paper lists (papercopilot/paperlists JSON)."""

from __future__ import annotations

import functools
import html
import re
from collections import Counter
from urllib.parse import urlparse

from harvesters.base import ParseResult, json_kind, parse_json
from harvesters.http import HttpClient
from harvesters.records import AuthorRecord, PaperRecord
from harvesters.roboticsproceedings import doi_from_url
from harvesters.source import Plan, SourceSpec, Target, one_page
from matching.text import normalise_dblp_pid, normalise_orcid
from papertally.errors import ParseError

SOURCE = "paperlists"

# Statuses Paper Copilot uses for submissions that are not accepted papers ("Reject",
# "Withdraw", "Desk Reject", "Withdrawn"...): matched on these stems, case-insensitively.
_NOT_ACCEPTED = ("reject", "withdraw")
_SPACES = re.compile(r"\s+")
# An OpenReview note id (10 characters); Paper Copilot's own 10-digit hex ids (RSS) are not.
_NOTE_ID = re.compile(r"[A-Za-z0-9_-]{10}")
_HEX_ID = re.compile(r"[0-9a-f]{10}")


def parse_paperlists(text: str, venue: str, year: int) -> ParseResult:
    """Parse one Paper Copilot JSON file (a JSON array of flat objects) into accepted papers.

    Args:
        text: the file's content.
        venue: config venue key (CVPR, NeurIPS, ICRA); stored on every record.
        year: the edition's year; stored on every record.

    Returns:
        ParseResult: accepted papers in file order; entries that are not objects or have no
        title are listed in `skipped` (with their index); rejected/withdrawn entries are
        counted in `excluded` by status.

    Raises:
        ParseError: the text is not JSON, or its top level is not an array.
    """
    data = parse_json(text, "a Paper Copilot list (a JSON array of paper objects)")
    if not isinstance(data, list):
        raise ParseError(
            f"top level is a JSON {json_kind(data)}, expected a JSON array of paper objects "
            "(Paper Copilot <venue><year>.json)"
        )
    records: list[PaperRecord] = []
    skipped: list[str] = []
    excluded: Counter[str] = Counter()
    for index, entry in enumerate(data):
        if not isinstance(entry, dict):
            skipped.append(
                f"entry {index}: is a JSON {json_kind(entry)}, not an object"
            )
            continue
        title = _clean(entry.get("title"))
        if not title:
            skipped.append(f"entry {index} (id {entry.get('id')!r}): no title")
            continue
        status = _clean(entry.get("status"))
        if any(stem in status.casefold() for stem in _NOT_ACCEPTED):
            excluded[f"status {status}"] += 1
            continue
        source_id = _source_id(entry)
        if not source_id:
            skipped.append(
                f"entry {index} ({title!r}): no id, oa or site URL to identify it"
            )
            continue
        try:
            authors, paper_affs = _authors(entry)
        except ValueError as exc:
            skipped.append(f"entry {index} ({source_id}): {exc}")
            continue
        records.append(
            PaperRecord(
                source=SOURCE,
                source_id=source_id,
                venue=venue,
                year=year,
                title=title,
                authors=authors,
                track=_track(entry.get("track")),
                # RSS lists link roboticsproceedings.org, whose paper numbers give the DOIs.
                doi=doi_from_url(_clean(entry.get("site"))) or doi_from_url(_clean(entry.get("pdf"))),
                url=_clean(entry.get("oa")) or _clean(entry.get("site")) or _forum(source_id),
                paper_affiliations=paper_affs,
                extra={"status": status} if status else {},
            )
        )
    return ParseResult(records=records, skipped=skipped, excluded=dict(excluded))


def _unescape(value: str) -> str:
    """HTML entities resolved, also when escaped twice (CVPR 2024 has `D&amp;#x27;Amely`)."""
    for _ in range(3):
        resolved = html.unescape(value)
        if resolved == value:
            break
        value = resolved
    return value


def _clean(value: object) -> str:
    """A field as plain text: HTML entities resolved, whitespace collapsed ('' for non-strings)."""
    if not isinstance(value, str):
        return ""
    return _SPACES.sub(" ", _unescape(value)).strip()


def _track(label: object) -> str:
    """Paper Copilot's track label as a canonical track (only NeurIPS D&B is distinguished)."""
    folded = _clean(label).casefold()
    return (
        "datasets_benchmarks"
        if "dataset" in folded and "benchmark" in folded
        else "main"
    )


def _source_id(entry: dict) -> str:
    """The record's own `id`, else the CVF key from `oa`, else the `site` URL without scheme."""
    own = _clean(entry.get("id"))
    if own:
        return own
    oa = _clean(entry.get("oa"))
    if oa:
        # https://openaccess.thecvf.com/content/CVPR2024/html/<Key>_CVPR_2024_paper.html
        return urlparse(oa).path.rstrip("/").rsplit("/", 1)[-1].removesuffix(".html")
    site = _clean(entry.get("site"))
    if site:
        parsed = urlparse(site)
        return f"{parsed.netloc}{parsed.path}".rstrip("/")
    return ""


def _split(value: object, sep: str) -> list[str]:
    """A separated string field as a list of clean parts ([] for an empty or missing field).

    Entities are resolved before splitting: `Shin&#x27;ya` holds a ";" that is not a separator.
    """
    if not isinstance(value, str) or not value.strip():
        return []
    return [_SPACES.sub(" ", part).strip() for part in _unescape(value).split(sep)]


def _undouble(parts: list[str]) -> list[str]:
    """The first half of a list whose second half exactly repeats it (ICRA 2023), else the list."""
    half, odd = divmod(len(parts), 2)
    if half and not odd and parts[:half] == parts[half:]:
        return parts[:half]
    return parts


def _per_author(parts: list[str], count: int) -> list[str] | None:
    """`parts` aligned one per author (after undoubling), or None when the counts disagree."""
    if len(parts) == 2 * count:
        parts = _undouble(parts)
    return parts if len(parts) == count else None


def _ieee_id(value: str) -> str | None:
    """`37087322448` from Paper Copilot's `/37087322448`; None for anything not an IEEE id."""
    bare = value.strip().strip("/")
    return bare if bare.isdigit() else None


def _forum(source_id: str) -> str | None:
    """The OpenReview forum of a list entry that gives no page but whose `id` is an
    OpenReview note id (NeurIPS 2023: `RMeQjexaRj`); None for other ids (IEEE numbers,
    Paper Copilot's `site_...` hashes). The forum leads to the paper's PDF."""
    if _NOTE_ID.fullmatch(source_id) and not _HEX_ID.fullmatch(source_id):
        return f"https://openreview.net/forum?id={source_id}"
    return None


def _openreview_id(value: str) -> str | None:
    """`~Bibit_Bianchini1` (an OpenReview profile id) as is; None for anything else."""
    bare = value.strip()
    return bare if bare.startswith("~") and len(bare) > 1 else None


def _aligned(entry: dict, key: str, count: int) -> list[str]:
    """A `;`-separated per-author field aligned to `count` authors ('' where absent/misaligned)."""
    return _per_author(_split(entry.get(key), ";"), count) or [""] * count


def _raw_affiliations(value: object, count: int) -> list[str] | None:
    """The per-author raw `aff` strings, aligned to the byline, or None.

    IEEE-derived lists (ICRA, IROS) separate authors with `; ` (addresses hold commas, never
    `;`); OpenReview-derived ones (CoRL) with a bare `;`, and RSS 2024 has `;;;;` for six
    authors with none. The first split that yields one part per author wins.
    """
    for sep in ("; ", ";"):
        parts = _per_author(_split(value, sep), count)
        if parts is not None:
            return parts
    return None


def _parts(raw: str, index: str, domain: str) -> list[str]:
    """One author's raw affiliation split into its affiliations.

    Paper Copilot joins an author's several affiliations with `+` (`Princeton
    University+University of Utah`), mirrored in that author's `aff_unique_index` (`0+1`) and
    `aff_domain` (`princeton.edu+utah.edu`). The raw string is split only when one of those
    confirms the same number of parts: a `+` inside a name (`AI+X Lab`) is kept. Empty leading
    parts (`, University of Utah`: no department) are trimmed.
    """
    pieces = [raw]
    if "+" in raw:
        split = [p.strip() for p in raw.split("+")]
        if len(split) in {len(index.split("+")), len(domain.split("+"))} - {1}:
            pieces = split
    return [p.strip(" ,") for p in pieces if p.strip(" ,")]


def _authors(entry: dict) -> tuple[tuple[AuthorRecord, ...], tuple[str, ...]]:
    """Author mentions and the paper-level affiliation list of one entry.

    `;`-separated bylines (ICRA, IROS, CoRL, RSS) carry per-author data: raw `aff` strings,
    Paper Copilot's normalised institution via `aff_unique_index` into `aff_unique_norm`
    (`0+1` for two), and per-author ids: `authorids` (IEEE author ids `/37087322448`, or
    OpenReview profile ids `~Name1` for CoRL), `orcid` and `dblp`. `or_profile` lists the
    same profiles in another order (and a profile's newer id), so it is not read per author.
    A per-author list whose length does not fit the byline is ignored rather than
    misassigned; an empty per-author value means "not given". CVPR's `aff` is a
    de-duplicated paper-level list.
    """
    raw_names = entry.get("author", entry.get("authors"))
    if raw_names is not None and not isinstance(raw_names, str):
        raise ValueError(
            f"author field is a {json_kind(raw_names)}, expected a string"
        )
    # IEEE- and OpenReview-derived lists separate names with ";"; the others with ",".
    semicolons = "authorids" in entry or (
        isinstance(raw_names, str) and ";" in _unescape(raw_names)
    )
    names = _undouble(_split(raw_names, ";" if semicolons else ","))
    if any(not n for n in names):
        raise ValueError(f"empty name in author list {raw_names!r}")
    count = len(names)

    per_author_affs: list[tuple[str, ...]] = [()] * count
    paper_affs: tuple[str, ...] = ()
    if semicolons or "aff_unique_index" in entry or "authorids" in entry:
        raw = _raw_affiliations(entry.get("aff"), count)
        norms = _split(entry.get("aff_unique_norm"), ";")
        indexes = _per_author(_split(entry.get("aff_unique_index"), ";"), count)
        domains = _aligned(entry, "aff_domain", count)
        for i in range(count):
            index = indexes[i] if indexes else ""
            found: list[str] = []
            if raw and raw[i]:
                found.extend(_parts(raw[i], index, domains[i]))
            for one in index.split("+"):
                one = one.strip()
                if one.isdigit() and int(one) < len(norms):
                    norm = norms[int(one)]
                    if norm and norm not in found:
                        found.append(norm)
            per_author_affs[i] = tuple(dict.fromkeys(found))
    else:
        paper_affs = tuple(dict.fromkeys(a for a in _split(entry.get("aff"), ";") if a))

    ids = _aligned(entry, "authorids", count)
    orcids = _aligned(entry, "orcid", count)
    dblps = _aligned(entry, "dblp", count)
    authors = tuple(
        AuthorRecord(
            name=name,
            position=i + 1,
            affiliations=per_author_affs[i],
            ieee_id=_ieee_id(ids[i]),
            openreview_id=_openreview_id(ids[i]),
            orcid=normalise_orcid(orcids[i]),
            dblp_pid=normalise_dblp_pid(dblps[i]),
        )
        for i, name in enumerate(names)
    )
    return authors, paper_affs


def plan(target: Target, client: HttpClient) -> Plan:
    """One venue-year's JSON file from the paperlists repository (conditional GET)."""
    folder = {"NeurIPS": "nips"}.get(target.venue, target.venue.lower())
    url = f"{target.options.base_url.rstrip('/')}/{folder}/{folder}{target.year}.json"
    return Plan(
        url,
        one_page(lambda: client.get(url, source=SOURCE, what=target.what, conditional=True)),
        functools.partial(parse_paperlists, venue=target.venue, year=target.year),
    )


SPEC = SourceSpec(
    name=SOURCE,
    title="Paper Copilot",
    summary="Paper Copilot accepted-paper lists, JSON, one file per venue-year",
    parse=parse_paperlists,
    plan=plan,
)
