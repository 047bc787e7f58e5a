"""The enrichment step: after matching, learn more about each candidate paper, once, cached.

A *candidate* is a paper with at least one link confirmed or needing review. Each
*enricher* (full text here; OpenReview profiles and OpenAlex per paper plug in the same way)
is asked only about candidates it has not answered for yet, or whose inputs changed (the
paper's sources now give another PDF link, profile id or DOI), or whose last answer was
"not fetched" (offline, a spent budget). So a night with no new candidate makes no call.

How to write an enricher (the interface other modules implement):

    class MyEnricher:
        kind = "openalex"        # cache key, one row per (paper, kind) in db.enrichment
        version = 1              # bump when `data`'s shape or the reading changes:
                                 # every candidate is then asked again
        def inputs(self, c: Candidate) -> str:
            '''What this enricher would ask about c, as a stable string (its DOI, its
            profile ids, its PDF link). "" = nothing to ask: stored as status "none"
            with reason "no input", no call made.'''
        def enrich(self, todo: list[Candidate], client: HttpClient) -> dict[str, Outcome]:
            '''Ask about each candidate (batch as you like, within your own budget) and
            return an Outcome per paper_id. Never raise for one bad answer: return
            Outcome(NOT_FETCHED, "offline: ...") or Outcome(NONE, "no work found").
            A paper left out of the dict is stored as not fetched ("not asked").'''

Register it in `papertally/enrichers.py` (`default_enrichers`). Its `data` (a JSON-ready
dict) is read back with `db.enrichment.load(db, paper_ids, kind)` by the matching step
and the reports.
Outcome.calls / bytes / price (calls by price class) are summed into the night's summary.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Protocol

import sqlite_utils

from db import enrichment as store
from db.enrichment import NONE, NOT_FETCHED, OK, Enrichment
from harvesters.fulltext import extract_text, pdf_links
from harvesters.http import HttpClient, NotFound, QuotaExhausted, Unreachable
from harvesters.openalex.papers import price_text
from matching.attribution import find_acknowledgement, terms_from
from matching.authorblock import read_author_block
from papertally.config import Settings
from papertally.errors import HarvestError, PapertallyError

__all__ = ["Candidate", "CandidateAuthor", "Outcome", "Enricher", "OK", "NONE", "NOT_FETCHED"]


@dataclass(frozen=True)
class CandidateAuthor:
    """One byline position of a candidate, with the ids its sources printed."""

    position: int
    name: str
    openreview_id: str | None = None
    orcid: str | None = None
    openalex_id: str | None = None
    dblp_pid: str | None = None


@dataclass(frozen=True)
class Candidate:
    """A candidate paper as the enrichers see it."""

    paper_id: str
    venue: str
    year: int
    title: str
    doi: str | None
    urls: tuple[tuple[str, str], ...]  # (source, page URL) per source record
    authors: tuple[CandidateAuthor, ...]  # the byline
    member_positions: tuple[int, ...]  # byline positions linked to a member
    dois: tuple[str, ...] = ()  # every DOI a source gave
    members: dict = field(default_factory=dict, compare=False, hash=False)  # position -> person_id


@dataclass(frozen=True)
class Outcome:
    """One enricher's answer for one paper."""

    status: str  # OK | NONE | NOT_FETCHED
    reason: str = ""
    data: dict = field(default_factory=dict)
    content_hash: str | None = None
    calls: int = 0
    bytes: int = 0
    price: dict = field(default_factory=dict)  # calls by price class


class Enricher(Protocol):
    kind: str
    version: int

    def inputs(self, candidate: Candidate) -> str: ...

    def enrich(self, todo: list[Candidate], client: HttpClient) -> dict[str, Outcome]: ...


def load_candidates(db: sqlite_utils.Database) -> list[Candidate]:
    """Every candidate paper, with its sources' pages and byline."""
    rows = store.candidate_rows(db, store.candidate_paper_ids(db))
    return [
        Candidate(
            paper_id=r["paper_id"],
            venue=r["venue"],
            year=r["year"],
            title=r["title"],
            doi=r["doi"],
            urls=tuple(r["urls"]),
            authors=tuple(CandidateAuthor(**a) for a in r["authors"]),
            member_positions=tuple(sorted(r["member_positions"])),
            dois=tuple(r["dois"]),
            members=r["members"],
        )
        for r in rows
    ]


