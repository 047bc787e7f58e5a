"""Storing harvested papers: one paper row however many sources saw it, and harvest runs."""

from __future__ import annotations

import hashlib
import json
import os
import socket
from collections.abc import Iterable
from dataclasses import dataclass

import sqlite_utils

from db.connection import now
from harvesters.records import PaperRecord
from matching.text import fold, normalise_title
from papertally.errors import PapertallyError


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


_INSERT_AUTHORSHIP = """INSERT INTO authorships
    (source, source_id, position, paper_id, name, given, family, affiliations, orcid,
     openalex_id, openreview_id, dblp_pid, ieee_id, anthology_id, rors)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"""

_INSERT_PAPER = """INSERT INTO papers
    (paper_id, venue, year, title, title_norm, track, doi, url, first_seen, updated_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"""

# Fill what the paper row lacks from this source (a DOI, a URL), never overwrite.
_FILL_PAPER = """UPDATE papers SET doi = COALESCE(doi, ?), url = COALESCE(url, ?), updated_at = ?
    WHERE paper_id = ?"""

_INSERT_SOURCE_RECORD = """INSERT INTO source_records
    (paper_id, venue, year, track, title, doi, url, paper_affiliations, funders, awards,
     content_hash, last_seen, last_run_id, missing_since, source, source_id, first_seen,
     first_run_id)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?)"""

_UPDATE_SOURCE_RECORD = """UPDATE source_records SET
    paper_id = ?, venue = ?, year = ?, track = ?, title = ?, doi = ?, url = ?,
    paper_affiliations = ?, funders = ?, awards = ?, content_hash = ?, last_seen = ?,
    last_run_id = ?, missing_since = NULL
    WHERE source = ? AND source_id = ?"""

_SEEN_AGAIN = """UPDATE source_records SET last_seen = ?, last_run_id = ?, missing_since = NULL
    WHERE source = ? AND source_id = ?"""

_DELETE_AUTHORSHIPS = "DELETE FROM authorships WHERE source = ? AND source_id = ?"

# One encoder, built once: json.dumps with keyword arguments builds a new one per call,
# which was a tenth of a harvest's time (bench/harvest_bench.py). Same output as dumps.
_to_json = json.JSONEncoder(ensure_ascii=False).encode


def _json_list(values: tuple) -> str:
    return _to_json(list(values)) if values else "[]"


def _authorship_rows(rec: PaperRecord, paper_id: str) -> list[tuple]:
    return [
        (
            rec.source, rec.source_id, a.position, paper_id, a.name, a.given, a.family,
            _json_list(a.affiliations), a.orcid, a.openalex_id, a.openreview_id, a.dblp_pid,
            a.ieee_id, a.anthology_id, _json_list(a.rors),
        )
        for a in rec.authors
    ]


def _chunks(values: list, size: int = 500) -> Iterable[list]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


