"""Storing the roster (themes, projects, members) and reading it back as matching Persons."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass

import sqlite_utils

from db.connection import now
from matching.model import Person


@dataclass(frozen=True)
class RosterRow:
    """One checked member row of the roster CSV (`line`: its line in the file)."""

    line: int
    theme_id: str
    theme_name: str
    project_id: str
    person_id: str
    family_name: str
    given_name: str | None
    name_ja: str | None
    aliases: tuple[str, ...]
    affiliation: str
    affiliation_aliases: tuple[str, ...]
    orcid: str | None
    openalex_id: str | None
    start_date: dt.date | None
    end_date: dt.date | None


@dataclass
class RosterChange:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0


def import_roster(db: sqlite_utils.Database, rows: Sequence[RosterRow]) -> RosterChange:
    """Apply a checked roster in one transaction: update in place by person_id.

    Members missing from the new file are deactivated (kept, with their links and staff
    decisions), never deleted; they come back if a later file lists them again.
    """
    change = RosterChange()
    stamp = now()
    with db.atomic():
        for row in rows:
            name = row.theme_name or row.theme_id
            db["themes"].upsert({"theme_id": row.theme_id, "theme_name": name}, pk="theme_id")
            db["projects"].upsert(
                {"project_id": row.project_id, "theme_id": row.theme_id}, pk="project_id"
            )
        for row in rows:
            record = {
                "project_id": row.project_id,
                "family_name": row.family_name,
                "given_name": row.given_name,
                "name_ja": row.name_ja,
                "aliases": json.dumps(list(row.aliases), ensure_ascii=False),
                "affiliation": row.affiliation,
                "affiliation_aliases": json.dumps(list(row.affiliation_aliases), ensure_ascii=False),
                "orcid": row.orcid,
                "openalex_id": row.openalex_id,
                "start_date": row.start_date.isoformat() if row.start_date else None,
                "end_date": row.end_date.isoformat() if row.end_date else None,
                "active": 1,
            }
            old = db.execute(
                "SELECT * FROM members WHERE person_id = ?", [row.person_id]
            ).fetchone()
            if old is None:
                db["members"].insert({"person_id": row.person_id, "imported_at": stamp, **record})
                change.added += 1
                continue
            cols = [d[0] for d in db.execute("SELECT * FROM members LIMIT 0").description]
            current = dict(zip(cols, old))
            if any(current[k] != v for k, v in record.items()):
                db["members"].update(row.person_id, {**record, "imported_at": stamp})
                change.updated += 1
            else:
                change.unchanged += 1
        listed = {r.person_id for r in rows}
        for (pid,) in db.execute("SELECT person_id FROM members WHERE active = 1").fetchall():
            if pid not in listed:
                db["members"].update(pid, {"active": 0, "imported_at": stamp})
                change.deactivated += 1
    return change


def list_members(db: sqlite_utils.Database, *, include_inactive: bool = False) -> list[dict]:
    where = "" if include_inactive else "WHERE m.active = 1"
    return list(
        db.query(
            f"""SELECT p.theme_id, t.theme_name, m.project_id, m.person_id, m.family_name,
                       m.given_name, m.name_ja, m.affiliation, m.orcid, m.openalex_id,
                       m.start_date, m.end_date, m.active
                FROM members m JOIN projects p USING (project_id) JOIN themes t USING (theme_id)
                {where}
                ORDER BY p.theme_id, m.project_id, m.person_id"""
        )
    )


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def person_of(row: RosterRow) -> Person:
    """A checked roster row as the matching Person it describes."""
    return Person(
        person_id=row.person_id,
        project_id=row.project_id,
        theme_id=row.theme_id,
        family_name=row.family_name,
        given_name=row.given_name,
        name_ja=row.name_ja,
        aliases=row.aliases,
        affiliation=row.affiliation,
        affiliation_aliases=row.affiliation_aliases,
        orcid=row.orcid,
        openalex_id=row.openalex_id,
        start_date=row.start_date,
        end_date=row.end_date,
    )


def load_persons(db: sqlite_utils.Database) -> list[Person]:
    """Active roster members as matching Persons."""
    return [
        Person(
            person_id=r["person_id"],
            project_id=r["project_id"],
            theme_id=r["theme_id"],
            family_name=r["family_name"],
            given_name=r["given_name"],
            name_ja=r["name_ja"],
            aliases=tuple(json.loads(r["aliases"])),
            affiliation=r["affiliation"],
            affiliation_aliases=tuple(json.loads(r["affiliation_aliases"])),
            orcid=r["orcid"],
            openalex_id=r["openalex_id"],
            start_date=_date(r["start_date"]),
            end_date=_date(r["end_date"]),
        )
        for r in db.query(
            """SELECT m.*, p.theme_id FROM members m JOIN projects p USING (project_id)
               WHERE m.active = 1 ORDER BY m.person_id"""
        )
    ]


def themes(db: sqlite_utils.Database) -> list[dict]:
    """Themes with at least one active member, in ID order."""
    return list(
        db.query(
            """SELECT DISTINCT t.theme_id, t.theme_name FROM themes t
               JOIN projects p USING (theme_id) JOIN members m USING (project_id)
               WHERE m.active = 1 ORDER BY t.theme_id"""
        )
    )
