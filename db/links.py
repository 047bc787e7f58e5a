"""Links between papers and roster members: loading mentions, storing the matcher's
candidates without touching staff decisions, and the append-only decision log."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass

import sqlite_utils

from db.papers import now
from matching.model import Candidate, Mention
from papertally.errors import NotFoundError, PapertallyError

ACTION_STATUS = {"accept": "confirmed", "reject": "rejected", "unsure": "needs_review"}


class ConflictError(PapertallyError):
    """The link was decided by someone else after the caller last looked at it."""


def load_mentions(
    db: sqlite_utils.Database,
    conference_dates: Mapping[tuple[str, int], dt.date],
) -> Iterator[Mention]:
    """Every stored author mention, with its paper's context (conference date, funding,
    paper-level affiliations, co-authors). Streams; memory stays flat."""
    current_key = None
    rows: list[dict] = []
    sql = """SELECT a.*, s.venue, s.year, s.paper_affiliations, s.funders, s.awards
             FROM authorships a JOIN source_records s USING (source, source_id)
             ORDER BY a.source, a.source_id, a.position"""
    for row in db.query(sql):
        key = (row["source"], row["source_id"])
        if key != current_key and rows:
            yield from _mentions_of(rows, conference_dates)
            rows = []
        current_key = key
        rows.append(row)
    if rows:
        yield from _mentions_of(rows, conference_dates)


def _mentions_of(rows: list[dict], dates: Mapping[tuple[str, int], dt.date]) -> Iterator[Mention]:
    names = [r["name"] for r in rows]
    first = rows[0]
    paper_affs = tuple(json.loads(first["paper_affiliations"]))
    funders = tuple(json.loads(first["funders"]))
    awards = tuple(json.loads(first["awards"]))
    day = dates.get((first["venue"], first["year"]))
    for r in rows:
        yield Mention(
            key=f"{r['source']}:{r['source_id']}#{r['position']}",
            paper_id=r["paper_id"],
            name=r["name"],
            given=r["given"],
            family=r["family"],
            affiliations=tuple(json.loads(r["affiliations"])),
            paper_affiliations=paper_affs,
            orcid=r["orcid"],
            openalex_id=r["openalex_id"],
            openreview_id=r["openreview_id"],
            dblp_pid=r["dblp_pid"],
            rors=tuple(json.loads(r["rors"])),
            conference_date=day,
            funders=funders,
            awards=awards,
            coauthors=tuple(n for n in names if n != r["name"]),
        )


@dataclass
class MatchCounts:
    confirmed: int = 0  # links newly confirmed by the machine
    needs_review: int = 0  # links newly sent to review
    rejected: int = 0  # links newly rejected
    changed: int = 0  # machine links whose score or evidence changed
    kept_decided: int = 0  # candidates for links a person decided: left as decided
    second_look: int = 0  # decided links newly flagged because new evidence disagrees
    dropped: int = 0  # machine links no longer proposed


def _evidence_json(c: Candidate) -> str:
    return json.dumps([asdict(e) for e in c.evidence], ensure_ascii=False)


def store_candidates(
    db: sqlite_utils.Database, candidates: Iterable[Candidate], matcher_version: str
) -> MatchCounts:
    """Store a full matching pass. Links a person decided keep their status, score and
    evidence; if the machine now says the opposite they are flagged for a second look.
    Undecided links no longer proposed become rejected ("no longer a candidate")."""
    counts = MatchCounts()
    stamp = now()
    proposed: set[tuple[str, str]] = set()
    with db.atomic():
        for c in candidates:
            proposed.add((c.paper_id, c.person_id))
            old = db.execute(
                """SELECT link_id, status, machine_status, score, evidence, decision_id, second_look
                   FROM links WHERE paper_id = ? AND person_id = ?""",
                [c.paper_id, c.person_id],
            ).fetchone()
            evidence = _evidence_json(c)
            if old is None:
                db["links"].insert(
                    {
                        "paper_id": c.paper_id,
                        "person_id": c.person_id,
                        "mention": c.mention_key,
                        "status": c.status,
                        "machine_status": c.status,
                        "score": round(c.score, 4),
                        "evidence": evidence,
                        "explanation": c.explanation,
                        "matcher_version": matcher_version,
                        "created_at": stamp,
                        "updated_at": stamp,
                    }
                )
                setattr(counts, c.status, getattr(counts, c.status) + 1)
                continue
            link_id, status, machine_status, score, old_evidence, decision_id, second_look = old
            if decision_id is not None:
                counts.kept_decided += 1
                contradicts = (status == "confirmed" and c.status == "rejected") or (
                    status == "rejected" and c.status == "confirmed"
                )
                if contradicts and not second_look:
                    db["links"].update(
                        link_id,
                        {
                            "second_look": f"New evidence disagrees with the staff decision: "
                            f"{c.explanation}",
                            "updated_at": stamp,
                        },
                    )
                    counts.second_look += 1
                continue
            if status != c.status:
                setattr(counts, c.status, getattr(counts, c.status) + 1)
            elif abs(score - c.score) > 1e-4 or old_evidence != evidence:
                counts.changed += 1
            else:
                continue
            db["links"].update(
                link_id,
                {
                    "mention": c.mention_key,
                    "status": c.status,
                    "machine_status": c.status,
                    "score": round(c.score, 4),
                    "evidence": evidence,
                    "explanation": c.explanation,
                    "matcher_version": matcher_version,
                    "updated_at": stamp,
                },
            )
        for link_id, paper_id, person_id in db.execute(
            """SELECT link_id, paper_id, person_id FROM links
               WHERE decision_id IS NULL AND status != 'rejected'"""
        ).fetchall():
            if (paper_id, person_id) not in proposed:
                db["links"].update(
                    link_id,
                    {
                        "status": "rejected",
                        "machine_status": "rejected",
                        "explanation": "Rejected: no longer a candidate after re-matching "
                        "(the roster or the paper's authors changed).",
                        "matcher_version": matcher_version,
                        "updated_at": stamp,
                    },
                )
                counts.dropped += 1
    return counts


def get_link(db: sqlite_utils.Database, link_id: int) -> dict:
    rows = list(db.query("SELECT * FROM links WHERE link_id = ?", [link_id]))
    if not rows:
        raise NotFoundError(f"link {link_id} does not exist; see `papertally review list`")
    return rows[0]


def decide(
    db: sqlite_utils.Database,
    link_id: int,
    action: str,
    by: str,
    reason: str | None = None,
    *,
    expected_decision_id: int | None | object = ...,
) -> dict:
    """Record a staff decision (accept, reject, unsure) or undo the one in force.

    Appends a decisions row (who, when, what, why, and the score and evidence shown) and
    points the link at it. `expected_decision_id`, when passed, is the decision the caller
    saw: if another decision landed since, ConflictError is raised and nothing is written.
    Returns the new decisions row.
    """
    if action not in (*ACTION_STATUS, "undo"):
        raise PapertallyError(f"unknown action {action!r}; use accept, reject, unsure or undo")
    if not by or not by.strip():
        raise PapertallyError("a decision needs the name of the person making it (--by NAME)")
    with db.atomic():
        link = get_link(db, link_id)
        if expected_decision_id is not ... and link["decision_id"] != expected_decision_id:
            last = db.execute(
                "SELECT decided_by, decided_at FROM decisions WHERE decision_id = ?",
                [link["decision_id"]],
            ).fetchone()
            who = f" by {last[0]} at {last[1]}" if last else ""
            raise ConflictError(
                f"link {link_id} was decided{who} a moment ago; reload to see the current state"
            )
        if action == "undo":
            if link["decision_id"] is None:
                raise PapertallyError(f"link {link_id} has no staff decision to undo")
            undone = db.execute(
                "SELECT supersedes FROM decisions WHERE decision_id = ?", [link["decision_id"]]
            ).fetchone()
            restored_id = undone[0]
            if restored_id is None:
                status_after = link["machine_status"]
            else:
                status_after = db.execute(
                    "SELECT status_after FROM decisions WHERE decision_id = ?", [restored_id]
                ).fetchone()[0]
            supersedes, in_force_after = link["decision_id"], restored_id
        else:
            status_after = ACTION_STATUS[action]
            supersedes = link["decision_id"]
            in_force_after = None  # set to the new row below
        row = {
            "link_id": link_id,
            "action": action,
            "status_after": status_after,
            "decided_by": by.strip(),
            "decided_at": now(),
            "reason": reason,
            "score_shown": link["score"],
            "evidence_shown": link["evidence"],
            "supersedes": supersedes,
        }
        decision_id = db["decisions"].insert(row).last_pk
        db["links"].update(
            link_id,
            {
                "status": status_after,
                "decision_id": decision_id if action != "undo" else in_force_after,
                "second_look": None,
                "updated_at": row["decided_at"],
            },
        )
    return {"decision_id": decision_id, **row}


def decision_log(db: sqlite_utils.Database, link_id: int | None = None, limit: int = 200) -> list[dict]:
    sql = """SELECT d.*, l.paper_id, l.person_id FROM decisions d JOIN links l USING (link_id)"""
    args: list = []
    if link_id is not None:
        sql += " WHERE d.link_id = ?"
        args.append(link_id)
    sql += " ORDER BY d.decision_id DESC LIMIT ?"
    return list(db.query(sql, [*args, limit]))


def review_queue(db: sqlite_utils.Database, limit: int | None = None) -> list[dict]:
    """Links waiting for staff, best-scored first, with paper and member context."""
    sql = """SELECT l.link_id, l.score, l.explanation, l.mention, l.second_look, l.status,
                    p.paper_id, p.title, p.venue, p.year, p.doi, p.url,
                    m.person_id, m.family_name, m.given_name, m.name_ja, m.affiliation,
                    pr.theme_id
             FROM links l JOIN papers p USING (paper_id)
             JOIN members m USING (person_id) JOIN projects pr USING (project_id)
             WHERE (l.status = 'needs_review' OR l.second_look IS NOT NULL) AND m.active = 1
             ORDER BY l.score DESC, l.link_id"""
    if limit:
        sql += f" LIMIT {int(limit)}"
    return list(db.query(sql))
