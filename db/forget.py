"""Taking back a harvest run: its source records, the papers no other source holds, and an
append-only record of what went (staff decisions are never removed)."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field

import sqlite_utils

from db.connection import now
from db.papers import _chunks
from papertally.errors import NotFoundError, PapertallyError

COUNTING = ("confirmed", "needs_review")


@dataclass
class ForgetPlan:
    """What `harvest forget --run` would do, computed without writing anything."""

    run: dict
    records: list[tuple[str, str]] = field(default_factory=list)  # created by the run
    kept_records: int = 0  # the run only saw or updated them: stored before it, kept
    papers: list[dict] = field(default_factory=list)  # no other source holds them
    # Links of those papers that an audit row refers to (a staff decision or a rule):
    # kept, and rejected with a recorded decision when they still count.
    kept_links: list[dict] = field(default_factory=list)
    links_deleted: int = 0

    def summary(self) -> str:
        r = self.run
        text = (
            f"run {r['run_id']} ({r['source']} {r['venue']} {r['year']}, {r['origin']}, "
            f"{r['started_at']}): {len(self.records)} source record(s) it stored, "
            f"{len(self.papers)} paper(s) no other source holds, {self.links_deleted} "
            "machine link(s) of them"
        )
        if self.kept_records:
            text += (
                f"; {self.kept_records} record(s) it only saw again or updated stay (stored "
                "by an earlier run)"
            )
        rejected = [k for k in self.kept_links if k["status"] in COUNTING]
        if self.kept_links:
            text += (
                f"; {len(self.kept_links)} link(s) with staff decisions or rules stay in the "
                f"audit log with their papers, {len(rejected)} of them rejected by a new "
                "recorded decision so that they no longer count"
            )
        return text


def plan(db: sqlite_utils.Database, run_id: int) -> ForgetPlan:
    """What forgetting `run_id` removes. Raises NotFoundError for an unknown run and
    PapertallyError for a run already forgotten or still running."""
    rows = list(db.query("SELECT * FROM harvest_runs WHERE run_id = ?", [run_id]))
    if not rows:
        raise NotFoundError(f"no harvest run {run_id}; see papertally harvest --status")
    run = rows[0]
    if run["status"] == "forgotten":
        raise PapertallyError(f"harvest run {run_id} was already forgotten")
    if run["status"] == "running":
        raise PapertallyError(
            f"harvest run {run_id} is still running (or was killed): wait for it, or check "
            "papertally harvest --status"
        )
    result = ForgetPlan(run)
    result.records = [
        tuple(r)
        for r in db.execute(
            "SELECT source, source_id FROM source_records WHERE first_run_id = ? "
            "ORDER BY source_id",
            [run_id],
        )
    ]
    result.kept_records = db.execute(
        "SELECT COUNT(*) FROM source_records WHERE last_run_id = ? "
        "AND (first_run_id IS NULL OR first_run_id != ?)",
        [run_id, run_id],
    ).fetchone()[0]
    papers = db.execute(
        """SELECT p.paper_id, p.venue, p.year, p.title FROM papers p
           WHERE p.paper_id IN (SELECT paper_id FROM source_records WHERE first_run_id = ?)
             AND NOT EXISTS (SELECT 1 FROM source_records s WHERE s.paper_id = p.paper_id
                               AND (s.first_run_id IS NULL OR s.first_run_id != ?))
           ORDER BY p.paper_id""",
        [run_id, run_id],
    ).fetchall()
    result.papers = [dict(zip(("paper_id", "venue", "year", "title"), p)) for p in papers]
    ids = [p["paper_id"] for p in result.papers]
    for chunk in _chunks(ids):
        marks = ",".join("?" * len(chunk))
        for link_id, paper_id, person_id, status, audited in db.execute(
            f"""SELECT l.link_id, l.paper_id, l.person_id, l.status,
                       EXISTS (SELECT 1 FROM decisions d WHERE d.link_id = l.link_id)
                       OR EXISTS (SELECT 1 FROM review_rules r WHERE r.from_link_id = l.link_id)
                FROM links l WHERE l.paper_id IN ({marks}) ORDER BY l.link_id""",
            chunk,
        ):
            if audited:
                result.kept_links.append(
                    {"link_id": link_id, "paper_id": paper_id, "person_id": person_id,
                     "status": status}
                )
            else:
                result.links_deleted += 1
    return result


def forget(db: sqlite_utils.Database, run_id: int, by: str) -> ForgetPlan:
    """Forget `run_id` in one transaction: reject (with a recorded decision by `by`) the
    counting links of its papers that staff decided or made a rule from, delete the other
    links of those papers, the run's source records and authorships, and every paper no
    link still refers to; record what went in harvest_forgets; mark the run forgotten.

    Returns the plan that was carried out.
    """
    from db.links import decide

    if not by or not by.strip():
        raise PapertallyError("forgetting a run needs the name of the person doing it (--by NAME)")
    with db.atomic():
        done = plan(db, run_id)
        reason = (
            f"paper removed with harvest run {run_id} ({done.run['source']} "
            f"{done.run['venue']} {done.run['year']} from {done.run['origin']}), taken back "
            "as a mistaken load"
        )
        rejected = []
        for link in done.kept_links:
            if link["status"] in COUNTING:
                decide(db, link["link_id"], "reject", by, reason)
                rejected.append(link["link_id"])
        conn = db.conn
        conn.executemany("DELETE FROM authorships WHERE source = ? AND source_id = ?", done.records)
        conn.executemany("DELETE FROM source_records WHERE source = ? AND source_id = ?", done.records)
        kept_papers = sorted({k["paper_id"] for k in done.kept_links})
        removed = []
        for paper in done.papers:
            pid = paper["paper_id"]
            conn.execute(
                """DELETE FROM links WHERE paper_id = ?
                   AND link_id NOT IN (SELECT link_id FROM decisions)
                   AND link_id NOT IN (SELECT from_link_id FROM review_rules
                                       WHERE from_link_id IS NOT NULL)""",
                [pid],
            )
            if pid in kept_papers:
                continue
            _delete_cached(db, pid)
            try:
                with db.atomic():  # a savepoint: an audit row elsewhere keeps the paper
                    conn.execute("DELETE FROM papers WHERE paper_id = ?", [pid])
                removed.append(pid)
            except sqlite3.IntegrityError:
                kept_papers.append(pid)
        db["harvest_forgets"].insert(
            {
                "run_id": run_id,
                "forgotten_by": by.strip(),
                "forgotten_at": now(),
                "records_removed": len(done.records),
                "papers_removed": json.dumps(
                    [p for p in done.papers if p["paper_id"] in set(removed)], ensure_ascii=False
                ),
                "papers_kept": json.dumps(sorted(kept_papers)),
                "links_rejected": json.dumps(rejected),
            }
        )
        conn.execute(
            "UPDATE harvest_runs SET status = 'forgotten', message = COALESCE(message, '') || ? "
            "WHERE run_id = ?",
            [f" [forgotten by {by.strip()} at {now()}]", run_id],
        )
    return done


def _delete_cached(db: sqlite_utils.Database, paper_id: str) -> None:
    """Cached enrichment answers of a paper (derived data, fetched again if needed)."""
    if "enrichments" in db.table_names():
        db.execute("DELETE FROM enrichments WHERE paper_id = ?", [paper_id])