def base_url_of(settings: Settings, source: str, default: str) -> str:
    """[sources.SOURCE] base_url, or `default` when the config sets none."""
    return getattr(settings.sources.get(source), "base_url", None) or default


def _fingerprint(enricher: Enricher, inputs: str) -> str:
    """What a stored answer was asked with: the enricher's version and inputs."""
    return f"v{enricher.version}:{inputs}"


@dataclass
class KindSummary:
    """What one enricher did in one night."""

    candidates: int = 0
    asked: int = 0  # candidates it was asked about tonight
    cached: int = 0  # answered before, inputs unchanged: no call
    no_input: int = 0  # nothing to ask with (no PDF link, no profile id): no call
    ok: int = 0
    none: int = 0
    not_fetched: int = 0
    calls: int = 0
    bytes: int = 0
    price: dict = field(default_factory=dict)
    reasons: dict = field(default_factory=dict)  # reason -> papers, for none/not fetched


def run_enrichers(
    db: sqlite_utils.Database,
    enrichers: Sequence[Enricher],
    client: HttpClient | None,
    *,
    offline_reason: str | None = None,
    now: str | None = None,
    ask_again_after_days: int = 0,
) -> dict[str, KindSummary]:
    """Enrich every candidate that needs it, with each enricher; store the outcomes.

    Args:
      db: the database (candidates are read from its links).
      enrichers: the enrichers to run, in order.
      client: the shared HTTP client; None, or `offline_reason` set, means no call is made
        and every candidate that needs asking is stored "not fetched: <reason>".
      ask_again_after_days: an answer with nothing in it (status "none", with an input)
        older than this is asked again ([enrichment] ask_again_after_days; 0 = never).
    Returns: per enricher kind, a KindSummary (JSON-ready with dataclasses.asdict).
    """
    stamp = now or dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    stale_before = _days_before(stamp, ask_again_after_days)
    candidates = load_candidates(db)
    ids = [c.paper_id for c in candidates]
    out: dict[str, KindSummary] = {}
    for enricher in enrichers:
        summary = out[enricher.kind] = KindSummary(candidates=len(candidates))
        cache = store.load(db, ids, enricher.kind)
        todo: list[Candidate] = []
        no_input: list[Candidate] = []
        fingerprints: dict[str, str] = {}
        for c in candidates:
            inputs = enricher.inputs(c)
            fp = fingerprints[c.paper_id] = _fingerprint(enricher, inputs)
            row = cache.get((c.paper_id, enricher.kind))
            # A "no input" answer cost no call: it never goes stale.
            if _answered(row, fp, stale_before if inputs else ""):
                summary.cached += 1
            elif not inputs:
                no_input.append(c)
            else:
                todo.append(c)
        outcomes: dict[str, Outcome] = {
            c.paper_id: Outcome(NONE, "no input (no link or id to ask with)") for c in no_input
        }
        if todo and (client is None or offline_reason):
            why = f"not fetched: {offline_reason or 'offline'}"
            outcomes.update({c.paper_id: Outcome(NOT_FETCHED, why) for c in todo})
        elif todo:
            answered = enricher.enrich(todo, client)
            for c in todo:
                outcomes[c.paper_id] = answered.get(c.paper_id) or Outcome(NOT_FETCHED, "not asked")
        summary.asked, summary.no_input = len(todo), len(no_input)
        without_input = {c.paper_id for c in no_input}
        rows = []
        for pid, o in outcomes.items():
            summary.calls += o.calls
            summary.bytes += o.bytes
            for k, v in o.price.items():
                summary.price[k] = summary.price.get(k, 0) + v
            if pid not in without_input:
                setattr(summary, o.status, getattr(summary, o.status) + 1)
            if o.status != OK:
                summary.reasons[o.reason] = summary.reasons.get(o.reason, 0) + 1
            rows.append(
                Enrichment(pid, enricher.kind, fingerprints[pid], o.status,
                           o.reason, o.data, o.content_hash, o.calls, o.bytes, stamp)
            )
        store.store(db, rows)
    return out


