"""Staff review storage: accounts, staff rules for the matcher, and safe connections for the web app."""

from __future__ import annotations

import contextlib
import datetime as dt
import secrets
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils
from sqlite_utils import Migrations

from db.papers import now
from matching.context import ID_SCHEMES, Rule
from papertally.errors import NotFoundError, PapertallyError

review = Migrations("papertally.review")

RULE_KINDS = ("id_is", "id_is_not", "never_at_org")
LANGS = ("ja", "en")


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


# -- connections -----------------------------------------------------------------------


def connect(path: str | Path) -> sqlite_utils.Database:
    """A connection to an existing, migrated database (open_db has run once at start-up):
    one per web request, so that concurrent requests never share a transaction."""
    from db.schema import _ImmediateConnection  # here: db.schema imports this module

    conn = sqlite3.connect(
        str(path), timeout=30, check_same_thread=False, factory=_ImmediateConnection
    )
    db = sqlite_utils.Database(conn)
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("PRAGMA busy_timeout = 30000")
    return db


@contextlib.contextmanager
def write_transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """BEGIN IMMEDIATE ... COMMIT. Taking the write lock up front (waiting up to the busy
    timeout) rather than on the first write avoids SQLITE_BUSY when another writer (a
    harvest, another staff member) commits between our read and our write."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if db.conn.in_transaction:
            db.execute("ROLLBACK")
        raise
    else:
        db.execute("COMMIT")


# -- users -----------------------------------------------------------------------------


def add_user(
    db: sqlite_utils.Database, name: str, password_hash: str, lang: str | None = None
) -> bool:
    """Create a staff account, or reset the password of an existing one.

    Returns True when the account is new. Raises PapertallyError for an empty name or an
    unknown language.
    """
    name = (name or "").strip()
    if not name:
        raise PapertallyError("a staff account needs a name: papertally user add NAME")
    if lang is not None and lang not in LANGS:
        raise PapertallyError(
            f"language {lang!r} is not supported; use one of {', '.join(LANGS)}"
        )
    stamp = now()
    with db.atomic():
        exists = db.execute(
            "SELECT 1 FROM review_users WHERE name = ?", [name]
        ).fetchone()
        if exists:
            db.execute(
                """UPDATE review_users SET password_hash = ?, lang = COALESCE(?, lang),
                   active = 1, updated_at = ? WHERE name = ?""",
                [password_hash, lang, stamp, name],
            )
            # A new password ends every open session of the account, and lifts a lockout.
            revoke_user_sessions(db, name)
            _clear_failures(db, name=name, moment=dt.datetime.now(dt.UTC))
            return False
        db["review_users"].insert(
            {
                "name": name,
                "password_hash": password_hash,
                "lang": lang,
                "active": 1,
                "created_at": stamp,
                "updated_at": stamp,
            }
        )
    return True


def get_user(db: sqlite_utils.Database, name: str) -> dict | None:
    """The active account called `name`, or None."""
    rows = list(
        db.query("SELECT * FROM review_users WHERE name = ? AND active = 1", [name])
    )
    return rows[0] if rows else None


def set_user_lang(db: sqlite_utils.Database, name: str, lang: str | None) -> None:
    """Remember a user's language (None: follow the browser)."""
    if lang is not None and lang not in LANGS:
        raise PapertallyError(
            f"language {lang!r} is not supported; use one of {', '.join(LANGS)}"
        )
    with db.atomic():
        db.execute(
            "UPDATE review_users SET lang = ?, updated_at = ? WHERE name = ?",
            [lang, now(), name],
        )


def list_users(db: sqlite_utils.Database) -> list[dict]:
    """Every account (without password hashes)."""
    return list(
        db.query(
            "SELECT name, lang, active, created_at FROM review_users ORDER BY name"
        )
    )


# -- sessions --------------------------------------------------------------------------


def _utc(hours: float = 0.0) -> str:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(hours=hours)).isoformat(
        timespec="seconds"
    )


def create_session(db: sqlite_utils.Database, name: str, hours: float) -> str:
    """Open a login session for `name` lasting `hours`; returns its random id."""
    session_id = secrets.token_urlsafe(32)
    with db.atomic():
        db["review_sessions"].insert(
            {
                "session_id": session_id,
                "name": name,
                "created_at": _utc(),
                "expires_at": _utc(hours),
            }
        )
    return session_id


def session_user(db: sqlite_utils.Database, session_id: str | None) -> dict | None:
    """The active account behind a live (not expired, not revoked) session, or None."""
    if not session_id:
        return None
    rows = list(
        db.query(
            """SELECT u.* FROM review_sessions s JOIN review_users u USING (name)
               WHERE s.session_id = ? AND s.revoked_at IS NULL AND s.expires_at > ?
                 AND u.active = 1""",
            [session_id, _utc()],
        )
    )
    return rows[0] if rows else None


def revoke_session(db: sqlite_utils.Database, session_id: str | None) -> None:
    """End one session (logout)."""
    if session_id:
        with db.atomic():
            db.execute(
                "UPDATE review_sessions SET revoked_at = ? WHERE session_id = ? AND revoked_at IS NULL",
                [_utc(), session_id],
            )


