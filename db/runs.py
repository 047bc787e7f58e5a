"""Nightly run summaries: one row per run of the nightly flow, and the facts exports cite."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable

import sqlite_utils

from db.connection import now


def pid_alive(pid: int) -> bool:
    """True while process `pid` exists on this host (also when it belongs to another user)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def owner_gone(host: str | None, pid: int | None, alive: Callable[[int], bool] = pid_alive) -> bool:
    """True when the process (`host`, `pid`) that opened a run is gone: on this host, no
    such process, or this very process (which opens runs only after closing its own)."""
    if host != socket.gethostname() or pid is None:
        return False  # another machine's, or from before owners were recorded: unknown
    return pid == os.getpid() or not alive(pid)


INTERRUPTED = json.dumps(["interrupted: the process was stopped mid-harvest"])


def mark_interrupted(
    db: sqlite_utils.Database, alive: Callable[[int], bool] = pid_alive
) -> list[int]:
    """Close the nightly runs and the harvest runs of this host left 'running' by a
    process that no longer exists (killed, machine rebooted): status 'interrupted'.

    Returns the nightly run_ids marked 'interrupted'.
    """
    host = socket.gethostname()
    stamp = now()
    marked = []
    with db.atomic():
        for run_id, pid, started_at in db.execute(
            "SELECT run_id, pid, started_at FROM run_summaries WHERE status = 'running' AND host = ?",
            [host],
        ).fetchall():
            if not owner_gone(host, pid, alive):
                continue
            db.execute(
                """UPDATE run_summaries SET status = 'interrupted', finished_at = ?
                   WHERE run_id = ?""",
                [stamp, run_id],
            )
            # Harvests that run opened before their owner was recorded.
            db.execute(
                """UPDATE harvest_runs SET status = 'interrupted', finished_at = ?, errors = ?
                   WHERE status = 'running' AND pid IS NULL AND started_at >= ?""",
                [stamp, INTERRUPTED, started_at],
            )
            marked.append(run_id)
        for run_id, pid in db.execute(
            "SELECT run_id, pid FROM harvest_runs WHERE status = 'running' AND host = ?", [host]
        ).fetchall():
            if owner_gone(host, pid, alive):
                db.execute(
                    """UPDATE harvest_runs SET status = 'interrupted', finished_at = ?, errors = ?
                       WHERE run_id = ?""",
                    [stamp, INTERRUPTED, run_id],
                )
    return marked


def start_run(
    db: sqlite_utils.Database, trigger: str, flow_run_id: str | None = None
) -> int:
    """Open a run summary row (status 'running') and return its run_id."""
    with db.atomic():
        return (
            db["run_summaries"]
            .insert(
                {
                    "started_at": now(),
                    "status": "running",
                    "trigger": trigger,
                    "flow_run_id": flow_run_id,
                    "host": socket.gethostname(),
                    "pid": os.getpid(),
                }
            )
            .last_pk
        )


def finish_run(db: sqlite_utils.Database, run_id: int, summary: dict) -> None:
    """Store the finished run's summary; status is 'partial' when anything failed."""
    failures = summary.get("failures", [])
    with db.atomic():
        db["run_summaries"].update(
            run_id,
            {
                "finished_at": summary.get("finished_at") or now(),
                "status": "partial" if failures else "ok",
                "n_failures": len(failures),
                "review_queue": summary.get("review_queue"),
                "summary": json.dumps(summary, ensure_ascii=False, default=str),
            },
        )


def get_run(db: sqlite_utils.Database, run_id: int) -> dict | None:
    """One run summary row with its summary decoded, or None."""
    rows = list(db.query("SELECT * FROM run_summaries WHERE run_id = ?", [run_id]))
    if not rows:
        return None
    row = rows[0]
    row["summary"] = json.loads(row["summary"])
    return row


def recent_runs(db: sqlite_utils.Database, limit: int = 20) -> list[dict]:
    """The latest run summaries, newest first (summary left as JSON text)."""
    return list(
        db.query("SELECT * FROM run_summaries ORDER BY run_id DESC LIMIT ?", [limit])
    )


def last_finished_run(db: sqlite_utils.Database) -> dict | None:
    """The newest run that finished (ok or partial), with its summary decoded."""
    row = db.execute(
        "SELECT run_id FROM run_summaries WHERE status IN ('ok', 'partial') "
        "ORDER BY run_id DESC LIMIT 1"
    ).fetchone()
    return get_run(db, row[0]) if row else None


def data_sources(db: sqlite_utils.Database) -> list[dict]:
    """Per source and venue-year, the last successful harvest: where from and when."""
    return list(
        db.query(
            """SELECT h.source, h.venue, h.year, h.origin, h.finished_at, h.n_seen
               FROM harvest_runs h
               WHERE h.status = 'ok' AND h.run_id = (
                   SELECT MAX(run_id) FROM harvest_runs x
                   WHERE x.source = h.source AND x.venue = h.venue AND x.year = h.year
                     AND x.status = 'ok')
               ORDER BY h.venue, h.year, h.source"""
        )
    )


def review_queue_size(db: sqlite_utils.Database) -> int:
    """Links of active members waiting for staff (needs_review, or flagged for a second look)."""
    return db.execute(
        """SELECT COUNT(*) FROM links l JOIN members m USING (person_id)
           WHERE (l.status = 'needs_review' OR l.second_look IS NOT NULL) AND m.active = 1"""
    ).fetchone()[0]


def member_names(db: sqlite_utils.Database) -> dict[str, dict]:
    """person_id -> name fields and project, for every member ever imported."""
    return {
        r["person_id"]: r
        for r in db.query(
            "SELECT person_id, family_name, given_name, name_ja, project_id FROM members"
        )
    }
