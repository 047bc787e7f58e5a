"""The database schema as versioned sqlite-utils migrations; opening a database applies them.

Rules for changing the schema: never edit a migration that has shipped; add a new one
below it (named NNNN_what), so that every existing database is upgraded in place and no
data is lost. Each area has its own migration set (`Migrations("papertally.<area>")`),
defined here and listed in MIGRATION_SETS; the harvest run details' and the enrichment
cache's sets live with their queries in db/harvest_state.py and db/enrichment.py. Connections come from db/connection.py.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import sqlite_utils
from sqlite_utils import Migrations

from db.connection import (
    DatabaseFault,
    DatabaseReplaced,
    NoDatabase,
    NotPapertallyDatabase,
    connect,
)
from db.enrichment import enrichment
from db.harvest_state import harvest
from papertally.errors import PapertallyError


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


@core()
def m0003_meta(db: sqlite_utils.Database) -> None:
    # Facts about the database file itself. database_id tells this database from another
    # file put at the same path (a run checks it did not change before exporting).
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    db.execute(
        "INSERT INTO meta (key, value) VALUES ('database_id', lower(hex(randomblob(16))))"
    )


@core()
def m0004_harvest_run_owner(db: sqlite_utils.Database) -> None:
    # The process that opened a harvest run, so that a run it left 'running' when it was
    # killed can be told from one still going, and closed as 'interrupted'.
    db.execute("ALTER TABLE harvest_runs ADD COLUMN host TEXT")
    db.execute("ALTER TABLE harvest_runs ADD COLUMN pid INTEGER")


# Staff review: accounts, sessions, login attempts (db/accounts.py) and rules (db/rules.py).
review = Migrations("papertally.review")


@review()
def m0001_users_rules(db: sqlite_utils.Database) -> None:
    db.execute(
        """
        CREATE TABLE review_users (
            name TEXT PRIMARY KEY,
            password_hash TEXT NOT NULL,
            lang TEXT CHECK (lang IS NULL OR lang IN ('ja', 'en')),
            active INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )"""
    )
    # Rules are never deleted: switching one off is a new state with who and when.
    db.execute(
        """
        CREATE TABLE review_rules (
            rule_id INTEGER PRIMARY KEY AUTOINCREMENT,
            kind TEXT NOT NULL CHECK (kind IN ('id_is', 'id_is_not', 'never_at_org')),
            person_id TEXT NOT NULL REFERENCES members(person_id),
            scheme TEXT,
            value TEXT NOT NULL,
            reason TEXT NOT NULL DEFAULT '',
            from_link_id INTEGER REFERENCES links(link_id),
            created_by TEXT NOT NULL,
            created_at TEXT NOT NULL,
            active INTEGER NOT NULL DEFAULT 1,
            deactivated_by TEXT,
            deactivated_at TEXT
        )"""
    )
    db.execute("CREATE INDEX review_rules_person ON review_rules (person_id)")


@review()
def m0002_sessions(db: sqlite_utils.Database) -> None:
    # The signed cookie only names a row here, so that logging out (or a password reset)
    # ends a session for good instead of leaving a replayable cookie valid until it expires.
    db.execute(
        """
        CREATE TABLE review_sessions (
            session_id TEXT PRIMARY KEY,
            name TEXT NOT NULL REFERENCES review_users(name),
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            revoked_at TEXT
        )"""
    )
    db.execute("CREATE INDEX review_sessions_name ON review_sessions (name)")


@review()
def m0003_login_attempts(db: sqlite_utils.Database) -> None:
    # Every login attempt, kept as the audit of who tried to log in from where. Failed
    # attempts in the last few minutes slow a password guesser down (login_lockout);
    # a successful login sets cleared_at on the account's earlier failures.
    db.execute(
        """
        CREATE TABLE review_login_attempts (
            attempt_id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL,
            client TEXT NOT NULL,
            at TEXT NOT NULL,
            outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'failed', 'refused', 'locked')),
            detail TEXT NOT NULL DEFAULT '',
            cleared_at TEXT
        )"""
    )
    db.execute("CREATE INDEX review_login_attempts_name ON review_login_attempts (name, at)")
    db.execute(
        "CREATE INDEX review_login_attempts_client ON review_login_attempts (client, at)"
    )


@review()
def m0004_bulks_and_rule_withdrawals(db: sqlite_utils.Database) -> None:
    # A bulk decision is one staff action over several links: its decisions rows stay one
    # per link (the audit), and this names them together so one undo takes the whole bulk
    # back. Append-only like the decisions.
    db.execute(
        """
        CREATE TABLE review_bulks (
            bulk_id INTEGER PRIMARY KEY AUTOINCREMENT,
            action TEXT NOT NULL,
            grouped_by TEXT NOT NULL,
            value TEXT NOT NULL DEFAULT '',
            from_link_id INTEGER REFERENCES links(link_id),
            decided_by TEXT NOT NULL,
            decided_at TEXT NOT NULL,
            reason TEXT NOT NULL
        )"""
    )
    db.execute(
        """
        CREATE TABLE review_bulk_decisions (
            bulk_id INTEGER NOT NULL REFERENCES review_bulks(bulk_id),
            decision_id INTEGER NOT NULL UNIQUE REFERENCES decisions(decision_id),
            PRIMARY KEY (bulk_id, decision_id)
        )"""
    )
    # Withdrawing a rule is a new row with who, when and why (the rule row keeps its
    # active flag for the matcher's query).
    db.execute(
        """
        CREATE TABLE review_rule_withdrawals (
            withdrawal_id INTEGER PRIMARY KEY AUTOINCREMENT,
            rule_id INTEGER NOT NULL UNIQUE REFERENCES review_rules(rule_id),
            withdrawn_by TEXT NOT NULL,
            withdrawn_at TEXT NOT NULL,
            reason TEXT NOT NULL
        )"""
    )
    for table in ("review_bulks", "review_bulk_decisions", "review_rule_withdrawals"):
        for what in ("UPDATE", "DELETE"):
            db.execute(
                f"""CREATE TRIGGER {table}_no_{what.lower()} BEFORE {what} ON {table}
                    BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"""
            )


# Nightly run summaries (db/runs.py).
runs = Migrations("papertally.runs")


@runs()
def m0001_run_summaries(db: sqlite_utils.Database) -> None:
    db.execute(
        """
        CREATE TABLE run_summaries (
            run_id INTEGER PRIMARY KEY AUTOINCREMENT,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            -- running | ok | partial (some step failed, the rest completed) | interrupted
            status TEXT NOT NULL DEFAULT 'running',
            trigger TEXT NOT NULL DEFAULT 'manual',
            flow_run_id TEXT,
            host TEXT NOT NULL,
            pid INTEGER NOT NULL,
            n_failures INTEGER NOT NULL DEFAULT 0,
            review_queue INTEGER,
            summary TEXT NOT NULL DEFAULT '{}'
        )"""
    )


# Every migration set, in the order they are applied. The harvest run details' and the
# enrichment cache's sets live with their queries (db/harvest_state.py, db/enrichment.py).
MIGRATION_SETS: list[Migrations] = [core, harvest, review, runs, enrichment]

from db.match_state import match_state as _match_state  # noqa: E402 (incremental matching)

MIGRATION_SETS.append(_match_state)


def open_db(path: str | Path, *, create: bool = True) -> sqlite_utils.Database:
    """Open the papertally database at `path` and bring its schema up to date; the
    connection is db.connection.connect's (WAL, foreign keys, busy timeout). Commands
    that only read pass create=False, so that a mistyped path is an error, not a new
    empty database that reports zeros.

    Raises NoDatabase (create=False, no file at `path`), NotPapertallyDatabase
    (create=False, a file without a papertally database: left untouched), another
    DatabaseFault (read-only, locked, disk full), or PapertallyError if the file cannot be
    opened as a database.
    """
    path = Path(path)
    if create and str(path) != ":memory:":
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise PapertallyError(f"{path}: cannot create the database folder: {exc}") from None
    db = None
    try:
        db = connect(path, create=create)  # create=False refuses a non-papertally file
        if any(migrations.pending(db) for migrations in MIGRATION_SETS):
            # One process migrates at a time (two commands started at once on a new file):
            # the other waits here on the busy timeout, then finds nothing left to apply.
            with db.atomic():
                for migrations in MIGRATION_SETS:
                    migrations.apply(db)
    except DatabaseFault:
        if db is not None:
            db.close()
        raise
    except sqlite3.DatabaseError as exc:
        if db is not None:
            db.close()
        raise PapertallyError(
            f"{path}: cannot open as a papertally database ({exc}); "
            "check the path given by --db / PAPERTALLY_DB / [database] path"
        ) from None
    return db


class DatabaseOutdated(DatabaseFault):
    """The file holds a papertally database with an older schema (an old backup put back
    under a running review server); only a command that opens it for work upgrades it."""

    def __init__(self, path: str | Path):
        super().__init__(
            path,
            "the database has an older papertally schema (an old backup put back?): run "
            "`papertally run`, or restart `papertally review serve`, to upgrade it",
            key="error.db_outdated",
        )


def schema_fault(
    db: sqlite_utils.Database, path: str | Path, exc: BaseException
) -> DatabaseOutdated | None:
    """For a query on `db` (the file at `path`) that failed with `exc`: DatabaseOutdated
    when a table or column was missing and migrations are pending on the file, else None
    (a missing table in an up-to-date schema is a bug and must surface as it is). Reads
    only, and only after such a failure, so that queries that work pay nothing."""
    if not isinstance(exc, sqlite3.OperationalError) or isinstance(exc, DatabaseFault):
        return None
    if not str(exc).startswith(("no such table", "no such column")):
        return None
    try:
        outdated = any(migrations.pending(db) for migrations in MIGRATION_SETS)
    except sqlite3.Error:
        return None
    return DatabaseOutdated(path) if outdated else None


def database_identity(db: sqlite_utils.Database, path: str | Path) -> dict:
    """What tells the database file at `path` (open as `db`) from another one later put at
    the same path: the file's device and inode, and the database_id stored in it."""
    st = os.stat(path)
    row = db.execute("SELECT value FROM meta WHERE key = 'database_id'").fetchone()
    return {
        "path": str(path),
        "device": st.st_dev,
        "inode": st.st_ino,
        "database_id": row[0] if row else None,
    }