def revoke_user_sessions(db: sqlite_utils.Database, name: str) -> None:
    """End every session of an account (password changed)."""
    with db.atomic():
        db.execute(
            "UPDATE review_sessions SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL",
            [_utc(), name],
        )


# -- login attempts --------------------------------------------------------------------


@dataclass(frozen=True)
class LoginLimits:
    """How many failed logins within `window` lock out one account name (`per_name`) or
    one client address (`per_client`)."""

    per_name: int
    per_client: int
    window: dt.timedelta


@dataclass(frozen=True)
class Lockout:
    """Logins refused for `scope` ("name" or "client") until `until` (UTC) after
    `failures` failed attempts within the window."""

    scope: str
    until: dt.datetime
    failures: int


MAX_NAME = 200  # longer typed names are stored cut to this length


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


def _lockouts(
    db: sqlite_utils.Database,
    name: str,
    client: str,
    moment: dt.datetime,
    limits: LoginLimits,
) -> list[Lockout]:
    """The lockouts in force at `moment` for `name` and for `client`."""
    found = []
    for scope, column, value, most in (
        ("name", "name", name, limits.per_name),
        ("client", "client", client, limits.per_client),
    ):
        times = [
            row[0]
            for row in db.execute(
                f"""SELECT at FROM review_login_attempts
                    WHERE {column} = ? AND outcome = 'failed' AND cleared_at IS NULL
                      AND at > ? ORDER BY at DESC""",
                [value, _stamp(moment - limits.window)],
            ).fetchall()
        ]
        if len(times) >= most:
            # Refused until the most-th latest failure leaves the window.
            until = dt.datetime.fromisoformat(times[most - 1]) + limits.window
            found.append(Lockout(scope, until, len(times)))
    return found


def begin_login(
    db: sqlite_utils.Database,
    name: str,
    client: str,
    *,
    moment: dt.datetime,
    limits: LoginLimits,
) -> tuple[int | None, Lockout | None]:
    """Start a login attempt by `name` from `client` at `moment` (aware datetime).

    Returns (None, lockout) when too many recent failures refuse it (recorded as
    'refused'), else (attempt_id, None): the attempt is recorded as failed until
    `login_succeeded` says otherwise, so concurrent guesses count at once.
    """
    name = name[:MAX_NAME]
    with db.atomic():
        lock = max(
            _lockouts(db, name, client, moment, limits),
            key=lambda found: found.until,
            default=None,
        )
        row = {"name": name, "client": client, "at": _stamp(moment)}
        if lock is not None:
            detail = f"{lock.scope} locked until {_stamp(lock.until)}"
            db["review_login_attempts"].insert(
                {**row, "outcome": "refused", "detail": detail}
            )
            return None, lock
        attempt = db["review_login_attempts"].insert({**row, "outcome": "failed"})
        return attempt.last_pk, None


def login_failed(
    db: sqlite_utils.Database,
    attempt_id: int,
    *,
    moment: dt.datetime,
    limits: LoginLimits,
) -> Lockout | None:
    """Note that attempt `attempt_id` failed. Returns the lockout this failure starts
    (each one recorded as a 'locked' row; the longer when both the name and the client
    address reach their limit), or None when logins stay open."""
    most = {"name": limits.per_name, "client": limits.per_client}
    with db.atomic():
        name, client = db.execute(
            "SELECT name, client FROM review_login_attempts WHERE attempt_id = ?",
            [attempt_id],
        ).fetchone()
        # Only the failure that reaches a limit starts (and records) a lockout.
        started = [
            lock
            for lock in _lockouts(db, name, client, moment, limits)
            if lock.failures == most[lock.scope]
        ]
        for lock in started:
            db["review_login_attempts"].insert(
                {
                    "name": name,
                    "client": client,
                    "at": _stamp(moment),
                    "outcome": "locked",
                    "detail": f"{lock.failures} failed logins for this {lock.scope} "
                    f"within {limits.window}; refused until {_stamp(lock.until)}",
                }
            )
        return max(started, key=lambda lock: lock.until, default=None)


def login_succeeded(
    db: sqlite_utils.Database, attempt_id: int, *, moment: dt.datetime
) -> None:
    """Note that attempt `attempt_id` logged in: its account's failures stop counting."""
    with db.atomic():
        db.execute(
            "UPDATE review_login_attempts SET outcome = 'ok' WHERE attempt_id = ?",
            [attempt_id],
        )
        _clear_failures(db, attempt_id=attempt_id, moment=moment)


def _clear_failures(
    db: sqlite_utils.Database,
    *,
    moment: dt.datetime,
    attempt_id: int | None = None,
    name: str | None = None,
) -> None:
    db.execute(
        """UPDATE review_login_attempts SET cleared_at = ?
           WHERE name = COALESCE(?, (SELECT name FROM review_login_attempts WHERE attempt_id = ?))
             AND outcome = 'failed' AND cleared_at IS NULL""",
        [_stamp(moment), name, attempt_id],
    )