def _answered(row: Enrichment | None, fingerprint: str, stale_before: str) -> bool:
    """Whether a cached row still answers: asked with these inputs, fetched, and not an
    empty answer ("none") from before `stale_before` ("" = empty answers never go stale)."""
    if row is None or row.inputs != fingerprint or row.status == NOT_FETCHED:
        return False
    return not (row.status == NONE and stale_before and row.enriched_at < stale_before)


def _days_before(stamp: str, days: int) -> str:
    """The ISO time `days` before `stamp` ("" for 0 days: never), comparable as text with
    the stored enriched_at stamps (both UTC, seconds)."""
    if not days:
        return ""
    at = dt.datetime.fromisoformat(stamp)
    return (at - dt.timedelta(days=days)).isoformat(timespec="seconds")


def summary_line(summary: dict[str, KindSummary]) -> str:
    """One line per night, e.g. 'enrichment: fulltext 5 candidates: 2 asked (1 ok, 1 none),
    1 without input, 2 cached; 2 calls, 1,234,567 bytes'."""
    parts = []
    for kind, s in summary.items():
        counts = {"ok": s.ok, "none": s.none, "not fetched": s.not_fetched}
        detail = ", ".join(f"{n} {k}" for k, n in counts.items() if n)
        price = price_text(s.price)  # OpenAlex's calls by price class, with the cost
        parts.append(
            f"{kind} {s.candidates} candidates: {s.asked} asked"
            + (f" ({detail})" if detail else "")
            + f", {s.no_input} without input, {s.cached} cached; {s.calls} calls"
            + (f" ({price})" if price else "")
            + f", {s.bytes:,} bytes"
        )
    return "enrichment: " + ("; ".join(parts) if parts else "no enricher")


# --- The full-text enricher ----------------------------------------------------------------

FULLTEXT = "fulltext"


