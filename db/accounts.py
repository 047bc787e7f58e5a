"""Staff accounts of the review app: users, login sessions, and the login attempts that
throttle password guessing (and are the login audit)."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

import sqlite_utils

from db.connection import now
from papertally.errors import PapertallyError

LANGS = ("ja", "en")


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


def create_session(db: sqlite_utils.Database, name: str, hours: float) -> str:
    """Open a login session for `name` lasting `hours`; returns its random id."""
    session_id = secrets.token_urlsafe(32)
    with db.atomic():
        db["review_sessions"].insert(
            {
                "session_id": session_id,
                "name": name,
                "created_at": now(),
                "expires_at": now(dt.datetime.now(dt.UTC) + dt.timedelta(hours=hours)),
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
            [session_id, now()],
        )
    )
    return rows[0] if rows else None


def revoke_session(db: sqlite_utils.Database, session_id: str | None) -> None:
    """End one session (logout)."""
    if session_id:
        with db.atomic():
            db.execute(
                "UPDATE review_sessions SET revoked_at = ? WHERE session_id = ? AND revoked_at IS NULL",
                [now(), session_id],
            )


def revoke_user_sessions(db: sqlite_utils.Database, name: str) -> None:
    """End every session of an account (password changed)."""
    with db.atomic():
        db.execute(
            "UPDATE review_sessions SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL",
            [now(), name],
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
                [value, now(moment - limits.window)],
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
        row = {"name": name, "client": client, "at": now(moment)}
        if lock is not None:
            detail = f"{lock.scope} locked until {now(lock.until)}"
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
                    "at": now(moment),
                    "outcome": "locked",
                    "detail": f"{lock.failures} failed logins for this {lock.scope} "
                    f"within {limits.window}; refused until {now(lock.until)}",
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
        [now(moment), name, attempt_id],
    )


def login_attempts(db: sqlite_utils.Database, limit: int = 100) -> list[dict]:
    """The latest login attempts and lockouts, newest first (the login audit)."""
    return list(
        db.query(
            "SELECT * FROM review_login_attempts ORDER BY attempt_id DESC LIMIT ?",
            [int(limit)],
        )
    )


