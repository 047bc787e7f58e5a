"""Harvest run details (completeness, expected size, HTTP cache use) and the --status query."""

from __future__ import annotations

import json

import sqlite_utils
from sqlite_utils import Migrations

harvest = Migrations("papertally.harvest")


@harvest()
def m0001_run_details(db: sqlite_utils.Database) -> None:
    # One row per harvest_runs row. `complete` says the run read the source's whole
    # venue-year listing (not an offline sample): only such runs set the coverage baseline.
    db.execute(
        """
        CREATE TABLE harvest_run_details (
            run_id INTEGER PRIMARY KEY REFERENCES harvest_runs(run_id),
            complete INTEGER NOT NULL DEFAULT 0,
            counted INTEGER NOT NULL DEFAULT 0,
            expected INTEGER,
            pages INTEGER NOT NULL DEFAULT 0,
            not_modified INTEGER NOT NULL DEFAULT 0,
            retries INTEGER NOT NULL DEFAULT 0,
            excluded TEXT NOT NULL DEFAULT '{}'
        )"""
    )


@harvest()
def m0002_file_digests(db: sqlite_utils.Database) -> None:
    # The last good harvest of a saved file, so an unchanged file is not read again.
    db.execute(
        """
        CREATE TABLE harvest_file_digests (
            source TEXT NOT NULL,
            venue TEXT NOT NULL,
            year INTEGER NOT NULL,
            path TEXT NOT NULL,
            digest TEXT NOT NULL,
            run_id INTEGER NOT NULL,
            PRIMARY KEY (source, venue, year, path)
        )"""
    )


def file_digest(
    db: sqlite_utils.Database, source: str, venue: str, year: int, path: str
) -> tuple[str, int, int] | None:
    """(digest, run_id, papers seen) of the last good harvest of this file, or None."""
    row = db.execute(
        """SELECT f.digest, f.run_id, r.n_seen FROM harvest_file_digests f
           JOIN harvest_runs r ON r.run_id = f.run_id
           WHERE f.source = ? AND f.venue = ? AND f.year = ? AND f.path = ? AND r.status = 'ok'""",
        [source, venue, year, path],
    ).fetchone()
    return (row[0], row[1], row[2]) if row else None


def save_file_digest(
    db: sqlite_utils.Database, source: str, venue: str, year: int, path: str, digest: str, run_id: int
) -> None:
    with db.atomic():
        db["harvest_file_digests"].upsert(
            {"source": source, "venue": venue, "year": year, "path": path, "digest": digest,
             "run_id": run_id},
            pk=("source", "venue", "year", "path"),
        )


@harvest()
def m0003_first_run_and_forgets(db: sqlite_utils.Database) -> None:
    # The run that first stored each source record: `harvest forget --run` removes the
    # records a run created, never those it only saw again. Older rows get the run of
    # their source and venue-year that was running when they were first stored.
    db.execute("ALTER TABLE source_records ADD COLUMN first_run_id INTEGER")
    db.execute(
        """UPDATE source_records SET first_run_id = (
             SELECT r.run_id FROM harvest_runs r
             WHERE r.source = source_records.source AND r.venue = source_records.venue
               AND r.year = source_records.year
               AND r.started_at <= source_records.first_seen
               AND source_records.first_seen <= COALESCE(r.finished_at, source_records.first_seen)
             ORDER BY r.run_id LIMIT 1)"""
    )
    db.execute("CREATE INDEX source_records_first_run ON source_records (first_run_id)")
    # Append-only record of every `harvest forget`: who, when, what went and what stayed.
    db.execute(
        """
        CREATE TABLE harvest_forgets (
            forget_id INTEGER PRIMARY KEY AUTOINCREMENT,
            run_id INTEGER NOT NULL REFERENCES harvest_runs(run_id),
            forgotten_by TEXT NOT NULL,
            forgotten_at TEXT NOT NULL,
            records_removed INTEGER NOT NULL,
            papers_removed TEXT NOT NULL DEFAULT '[]',
            papers_kept TEXT NOT NULL DEFAULT '[]',
            links_rejected TEXT NOT NULL DEFAULT '[]'
        )"""
    )
    for op in ("UPDATE", "DELETE"):
        db.execute(
            f"""CREATE TRIGGER harvest_forgets_no_{op.lower()} BEFORE {op} ON harvest_forgets
                BEGIN SELECT RAISE(ABORT, 'harvest_forgets is append-only'); END"""
        )


