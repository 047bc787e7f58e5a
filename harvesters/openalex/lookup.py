"""OpenAlex's gap lookup: papers other sources stored that the source-ID pull missed,
asked by DOI and title, and accepted only when a location names the venue-year."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from pyalex import Works

from harvesters.http import Fetched, HttpClient
from harvesters.openalex.api import MAX_PER_PAGE, SELECT, Query, _list_response, on_host
from harvesters.openalex.parse import SOURCE, _clean, _dict, _list, _work_id
from matching.text import bare_openalex_id, normalise_doi, normalise_title

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
