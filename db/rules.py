"""Staff rules for the matcher (this ORCID is / is not this member, never at this
organisation): stored, switched off, and read back as matching Rules."""

from __future__ import annotations

import sqlite_utils

from db.connection import now
from matching.context import ID_SCHEMES, Rule
from papertally.errors import NotFoundError, PapertallyError

RULE_KINDS = ("id_is", "id_is_not", "never_at_org")


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
            f"unknown rule kind {kind!r}; use one of {', '.join(RULE_KINDS)}",
            key="error.unknown_rule_kind",
            params={"kind": kind},
        )
    if kind == "never_at_org":
        scheme = None
    elif scheme not in ID_SCHEMES:
        raise PapertallyError(
            f"identifier type {scheme!r} is not one of {', '.join(ID_SCHEMES)}",
            key="error.rule_scheme",
            params={"scheme": scheme, "known": ", ".join(ID_SCHEMES)},
        )
    if not value:
        raise PapertallyError(
            "a rule needs a value (the identifier or the organisation)",
            key="error.rule_value_required",
        )
    if not by or not by.strip():
        raise PapertallyError(
            "a rule needs the name of the person adding it", key="error.rule_by_required"
        )
    with db.atomic():
        if not db.execute(
            "SELECT 1 FROM members WHERE person_id = ?", [person_id]
        ).fetchone():
            raise NotFoundError(
                f"member {person_id!r} is not in the roster",
                key="error.no_member",
                params={"person_id": person_id},
            )
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
                f"rule {rule_id} does not exist or is already switched off",
                key="error.no_active_rule",
                params={"rule_id": rule_id},
            )


def withdraw_rule(db: sqlite_utils.Database, rule_id: int, *, by: str, reason: str) -> None:
    """Withdraw an active rule: a new audited row (who, when, why) and the rule no longer
    applies from the next matching run. Raises NotFoundError if there is no such active
    rule, PapertallyError without a reason."""
    reason = (reason or "").strip()
    if not reason:
        raise PapertallyError(
            "withdrawing a rule needs a reason", key="error.withdraw_reason_required"
        )
    with db.atomic():
        deactivate_rule(db, rule_id, by=by)
        db["review_rule_withdrawals"].insert(
            {"rule_id": rule_id, "withdrawn_by": by, "withdrawn_at": now(), "reason": reason}
        )


def list_rules(
    db: sqlite_utils.Database, *, include_inactive: bool = False
) -> list[dict]:
    """Rules with the member's name, newest first."""
    where = "" if include_inactive else "WHERE r.active = 1"
    return list(
        db.query(
            f"""SELECT r.*, m.family_name, m.given_name, m.name_ja,
                       w.reason AS withdrawn_reason
                FROM review_rules r JOIN members m USING (person_id)
                LEFT JOIN review_rule_withdrawals w USING (rule_id)
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
