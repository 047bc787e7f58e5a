"""OpenAlex /works: parser for saved responses, and a fetcher (pyalex queries, shared client)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from pyalex import Sources, Works

from harvesters.acl_anthology import VOLUME_TRACKS
from harvesters.base import ParseResult, json_kind, unusable
from harvesters.http import Fetched, HttpClient
from harvesters.records import AuthorRecord, PaperRecord
from matching.text import (
    bare_openalex_id,
    normalise_doi,
    normalise_orcid,
    normalise_title,
)
from papertally.errors import HarvestError, ParseError

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
    """A ParseError naming the line and column of a JSON syntax error."""
    return ParseError(
        f"{prefix}not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}; expected "
        "an OpenAlex /works response, a work object, an array of works or JSON lines of pages"
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


# -- live fetching: queries built with pyalex, HTTP through the shared client --------

PYALEX_HOST = "https://api.openalex.org"  # where pyalex's URLs point, whatever config says
MAX_PER_PAGE = 100  # the current documented cap (older docs: 200)
# Only the fields parse_openalex reads: every other field costs bytes, and OpenAlex
# prices calls, so nothing more is asked for.
SELECT = (
    "id",
    "doi",
    "title",
    "publication_year",
    "type",
    "authorships",
    "primary_location",
    "funders",
    "awards",
)


@dataclass(frozen=True)
class Query:
    """One venue-year's works query."""

    base_url: str
    source_ids: tuple[str, ...]
    year: int
    what: str  # "CVPR 2024", for messages
    per_page: int = MAX_PER_PAGE
    api_key: str | None = None

    def url(self) -> str:
        """The /works URL with filter and select (no paging), on the configured host.

        pyalex builds the query; its host is hard-coded, so it is swapped for base_url.
        """
        # locations.source.id, not primary_location: conference papers often have a null
        # primary source while another location (the proceedings) names it.
        works = (
            Works()
            .filter(
                locations={"source": {"id": "|".join(self.source_ids)}},
                publication_year=self.year,
            )
            .select(list(SELECT))
        )
        return on_host(works.url, self.base_url)

    def headers(self) -> dict:
        return auth_headers(self.api_key)


def on_host(url: str, base_url: str) -> str:
    """A URL pyalex built, moved to the configured host (pyalex hard-codes its own)."""
    return url.replace(PYALEX_HOST, base_url.rstrip("/"), 1)


def auth_headers(api_key: str | None) -> dict:
    """The API key as OpenAlex (and pyalex) send it: a Bearer header, never in the URL."""
    return {"Authorization": f"Bearer {api_key}"} if api_key else {}


def api_key_from_env(variable: str | None) -> str | None:
    """The API key from the environment variable named in config, if set."""
    return (os.environ.get(variable) or None) if variable else None


def count_works(client: HttpClient, query: Query) -> tuple[int, Fetched]:
    """The number of works the query matches (one cheap call: per-page=1, select=id)."""
    page = client.get(
        query.url().split("&select=")[0],
        params={"per-page": 1, "select": "id"},
        source=SOURCE,
        what=query.what,
        headers=query.headers(),
    )
    try:
        return int(json.loads(page.text)["meta"]["count"]), page
    except (ValueError, KeyError, TypeError) as exc:
        raise unusable(
            query.what, "the count response has no meta.count", exc, source=SOURCE, url=page.url
        ) from None