class FullTextEnricher:
    """The paper's open PDF: the acknowledgement and page 1's author block. One download
    per candidate at most (the best link only; a failure is not retried elsewhere)."""

    kind = FULLTEXT
    version = 1

    def __init__(self, settings: Settings):
        p = settings.program
        self.terms = terms_from(p.grant_numbers, p.funder_names, p.program_names)
        self.max_bytes = settings.enrichment.pdf_max_bytes
        self.max_pages = settings.enrichment.pdf_max_pages
        self.per_night = settings.enrichment.pdf_max_per_night
        self.delay = settings.enrichment.pdf_delay_seconds
        self.arxiv_base = base_url_of(settings, "arxiv", "https://arxiv.org")

    def links(self, c: Candidate) -> list[str]:
        dois = [d for d in (c.doi, *c.dois) if d]
        links = pdf_links([u for _s, u in c.urls], None, self.arxiv_base)
        for d in dois:
            for link in pdf_links([], d, self.arxiv_base):
                if link not in links:
                    links.append(link)
        return links

    def inputs(self, c: Candidate) -> str:
        links = self.links(c)
        return links[0] if links else ""

    def enrich(self, todo: list[Candidate], client: HttpClient) -> dict[str, Outcome]:
        out: dict[str, Outcome] = {}
        # A host that answered 429/5xx after the client's retries (or a spent budget) is
        # not asked again tonight: its other candidates wait for the next night instead of
        # each sitting through the same backoff.
        resting: dict[str, str] = {}
        asked_hosts: set[str] = set()
        downloads = 0
        for c in todo:
            host = urlsplit(self.inputs(c)).netloc
            if host in resting:
                out[c.paper_id] = Outcome(NOT_FETCHED, f"not asked tonight: {host} {resting[host]}")
                continue
            if downloads >= self.per_night:
                out[c.paper_id] = Outcome(
                    NOT_FETCHED,
                    f"not asked tonight: {self.per_night} PDF downloads done "
                    "([enrichment] pdf_max_per_night)",
                )
                continue
            if host in asked_hosts and self.delay:
                client.sleep(self.delay)  # polite to one host: a pause between downloads
            asked_hosts.add(host)
            downloads += 1
            out[c.paper_id] = outcome = self.enrich_one(c, client)
            if outcome.status == NOT_FETCHED:
                resting[host] = "refused or failed earlier tonight"
        return out

    def enrich_one(self, c: Candidate, client: HttpClient) -> Outcome:
        url = self.inputs(c)
        before = client.stats.copy()
        what = f"{c.venue} {c.year} {c.paper_id}"
        try:
            got = client.get(url, source=FULLTEXT, what=what, max_bytes=self.max_bytes)
        except Unreachable as exc:
            return self._cost(Outcome(NOT_FETCHED, f"offline: {exc}"), client, before)
        except NotFound:
            return self._cost(Outcome(NONE, f"no full text (HTTP 404 at {url})"), client, before)
        except QuotaExhausted as exc:
            return self._cost(Outcome(NOT_FETCHED, f"budget: {exc}"), client, before)
        except HarvestError as exc:  # 429 storm, 5xx, timeouts: try again another night
            return self._cost(Outcome(NOT_FETCHED, str(exc)), client, before)
        if got.over_cap:
            return self._cost(
                Outcome(NONE, f"no full text (too big: over the cap of {self.max_bytes:,} bytes)"),
                client, before,
            )
        text = extract_text(got.content or b"", max_bytes=self.max_bytes, max_pages=self.max_pages)
        if not text.ok:
            return self._cost(
                Outcome(NONE, text.describe(), {"url": url}, text.sha256), client, before
            )
        ack = find_acknowledgement(text.pages, self.terms)
        block = read_author_block(text.first_page, [a.name for a in c.authors])
        data = {
            "url": url,
            "pages": text.page_count,
            "sha256": text.sha256,
            "acknowledgement": asdict(ack),
            "ack_line": ack.explain(),
            # position: the byline position (PrintedAuthor counts in the names it was given).
            "authors": [
                dict(asdict(a), position=c.authors[a.position - 1].position, line=a.explain())
                for a in block
            ],
        }
        return self._cost(Outcome(OK, "", data, text.sha256), client, before)

    @staticmethod
    def _cost(o: Outcome, client: HttpClient, before) -> Outcome:
        spent = client.stats.since(before)
        return Outcome(o.status, o.reason, o.data, o.content_hash, spent.requests, spent.bytes)


def decide_attribution(
    db: sqlite_utils.Database, paper_id: str, *, by: str, reason: str, withdraw: bool = False
) -> dict:
    """Record a staff attribution decision (append-only, audited) for a stored paper.

    Confirming says "this paper is the program's" when its full text cannot show it (no
    open PDF, the acknowledgement only in the camera-ready); withdrawing cancels that.
    Returns the decision (id, action, what the full text said when it was taken).
    Raises PapertallyError: unknown paper, empty reason or name.
    """
    from db import papers as papers_db

    if not by.strip():
        raise PapertallyError("--by: give your name (it goes into the audit log)")
    if not reason.strip():
        raise PapertallyError(
            "--reason: say why the paper is the program's (e.g. 'acknowledgement in the "
            "camera-ready version, checked on the publisher's PDF')"
        )
    paper = papers_db.get_paper(db, paper_id)
    if paper is None:
        raise PapertallyError(
            f"paper {paper_id!r} is not in the database; `papertally review list` shows "
            "paper ids"
        )
    row = store.load(db, [paper_id], FULLTEXT).get((paper_id, FULLTEXT))
    if row is None:
        seen = "full text: not enriched yet"
    elif row.status == OK:
        seen = "full text: " + row.data.get("ack_line", "")
    else:
        seen = f"full text: {row.reason}"
    action = "withdraw" if withdraw else "confirm"
    decision_id = store.decide_attribution(
        db, paper_id, by=by.strip(), reason=reason.strip(), action=action, evidence_seen=seen
    )
    return {"decision_id": decision_id, "paper_id": paper_id, "title": paper["title"],
            "action": action, "evidence_seen": seen}
