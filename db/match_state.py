"""What the last matching pass scored, so the next one re-scores only what changed: the
matching context, each member and each paper, as fingerprints."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable

import sqlite_utils
from sqlite_utils import Migrations

match_state = Migrations("papertally.match_state")


@match_state()
def m0001_match_state(db: sqlite_utils.Database) -> None:
    db.execute(
        """
        CREATE TABLE match_state (
            kind TEXT NOT NULL,          -- context | person | paper
            key TEXT NOT NULL,           -- "all" | person_id | paper_id
            fingerprint TEXT NOT NULL,
            PRIMARY KEY (kind, key)
        )"""
    )


def fingerprint(value: object) -> str:
    """A short stable digest of a JSON-able value (sorted keys; other values by repr)."""
    text = json.dumps(value, sort_keys=True, default=repr, ensure_ascii=False)
    return hashlib.blake2b(text.encode("utf-8"), digest_size=12).hexdigest()


def load(db: sqlite_utils.Database) -> dict[str, dict[str, str]]:
    """{kind: {key: fingerprint}} as the last pass left it ({} before any pass)."""
    out: dict[str, dict[str, str]] = {}
    for kind, key, fp in db.execute("SELECT kind, key, fingerprint FROM match_state"):
        out.setdefault(kind, {})[key] = fp
    return out


def save(
    db: sqlite_utils.Database,
    state: dict[str, dict[str, str]],
    before: dict[str, dict[str, str]] | None = None,
) -> None:
    """Make the stored state `state` (one transaction), writing only the rows that differ
    from `before` (what load() returned): a quiet night writes nothing."""
    before = before or {}
    gone = [
        (kind, key)
        for kind, keys in before.items()
        for key in keys
        if key not in state.get(kind, {})
    ]
    changed = [
        (kind, key, fp)
        for kind, keys in state.items()
        for key, fp in keys.items()
        if before.get(kind, {}).get(key) != fp
    ]
    if not gone and not changed:
        return
    with db.atomic():
        db.conn.executemany("DELETE FROM match_state WHERE kind = ? AND key = ?", gone)
        db.conn.executemany(
            "INSERT OR REPLACE INTO match_state (kind, key, fingerprint) VALUES (?, ?, ?)",
            changed,
        )


def paper_fingerprints(db: sqlite_utils.Database) -> dict[str, str]:
    """paper_id -> what its mentions are made of: every source record's content hash
    (authors, affiliations, ids, title) with its venue-year, in one string."""
    return {
        paper_id: parts
        for paper_id, parts in db.execute(
            """SELECT paper_id, group_concat(part, '|') FROM (
                 SELECT paper_id, source || ':' || source_id || ':' || content_hash || ':' ||
                        venue || ':' || year AS part
                 FROM source_records ORDER BY paper_id, source, source_id)
               GROUP BY paper_id"""
        )
    }


def papers_linked_to(db: sqlite_utils.Database, person_ids: Iterable[str]) -> set[str]:
    """The papers with any link (of any status) to these members."""
    ids = list(person_ids)
    out: set[str] = set()
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        out.update(
            r[0]
            for r in db.execute(
                f"SELECT DISTINCT paper_id FROM links WHERE person_id IN ({','.join('?' * len(chunk))})",
                chunk,
            )
        )
    return out


def all_names(db: sqlite_utils.Database) -> Iterable[str]:
    """Every printed author name (for how common a family name is)."""
    return (r[0] for r in db.execute("SELECT name FROM authorships"))