def fetch_openalex(
    client: HttpClient,
    query: Query,
    *,
    expected: int | None = None,
    max_pages: int = 500,
) -> Iterator[Fetched]:
    """Yield each cursor page of the query, with no 10,000 cap.

    Stops on an empty page or a null next_cursor. Bounded: at most
    ceil(expected / per_page) + 2 pages when the count is known (else `max_pages`), and a
    cursor that repeats is an error, so a cursor that never ends cannot loop forever.
    """
    per_page = max(1, min(query.per_page, MAX_PER_PAGE))
    bound = max_pages
    if expected is not None:
        bound = min(max_pages, math.ceil(expected / per_page) + 2)
    url = query.url()
    cursor = "*"
    seen_cursors = set()
    for _ in range(bound):
        page = client.get(
            url,
            params={"per-page": per_page, "cursor": cursor},
            source=SOURCE,
            what=query.what,
            headers=query.headers(),
        )
        data = _list_response(page, query.what, "the page")
        results = data["results"]
        cursor = _dict(data.get("meta")).get("next_cursor")
        if results:
            yield dataclasses.replace(page, document=data)
        if not results or not cursor:
            return
        if cursor in seen_cursors:
            raise HarvestError(
                f"{query.what}: the cursor repeats ({cursor[:40]}...); the listing does not "
                "end, stopped",
                source=SOURCE,
                url=page.url,
            )
        seen_cursors.add(cursor)
    raise HarvestError(
        f"{query.what}: still more pages after {bound} pages"
        + (f" for {expected} works" if expected is not None else "")
        + "; the cursor does not end, stopped (nothing after the fault is trusted)",
        source=SOURCE,
        url=url,
    )


def _list_response(page: Fetched, what: str, kind: str) -> dict:
    """The page decoded as an OpenAlex list response (a dict with a `results` list).

    Raises:
        HarvestError: naming `kind` ("the page") and the URL: truncated, or the API changed.
    """
    try:
        data = json.loads(page.text)
        if not isinstance(data["results"], list):
            raise TypeError("'results' is not a list")
    except (ValueError, KeyError, TypeError) as exc:
        raise unusable(
            what, f"{kind} is not an OpenAlex list response", exc, source=SOURCE, url=page.url
        ) from None
    return data


def snapshot_key(query: Query) -> str:
    return f"snapshot {query.url()}"


def snapshot_fresh(
    meta: dict, count: int, refresh_days: int, today: dt.date | None = None
) -> bool:
    """True when a saved snapshot has the same count and is younger than refresh_days."""
    if meta.get("count") != count:
        return False
    try:
        fetched = dt.datetime.fromisoformat(meta["fetched_at"]).date()
    except (KeyError, TypeError, ValueError):
        return False
    return ((today or dt.date.today()) - fetched).days < refresh_days


# -- gap lookup: papers other sources stored that the source-ID pull did not return ---

# Venue names as OpenAlex receives them in locations[].raw_source_name, used when
# [sources.openalex.raw_source_names] has no entry for the venue. Matched case-insensitively
# as whole words anywhere in the name ("CVPR" matches "... (CVPR)", not "CVPRW").
DEFAULT_RAW_SOURCE_NAMES: dict[str, tuple[str, ...]] = {
    "CVPR": ("Conference on Computer Vision and Pattern Recognition", "CVPR"),
    "NeurIPS": ("Neural Information Processing Systems", "NeurIPS"),
    "ACL": (
        "Annual Meeting of the Association for Computational Linguistics",
        "Association for Computational Linguistics",
    ),
    "ICRA": ("International Conference on Robotics and Automation", "ICRA"),
}
DOI_BATCH = 50  # DOIs per lookup call (OpenAlex ORs up to 100 values; URLs stay < 4 KB)
TITLE_PER_PAGE = 10  # title search hits read per lookup call (best first)
# Every location is read: the venue may be named on a non-primary location only.
LOOKUP_SELECT = SELECT + ("locations",)
# A name with these words is another volume than the main conference, whatever it names.
_NOT_MAIN = re.compile(r"\b(workshops?|findings)\b", re.IGNORECASE)


