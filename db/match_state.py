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


def save(db: sqlite_utils.Database, state: dict[str, dict[str, str]]) -> None:
    """Replace the stored state with `state` (one transaction)."""
    with db.atomic():
        db.execute("DELETE FROM match_state")
        db.conn.executemany(
            "INSERT INTO match_state (kind, key, fingerprint) VALUES (?, ?, ?)",
            [(kind, key, fp) for kind, keys in state.items() for key, fp in keys.items()],
        )


def paper_fingerprints(db: sqlite_utils.Database) -> dict[str, str]:
    """paper_id -> digest of what its mentions are made of: every source record's content
    hash (authors, affiliations, ids, title) with its venue-year."""
    parts: dict[str, list] = {}
    for paper_id, source, source_id, content_hash, venue, year in db.execute(
        "SELECT paper_id, source, source_id, content_hash, venue, year FROM source_records"
    ):
        parts.setdefault(paper_id, []).append((source, source_id, content_hash, venue, year))
    return {p: fingerprint(sorted(v)) for p, v in parts.items()}


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
