"""OpenAlex per paper: one call per candidate (single work by DOI, batched DOIs, or a title
search), parsed into author ids, ORCIDs, institutions and funding, with each call's price class.

OpenAlex prices calls by kind (developers.openalex.org pricing, as quoted in issue 12): a
single work by id or DOI is not billed, a list/filter call costs about $0.10 per 1,000 and a
search about $1 per 1,000, against a free key's $1/day. The recorded responses agree for the
single work (`x-ratelimit-cost-usd: 0`); a `title_and_abstract.search` filter was billed as a
list call there ($0.0001), so a title search is counted here at the search price (the higher
one), and the cost OpenAlex itself reports is summed beside the estimate.
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from urllib.parse import quote

from harvesters.http import Fetched, HttpClient, NotFound, QuotaExhausted, Unreachable
from harvesters.openalex.api import MAX_PER_PAGE, SELECT, Query, auth_headers
from harvesters.openalex.lookup import (
    DOI_BATCH,
    TITLE_PER_PAGE,
    _filter_safe_doi,
    doi_lookup_url,
    title_lookup_url,
)
from harvesters.openalex.parse import (
    SOURCE,
    _author,
    _awards,
    _bare_ror,
    _clean,
    _dict,
    _funders,
    _list,
    _work_id,
)
from matching.enriched import Institution, OpenAlexAuthorFacts, align_authors
from matching.text import bare_openalex_id, normalise_doi, normalise_title
from papertally.errors import HarvestError

SINGLE = "single work"  # GET /works/doi:... or /works/W...: not billed
LIST = "list"  # GET /works?filter=doi:a|b|...
SEARCH = "search"  # GET /works?filter=title.search:...
# Estimated USD per call, by price class (see the module docstring).
PRICE_USD = {SINGLE: 0.0, LIST: 0.0001, SEARCH: 0.001}


@dataclass(frozen=True)
class PaperAsk:
    """What the enrichment step knows of one candidate paper."""

    paper_id: str
    title: str
    year: int
    doi: str | None = None
    openalex_id: str | None = None  # a W id another source already gave


@dataclass(frozen=True)
class WorkAuthor:
    """One authorship of an OpenAlex work."""

    position: int
    name: str  # as printed (raw_author_name), else OpenAlex's display name
    openalex_id: str | None = None
    orcid: str | None = None
    institutions: tuple[Institution, ...] = ()
    affiliations: tuple[str, ...] = ()  # raw affiliation strings, else institution names


@dataclass(frozen=True)
class WorkFacts:
    """What papertally uses of one OpenAlex work."""

    work_id: str
    title: str
    year: int | None = None
    doi: str | None = None
    authors: tuple[WorkAuthor, ...] = ()
    funders: tuple[str, ...] = ()  # funder names
    awards: tuple[str, ...] = ()  # award numbers, split ("18K13235, 20K20132" -> two)


    def author_facts(self, byline: list[str]) -> dict[int, OpenAlexAuthorFacts]:
        """What OpenAlex says of each printed author: {0-based byline index: facts}, for
        the authors OpenAlex's list can be aligned with (matching.enriched.align_authors)."""
        aligned = align_authors(byline, [a.name for a in self.authors])
        return {
            i: OpenAlexAuthorFacts(
                work_id=self.work_id,
                openalex_id=self.authors[j].openalex_id,
                orcid=self.authors[j].orcid,
                institutions=self.authors[j].institutions,
            )
            for i, j in aligned.items()
        }


