"""Staff rules for the matcher: adding one from an item, the rules page, switching one off."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from db import links as links_db
from db import rules as rules_db
from matching.context import ID_SCHEMES
from papertally.i18n import translate
from review.web import (
    MAX_REASON,
    Db,
    Form,
    PageError,
    User,
    back_to_queue,
    flash,
    reason_of,
    render,
)

router = APIRouter()


@router.post("/links/{link_id}/rules")
def add_rule(request: Request, link_id: int, form: Form, user: User, db: Db):
    kind = form.get("kind")
    reason = reason_of(form, required=True)
    if form.get("confirm") != "yes":
        raise PageError(400, "error.confirm_required")
    link = links_db.get_link(db, link_id)
    mention = links_db.mention_authorship(db, link["mention"]) or {}
    # The value comes from the stored mention, not from the form: a rule can only say
    # what the item shows.
    if kind in ("id_is", "id_is_not"):
        scheme = form.get("scheme") or ""
        column = links_db.AUTHOR_ID_SCHEMES.get(scheme) if scheme in ID_SCHEMES else None
        if column is None or not mention.get(column):
            raise PageError(400, "error.no_identifier", scheme=scheme)
        value = mention[column]
    elif kind == "never_at_org":
        orgs = json.loads(mention.get("affiliations") or "[]")
        value = form.get("value") or ""
        if value not in orgs:
            raise PageError(400, "error.org_not_printed")
        scheme = None
    else:
        raise PageError(400, "error.unknown_rule_kind", kind=kind)
    rule_id = rules_db.add_rule(
        db,
        kind,
        link["person_id"],
        value,
        scheme=scheme,
        by=user.name,
        reason=reason,
        from_link_id=link_id,
    )
    flash(request, "ok", translate(user.lang, "flash.rule", rule_id=rule_id))
    return back_to_queue(form, link_id)


@router.get("/rules", response_class=HTMLResponse)
def rules_page(request: Request, user: User, db: Db):
    return render(
        request,
        "rules.html",
        user.lang,
        user=user,
        rules=rules_db.list_rules(db, include_inactive=True),
        max_reason=MAX_REASON,
    )


@router.post("/rules/{rule_id}/off")
def rule_off(request: Request, rule_id: int, form: Form, user: User, db: Db):
    """Withdraw a rule: with a reason and a confirmation, kept as a new audited row."""
    reason = reason_of(form, required=True)
    if form.get("confirm") != "yes":
        raise PageError(400, "error.confirm_required")
    rules_db.withdraw_rule(db, rule_id, by=user.name, reason=reason)
    flash(request, "ok", translate(user.lang, "flash.rule_off", rule_id=rule_id))
    return RedirectResponse("/rules", status_code=303)
