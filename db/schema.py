"""The database schema as versioned sqlite-utils migrations; opening a database applies them.

Rules for changing the schema: never edit a migration that has shipped; add a new one
below it (named NNNN_what), so that every existing database is upgraded in place and no
data is lost. Each area of the product may own its own migration set (a separate
`Migrations("papertally.<area>")`) registered in MIGRATION_SETS.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlite_utils
from sqlite_utils import Migrations

from papertally.errors import PapertallyError


class _ImmediateConnection(sqlite3.Connection):
    """A connection whose plain BEGIN (what sqlite-utils' atomic() sends) is BEGIN IMMEDIATE.

    A deferred transaction that reads first and writes later fails at once with "database is
    locked" if another connection (staff reviewing, a harvest) committed in between: in WAL
    mode SQLite cannot upgrade a stale read snapshot, and the busy timeout does not apply.
    Taking the write lock at BEGIN makes writers queue on the busy timeout instead.
    """

    def execute(self, sql, *args):
        if sql.strip().rstrip(";").upper() == "BEGIN":
            sql = "BEGIN IMMEDIATE"
        return super().execute(sql, *args)


core = Migrations("papertally.core")


@core()
def m0001_harvest(db: sqlite_utils.Database) -> None:
    db.execute(
        """
        CREATE TABLE papers (
            paper_id TEXT PRIMARY KEY,
            venue TEXT NOT NULL,
            year INTEGER NOT NULL,
            title TEXT NOT NULL,
            title_norm TEXT NOT NULL,
            track TEXT NOT NULL,
            doi TEXT,
            url TEXT,
            first_seen TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX papers_venue_year_title ON papers (venue, year, title_norm)")
    db.execute("CREATE INDEX papers_doi ON papers (doi)")
    db.execute(
        """
        CREATE TABLE source_records (
            source TEXT NOT NULL,
            source_id TEXT NOT NULL,
            paper_id TEXT NOT NULL REFERENCES papers(paper_id),
            venue TEXT NOT NULL,
            year INTEGER NOT NULL,
            track TEXT NOT NULL,
            title TEXT NOT NULL,
            doi TEXT,
            url TEXT,
            paper_affiliations TEXT NOT NULL DEFAULT '[]',
            funders TEXT NOT NULL DEFAULT '[]',
            awards TEXT NOT NULL DEFAULT '[]',
            content_hash TEXT NOT NULL,
            first_seen TEXT NOT NULL,
            last_seen TEXT NOT NULL,
            last_run_id INTEGER,
            missing_since TEXT,
            PRIMARY KEY (source, source_id)
        )"""
    )
    db.execute("CREATE INDEX source_records_paper ON source_records (paper_id)")
    db.execute("CREATE INDEX source_records_vy ON source_records (source, venue, year)")
    db.execute(
        """
        CREATE TABLE authorships (
            source TEXT NOT NULL,
            source_id TEXT NOT NULL,
            position INTEGER NOT NULL,
            paper_id TEXT NOT NULL REFERENCES papers(paper_id),
            name TEXT NOT NULL,
            given TEXT,
            family TEXT,
            affiliations TEXT NOT NULL DEFAULT '[]',
            orcid TEXT,
            openalex_id TEXT,
            openreview_id TEXT,
            dblp_pid TEXT,
            ieee_id TEXT,
            anthology_id TEXT,
            rors TEXT NOT NULL DEFAULT '[]',
            PRIMARY KEY (source, source_id, position),
            FOREIGN KEY (source, source_id) REFERENCES source_records(source, source_id)
        )"""
    )
    db.execute("CREATE INDEX authorships_paper ON authorships (paper_id)")
    db.execute(
        """
        CREATE TABLE harvest_runs (
            run_id INTEGER PRIMARY KEY AUTOINCREMENT,
            source TEXT NOT NULL,
            venue TEXT NOT NULL,
            year INTEGER NOT NULL,
            origin TEXT,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            status TEXT NOT NULL DEFAULT 'running',
            requests INTEGER NOT NULL DEFAULT 0,
            bytes INTEGER NOT NULL DEFAULT 0,
            n_seen INTEGER NOT NULL DEFAULT 0,
            n_new INTEGER NOT NULL DEFAULT 0,
            n_updated INTEGER NOT NULL DEFAULT 0,
            n_unchanged INTEGER NOT NULL DEFAULT 0,
            n_skipped INTEGER NOT NULL DEFAULT 0,
            n_missing INTEGER NOT NULL DEFAULT 0,
            errors TEXT NOT NULL DEFAULT '[]',
            message TEXT
        )"""
    )


@core()
def m0002_roster_links_decisions(db: sqlite_utils.Database) -> None:
    db.execute(
        """
        CREATE TABLE themes (
            theme_id TEXT PRIMARY KEY,
            theme_name TEXT NOT NULL
        )"""
    )
    db.execute(
        """
        CREATE TABLE projects (
            project_id TEXT PRIMARY KEY,
            theme_id TEXT NOT NULL REFERENCES themes(theme_id)
        )"""
    )
    db.execute(
        """
        CREATE TABLE members (
            person_id TEXT PRIMARY KEY,
            project_id TEXT NOT NULL REFERENCES projects(project_id),
            family_name TEXT NOT NULL,
            given_name TEXT,
            name_ja TEXT,
            aliases TEXT NOT NULL DEFAULT '[]',
            affiliation TEXT NOT NULL,
            affiliation_aliases TEXT NOT NULL DEFAULT '[]',
            orcid TEXT,
            openalex_id TEXT,
            start_date TEXT,
            end_date TEXT,
            active INTEGER NOT NULL DEFAULT 1,
            imported_at TEXT NOT NULL
        )"""
    )
    db.execute(
        """
        CREATE TABLE links (
            link_id INTEGER PRIMARY KEY AUTOINCREMENT,
            paper_id TEXT NOT NULL REFERENCES papers(paper_id),
            person_id TEXT NOT NULL REFERENCES members(person_id),
            mention TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('confirmed', 'needs_review', 'rejected')),
            machine_status TEXT NOT NULL,
            score REAL NOT NULL,
            evidence TEXT NOT NULL DEFAULT '[]',
            explanation TEXT NOT NULL DEFAULT '',
            matcher_version TEXT NOT NULL,
            decision_id INTEGER,
            second_look TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            UNIQUE (paper_id, person_id)
        )"""
    )
    db.execute("CREATE INDEX links_status ON links (status)")
    db.execute("CREATE INDEX links_person ON links (person_id)")
    # Append-only: rows are never updated or deleted (triggers below enforce it).
    db.execute(
        """
        CREATE TABLE decisions (
            decision_id INTEGER PRIMARY KEY AUTOINCREMENT,
            link_id INTEGER NOT NULL REFERENCES links(link_id),
            action TEXT NOT NULL CHECK (action IN ('accept', 'reject', 'unsure', 'undo')),
            status_after TEXT NOT NULL,
            decided_by TEXT NOT NULL,
            decided_at TEXT NOT NULL,
            reason TEXT,
            score_shown REAL,
            evidence_shown TEXT NOT NULL DEFAULT '[]',
            supersedes INTEGER REFERENCES decisions(decision_id)
        )"""
    )
    db.execute("CREATE INDEX decisions_link ON decisions (link_id)")
    db.execute(
        """CREATE TRIGGER decisions_no_update BEFORE UPDATE ON decisions
           BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END"""
    )
    db.execute(
        """CREATE TRIGGER decisions_no_delete BEFORE DELETE ON decisions
           BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END"""
    )


# Every migration set, in the order they are applied. Areas append theirs here.
MIGRATION_SETS: list[Migrations] = [core]

from db.harvest_state import harvest as _harvest  # noqa: E402 (harvest run details)

MIGRATION_SETS.append(_harvest)

from db.review import review as _review  # noqa: E402 (staff review: users, rules)

MIGRATION_SETS.append(_review)

from db.runs import runs as _runs  # noqa: E402 (nightly run summaries)

MIGRATION_SETS.append(_runs)

from db.enrichment import enrichment as _enrichment  # noqa: E402 (enrichment cache)

MIGRATION_SETS.append(_enrichment)


def open_db(path: str | Path) -> sqlite_utils.Database:
    """Open (creating if needed) the papertally database at `path` and bring its schema
    up to date. WAL mode, foreign keys on, a busy timeout so that a nightly harvest and
    staff reviewing at once wait for each other instead of failing.

    Raises PapertallyError if the file cannot be opened as a database.
    """
    path = Path(path)
    if str(path) != ":memory:":
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise PapertallyError(f"{path}: cannot create the database folder: {exc}") from None
    try:
        conn = sqlite3.connect(
            str(path), timeout=30, check_same_thread=False, factory=_ImmediateConnection
        )
        db = sqlite_utils.Database(conn)
        if str(path) != ":memory:":
            db.enable_wal()
        db.execute("PRAGMA foreign_keys = ON")
        db.execute("PRAGMA busy_timeout = 30000")
        for migrations in MIGRATION_SETS:
            migrations.apply(db)
    except sqlite3.DatabaseError as exc:
        raise PapertallyError(
            f"{path}: cannot open as a papertally database ({exc}); "
            "check the path given by --db / PAPERTALLY_DB / [database] path"
        ) from None
    return db