class _Batch:
    """What one transaction knows about the papers its records may join.

    Read with a few set queries at the start of the transaction (the write lock is held,
    so nobody else changes them meanwhile) and kept current as the batch adds papers, so
    each record is placed without a query of its own.
    """

    def __init__(self, db: sqlite_utils.Database, records: list[PaperRecord], norms: list[str]):
        self.db = db
        self.by_doi: dict[tuple, str] = {}  # (venue, year, doi) -> paper_id
        self.by_title: dict[tuple, list[str]] = {}  # (venue, year, title_norm) -> paper_ids
        self.claimed: set[tuple[str, str]] = set()  # (source, paper_id) already held
        # paper_id -> (venue, year), for every paper that exists (of those asked)
        self.place: dict[str, tuple[str, int]] = {}
        self.doi: dict[str, str] = {}  # paper_id -> its DOI
        # (source, source_id) -> (paper_id, hash, venue, year)
        self.existing: dict[tuple[str, str], tuple[str, str, str, int]] = {}
        self.names: dict[str, list[str]] = {}  # author names this batch gives each paper
        by_source: dict[str, list[str]] = {}
        for rec in records:
            by_source.setdefault(rec.source, []).append(rec.source_id)
        for source, ids in by_source.items():
            for chunk in _chunks(ids):
                marks = ",".join("?" * len(chunk))
                for source_id, *row in db.execute(
                    "SELECT source_id, paper_id, content_hash, venue, year FROM source_records "
                    f"WHERE source = ? AND source_id IN ({marks})",
                    [source, *chunk],
                ):
                    self.existing[(source, source_id)] = tuple(row)
        groups: dict[tuple, tuple[set, set]] = {}
        for rec, norm in zip(records, norms):
            if (rec.source, rec.source_id) in self.existing:
                continue
            dois, titles = groups.setdefault((rec.venue, rec.year), (set(), set()))
            titles.add(norm)
            if rec.doi:
                dois.add(rec.doi)
        rows: dict[int, tuple] = {}  # by rowid: candidates are tried in insertion order
        for (venue, year), (dois, titles) in groups.items():
            for column, values in (("doi", dois), ("title_norm", titles)):
                for chunk in _chunks(sorted(values)):
                    marks = ",".join("?" * len(chunk))
                    for rowid, *row in db.execute(
                        "SELECT rowid, paper_id, venue, year, doi, title_norm FROM papers "
                        f"WHERE venue = ? AND year = ? AND {column} IN ({marks})",
                        [venue, year, *chunk],
                    ):
                        rows[rowid] = tuple(row)
        for rowid in sorted(rows):
            self.know(*rows[rowid])
        known = sorted(self.place)
        for chunk in _chunks(known):
            marks = ",".join("?" * len(chunk))
            self.claimed.update(
                db.execute(
                    "SELECT DISTINCT source, paper_id FROM source_records "
                    f"WHERE paper_id IN ({marks})",
                    chunk,
                ).fetchall()
            )

    def know(self, paper_id: str, venue: str, year: int, doi: str | None, norm: str) -> None:
        """Add a paper (read, or inserted by this batch) to what the batch can join."""
        if paper_id in self.place:
            return
        self.place[paper_id] = (venue, year)
        self.fill_doi(paper_id, doi)
        self.by_title.setdefault((venue, year, norm), []).append(paper_id)

    def fill_doi(self, paper_id: str, doi: str | None) -> None:
        """The paper's DOI as the database will hold it (a DOI is filled once, never replaced)."""
        if doi and self.doi.get(paper_id) is None:
            self.doi[paper_id] = doi
            venue, year = self.place[paper_id]
            self.by_doi.setdefault((venue, year, doi), paper_id)

    def find_paper(self, rec: PaperRecord, title_norm: str) -> str | None:
        """The existing paper this record describes, seen before by another source, if any."""
        if rec.doi:
            found = self.by_doi.get((rec.venue, rec.year, rec.doi))
            if found:
                return found
        # Same normalised title, venue and year, and not already claimed by this source: a
        # source never lists one paper twice under two of its own IDs, so two records of
        # one source with one title are two papers.
        candidates = [
            pid
            for pid in self.by_title.get((rec.venue, rec.year, title_norm), ())
            if (rec.source, pid) not in self.claimed
        ]
        if len(candidates) <= 1:
            return candidates[0] if candidates else None
        mine = _family_tokens(a.name for a in rec.authors)
        best, best_overlap = None, 0
        for pid in candidates:
            stored = self.db.execute("SELECT name FROM authorships WHERE paper_id = ?", [pid])
            theirs = _family_tokens([*(r[0] for r in stored), *self.names.get(pid, ())])
            overlap = len(mine & theirs)
            if overlap > best_overlap:
                best, best_overlap = pid, overlap
        return best

    def new_paper_id(self, rec: PaperRecord, title_norm: str) -> str:
        pid = _paper_id(rec.venue, rec.year, title_norm)
        # A paper under this id has this venue, year and title_norm (they are stored
        # together and never changed), so the title query read it if it exists.
        if pid in self.place:
            # A different paper with the same normalised title: key it by its source ID too.
            pid = _paper_id(rec.venue, rec.year, title_norm, rec.source, rec.source_id)
        return pid


