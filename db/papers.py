"""Storing harvested papers: one paper row however many sources saw it, and harvest runs."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass

import sqlite_utils

from harvesters.records import PaperRecord
from matching.text import fold, normalise_title


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


@dataclass
class IngestCounts:
    seen: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    missing: int = 0


def _content_hash(rec: PaperRecord) -> str:
    """A digest of everything a record says (not `extra`), to skip unchanged records.

    Built from fields in a fixed order rather than dataclasses.asdict, which was the
    slowest step of a harvest (bench/harvest_bench.py).
    """
    authors = tuple(
        (a.name, a.position, a.affiliations, a.given, a.family, a.orcid, a.openalex_id,
         a.openreview_id, a.dblp_pid, a.ieee_id, a.anthology_id, a.rors)
        for a in rec.authors
    )
    data = (
        rec.source, rec.source_id, rec.venue, rec.year, rec.title, rec.track, rec.doi,
        rec.url, rec.paper_affiliations, rec.funders, rec.awards, authors,
    )
    return hashlib.sha1(repr(data).encode()).hexdigest()


def _paper_id(*parts: object) -> str:
    return "P" + hashlib.sha1("|".join(str(p) for p in parts).encode()).hexdigest()[:15]


def _family_tokens(names: Iterable[str]) -> set[str]:
    # The last token of each printed name, folded: enough to tell two same-titled papers
    # apart by their author lists (NeurIPS 2024 has two reproducibility studies of one paper).
    return {fold(n).split()[-1] for n in names if n.strip()}


def _find_paper(db: sqlite_utils.Database, rec: PaperRecord, title_norm: str) -> str | None:
    """The existing paper this record describes, seen before by another source, if any."""
    if rec.doi:
        row = db.execute(
            "SELECT paper_id FROM papers WHERE doi = ? AND venue = ? AND year = ?",
            [rec.doi, rec.venue, rec.year],
        ).fetchone()
        if row:
            return row[0]
    # Same normalised title, venue and year, and not already claimed by this source: a
    # source never lists one paper twice under two of its own IDs, so two records of
    # one source with one title are two papers.
    candidates = [
        r[0]
        for r in db.execute(
            """SELECT p.paper_id FROM papers p
               WHERE p.venue = ? AND p.year = ? AND p.title_norm = ?
                 AND NOT EXISTS (SELECT 1 FROM source_records s
                                 WHERE s.paper_id = p.paper_id AND s.source = ?)""",
            [rec.venue, rec.year, title_norm, rec.source],
        )
    ]
    if len(candidates) <= 1:
        return candidates[0] if candidates else None
    mine = _family_tokens(a.name for a in rec.authors)
    best, best_overlap = None, 0
    for pid in candidates:
        theirs = _family_tokens(
            r[0] for r in db.execute("SELECT name FROM authorships WHERE paper_id = ?", [pid])
        )
        overlap = len(mine & theirs)
        if overlap > best_overlap:
            best, best_overlap = pid, overlap
    return best


def _new_paper_id(db: sqlite_utils.Database, rec: PaperRecord, title_norm: str) -> str:
    pid = _paper_id(rec.venue, rec.year, title_norm)
    if db.execute("SELECT 1 FROM papers WHERE paper_id = ?", [pid]).fetchone():
        # A different paper with the same normalised title: key it by its source ID too.
        pid = _paper_id(rec.venue, rec.year, title_norm, rec.source, rec.source_id)
    return pid


_INSERT_AUTHORSHIP = """INSERT INTO authorships
    (source, source_id, position, paper_id, name, given, family, affiliations, orcid,
     openalex_id, openreview_id, dblp_pid, ieee_id, anthology_id, rors)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"""

_INSERT_PAPER = """INSERT INTO papers
    (paper_id, venue, year, title, title_norm, track, doi, url, first_seen, updated_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"""

_INSERT_SOURCE_RECORD = """INSERT INTO source_records
    (paper_id, venue, year, track, title, doi, url, paper_affiliations, funders, awards,
     content_hash, last_seen, last_run_id, missing_since, source, source_id, first_seen)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?)"""

_UPDATE_SOURCE_RECORD = """UPDATE source_records SET
    paper_id = ?, venue = ?, year = ?, track = ?, title = ?, doi = ?, url = ?,
    paper_affiliations = ?, funders = ?, awards = ?, content_hash = ?, last_seen = ?,
    last_run_id = ?, missing_since = NULL
    WHERE source = ? AND source_id = ?"""


def _authorship_rows(rec: PaperRecord, paper_id: str) -> list[tuple]:
    return [
        (
            rec.source, rec.source_id, a.position, paper_id, a.name, a.given, a.family,
            json.dumps(list(a.affiliations), ensure_ascii=False), a.orcid, a.openalex_id,
            a.openreview_id, a.dblp_pid, a.ieee_id, a.anthology_id, json.dumps(list(a.rors)),
        )
        for a in rec.authors
    ]


def store_record(
    db: sqlite_utils.Database, rec: PaperRecord, run_id: int | None, stamp: str
) -> str:
    """Insert or update one source record (and its paper); returns new/updated/unchanged.

    Call inside a transaction. Idempotent: storing the same record twice changes nothing.
    """
    digest = _content_hash(rec)
    title_norm = normalise_title(rec.title)
    existing = db.execute(
        "SELECT paper_id, content_hash FROM source_records WHERE source = ? AND source_id = ?",
        [rec.source, rec.source_id],
    ).fetchone()
    if existing and existing[1] == digest:
        db.execute(
            """UPDATE source_records SET last_seen = ?, last_run_id = ?, missing_since = NULL
               WHERE source = ? AND source_id = ?""",
            [stamp, run_id, rec.source, rec.source_id],
        )
        return "unchanged"

    if existing:
        paper_id = existing[0]
        outcome = "updated"
    else:
        paper_id = _find_paper(db, rec, title_norm)
        outcome = "new"
        if paper_id is None:
            paper_id = _new_paper_id(db, rec, title_norm)
            db.execute(
                _INSERT_PAPER,
                [paper_id, rec.venue, rec.year, rec.title, title_norm, rec.track, rec.doi,
                 rec.url, stamp, stamp],
            )
    # Fill what the paper row lacks from this source (a DOI, a URL), never overwrite.
    db.execute(
        """UPDATE papers SET doi = COALESCE(doi, ?), url = COALESCE(url, ?), updated_at = ?
           WHERE paper_id = ?""",
        [rec.doi, rec.url, stamp, paper_id],
    )
    values = [
        paper_id, rec.venue, rec.year, rec.track, rec.title, rec.doi, rec.url,
        json.dumps(list(rec.paper_affiliations), ensure_ascii=False),
        json.dumps(list(rec.funders), ensure_ascii=False),
        json.dumps(list(rec.awards), ensure_ascii=False),
        digest, stamp, run_id, rec.source, rec.source_id,
    ]
    if existing:
        db.execute(_UPDATE_SOURCE_RECORD, values)
    else:
        db.execute(_INSERT_SOURCE_RECORD, [*values, stamp])
    db.execute(
        "DELETE FROM authorships WHERE source = ? AND source_id = ?", [rec.source, rec.source_id]
    )
    db.conn.executemany(_INSERT_AUTHORSHIP, _authorship_rows(rec, paper_id))
    return outcome


def store_records(
    db: sqlite_utils.Database,
    records: Iterable[PaperRecord],
    run_id: int | None,
    *,
    batch_size: int = 500,
) -> IngestCounts:
    """Store records in batches, each batch one transaction (a crash loses at most the
    batch in flight, and a re-run finishes it without duplicates)."""
    counts = IngestCounts()
    stamp = now()
    batch: list[PaperRecord] = []

    def flush() -> None:
        with db.atomic():
            for rec in batch:
                outcome = store_record(db, rec, run_id, stamp)
                setattr(counts, outcome, getattr(counts, outcome) + 1)
        batch.clear()

    for rec in records:
        counts.seen += 1
        batch.append(rec)
        if len(batch) >= batch_size:
            flush()
    if batch:
        flush()
    return counts


def mark_missing(
    db: sqlite_utils.Database, source: str, venue: str, year: int, seen_ids: set[str]
) -> int:
    """Flag (never delete) this source's records of a venue-year it no longer lists.

    Returns how many records were newly flagged.
    """
    stamp = now()
    flagged = 0
    with db.atomic():
        for (source_id,) in db.execute(
            """SELECT source_id FROM source_records
               WHERE source = ? AND venue = ? AND year = ? AND missing_since IS NULL""",
            [source, venue, year],
        ).fetchall():
            if source_id not in seen_ids:
                db.execute(
                    "UPDATE source_records SET missing_since = ? WHERE source = ? AND source_id = ?",
                    [stamp, source, source_id],
                )
                flagged += 1
    return flagged


def start_run(db: sqlite_utils.Database, source: str, venue: str, year: int, origin: str) -> int:
    with db.atomic():
        return db["harvest_runs"].insert(
            {"source": source, "venue": venue, "year": year, "origin": origin, "started_at": now()}
        ).last_pk


def finish_run(
    db: sqlite_utils.Database,
    run_id: int,
    *,
    status: str,
    counts: IngestCounts | None = None,
    errors: list[str] | None = None,
    message: str | None = None,
    requests: int = 0,
    bytes_: int = 0,
) -> None:
    counts = counts or IngestCounts()
    with db.atomic():
        db["harvest_runs"].update(
            run_id,
            {
                "finished_at": now(),
                "status": status,
                "n_seen": counts.seen,
                "n_new": counts.new,
                "n_updated": counts.updated,
                "n_unchanged": counts.unchanged,
                "n_skipped": counts.skipped,
                "n_missing": counts.missing,
                "errors": json.dumps(errors or [], ensure_ascii=False),
                "message": message,
                "requests": requests,
                "bytes": bytes_,
            },
        )


def recent_runs(db: sqlite_utils.Database, limit: int = 20) -> list[dict]:
    return list(db.query("SELECT * FROM harvest_runs ORDER BY run_id DESC LIMIT ?", [limit]))


def last_good_count(db: sqlite_utils.Database, source: str, venue: str, year: int) -> int | None:
    """Papers seen by the last successful harvest of this source and venue-year."""
    row = db.execute(
        """SELECT n_seen FROM harvest_runs
           WHERE source = ? AND venue = ? AND year = ? AND status = 'ok'
           ORDER BY run_id DESC LIMIT 1""",
        [source, venue, year],
    ).fetchone()
    return row[0] if row else None


def paper_count(db: sqlite_utils.Database, venue: str | None = None, year: int | None = None) -> int:
    sql, args = "SELECT COUNT(*) FROM papers WHERE 1=1", []
    if venue:
        sql, args = sql + " AND venue = ?", [*args, venue]
    if year:
        sql, args = sql + " AND year = ?", [*args, year]
    return db.execute(sql, args).fetchone()[0]
