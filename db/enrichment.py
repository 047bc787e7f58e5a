"""The enrichment cache: one row per candidate paper and enricher, and the staff's attribution.

Tables (migration set "papertally.enrichment"):

- `enrichments (paper_id, kind)`: what one enricher ("fulltext", "openreview", "openalex")
  last learned about one candidate paper. `inputs` is the enricher's fingerprint of what it
  asked (the PDF link, the profile ids, the DOI): a row is refreshed only when the
  fingerprint changes (the paper's sources changed) or its status is `not_fetched`.
  `status`: "ok" (data found), "none" (asked and nothing there: no full text, 404, no
  work; `reason` says why), "not_fetched" (offline, a spent budget, a 429 storm:
  asked again next night). `data` is the enricher's JSON; `content_hash` e.g. the PDF's
  sha256; `calls` / `bytes` what it cost.
- `attribution_decisions`: staff confirming (or withdrawing) that a paper is the
  program's when its full text cannot show it. Append-only (triggers), like decisions.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

import sqlite_utils
from sqlite_utils import Migrations

from db.connection import now

enrichment = Migrations("papertally.enrichment")

OK = "ok"
NONE = "none"
NOT_FETCHED = "not_fetched"


@enrichment()
def m0001_enrichments(db: sqlite_utils.Database) -> None:
    db.execute(
        """
        CREATE TABLE enrichments (
            paper_id TEXT NOT NULL REFERENCES papers(paper_id),
            kind TEXT NOT NULL,
            inputs TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('ok', 'none', 'not_fetched')),
            reason TEXT NOT NULL DEFAULT '',
            data TEXT NOT NULL DEFAULT '{}',
            content_hash TEXT,
            calls INTEGER NOT NULL DEFAULT 0,
            bytes INTEGER NOT NULL DEFAULT 0,
            enriched_at TEXT NOT NULL,
            PRIMARY KEY (paper_id, kind)
        )"""
    )
    db.execute(
        """
        CREATE TABLE attribution_decisions (
            decision_id INTEGER PRIMARY KEY AUTOINCREMENT,
            paper_id TEXT NOT NULL REFERENCES papers(paper_id),
            action TEXT NOT NULL CHECK (action IN ('confirm', 'withdraw')),
            decided_by TEXT NOT NULL,
            reason TEXT NOT NULL CHECK (length(trim(reason)) > 0),
            evidence_seen TEXT NOT NULL DEFAULT '',
            decided_at TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX attribution_decisions_paper ON attribution_decisions (paper_id)")
    for op in ("UPDATE", "DELETE"):
        db.execute(
            f"""CREATE TRIGGER attribution_decisions_no_{op.lower()}
                BEFORE {op} ON attribution_decisions
                BEGIN SELECT RAISE(ABORT, 'attribution decisions are append-only'); END"""
        )


@dataclass(frozen=True)
class Enrichment:
    """One cached enrichment row."""

    paper_id: str
    kind: str
    inputs: str
    status: str
    reason: str = ""
    data: dict = field(default_factory=dict, compare=False, hash=False)
    content_hash: str | None = None
    calls: int = 0
    bytes: int = 0
    enriched_at: str = ""


def candidate_paper_ids(db: sqlite_utils.Database) -> list[str]:
    """Papers with at least one link confirmed or needing review, oldest first."""
    return [
        r[0]
        for r in db.execute(
            """SELECT DISTINCT paper_id FROM links
               WHERE status IN ('confirmed', 'needs_review') ORDER BY paper_id"""
        ).fetchall()
    ]


def load(
    db: sqlite_utils.Database, paper_ids: Iterable[str] | None = None, kind: str | None = None
) -> dict[tuple[str, str], Enrichment]:
    """Cached rows keyed by (paper_id, kind); all papers when `paper_ids` is None."""
    sql = "SELECT * FROM enrichments"
    where, args = [], []
    if kind:
        where.append("kind = ?")
        args.append(kind)
    rows = []
    if paper_ids is None:
        rows = list(db.query(sql + (" WHERE " + " AND ".join(where) if where else ""), args))
    else:
        ids = list(paper_ids)
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            cond = where + [f"paper_id IN ({','.join('?' * len(chunk))})"]
            rows += list(db.query(sql + " WHERE " + " AND ".join(cond), args + chunk))
    out = {}
    for r in rows:
        r = dict(r)
        r["data"] = json.loads(r["data"] or "{}")
        out[(r["paper_id"], r["kind"])] = Enrichment(**r)
    return out


def store(db: sqlite_utils.Database, rows: Iterable[Enrichment]) -> int:
    """Insert or replace cached rows (one transaction); returns how many."""
    n = 0
    with db.atomic():
        for e in rows:
            db.execute(
                """INSERT OR REPLACE INTO enrichments
                   (paper_id, kind, inputs, status, reason, data, content_hash, calls, bytes,
                    enriched_at) VALUES (?,?,?,?,?,?,?,?,?,?)""",
                [e.paper_id, e.kind, e.inputs, e.status, e.reason,
                 json.dumps(e.data, ensure_ascii=False, sort_keys=True), e.content_hash,
                 e.calls, e.bytes, e.enriched_at or now()],
            )
            n += 1
    return n


def decide_attribution(
    db: sqlite_utils.Database, paper_id: str, *, by: str, reason: str, action: str = "confirm",
    evidence_seen: str = "",
) -> int:
    """Append a staff attribution decision; returns its id. The latest decision holds."""
    with db.atomic():
        cur = db.execute(
            """INSERT INTO attribution_decisions
               (paper_id, action, decided_by, reason, evidence_seen, decided_at)
               VALUES (?,?,?,?,?,?)""",
            [paper_id, action, by, reason, evidence_seen, now()],
        )
    return cur.lastrowid


def attribution_decisions(db: sqlite_utils.Database) -> dict[str, dict]:
    """The latest staff attribution decision per paper (action, by, reason, when)."""
    out: dict[str, dict] = {}
    for r in db.query("SELECT * FROM attribution_decisions ORDER BY decision_id"):
        out[r["paper_id"]] = dict(r)
    return out


_AUTHOR_IDS = ("openreview_id", "orcid", "openalex_id", "dblp_pid")


def _fold(name: str) -> str:
    return " ".join((name or "").casefold().split())


def candidate_rows(db: sqlite_utils.Database, paper_ids: list[str]) -> list[dict]:
    """For each paper: its record, its sources' pages and DOIs, one byline and the byline
    positions of its candidate links (confirmed or needs review).

    Returns dicts: paper_id, venue, year, title, doi, urls [(source, url)], dois,
    authors [{position, name, openreview_id, orcid, openalex_id, dblp_pid}] (the byline of
    the source with the most authors, by position), member_positions [int], members
    {position: person_id}.
    """
    out = []
    for i in range(0, len(paper_ids), 500):
        chunk = paper_ids[i : i + 500]
        marks = ",".join("?" * len(chunk))
        papers = {
            r["paper_id"]: dict(r, urls=[], dois=[], authors=[], member_positions=[], members={})
            for r in db.query(
                f"SELECT paper_id, venue, year, title, doi FROM papers WHERE paper_id IN ({marks})",
                chunk,
            )
        }
        for r in db.query(
            f"""SELECT paper_id, source, source_id, url, doi FROM source_records
                WHERE paper_id IN ({marks}) ORDER BY source, source_id""",
            chunk,
        ):
            p = papers[r["paper_id"]]
            if r["url"]:
                p["urls"].append((r["source"], r["url"]))
            if r["doi"] and r["doi"] not in p["dois"]:
                p["dois"].append(r["doi"])
        bylines: dict[str, dict[tuple[str, str], list[dict]]] = {}
        for r in db.query(
            f"""SELECT paper_id, source, source_id, position, name, openreview_id, orcid,
                       openalex_id, dblp_pid
                FROM authorships WHERE paper_id IN ({marks}) ORDER BY position""",
            chunk,
        ):
            r = dict(r)
            key = (r.pop("source"), r.pop("source_id"))
            bylines.setdefault(r.pop("paper_id"), {}).setdefault(key, []).append(r)
        for pid, by_source in bylines.items():
            # The longest byline (ties: the first source by name) is the paper's byline;
            # an id it lacks comes from another source's author at the same position with
            # the same printed name (NeurIPS: the proceedings list no OpenReview ids,
            # Paper Copilot's list does).
            _key, authors = max(sorted(by_source.items()), key=lambda kv: len(kv[1]))
            for author in authors:
                for other in by_source.values():
                    same = next((o for o in other if o["position"] == author["position"]), None)
                    if same is None or _fold(same["name"]) != _fold(author["name"]):
                        continue
                    for field in _AUTHOR_IDS:
                        author[field] = author[field] or same[field]
            papers[pid]["authors"] = authors
        for r in db.query(
            f"""SELECT paper_id, person_id, mention FROM links
                WHERE paper_id IN ({marks}) AND status IN ('confirmed', 'needs_review')""",
            chunk,
        ):
            try:
                position = int(r["mention"].rsplit("#", 1)[1])
            except (IndexError, ValueError):
                continue
            p = papers[r["paper_id"]]
            if position not in p["member_positions"]:
                p["member_positions"].append(position)
            p["members"][position] = r["person_id"]
        out.extend(papers[p] for p in chunk if p in papers)
    return out