def _store_batch(
    db: sqlite_utils.Database,
    records: list[PaperRecord],
    run_id: int | None,
    stamp: str,
    counts: IngestCounts,
    join_only: bool = False,
) -> None:
    """Insert or update a batch of source records (and their papers) in one transaction.

    The rows are gathered first and written with one executemany per statement, in the
    order the foreign keys need (papers, source records, authorships). Storing the same
    records twice changes nothing but their last_seen. A source ID appears at most once
    in a batch (store_records sees to it). With `join_only`, a record new to the store is
    kept only when it joins a paper another source stored (it never makes a paper).

    Raises:
        PapertallyError: a record is stored under another venue-year (nothing of the
        batch is written: a source record never moves; the caller leaves such records out).
    """
    norms = [normalise_title(rec.title) for rec in records]
    with db.atomic():
        known = _Batch(db, records, norms)
        seen_again, new_papers, fills = [], [], []
        inserts, updates, replaced, authorships = [], [], [], []
        for rec, title_norm in zip(records, norms):
            key = (rec.source, rec.source_id)
            digest = _content_hash(rec)
            existing = known.existing.get(key)
            created = False
            if existing and (existing[2], existing[3]) != (rec.venue, rec.year):
                raise PapertallyError(
                    f"{rec.source} {rec.source_id} is stored under {existing[2]} "
                    f"{existing[3]}, not {rec.venue} {rec.year}; a source record never moves "
                    "between venue-years"
                )
            if existing and existing[1] == digest:
                seen_again.append((stamp, run_id, rec.source, rec.source_id))
                counts.unchanged += 1
                continue
            if existing:
                paper_id = existing[0]
                counts.updated += 1
            else:
                paper_id = known.find_paper(rec, title_norm)
                if paper_id is None and join_only:
                    continue
                counts.new += 1
                created = paper_id is None
                if paper_id is None:
                    paper_id = known.new_paper_id(rec, title_norm)
                    new_papers.append(
                        (paper_id, rec.venue, rec.year, rec.title, title_norm, rec.track,
                         rec.doi, rec.url, stamp, stamp)
                    )
                    known.know(paper_id, rec.venue, rec.year, rec.doi, title_norm)
                known.claimed.add((rec.source, paper_id))
            if not created:  # a paper this record just made has its DOI and URL already
                fills.append((rec.doi, rec.url, stamp, paper_id))
                if paper_id in known.place:
                    known.fill_doi(paper_id, rec.doi)
            values = (
                paper_id, rec.venue, rec.year, rec.track, rec.title, rec.doi, rec.url,
                _json_list(rec.paper_affiliations), _json_list(rec.funders),
                _json_list(rec.awards), digest, stamp, run_id, rec.source, rec.source_id,
            )
            if existing:
                updates.append(values)
                replaced.append(key)
            else:
                inserts.append((*values, stamp, run_id))
            authorships.extend(_authorship_rows(rec, paper_id))
            known.names.setdefault(paper_id, []).extend(a.name for a in rec.authors)
        conn = db.conn
        conn.executemany(_SEEN_AGAIN, seen_again)
        conn.executemany(_INSERT_PAPER, new_papers)
        conn.executemany(_FILL_PAPER, fills)
        conn.executemany(_INSERT_SOURCE_RECORD, inserts)
        conn.executemany(_UPDATE_SOURCE_RECORD, updates)
        conn.executemany(_DELETE_AUTHORSHIPS, replaced)
        conn.executemany(_INSERT_AUTHORSHIP, authorships)


def store_records(
    db: sqlite_utils.Database,
    records: Iterable[PaperRecord],
    run_id: int | None,
    *,
    batch_size: int = 500,
    join_only: bool = False,
) -> IngestCounts:
    """Store records in batches, each batch one transaction (a crash loses at most the
    batch in flight, and a re-run finishes it without duplicates).

    Per record: unchanged (same content digest as stored: only last_seen moves), updated
    (same source ID, new content), or new (joins the paper another source saw, by DOI or
    by normalised title, venue and year, else a new paper). With `join_only`, records that
    would make a new paper are left out (records of tracks that do not count, kept only to
    show a disagreement about a stored paper's track).

    Raises:
        PapertallyError: a record is stored under another venue-year (see
        stored_elsewhere: callers leave those out first).
    """
    counts = IngestCounts()
    stamp = now()
    batch: list[PaperRecord] = []
    keys: set[tuple[str, str]] = set()
    for rec in records:
        counts.seen += 1
        key = (rec.source, rec.source_id)
        if key in keys:  # the same record again: store the first before reading it
            _store_batch(db, batch, run_id, stamp, counts, join_only)
            batch.clear()
            keys.clear()
        batch.append(rec)
        keys.add(key)
        if len(batch) >= batch_size:
            _store_batch(db, batch, run_id, stamp, counts, join_only)
            batch.clear()
            keys.clear()
    if batch:
        _store_batch(db, batch, run_id, stamp, counts, join_only)
    return counts


