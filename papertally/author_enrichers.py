"""Two enrichers of candidate papers: the members' OpenReview profiles, and OpenAlex's
record of the paper (author ids, ORCIDs, institutions with ROR, awards), each cached per
paper by papertally.enrichment and read back by the matching step.

Cost: OpenAlex is asked at most once per candidate (a free single work by DOI, or a billed
title search for a paper without DOI), within `[enrichment] openalex_max_calls` a night;
OpenReview profiles go 50 to a call, only for byline positions linked to a member.
"""

from __future__ import annotations

import json
from dataclasses import asdict

from harvesters.http import HttpClient, Unreachable
from harvesters.openalex import api_key_from_env
from harvesters.openalex.papers import CallLedger, PaperAsk, enrich_papers
from harvesters.openreview.profiles import get_profiles, profile_ids
from matching.text import normalise_doi, normalise_title
from papertally.config import Settings
from papertally.enrichment import NONE, NOT_FETCHED, OK, Candidate, Outcome, base_url_of
from papertally.errors import HarvestError

OPENALEX = "openalex"
OPENREVIEW = "openreview"


class OpenAlexEnricher:
    """OpenAlex's work for the paper: by DOI (free), else by title (a search)."""

    kind = OPENALEX
    version = 1

    def __init__(self, settings: Settings):
        self.base_url = base_url_of(settings, "openalex", "https://api.openalex.org")
        options = settings.sources.get("openalex")
        self.api_key = api_key_from_env(getattr(options, "api_key_env", None))
        self.budget = settings.enrichment.openalex_max_calls
        self.batch_dois = settings.enrichment.openalex_batch_dois
        self.ledger = CallLedger()  # this night's calls, for the run summary

    def inputs(self, c: Candidate) -> str:
        doi = next((normalise_doi(d) for d in (c.doi, *c.dois) if normalise_doi(d)), None)
        if doi:
            return f"doi:{doi}"
        title = normalise_title(c.title)
        return f"title:{title} ({c.year})" if title else ""

    def enrich(self, todo: list[Candidate], client: HttpClient) -> dict[str, Outcome]:
        asks = []
        for c in todo:
            asked = self.inputs(c)
            doi = asked.removeprefix("doi:") if asked.startswith("doi:") else None
            asks.append(PaperAsk(c.paper_id, c.title, c.year, doi=doi))
        answers = enrich_papers(
            client, asks, base_url=self.base_url, budget=self.budget, ledger=self.ledger,
            api_key=self.api_key, batch_dois=self.batch_dois,
        )
        by_id = {c.paper_id: c for c in todo}
        out: dict[str, Outcome] = {}
        for a in answers:
            # The call is counted on its first paper (a batched DOI call answers several).
            made = a.requests > 0
            cost = {
                "calls": int(made),
                "bytes": a.bytes,
                "price": {a.price_class: 1} if made and a.price_class else {},
            }
            if a.status == "found":
                byline = [x.name for x in by_id[a.paper_id].authors]
                facts = a.work.author_facts(byline)
                data = {
                    "work": asdict(a.work),
                    "price_class": a.price_class,
                    # 1-based byline position -> what OpenAlex says of that author
                    "authors": {
                        str(by_id[a.paper_id].authors[i].position): {
                            **asdict(f), "name": by_id[a.paper_id].authors[i].name,
                        }
                        for i, f in facts.items()
                    },
                }
                out[a.paper_id] = Outcome(OK, "", data, a.work.work_id, **cost)
            elif a.status == "not_found":
                out[a.paper_id] = Outcome(NONE, a.reason, {"price_class": a.price_class}, **cost)
            else:
                out[a.paper_id] = Outcome(NOT_FETCHED, a.reason, **cost)
        return out


class OpenReviewEnricher:
    """The OpenReview profiles of the authors linked to a member (their ~ids as printed)."""

    kind = OPENREVIEW
    version = 1

    def __init__(self, settings: Settings):
        self.base_url = base_url_of(settings, "openreview", "https://api2.openreview.net")
        self.batch = settings.enrichment.openreview_profile_batch

    @staticmethod
    def wanted(c: Candidate) -> dict[int, str]:
        """Byline position -> profile id, for the positions linked to a member."""
        return {
            a.position: a.openreview_id
            for a in c.authors
            if a.position in c.member_positions and profile_ids([a.openreview_id])
        }

    def inputs(self, c: Candidate) -> str:
        return ",".join(sorted(set(self.wanted(c).values())))

    def enrich(self, todo: list[Candidate], client: HttpClient) -> dict[str, Outcome]:
        ids = [i for c in todo for i in self.wanted(c).values()]
        before = client.stats.copy()
        try:
            found, missing, _skipped = get_profiles(client, self.base_url, ids, batch=self.batch)
        except HarvestError as exc:  # offline, a 429 storm, a bad answer: another night
            reason = "not fetched: offline" if isinstance(exc, Unreachable) else f"not fetched: {exc}"
            found, failed = {}, reason
        else:
            failed = None
        spent = client.stats.since(before)
        out: dict[str, Outcome] = {}
        for n, c in enumerate(todo):
            cost = {"calls": spent.requests, "bytes": spent.bytes} if n == 0 else {}
            if failed:
                out[c.paper_id] = Outcome(NOT_FETCHED, failed, **cost)
                continue
            # keyed by the ~id as printed, which is what a mention carries
            profiles = {
                pid: asdict(found[pid].facts())
                for pid in self.wanted(c).values()
                if pid in found
            }
            absent = sorted({pid for pid in self.wanted(c).values() if pid not in found})
            if profiles:
                out[c.paper_id] = Outcome(OK, "", {"profiles": profiles, "missing": absent}, **cost)
            else:
                out[c.paper_id] = Outcome(
                    NONE, f"no OpenReview profile for {', '.join(absent)}", {"missing": absent}, **cost
                )
        return out


def night_cost_lines(runs: list[dict]) -> list[str]:
    """One line per night that enriched: each enricher's calls (OpenAlex's by price class,
    with the estimated cost) and bytes, from stored run summaries (db.runs.recent_runs)."""
    from harvesters.openalex.papers import price_text

    lines = []
    for run in runs:
        try:
            summary = json.loads(run.get("summary") or "{}")
        except ValueError:
            continue
        kinds = ((summary or {}).get("enrichment") or {}).get("kinds") or {}
        parts = []
        for kind, s in kinds.items():
            text = f"{kind} {s.get('calls', 0)} call(s)"
            if s.get("price"):
                text += f" ({price_text(s['price'])})"
            parts.append(text + f", {s.get('bytes', 0):,} bytes")
        if parts:
            when = (run.get("started_at") or "")[:16].replace("T", " ")
            lines.append(f"run {run['run_id']} {when}: " + "; ".join(parts))
    return lines