@dataclass(frozen=True)
class KnownPaper:
    """A paper of the venue-year that another source stored (what the gap lookup asks for)."""

    title: str
    doi: str | None = None
    # W ids of this paper's OpenAlex records (found by an earlier pull or lookup).
    openalex_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class VenueCheck:
    """Whether a work returned by the gap lookup really is the venue-year."""

    what: str  # "CVPR 2024"
    year: int
    source_ids: tuple[str, ...]
    names: tuple[str, ...]  # raw_source_name patterns

    def problem(self, work: dict) -> str | None:
        """None when the work is the venue-year, else why not (for the run's notes).

        A location must name the venue (raw_source_name matching a pattern as whole words,
        not a workshop or Findings volume) or carry one of its source IDs, and publication_year must be within
        a year of the edition's.
        """
        locations = [_dict(x) for x in _list(work.get("locations"))]
        locations.append(_dict(work.get("primary_location")))
        ids = {bare_openalex_id(i) for i in self.source_ids}
        raw_names = []
        venue_found = False
        for loc in locations:
            source_id = _dict(loc.get("source")).get("id")
            if isinstance(source_id, str) and bare_openalex_id(source_id) in ids:
                venue_found = True
            raw = _clean(loc.get("raw_source_name"))
            if raw:
                raw_names.append(raw)
                if not _NOT_MAIN.search(raw) and any(
                    _name_matches(p, raw) for p in self.names
                ):
                    venue_found = True
        if not venue_found:
            shown = ", ".join(f"'{n[:120]}'" for n in dict.fromkeys(raw_names))
            return f"raw_source_name {shown or 'null'}"
        year = work.get("publication_year")
        if not isinstance(year, int) or abs(year - self.year) > 1:
            return f"publication_year {year}"
        return None


def _name_matches(pattern: str, raw: str) -> bool:
    """`pattern` stands in `raw` as whole words, case and spacing ignored."""
    words = _clean(pattern)
    if not words:
        return False
    regex = r"(?<![0-9a-z])" + re.escape(words.lower()) + r"(?![0-9a-z])"
    return re.search(regex, _clean(raw).lower()) is not None


def work_keys(work: object) -> tuple[str | None, str | None, str]:
    """(W id, normalised DOI, normalised title) of a work, for comparing with known papers."""
    work = _dict(work)
    doi = work.get("doi")
    title = _clean(work.get("title")) or _clean(work.get("display_name"))
    return (
        _work_id(work),
        normalise_doi(doi if isinstance(doi, str) else None),
        normalise_title(title) if title else "",
    )


def lookup_url(query: Query, **filters) -> str:
    """A /works URL for a gap lookup: the given filters, every location selected."""
    works = Works().filter(**filters).select(list(LOOKUP_SELECT))
    return on_host(works.url, query.base_url)


def doi_lookup_url(query: Query, dois: list[str]) -> str:
    """The lookup URL of up to DOI_BATCH DOIs (ORed in one `doi` filter)."""
    if not 0 < len(dois) <= DOI_BATCH:
        raise ValueError(
            f"{len(dois)} DOIs in one lookup call; 1 to {DOI_BATCH} allowed"
        )
    return lookup_url(query, doi="|".join(dois))


def title_lookup_url(query: Query, title: str) -> str:
    """The lookup URL of one title: a title search within a year of the edition.

    The title is reduced to its words: a comma would split the filter, a pipe would OR it.
    """
    return lookup_url(
        query,
        title={"search": normalise_title(title)},
        from_publication_date=f"{query.year - 1}-01-01",
        to_publication_date=f"{query.year + 1}-12-31",
    )


def _filter_safe_doi(doi: str) -> bool:
    # A DOI with a comma or a pipe cannot stand in a filter value: it is looked up by title.
    return "," not in doi and "|" not in doi