@dataclass(frozen=True)
class Enriched:
    """The answer for one paper: found (with the work), not found, or not fetched (why).

    `price_class` is the kind of call that answered ("" when no call was made for it).
    """

    paper_id: str
    status: str  # "found" | "not_found" | "not_fetched"
    price_class: str = ""
    work: WorkFacts | None = None
    reason: str = ""
    # HTTP requests (retries included) and bytes of the call, on the call's first paper.
    requests: int = 0
    bytes: int = 0

    def to_dict(self) -> dict:
        """A JSON-ready dict, for the enrichment cache."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Enriched:
        """The inverse of to_dict."""
        work = data.get("work")
        if work:
            authors = tuple(
                WorkAuthor(
                    **{
                        **a,
                        "institutions": tuple(Institution(**i) for i in a["institutions"]),
                        "affiliations": tuple(a["affiliations"]),
                    }
                )
                for a in work["authors"]
            )
            work = WorkFacts(
                **{
                    **work,
                    "authors": authors,
                    "funders": tuple(work["funders"]),
                    "awards": tuple(work["awards"]),
                }
            )
        return cls(**{**data, "work": work or None})


@dataclass
class CallLedger:
    """OpenAlex calls made in one night, by price class, with the estimated and the
    reported cost (`x-ratelimit-cost-usd`, or `meta.cost_usd`, when OpenAlex sends it)."""

    calls: Counter = field(default_factory=Counter)
    reported_usd: float = 0.0
    reported_calls: int = 0

    def add(self, price_class: str, headers: dict | None = None) -> None:
        """Count one call made (answered, whatever the answer); `headers` are its response
        headers, for the cost OpenAlex reports."""
        self.calls[price_class] += 1
        cost = _reported_cost(headers or {})
        if cost is not None:
            self.reported_usd += cost
            self.reported_calls += 1

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    @property
    def estimated_usd(self) -> float:
        return sum(PRICE_USD[k] * n for k, n in self.calls.items())

    def as_dict(self) -> dict:
        """For the run summary and `harvest --status`."""
        return {
            "calls": {k: self.calls[k] for k in (SINGLE, LIST, SEARCH) if self.calls[k]},
            "estimated_usd": round(self.estimated_usd, 6),
            "reported_usd": round(self.reported_usd, 6) if self.reported_calls else None,
        }

    def summary(self) -> str:
        """One line: "OpenAlex: 3 call(s) (2 single work, free; 1 search, ~$0.0010)"."""
        if not self.total:
            return "OpenAlex: no call"
        text = f"OpenAlex: {self.total} call(s) ({price_text(self.calls)})"
        if self.reported_calls:
            text += f"; OpenAlex reported ${self.reported_usd:.4f}"
        return text


def price_text(calls: dict) -> str:
    """Calls by price class in words, with the estimated cost:
    "2 single work, free; 1 search, ~$0.0010" (classes OpenAlex does not price are listed
    without a cost)."""
    parts = []
    order = list(PRICE_USD)  # single work, list, search: cheapest first
    for kind, n in sorted(calls.items(), key=lambda kv: (order + [kv[0]]).index(kv[0])):
        if not n:
            continue
        if kind not in PRICE_USD:
            parts.append(f"{n} {kind}")
        else:
            parts.append(f"{n} {kind}, " + ("free" if not PRICE_USD[kind] else f"~${PRICE_USD[kind] * n:.4f}"))
    return "; ".join(parts)


def _reported_cost(headers: dict) -> float | None:
    value = {k.lower(): v for k, v in headers.items()}.get("x-ratelimit-cost-usd")
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def parse_work(work: object) -> WorkFacts | None:
    """One OpenAlex Work object as WorkFacts; None when it has no id (not a work).

    Every nested field is optional (null institutions, ORCIDs, RORs are common).
    """
    work = _dict(work)
    work_id = _work_id(work)
    if not work_id:
        return None
    authors = []
    for position, authorship in enumerate(_list(work.get("authorships")), start=1):
        record = _author(authorship, position)
        institutions = tuple(
            Institution(
                name=_clean(i.get("display_name")),
                ror=_bare_ror(i.get("ror")),
                country=_clean(i.get("country_code")).upper() or None,
            )
            for i in map(_dict, _list(_dict(authorship).get("institutions")))
            if _clean(i.get("display_name")) or i.get("ror")
        )
        authors.append(
            WorkAuthor(
                position=position,
                name=record.name,
                openalex_id=record.openalex_id,
                orcid=record.orcid,
                institutions=institutions,
                affiliations=record.affiliations,
            )
        )
    doi = work.get("doi")
    year = work.get("publication_year")
    return WorkFacts(
        work_id=work_id,
        title=_clean(work.get("title")) or _clean(work.get("display_name")),
        year=year if isinstance(year, int) else None,
        doi=normalise_doi(doi if isinstance(doi, str) else None),
        authors=tuple(authors),
        funders=_funders(work),
        awards=_awards(work),
    )


# -- planning: which call answers which paper, within the night's budget -------------


@dataclass(frozen=True)
class Call:
    """One planned OpenAlex call and the papers it answers."""

    price_class: str
    asks: tuple[PaperAsk, ...]


def _askable(ask: PaperAsk) -> bool:
    return bool(ask.openalex_id or normalise_doi(ask.doi) or normalise_title(ask.title))


def plan_calls(
    asks: Iterable[PaperAsk], budget: int, *, batch_dois: bool = False
) -> tuple[list[Call], list[PaperAsk]]:
    """The calls for `asks`, in their order, at most `budget` of them; and the papers left
    for another night.

    A paper with an OpenAlex W id or a DOI is one single-work call (free); with
    `batch_dois`, DOIs go DOI_BATCH to a list call instead (fewer requests, billed). A paper
    with neither is one title search. No paper is in two calls.
    """
    asks = list(asks)
    calls: list[Call] = []
    batched: list[PaperAsk] = []
    for ask in asks:
        doi = normalise_doi(ask.doi)
        if not ask.openalex_id and batch_dois and doi and _filter_safe_doi(doi):
            batched.append(ask)
        elif ask.openalex_id or doi:
            calls.append(Call(SINGLE, (ask,)))
        elif normalise_title(ask.title):
            calls.append(Call(SEARCH, (ask,)))
    for start in range(0, len(batched), DOI_BATCH):
        calls.append(Call(LIST, tuple(batched[start : start + DOI_BATCH])))
    # Keep the callers' order (candidates first): a call's place is its first paper's.
    order = {a.paper_id: i for i, a in enumerate(asks)}
    calls.sort(key=lambda c: order[c.asks[0].paper_id])
    kept = calls[: max(0, budget)]
    planned = {a.paper_id for c in kept for a in c.asks}
    return kept, [a for a in asks if a.paper_id not in planned]


# -- fetching --------------------------------------------------------------------------


def single_work_url(base_url: str, ask: PaperAsk) -> str:
    """`/works/W...` or `/works/doi:10...` on the configured host."""
    key = bare_openalex_id(ask.openalex_id) if ask.openalex_id else f"doi:{normalise_doi(ask.doi)}"
    return f"{base_url.rstrip('/')}/works/{quote(key, safe=':/')}"


def enrich_papers(
    client: HttpClient,
    asks: Iterable[PaperAsk],
    *,
    base_url: str,
    budget: int,
    ledger: CallLedger,
    api_key: str | None = None,
    batch_dois: bool = False,
) -> list[Enriched]:
    """Ask OpenAlex about each paper with at most one call each, within `budget` calls.

    Never raises for a source fault: a paper whose call failed is "not_fetched" with the
    reason ("offline", "OpenAlex budget spent ...", "HTTP 429 after 5 attempts ...", "the
    answer is not a work ..."). After a fault that will not heal tonight (offline, spent
    budget, an overloaded or failing service) no further call is made.

    Returns:
        One Enriched per ask, in the asks' order.
    """
    asks = list(asks)
    calls, later = plan_calls(asks, budget, batch_dois=batch_dois)
    results: dict[str, Enriched] = {
        a.paper_id: Enriched(
            a.paper_id, "not_fetched",
            reason="not fetched: over tonight's OpenAlex call budget" if _askable(a)
            else "nothing to ask OpenAlex with (no DOI, OpenAlex id or title)",
        )
        for a in later
    }
    headers = auth_headers(api_key)
    stop: str | None = None
    for call in calls:
        if stop:
            for a in call.asks:
                results[a.paper_id] = Enriched(a.paper_id, "not_fetched", reason=stop)
            continue
        before = client.stats.copy()
        stop = _answer_call(client, call, base_url, headers, ledger, results)
        spent = client.stats.since(before)
        first = call.asks[0].paper_id
        results[first] = dataclasses.replace(
            results[first], requests=spent.requests, bytes=spent.bytes
        )
    return [results[a.paper_id] for a in asks]


def _answer_call(
    client: HttpClient, call: Call, base_url: str, headers: dict, ledger: CallLedger,
    results: dict[str, Enriched],
) -> str | None:
    """Make one call and put each of its papers' answers in `results`.

    Returns the reason to make no further call tonight, or None.
    """
    try:
        found = _make_call(client, call, base_url, headers, ledger)
    except NotFound:
        ledger.add(call.price_class)
        for a in call.asks:
            results[a.paper_id] = Enriched(
                a.paper_id, "not_found", call.price_class,
                reason="OpenAlex has no such work (HTTP 404)",
            )
        return None
    except HarvestError as exc:
        if not isinstance(exc, (Unreachable, QuotaExhausted, _BadAnswer)):
            ledger.add(call.price_class)  # answered, with an error status
        reason = _not_fetched_reason(exc)
        for a in call.asks:
            results[a.paper_id] = Enriched(a.paper_id, "not_fetched", reason=reason)
        return None if isinstance(exc, _BadAnswer) else reason
    for a in call.asks:
        work = found.get(a.paper_id)
        results[a.paper_id] = (
            Enriched(a.paper_id, "found", call.price_class, work)
            if work
            else Enriched(
                a.paper_id, "not_found", call.price_class,
                reason=_why_not_found(call.price_class),
            )
        )
    return None


class _BadAnswer(HarvestError):
    """An answer that is not what was asked for (truncated JSON, not a work): this paper
    only; the next call may be fine."""


def _not_fetched_reason(exc: HarvestError) -> str:
    if isinstance(exc, Unreachable):
        return "not fetched: offline"
    return f"not fetched: {exc}"


def _why_not_found(price_class: str) -> str:
    if price_class == SEARCH:
        return "no OpenAlex work with this title within a year of the edition"
    return "no OpenAlex work with this DOI"


def _make_call(
    client: HttpClient, call: Call, base_url: str, headers: dict, ledger: CallLedger
) -> dict[str, WorkFacts | None]:
    """Make one call; return the work found for each of its papers (None: none)."""
    first = call.asks[0]
    what = f"paper {first.paper_id}" if len(call.asks) == 1 else f"{len(call.asks)} papers"
    if call.price_class == SINGLE:
        page = client.get(
            single_work_url(base_url, first), params={"select": ",".join(SELECT)},
            source=SOURCE, what=what, headers=headers,
        )
        ledger.add(SINGLE, page.headers)
        work = parse_work(_decode(page, what, single=True))
        if work is None:
            raise _BadAnswer(f"{what}: the answer is not an OpenAlex work (no id)", source=SOURCE, url=page.url)
        return {first.paper_id: work}
    query = Query(base_url, (), first.year, what)
    if call.price_class == LIST:
        dois = [normalise_doi(a.doi) for a in call.asks]
        url, per_page = doi_lookup_url(query, dois), MAX_PER_PAGE
    else:
        url, per_page = title_lookup_url(query, first.title), TITLE_PER_PAGE
    page = client.get(url, params={"per-page": per_page}, source=SOURCE, what=what, headers=headers)
    ledger.add(call.price_class, page.headers)
    data = _decode(page, what, single=False)
    works = [w for w in map(parse_work, data["results"]) if w]
    if call.price_class == LIST:
        by_doi: dict[str | None, WorkFacts] = {}
        for w in works:
            by_doi.setdefault(w.doi, w)
        return {a.paper_id: by_doi.get(normalise_doi(a.doi)) for a in call.asks}
    # A title search returns similar titles too: only the same title, within a year.
    wanted = normalise_title(first.title)
    match = next(
        (
            w for w in works
            if normalise_title(w.title) == wanted
            and (w.year is None or abs(w.year - first.year) <= 1)
        ),
        None,
    )
    return {first.paper_id: match}


def _decode(page: Fetched, what: str, *, single: bool) -> dict:
    try:
        data = json.loads(page.text)
        if not isinstance(data, dict):
            raise TypeError(f"a JSON {type(data).__name__}")
        if not single and not isinstance(data.get("results"), list):
            raise KeyError("results")
    except (ValueError, KeyError, TypeError) as exc:
        kind = "a work" if single else "a list response"
        raise _BadAnswer(
            f"{what}: the answer is not {kind} ({type(exc).__name__}: {str(exc)[:80]}); "
            "truncated or the API changed",
            source=SOURCE, url=page.url,
        ) from None
    return data