def check_same_database(identity: dict) -> None:
    """Raise DatabaseReplaced unless the file at identity["path"] is still the database
    `identity` describes (database_identity): not removed, not replaced by another file."""
    path = identity["path"]
    advice = (
        "nothing was exported from it. Find out what removed or replaced the file (a "
        "cleanup job, a restore, a second machine writing there?), put the right database "
        "back and run again"
    )
    try:
        db = connect(path, create=False)
    except NoDatabase:
        raise DatabaseReplaced(path, f"the database was removed during this run; {advice}") from None
    except NotPapertallyDatabase:
        raise DatabaseReplaced(
            path,
            "the database file was replaced during this run by a file that holds no "
            f"papertally database (empty or another program's); {advice}",
        ) from None
    try:
        now_is = database_identity(db, path)
    except (OSError, sqlite3.Error):
        now_is = {"device": None, "inode": None, "database_id": None}
    finally:
        db.close()
    if (now_is["device"], now_is["inode"], now_is["database_id"]) != (
        identity["device"],
        identity["inode"],
        identity["database_id"],
    ):
        raise DatabaseReplaced(
            path,
            "the database file was replaced by another one during this run (database id "
            f"{identity['database_id']} at the start, {now_is['database_id']} now); {advice}",
        )


def check_writable(db: sqlite_utils.Database) -> None:
    """Raise DatabaseReadOnly (or DatabaseBusy, DiskFull) if `db` cannot be written now;
    writes nothing. For commands that would otherwise find out minutes later."""
    db.execute("BEGIN IMMEDIATE")
    try:
        db.execute("UPDATE meta SET value = value WHERE key = 'database_id'")
    finally:
        db.execute("ROLLBACK")