@dataclass
class GapLookup:
    """The gap lookup of one venue-year: what to ask, the calls made and what was found.

    `pages()` yields one decoded document per call holding only the accepted works, for
    parse_openalex; `note()` says in the run's notes what it cost and what it left out.
    `log` holds every call's (asked, response) for the snapshot cache.
    """

    query: Query
    check: VenueCheck
    known: tuple[KnownPaper, ...]
    budget: int
    calls: int = 0
    found: int = 0
    gaps: int = 0
    unlooked: int = 0
    replayed: int = 0
    cut: int = 0  # answers with more works than their one page (the rest unread)
    rejected: dict = field(default_factory=dict)  # reason -> works
    log: list = field(default_factory=list)  # [{"asked": ..., "response": ...}]
    _taken: set = field(default_factory=set)  # W ids already given to the parser
    _pulled_dois: set = field(default_factory=set)
    _pulled_titles: set = field(default_factory=set)

    def saw(self, document: object) -> None:
        """Note the works of one page of the main pull (they are not looked up)."""
        for work in _list(_dict(document).get("results")):
            w, doi, title = work_keys(work)
            self._taken.add(w)
            self._pulled_dois.add(doi)
            self._pulled_titles.add(title)

    def pages(self, client: HttpClient, replay: list[dict] = ()) -> Iterator[Fetched]:
        """Look up the known papers that no work of the main pull (see `saw`) is.

        `replay` is the log of an earlier lookup against the same snapshot: its answers are
        re-read and the papers it asked for are not asked again. DOIs go first (DOI_BATCH
        a call), then titles one a call, while `budget` calls last.

        Raises:
            HarvestError: a call failed, or its answer is not an OpenAlex list response.
        """
        ids, dois, titles = self._taken, self._pulled_dois, self._pulled_titles
        by_doi, by_title = [], []
        for paper in self.known:
            norm = normalise_title(paper.title)
            doi = normalise_doi(paper.doi)
            if set(paper.openalex_ids) & ids or (doi and doi in dois) or norm in titles:
                continue
            if not norm and not doi:
                continue
            self.gaps += 1
            if doi and _filter_safe_doi(doi):
                by_doi.append(doi)
            elif norm:
                by_title.append((paper, norm))
        # Papers an earlier lookup found come first, so that the budget re-finds them
        # before trying new ones (a paper found once is then not flagged missing).
        by_title.sort(key=lambda item: not item[0].openalex_ids)
        asked_dois: set[str] = set()
        asked_titles: set[str] = set()
        for entry in replay:
            asked = entry.get("asked", {})
            asked_dois.update(asked.get("dois", ()))
            if asked.get("title"):
                asked_titles.add(asked["title"])
            self.log.append(entry)
            self.replayed += 1
            document = self._accept(entry.get("response"), asked)
            if document["results"]:
                yield Fetched(
                    self.query.url(), "", 304, from_cache=True, document=document
                )
        by_doi = list(dict.fromkeys(d for d in by_doi if d not in asked_dois))
        unique = []  # one call a title, not one a paper
        for paper, norm in by_title:
            if norm not in asked_titles:
                asked_titles.add(norm)
                unique.append((paper, norm))
        by_title = unique
        for start in range(0, len(by_doi), DOI_BATCH):
            if self.calls >= self.budget:
                self.unlooked += len(by_doi) - start
                break
            batch = by_doi[start : start + DOI_BATCH]
            # A DOI can have two works in OpenAlex: a full page leaves room for them.
            page = self._call(client, doi_lookup_url(self.query, batch), MAX_PER_PAGE)
            yield from self._answer(page, {"dois": batch})
        for index, (paper, norm) in enumerate(by_title):
            if self.calls >= self.budget:
                self.unlooked += len(by_title) - index
                break
            page = self._call(
                client, title_lookup_url(self.query, paper.title), TITLE_PER_PAGE
            )
            yield from self._answer(page, {"title": norm})

    def _call(self, client: HttpClient, url: str, per_page: int) -> Fetched:
        self.calls += 1
        return client.get(
            url,
            params={"per-page": per_page},
            source=SOURCE,
            what=self.query.what,
            headers=self.query.headers(),
        )

    def _answer(self, page: Fetched, asked: dict) -> Iterator[Fetched]:
        data = _list_response(page, self.query.what, "a gap lookup response")
        count = _dict(data.get("meta")).get("count")
        if isinstance(count, int) and count > len(data["results"]):
            self.cut += 1
        self.log.append({"asked": asked, "response": data})
        document = self._accept(data, asked)
        if document["results"]:
            yield dataclasses.replace(page, document=document)

    def _accept(self, data: object, asked: dict) -> dict:
        """The response with only the works that answer the question and are the venue-year."""
        accepted = []
        for work in _list(_dict(data).get("results")):
            w, doi, title = work_keys(work)
            if not w:
                continue
            answers = (
                doi in asked.get("dois", ())
                if "dois" in asked
                else title == asked.get("title")
            )
            if not answers:
                continue  # another paper with a similar title: not a question of venue
            problem = self.check.problem(_dict(work))
            if problem:
                self.rejected[problem] = self.rejected.get(problem, 0) + 1
            elif w not in self._taken:
                self._taken.add(w)
                self.found += 1
                accepted.append(work)
        return {"meta": _dict(_dict(data).get("meta")), "results": accepted}

    def note(self) -> str:
        """What the lookup did, for the run's notes."""
        text = (
            f"gap lookup: {self.gaps} paper(s) stored by other sources not in the "
            f"source-ID pull; {self.calls} call(s)"
        )
        if self.replayed:
            text += f" (+{self.replayed} cached answer(s) re-read)"
        text += f", {self.found} found"
        if self.unlooked:
            text += (
                f", {self.unlooked} left unlooked-up (lookup_budget of {self.budget} "
                "calls spent)"
            )
        if self.rejected:
            n = sum(self.rejected.values())
            reasons = sorted(self.rejected.items(), key=lambda kv: (-kv[1], kv[0]))
            text += (
                f"; {n} work(s) from the lookup were not {self.check.what}: "
                + "; ".join(f"{reason} ({count})" for reason, count in reasons[:5])
            )
            if len(reasons) > 5:
                text += f"; {len(reasons) - 5} other reason(s)"
        if self.cut:
            text += (
                f"; {self.cut} lookup answer(s) held more works than one page (the rest "
                "not read)"
            )
        return text