def stored_elsewhere(
    db: sqlite_utils.Database, source: str, venue: str, year: int, source_ids: Iterable[str]
) -> dict[str, tuple[str, int, int | None]]:
    """The records among `source_ids` of `source` stored under another venue-year:
    source_id -> (venue, year, the run that first stored it)."""
    found = {}
    for chunk in _chunks(sorted(set(source_ids))):
        marks = ",".join("?" * len(chunk))
        for source_id, v, y, run in db.execute(
            "SELECT source_id, venue, year, first_run_id FROM source_records "
            f"WHERE source = ? AND source_id IN ({marks}) AND NOT (venue = ? AND year = ?)",
            [source, *chunk, venue, year],
        ):
            found[source_id] = (v, y, run)
    return found


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
    # host and pid: db.runs.mark_interrupted closes the run if this process dies mid-harvest.
    owner = {"host": socket.gethostname(), "pid": os.getpid()}
    with db.atomic():
        return db["harvest_runs"].insert(
            {"source": source, "venue": venue, "year": year, "origin": origin, "started_at": now(), **owner}
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
    """Papers some source holds (a paper kept only for its staff decisions after
    `harvest forget` is not counted)."""
    sql = (
        "SELECT COUNT(*) FROM papers p WHERE EXISTS "
        "(SELECT 1 FROM source_records s WHERE s.paper_id = p.paper_id)"
    )
    args = []
    if venue:
        sql, args = sql + " AND venue = ?", [*args, venue]
    if year:
        sql, args = sql + " AND year = ?", [*args, year]
    return db.execute(sql, args).fetchone()[0]


def get_paper(db: sqlite_utils.Database, paper_id: str) -> dict | None:
    """One stored paper (its papers row), or None."""
    rows = list(db.query("SELECT * FROM papers WHERE paper_id = ?", [paper_id]))
    return rows[0] if rows else None


# Tracks: a source that states a track beats one that says "main", which is what most
# sources say when they do not tell tracks apart (OpenAlex, dblp, CVF).
RULE_TRACKS = (
    "a stated track beats main; between two stated tracks the paper keeps the one it has "
    "(else the first source's, by name)"
)


def settle_tracks(db: sqlite_utils.Database, venue: str, year: int) -> list[dict]:
    """Find the venue-year's papers whose sources disagree about the track, and set each
    paper's track by RULE_TRACKS (the track that counts).

    Returns one row per disagreeing paper: {"paper_id", "title", "tracks": {source:
    track}, "counted_as", "was"}, in paper_id order.
    """
    rows = db.execute(
        """SELECT p.paper_id, p.title, p.track, s.source, s.track
           FROM papers p JOIN source_records s USING (paper_id)
           WHERE p.venue = ? AND p.year = ? AND s.missing_since IS NULL
             AND p.paper_id IN (
               SELECT paper_id FROM source_records
               WHERE venue = ? AND year = ? AND missing_since IS NULL
               GROUP BY paper_id HAVING COUNT(DISTINCT track) > 1)
           ORDER BY p.paper_id, s.source""",
        [venue, year, venue, year],
    ).fetchall()
    papers: dict[str, dict] = {}
    for paper_id, title, track, source, stated in rows:
        entry = papers.setdefault(
            paper_id, {"paper_id": paper_id, "title": title, "tracks": {}, "was": track}
        )
        entry["tracks"][source] = stated
    changes = []
    for entry in papers.values():
        stated = sorted({t for t in entry["tracks"].values() if t != "main"})
        if not stated:
            entry["counted_as"] = "main"
        elif entry["was"] in stated:
            entry["counted_as"] = entry["was"]
        else:
            first = next(t for t in entry["tracks"].values() if t != "main")
            entry["counted_as"] = first if len(stated) > 1 else stated[0]
        if entry["counted_as"] != entry["was"]:
            changes.append((entry["counted_as"], now(), entry["paper_id"]))
    with db.atomic():
        db.conn.executemany(
            "UPDATE papers SET track = ?, updated_at = ? WHERE paper_id = ?", changes
        )
    return list(papers.values())
