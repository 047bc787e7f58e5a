"""Links between papers and roster members: loading mentions, storing the matcher's
candidates without touching staff decisions, and the append-only decision log."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass

import sqlite_utils

from db.connection import now
from db.enrichment import OK
from matching.enriched import page_one_author
from matching.model import Candidate, Mention
from matching.orgs import org_table
from papertally.errors import NotFoundError, PapertallyError

ACTION_STATUS = {"accept": "confirmed", "reject": "rejected", "unsure": "needs_review"}


# The identifiers a source may print with an author: scheme -> authorships column. The
# schemes a staff rule can name are matching.context.ID_SCHEMES.
AUTHOR_ID_SCHEMES = {
    "orcid": "orcid",
    "openalex": "openalex_id",
    "openreview": "openreview_id",
    "dblp": "dblp_pid",
    "ieee": "ieee_id",
}


class ConflictError(PapertallyError):
    """The link was decided by someone else after the caller last looked at it."""


def load_mentions(
    db: sqlite_utils.Database,
    conference_dates: Mapping[tuple[str, int], dt.date],
    paper_ids: set[str] | None = None,
) -> Iterator[Mention]:
    """Every stored author mention (or those of `paper_ids`), with its paper's context
    (conference date, funding, paper-level affiliations, co-authors). Streams; memory stays
    flat."""
    current_key = None
    rows: list[dict] = []
    where, params = "", []
    if paper_ids is not None:
        # One JSON parameter, not a temporary table: writing one would open a transaction
        # (and hold the write lock) that nothing here commits.
        where = "WHERE a.paper_id IN (SELECT value FROM json_each(?))"
        params = [json.dumps(sorted(paper_ids))]
    sql = f"""SELECT a.*, s.venue, s.year, s.paper_affiliations, s.funders, s.awards
             FROM authorships a JOIN source_records s USING (source, source_id)
             {where}
             ORDER BY a.source, a.source_id, a.position"""
    for row in db.query(sql, params):
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
            ieee_id=r["ieee_id"],
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
    papers_scored: int = 0  # papers whose mentions this pass scored (all on a full pass)
    full_pass: bool = True  # False: only new/changed papers and changed members re-scored


def _evidence_json(c: Candidate) -> str:
    return json.dumps([asdict(e) for e in c.evidence], ensure_ascii=False)


def store_candidates(
    db: sqlite_utils.Database,
    candidates: Iterable[Candidate],
    matcher_version: str,
    papers: set[str] | None = None,
) -> MatchCounts:
    """Store a matching pass: a full one, or (`papers`) one that re-scored only those
    papers against every member. Links a person decided keep their status, score and
    evidence; if the machine now says the opposite they are flagged for a second look.
    Undecided links (of the re-scored papers) no longer proposed become rejected ("no
    longer a candidate")."""
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
            proposal = {
                "mention": c.mention_key,
                "status": c.status,
                "machine_status": c.status,
                "score": round(c.score, 4),
                "evidence": evidence,
                "explanation": c.explanation,
                "matcher_version": matcher_version,
                "updated_at": stamp,
            }
            if old is None:
                db["links"].insert(
                    {"paper_id": c.paper_id, "person_id": c.person_id, "created_at": stamp,
                     **proposal}
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
            db["links"].update(link_id, proposal)
        # Only active members' links: an inactive member's are left as they were (uncounted
        # while inactive), so re-listing the member restores the counts without a re-match.
        for link_id, paper_id, person_id in db.execute(
            """SELECT link_id, paper_id, person_id FROM links
               WHERE decision_id IS NULL AND status != 'rejected'
                 AND person_id IN (SELECT person_id FROM members WHERE active = 1)"""
        ).fetchall():
            if (paper_id, person_id) not in proposed and (papers is None or paper_id in papers):
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


def staff_confirmed_pairs(db: sqlite_utils.Database) -> set[tuple[str, str]]:
    """(paper_id, person_id) of every link a person confirmed, for co-authorship evidence.

    Machine confirmations are left out on purpose: the matcher recomputes them on every
    pass, and stale ones must not keep each other confirmed through co-authorship.
    """
    return {
        (r[0], r[1])
        for r in db.execute(
            "SELECT paper_id, person_id FROM links "
            "WHERE status = 'confirmed' AND decision_id IS NOT NULL"
        )
    }


def get_link(db: sqlite_utils.Database, link_id: int) -> dict:
    rows = list(db.query("SELECT * FROM links WHERE link_id = ?", [link_id]))
    if not rows:
        raise NotFoundError(
            f"link {link_id} does not exist; see `papertally review list`",
            key="error.no_link",
            params={"link_id": link_id},
        )
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
    Returns the new decisions row; a decision the same as the one in force (accepting an
    accepted link) writes nothing and returns the one in force with "repeated": True, so
    that one undo always undoes.
    """
    if action not in (*ACTION_STATUS, "undo"):
        raise PapertallyError(
            f"unknown action {action!r}; use accept, reject, unsure or undo",
            key="error.unknown_decision",
            params={"action": action},
        )
    if not by or not by.strip():
        raise PapertallyError(
            "a decision needs the name of the person making it (--by NAME)",
            key="error.decision_by_required",
        )
    with db.atomic():
        link = get_link(db, link_id)
        if expected_decision_id is not ... and link["decision_id"] != expected_decision_id:
            last = db.execute(
                "SELECT decided_by, decided_at FROM decisions WHERE decision_id = ?",
                [link["decision_id"]],
            ).fetchone()
            who = f" by {last[0]} at {last[1]}" if last else ""
            raise ConflictError(
                f"link {link_id} was decided{who} a moment ago; reload to see the current state",
                key="error.decided_meanwhile" if last else "error.undone_meanwhile",
                params={"link_id": link_id, "who": last[0], "when": last[1]}
                if last
                else {"link_id": link_id},
            )
        if action != "undo" and link["decision_id"] is not None:
            in_force = next(
                db.query("SELECT * FROM decisions WHERE decision_id = ?", [link["decision_id"]])
            )
            if in_force["action"] == action:
                return {**in_force, "repeated": True}
        if action == "undo":
            if link["decision_id"] is None:
                raise PapertallyError(
                    f"link {link_id} has no staff decision to undo",
                    key="error.nothing_to_undo",
                    params={"link_id": link_id},
                )
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


QUEUE_STATUSES = ("pending", "needs_review", "second_look", "confirmed", "rejected", "decided", "all")


def review_queue(
    db: sqlite_utils.Database,
    limit: int | None = None,
    *,
    offset: int = 0,
    status: str | None = None,
    theme: str | None = None,
    venue: str | None = None,
    year: int | None = None,
    person_id: str | None = None,
    short_themes: Iterable[str] | None = None,
) -> list[dict]:
    """Links waiting for staff, with paper, member and staff-decision context.

    With no filters: needs_review links and decided links flagged for a second look,
    best-scored first (the original behaviour). `status` narrows to one of QUEUE_STATUSES
    ("pending" is the default set above; "decided" is every link a person decided).
    `short_themes`, when given, are the themes still short of their target: their links
    come first, then by score. Each row has `short` (1 when its theme is short).
    `limit`/`offset` page the queue in SQL (the web page asks for one page, not all).
    Raises PapertallyError for an unknown status.
    """
    filters = (status, theme, venue, year, person_id, short_themes)
    page = None
    if limit or offset:
        # Sort narrow rows (ids and order keys) to find the page, then read only its rows
        # in full: sorting every whole row (evidence JSON and all) to skip most costs more.
        lean, lean_params = _queue_sql(*filters, lean=True)
        bounds = f" LIMIT {int(limit) if limit else -1} OFFSET {max(int(offset), 0)}"
        page = (lean + bounds, lean_params)
    sql, params = _queue_sql(*filters, page=page)
    return list(db.query(sql, params))


def queue_length(
    db: sqlite_utils.Database,
    *,
    status: str | None = None,
    theme: str | None = None,
    venue: str | None = None,
    year: int | None = None,
    person_id: str | None = None,
) -> int:
    """How many links the queue with these filters holds (for the page count)."""
    sql, params = _queue_sql(status, theme, venue, year, person_id, None, lean=True)
    return db.execute(f"SELECT COUNT(*) FROM ({sql})", params).fetchone()[0]


def queue_position(
    db: sqlite_utils.Database,
    link_id: int,
    *,
    status: str | None = None,
    theme: str | None = None,
    venue: str | None = None,
    year: int | None = None,
    person_id: str | None = None,
    short_themes: Iterable[str] | None = None,
) -> int | None:
    """The 0-based place of `link_id` in the queue with these filters, or None if absent
    (to show the page holding an item without loading the queue)."""
    sql, params = _numbered_queue(status, theme, venue, year, person_id, short_themes)
    row = db.execute(f"SELECT n - 1 FROM ({sql}) WHERE link_id = ?", [*params, link_id]).fetchone()
    return row[0] if row else None


def queue_next_undecided(
    db: sqlite_utils.Database, link_id: int, exclude: Iterable[int] = (), **filters
) -> int | None:
    """The first link after `link_id` in the queue with `filters` (review_queue's keywords)
    that nobody has decided and is not in `exclude` (the nearest before it when none
    follows; from the top when `link_id` is not in the queue), or None. Found in SQL,
    without loading the queue; ask before deciding `exclude`, while the queue holds them."""
    sql, params = _numbered_queue(**filters)
    skip = sorted({int(i) for i in exclude})
    not_in = f"AND link_id NOT IN ({', '.join('?' * len(skip))})" if skip else ""
    row = db.execute(
        f"""WITH q AS ({sql}),
                 here AS (SELECT COALESCE((SELECT n FROM q WHERE link_id = ?), 1) AS at)
            SELECT link_id FROM q, here WHERE decision_id IS NULL {not_in}
            ORDER BY n < at, CASE WHEN n >= at THEN n ELSE -n END LIMIT 1""",
        [*params, link_id, *skip],
    ).fetchone()
    return row[0] if row else None


def _numbered_queue(
    status=None, theme=None, venue=None, year=None, person_id=None, short_themes=None
) -> tuple[str, list]:
    """The queue's link_id and decision_id with n, the 1-based place in its order."""
    sql, params = _queue_sql(status, theme, venue, year, person_id, short_themes, lean=True)
    return (
        "SELECT link_id, decision_id, ROW_NUMBER() OVER "
        f"(ORDER BY short DESC, score DESC, link_id) AS n FROM ({sql})",
        params,
    )


def _queue_sql(
    status, theme, venue, year, person_id, short_themes, *, lean=False, page=None
) -> tuple[str, list]:
    """The review queue's SELECT (ordered) and its parameters: every column, or (`lean`)
    only link_id, score, decision_id and short; `page`, (a lean SELECT, its parameters),
    keeps only the links it lists."""
    status = status or "pending"
    if status not in QUEUE_STATUSES:
        raise PapertallyError(
            f"unknown status {status!r}; use one of {', '.join(QUEUE_STATUSES)}",
            key="error.unknown_status",
            params={"status": status, "known": ", ".join(QUEUE_STATUSES)},
        )
    where = {
        "pending": "(l.status = 'needs_review' OR l.second_look IS NOT NULL)",
        "needs_review": "l.status = 'needs_review'",
        "second_look": "l.second_look IS NOT NULL",
        "confirmed": "l.status = 'confirmed'",
        "rejected": "l.status = 'rejected'",
        "decided": "l.decision_id IS NOT NULL",
        "all": "1 = 1",
    }[status]
    clauses = [where, "m.active = 1"]
    args: list = []
    if page is not None:
        clauses.insert(0, f"l.link_id IN (SELECT link_id FROM ({page[0]}))")
        args.extend(page[1])
    for column, value in (("pr.theme_id", theme), ("p.venue", venue), ("p.year", year),
                          ("m.person_id", person_id)):
        if value not in (None, ""):
            clauses.append(f"{column} = ?")
            args.append(value)
    short = sorted(set(short_themes or ()))
    short_sql = f"CASE WHEN pr.theme_id IN ({', '.join('?' * len(short))}) THEN 1 ELSE 0 END" if short else "0"
    columns = (
        f"l.link_id, l.score, l.decision_id, {short_sql} AS short"
        if lean
        else f"""l.link_id, l.score, l.explanation, l.mention, l.second_look, l.status,
                    l.machine_status, l.decision_id, l.evidence,
                    p.paper_id, p.title, p.venue, p.year, p.track, p.doi, p.url,
                    m.person_id, m.family_name, m.given_name, m.name_ja, m.affiliation,
                    pr.theme_id, {short_sql} AS short,
                    d.decided_by, d.decided_at, d.action AS decision_action, d.reason AS decision_reason"""
    )
    sql = f"""SELECT {columns}
             FROM links l JOIN papers p USING (paper_id)
             JOIN members m USING (person_id) JOIN projects pr USING (project_id)
             LEFT JOIN decisions d ON d.decision_id = l.decision_id
             WHERE {' AND '.join(clauses)}
             ORDER BY short DESC, l.score DESC, l.link_id"""
    return sql, [*short, *args]


def parse_mention_key(key: str) -> tuple[str, str, int]:
    """("<source>", "<source_id>", position) from "<source>:<source_id>#<position>"."""
    source, _, rest = key.partition(":")
    source_id, _, position = rest.rpartition("#")
    try:
        return source, source_id, int(position)
    except ValueError:
        raise PapertallyError(
            f"mention key {key!r} is not <source>:<source_id>#<position>",
            key="error.bad_mention_key",
            params={"mention": key},
        ) from None


def mention_authorship(db: sqlite_utils.Database, key: str) -> dict | None:
    """The author exactly as printed (authorships row) behind a link's mention key, with the
    source record's URL and paper-level affiliations; None if the source dropped it."""
    source, source_id, position = parse_mention_key(key)
    rows = list(
        db.query(
            """SELECT a.*, s.url AS source_url, s.paper_affiliations, s.funders, s.awards
               FROM authorships a JOIN source_records s USING (source, source_id)
               WHERE a.source = ? AND a.source_id = ? AND a.position = ?""",
            [source, source_id, position],
        )
    )
    return rows[0] if rows else None


def link_detail(db: sqlite_utils.Database, link_id: int) -> dict:
    """Everything a reviewer needs about one link: the link, paper, member (with project and
    theme), the printed author, all authors of the paper, the evidence list and the
    decision history. Raises NotFoundError for an unknown link."""
    link = get_link(db, link_id)
    paper = next(iter(db.query("SELECT * FROM papers WHERE paper_id = ?", [link["paper_id"]])))
    member = next(
        iter(
            db.query(
                """SELECT m.*, pr.theme_id, t.theme_name FROM members m
                   JOIN projects pr USING (project_id) JOIN themes t USING (theme_id)
                   WHERE m.person_id = ?""",
                [link["person_id"]],
            )
        )
    )
    return {
        "link": link,
        "evidence": json.loads(link["evidence"] or "[]"),
        "paper": paper,
        "sources": list(
            db.query(
                "SELECT source, source_id, url FROM source_records WHERE paper_id = ? ORDER BY source",
                [link["paper_id"]],
            )
        ),
        "member": member,
        "mention": mention_authorship(db, link["mention"]),
        "history": decision_log(db, link_id),
    }


def paper_authors(db: sqlite_utils.Database, mention_key: str) -> list[dict]:
    """Every author of the mention's source record as printed, in order, each with
    `affiliations` (a list; taken from another source of the same paper that prints the
    same name at the same position when this one prints none), `from_source` (where those
    came from) and `is_mention` (1 for the author the link is about)."""
    source, source_id, position = parse_mention_key(mention_key)
    rows = list(
        db.query(
            """SELECT a.*, s.source AS from_source FROM authorships a
               JOIN source_records s USING (source, source_id)
               WHERE a.source = ? AND a.source_id = ? ORDER BY a.position""",
            [source, source_id],
        )
    )
    if not rows:
        return []
    others = [
        r
        for r in db.query(
            """SELECT position, name, affiliations, source FROM authorships
               WHERE paper_id = ? AND NOT (source = ? AND source_id = ?)
                 AND affiliations != '[]'""",
            [rows[0]["paper_id"], source, source_id],
        )
    ]
    out = []
    for r in rows:
        affs = json.loads(r["affiliations"] or "[]")
        came_from = r["from_source"] if affs else None
        if not affs:
            for o in others:
                if o["position"] == r["position"] and o["name"].casefold() == r["name"].casefold():
                    affs, came_from = json.loads(o["affiliations"]), o["source"]
                    break
        out.append(
            {**r, "affiliations": affs, "from_source": came_from, "is_mention": int(r["position"] == position)}
        )
    return out


def papers_with_coauthors(
    db: sqlite_utils.Database, person_id: str, paper_id: str, names: Iterable[str]
) -> list[dict]:
    """The member's other linked papers (any status but rejected) that print at least one of
    `names` (the co-authors of this paper, compared case-insensitively), most shared first;
    each with `shared` (the names in common) and the link's status."""
    # SQLite's lower() folds ASCII letters only: fold the names the same way.
    folded = sorted({"".join(c.lower() if c.isascii() else c for c in n) for n in names if n})
    if not folded:
        return []
    marks = ", ".join("?" * len(folded))
    return [
        {**r, "shared": r["shared"].split("\x1f")}
        for r in db.query(
            f"""SELECT p.paper_id, p.title, p.venue, p.year, l.link_id, l.status,
                       count(DISTINCT lower(a.name)) AS n_shared,
                       (SELECT group_concat(name, char(31)) FROM (
                           SELECT DISTINCT a2.name FROM authorships a2
                           WHERE a2.paper_id = p.paper_id AND lower(a2.name) IN ({marks})
                       )) AS shared
                FROM links l JOIN papers p USING (paper_id)
                JOIN authorships a ON a.paper_id = l.paper_id AND lower(a.name) IN ({marks})
                WHERE l.person_id = ? AND l.paper_id != ? AND l.status != 'rejected'
                GROUP BY l.link_id
                ORDER BY n_shared DESC, p.year DESC, p.title""",
            [*folded, *folded, person_id, paper_id],
        )
    ]


def confirmed_papers(db: sqlite_utils.Database, person_id: str, limit: int = 20) -> list[dict]:
    """A member's confirmed papers, newest first, for comparison while reviewing."""
    return list(
        db.query(
            """SELECT p.paper_id, p.title, p.venue, p.year, p.doi, l.link_id, l.mention
               FROM links l JOIN papers p USING (paper_id)
               WHERE l.person_id = ? AND l.status = 'confirmed'
               ORDER BY p.year DESC, p.venue, p.title LIMIT ?""",
            [person_id, limit],
        )
    )


def _undecided_links_of(db: sqlite_utils.Database, person_id: str, mention_keys: set[str]) -> list[int]:
    if not mention_keys:
        return []
    return [
        r["link_id"]
        for r in db.query(
            """SELECT link_id, mention FROM links
               WHERE person_id = ? AND status = 'needs_review' AND decision_id IS NULL
               ORDER BY link_id""",
            [person_id],
        )
        if r["mention"] in mention_keys
    ]


def _page_one_authors(db: sqlite_utils.Database, paper_ids: Iterable[str]) -> dict[str, list]:
    """paper_id -> the authors page 1 of its full text prints (the enrich step's reading),
    for the papers that have one; one query."""
    ids = sorted(set(paper_ids))
    return {
        r["paper_id"]: json.loads(r["data"] or "{}").get("authors") or []
        for r in db.query(
            """SELECT paper_id, data FROM enrichments WHERE kind = 'fulltext' AND status = ?
               AND paper_id IN (SELECT value FROM json_each(?))""",
            [OK, json.dumps(ids)],
        )
    }


def _mention_orgs(authorship: Mapping, page_one: Mapping[str, list]) -> frozenset[str]:
    """The organisations (ids of matching's organisation table) a mention's printed
    affiliations resolve to: the source's own, else what page 1 of the full text prints
    beside its byline place when the name there agrees."""
    affs = tuple(json.loads(authorship["affiliations"] or "[]"))
    if not affs:
        printed = page_one_author(
            page_one.get(authorship["paper_id"], ()), authorship["name"], authorship["position"]
        )
        affs = tuple((printed or {}).get("affiliations") or ())
    return org_table().resolve_all(affs) if affs else frozenset()


def bulk_groups(db: sqlite_utils.Database, link_id: int) -> list[dict]:
    """Undecided links of the same member that share this link's evidence, for bulk
    decisions, one group per shared thing: each identifier the source prints with the
    author (`id:<scheme>`: ORCID, OpenAlex, OpenReview profile, dblp, IEEE author id),
    the organisation(s) the printed affiliation resolves to in the organisation table
    (`org`: "Bunkyo-ku, Tokyo, Japan" and "Tokyo, Japan" of one university agree; page 1
    of the full text when no source prints the author's own), else the same printed name
    and affiliation string (`name_org`). Each group is {"group",
    "kind", "scheme", "value", "link_ids"} with this link among link_ids when undecided;
    only groups of two or more links are returned."""
    link = get_link(db, link_id)
    mention = mention_authorship(db, link["mention"])
    if mention is None:
        return []
    key_sql = "SELECT source || ':' || source_id || '#' || position FROM authorships WHERE "
    groups: list[dict] = []
    for scheme, column in AUTHOR_ID_SCHEMES.items():
        if mention[column]:
            keys = {r[0] for r in db.execute(key_sql + f"{column} = ?", [mention[column]])}
            groups.append(
                {"group": f"id:{scheme}", "kind": "id", "scheme": scheme,
                 "value": mention[column],
                 "link_ids": _undecided_links_of(db, link["person_id"], keys)}
            )
    orgs = _mention_orgs(mention, _page_one_authors(db, [mention["paper_id"]]))
    if orgs:
        undecided = list(db.query(
            """SELECT l.link_id, a.paper_id, a.position, a.name, a.affiliations
               FROM links l JOIN authorships a
               ON l.mention = a.source || ':' || a.source_id || '#' || a.position
               WHERE l.person_id = ? AND l.status = 'needs_review' AND l.decision_id IS NULL
               ORDER BY l.link_id""",
            [link["person_id"]],
        ))
        page_one = _page_one_authors(db, (r["paper_id"] for r in undecided))
        table = org_table()
        groups.append(
            {"group": "org", "kind": "org", "scheme": None,
             "value": "; ".join(sorted(table.name(o) for o in orgs)),
             "link_ids": [r["link_id"] for r in undecided if _mention_orgs(r, page_one) == orgs]}
        )
    elif json.loads(mention["affiliations"] or "[]"):
        keys = {
            r[0]
            for r in db.execute(
                key_sql + "name = ? AND affiliations = ?", [mention["name"], mention["affiliations"]]
            )
        }
        groups.append(
            {"group": "name_org", "kind": "name_org", "scheme": None,
             "value": f"{mention['name']} @ {'; '.join(json.loads(mention['affiliations']))}",
             "link_ids": _undecided_links_of(db, link["person_id"], keys)}
        )
    return [g for g in groups if len(g["link_ids"]) > 1]


def decide_many(
    db: sqlite_utils.Database, link_ids: Iterable[int], action: str, by: str, reason: str | None = None
) -> tuple[list[dict], list[int]]:
    """Apply one decision to several links in one transaction (a bulk decision). Links a
    person decided meanwhile are skipped, never overwritten. Returns (decisions written,
    link_ids skipped)."""
    written: list[dict] = []
    skipped: list[int] = []
    with db.atomic():
        for link_id in link_ids:
            link = get_link(db, link_id)
            if link["decision_id"] is not None:
                skipped.append(link_id)
                continue
            written.append(decide(db, link_id, action, by, reason, expected_decision_id=None))
    return written, skipped


def record_bulk(
    db: sqlite_utils.Database,
    decisions: list[dict],
    *,
    grouped_by: str,
    value: str,
    from_link_id: int,
    reason: str,
) -> int | None:
    """Name `decisions` (rows written by decide_many) as one bulk decision, so that one
    undo takes them all back; returns its bulk_id (None when nothing was written)."""
    if not decisions:
        return None
    first = decisions[0]
    with db.atomic():
        bulk_id = db["review_bulks"].insert(
            {
                "action": first["action"],
                "grouped_by": grouped_by,
                "value": value or "",
                "from_link_id": from_link_id,
                "decided_by": first["decided_by"],
                "decided_at": first["decided_at"],
                "reason": reason,
            }
        ).last_pk
        db["review_bulk_decisions"].insert_all(
            {"bulk_id": bulk_id, "decision_id": d["decision_id"]} for d in decisions
        )
    return bulk_id


def bulk_of(db: sqlite_utils.Database, decision_id: int | None) -> int | None:
    """The bulk decision `decision_id` was part of, or None."""
    if decision_id is None:
        return None
    row = db.execute(
        "SELECT bulk_id FROM review_bulk_decisions WHERE decision_id = ?", [decision_id]
    ).fetchone()
    return row[0] if row else None


def undo_bulk(
    db: sqlite_utils.Database, bulk_id: int, by: str, reason: str | None = None
) -> list[int]:
    """Undo every decision of bulk `bulk_id` that is still in force (one undo row per
    link, as a single undo would write); links decided again since are left alone.
    Returns the link_ids undone."""
    undone = []
    with db.atomic():
        for link_id, decision_id in db.execute(
            """SELECT d.link_id, d.decision_id FROM review_bulk_decisions b
               JOIN decisions d USING (decision_id) JOIN links l ON l.link_id = d.link_id
               WHERE b.bulk_id = ? AND l.decision_id = d.decision_id ORDER BY d.link_id""",
            [bulk_id],
        ).fetchall():
            decide(db, link_id, "undo", by, reason, expected_decision_id=decision_id)
            undone.append(link_id)
    return undone


def queue_facets(db: sqlite_utils.Database) -> dict:
    """Values for the queue filters: themes, venues, years and members that have links."""
    return {
        "themes": list(
            db.query(
                """SELECT DISTINCT t.theme_id, t.theme_name FROM themes t
                   JOIN projects pr USING (theme_id) JOIN members m USING (project_id)
                   WHERE m.active = 1 ORDER BY t.theme_id"""
            )
        ),
        "venues": [r[0] for r in db.execute(
            "SELECT DISTINCT p.venue FROM links l JOIN papers p USING (paper_id) ORDER BY 1")],
        "years": [r[0] for r in db.execute(
            "SELECT DISTINCT p.year FROM links l JOIN papers p USING (paper_id) ORDER BY 1 DESC")],
        "members": list(
            db.query(
                """SELECT DISTINCT m.person_id, m.family_name, m.given_name, m.name_ja
                   FROM members m JOIN links l USING (person_id) WHERE m.active = 1
                   ORDER BY m.family_name, m.given_name"""
            )
        ),
    }