def record_details(
    db: sqlite_utils.Database,
    run_id: int,
    *,
    complete: bool,
    counted: int,
    expected: int | None = None,
    pages: int = 0,
    not_modified: int = 0,
    retries: int = 0,
    excluded: str = "{}",
) -> None:
    """Store (or replace) the details of one harvest run."""
    with db.atomic():
        db["harvest_run_details"].upsert(
            {
                "run_id": run_id,
                "complete": int(complete),
                "counted": counted,
                "expected": expected,
                "pages": pages,
                "not_modified": not_modified,
                "retries": retries,
                "excluded": excluded,
            },
            pk="run_id",
        )


def last_complete_count(
    db: sqlite_utils.Database, source: str, venue: str, year: int
) -> int | None:
    """Papers counted by the last successful complete harvest of this source and venue-year
    (offline samples and failed runs excluded), or None."""
    row = db.execute(
        """SELECT d.counted FROM harvest_runs r JOIN harvest_run_details d USING (run_id)
           WHERE r.source = ? AND r.venue = ? AND r.year = ? AND r.status = 'ok'
             AND d.complete = 1
           ORDER BY r.run_id DESC LIMIT 1""",
        [source, venue, year],
    ).fetchone()
    return row[0] if row else None


def status_rows(db: sqlite_utils.Database, per_source: int = 3) -> list[dict]:
    """The last `per_source` runs of every source and venue-year, newest first within each."""
    return list(
        db.query(
            """SELECT * FROM (
                 SELECT r.*, d.complete, d.counted, d.expected, d.pages, d.not_modified,
                        d.retries,
                        ROW_NUMBER() OVER (PARTITION BY r.source, r.venue, r.year
                                           ORDER BY r.run_id DESC) AS nth
                 FROM harvest_runs r LEFT JOIN harvest_run_details d USING (run_id))
               WHERE nth <= ?
               ORDER BY source, venue, year, run_id DESC""",
            [per_source],
        )
    )


def known_papers(
    db: sqlite_utils.Database,
    venue: str,
    year: int,
    *,
    other_than: str,
    tracks: tuple[str, ...] | None = None,
) -> list[dict]:
    """The papers of a venue-year that a source other than `other_than` stored (and still
    lists), each with its title, DOI and the source ids `other_than` holds for it.

    Rows are {"paper_id", "title", "doi", "own_ids": [...]}, in paper_id order; `tracks`
    limits them to those tracks. Used by the OpenAlex gap lookup.
    """
    where, params = "", [other_than, venue, year, other_than]
    if tracks:
        where = f" AND p.track IN ({', '.join('?' for _ in tracks)})"
        params += list(tracks)
    rows = db.execute(
        f"""SELECT p.paper_id, p.title, p.doi,
                   (SELECT json_group_array(o.source_id) FROM source_records o
                     WHERE o.paper_id = p.paper_id AND o.source = ?) AS own_ids
            FROM papers p
            WHERE p.venue = ? AND p.year = ?
              AND EXISTS (SELECT 1 FROM source_records s
                           WHERE s.paper_id = p.paper_id AND s.source != ?
                             AND s.missing_since IS NULL){where}
            ORDER BY p.paper_id""",
        params,
    ).fetchall()
    return [
        {"paper_id": r[0], "title": r[1], "doi": r[2], "own_ids": json.loads(r[3])}
        for r in rows
    ]