# -- finding a venue-year's source IDs -----------------------------------------------


@dataclass(frozen=True)
class SourceCandidate:
    """An OpenAlex source that may be a venue-year's proceedings."""

    source_id: str  # bare S id
    display_name: str
    type: str | None
    works_count: int | None  # all years, as OpenAlex states it
    works_in_year: int | None = None  # works of the asked year in any location

    def names(self, venue: str, year: int) -> bool:
        """True when the name carries the year or the venue's key as a word ("CVPR")."""
        text = self.display_name.lower()
        return str(year) in text or re.search(rf"\b{re.escape(venue.lower())}\b", text) is not None


def sources_url(base_url: str, text: str) -> str:
    """The /sources search URL for `text` on the configured host (pyalex builds it)."""
    return on_host(
        Sources().search(text).select(["id", "display_name", "type", "works_count"]).url,
        base_url,
    )


def find_sources(
    client: HttpClient,
    base_url: str,
    *,
    venue: str,
    year: int,
    name: str,
    api_key: str | None = None,
    limit: int = 10,
) -> list[SourceCandidate]:
    """Candidate proceedings sources of one venue-year, with their works of that year.

    One search call ("<year> <name>"), then one count call for each of the first `limit`
    candidates (those naming the year or the venue first). OpenAlex keeps one source per
    edition, so the answer for 2026 is the source whose name says 2026 and holds its works.

    Raises:
        HarvestError: the search answer is not a /sources list (naming the URL).
    """
    what = f"{venue} {year}"
    page = client.get(
        sources_url(base_url, f"{year} {name}"),
        params={"per-page": 25},
        source=SOURCE,
        what=f"{what} sources",
        headers=auth_headers(api_key),
    )
    try:
        results = json.loads(page.text)["results"]
        found = [
            SourceCandidate(
                source_id=bare_openalex_id(r["id"]),
                display_name=_clean(r.get("display_name")),
                type=r.get("type"),
                works_count=r.get("works_count"),
            )
            for r in results
            if isinstance(r, dict) and isinstance(r.get("id"), str)
        ]
    except (ValueError, KeyError, TypeError) as exc:
        raise unusable(
            what, "the /sources answer is not a list of sources", exc, source=SOURCE, url=page.url
        ) from None
    found.sort(key=lambda c: (not c.names(venue, year), -(c.works_count or 0)))
    counted = []
    for candidate in found[:limit]:
        query = Query(base_url, (candidate.source_id,), year, what, api_key=api_key)
        count, _ = count_works(client, query)
        counted.append(dataclasses.replace(candidate, works_in_year=count))
    return counted + found[limit:]