def login_attempts(db: sqlite_utils.Database, limit: int = 100) -> list[dict]:
    """The latest login attempts and lockouts, newest first (the login audit)."""
    return list(
        db.query(
            "SELECT * FROM review_login_attempts ORDER BY attempt_id DESC LIMIT ?",
            [int(limit)],
        )
    )


# -- rules -----------------------------------------------------------------------------


def add_rule(
    db: sqlite_utils.Database,
    kind: str,
    person_id: str,
    value: str,
    *,
    by: str,
    scheme: str | None = None,
    reason: str = "",
    from_link_id: int | None = None,
) -> int:
    """Store a staff rule for the matcher; returns its rule_id. An identical active rule
    is not stored twice (its rule_id is returned).

    Raises PapertallyError for an unknown kind or scheme, an empty value, or an unknown member.
    """
    value = (value or "").strip()
    if kind not in RULE_KINDS:
        raise PapertallyError(
            f"unknown rule kind {kind!r}; use one of {', '.join(RULE_KINDS)}"
        )
    if kind == "never_at_org":
        scheme = None
    elif scheme not in ID_SCHEMES:
        raise PapertallyError(
            f"identifier type {scheme!r} is not one of {', '.join(ID_SCHEMES)}"
        )
    if not value:
        raise PapertallyError(
            "a rule needs a value (the identifier or the organisation)"
        )
    if not by or not by.strip():
        raise PapertallyError("a rule needs the name of the person adding it")
    with db.atomic():
        if not db.execute(
            "SELECT 1 FROM members WHERE person_id = ?", [person_id]
        ).fetchone():
            raise NotFoundError(f"member {person_id!r} is not in the roster")
        same = db.execute(
            """SELECT rule_id FROM review_rules WHERE active = 1 AND kind = ? AND person_id = ?
               AND scheme IS ? AND value = ?""",
            [kind, person_id, scheme, value],
        ).fetchone()
        if same:
            return same[0]
        return (
            db["review_rules"]
            .insert(
                {
                    "kind": kind,
                    "person_id": person_id,
                    "scheme": scheme,
                    "value": value,
                    "reason": reason or "",
                    "from_link_id": from_link_id,
                    "created_by": by.strip(),
                    "created_at": now(),
                    "active": 1,
                }
            )
            .last_pk
        )


def deactivate_rule(db: sqlite_utils.Database, rule_id: int, *, by: str) -> None:
    """Switch a rule off (kept, with who and when). Raises NotFoundError if unknown."""
    with db.atomic():
        cur = db.execute(
            """UPDATE review_rules SET active = 0, deactivated_by = ?, deactivated_at = ?
               WHERE rule_id = ? AND active = 1""",
            [by, now(), rule_id],
        )
        if cur.rowcount == 0:
            raise NotFoundError(
                f"rule {rule_id} does not exist or is already switched off"
            )


def list_rules(
    db: sqlite_utils.Database, *, include_inactive: bool = False
) -> list[dict]:
    """Rules with the member's name, newest first."""
    where = "" if include_inactive else "WHERE r.active = 1"
    return list(
        db.query(
            f"""SELECT r.*, m.family_name, m.given_name, m.name_ja
                FROM review_rules r JOIN members m USING (person_id)
                {where} ORDER BY r.rule_id DESC"""
        )
    )


def load_rules(db: sqlite_utils.Database) -> list[Rule]:
    """The active staff rules as matching Rules, oldest first (the matcher applies them
    before any scoring)."""
    return [
        Rule(
            kind=r["kind"],
            person_id=r["person_id"],
            value=r["value"],
            scheme=r["scheme"],
            reason=r["reason"] or f"staff rule #{r['rule_id']} by {r['created_by']}",
        )
        for r in db.query(
            "SELECT * FROM review_rules WHERE active = 1 ORDER BY rule_id"
        )
    ]


# -- audit trail views -----------------------------------------------------------------


def recent_decisions(
    db: sqlite_utils.Database,
    *,
    limit: int = 50,
    decided_by: str | None = None,
    link_id: int | None = None,
) -> list[dict]:
    """Decisions newest first, with paper title, member name and `in_force` (1 when the
    link's current decision is this row, so it can be undone)."""
    clauses, args = [], []
    if decided_by:
        clauses.append("d.decided_by = ?")
        args.append(decided_by)
    if link_id is not None:
        clauses.append("d.link_id = ?")
        args.append(link_id)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    return list(
        db.query(
            f"""SELECT d.decision_id, d.link_id, d.action, d.status_after, d.decided_by,
                       d.decided_at, d.reason, d.score_shown, d.supersedes,
                       CASE WHEN l.decision_id = d.decision_id THEN 1 ELSE 0 END AS in_force,
                       l.decision_id AS link_decision_id, l.status AS link_status,
                       p.title, p.venue, p.year, m.person_id, m.family_name, m.given_name, m.name_ja
                FROM decisions d JOIN links l USING (link_id) JOIN papers p USING (paper_id)
                JOIN members m ON m.person_id = l.person_id
                {where} ORDER BY d.decision_id DESC LIMIT ?""",
            [*args, int(limit)],
        )
    )
