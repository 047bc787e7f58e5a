"""The queue and its items: the list, one item's evidence, decisions, undo, bulk decisions."""

from __future__ import annotations

import datetime as dt
import math
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.exceptions import HTTPException

from db import links as links_db
from matching.context import ID_SCHEMES
from papertally.i18n import translate
from review.service import short_themes
from review.web import (
    Db,
    Form,
    User,
    back_to_queue,
    flash,
    int_or_none,
    queue_query,
    render,
    state,
)

router = APIRouter()


def page_numbers(current: int, last: int, around: int = 2) -> list[int | None]:
    """The page links to show: the first, the last and `around` either side of `current`,
    with None where pages are left out."""
    keep = {1, last, *range(current - around, current + around + 1)}
    out: list[int | None] = []
    for n in sorted(k for k in keep if 1 <= k <= last):
        if out and n - out[-1] > 1:
            out.append(None)
        out.append(n)
    return out


@router.get("/")
def home(user: User):
    return RedirectResponse("/queue", status_code=303)


@router.get("/queue", response_class=HTMLResponse)
def queue(
    request: Request,
    user: User,
    db: Db,
    theme: str | None = None,
    venue: str | None = None,
    year: str | None = None,
    member: str | None = None,
    status: str | None = None,
    item: str | None = None,
    page: str | None = None,
):
    settings = state(request).settings
    if status and status not in links_db.QUEUE_STATUSES:
        raise HTTPException(
            400,
            f"unknown status '{status}'; use one of {', '.join(links_db.QUEUE_STATUSES)}",
        )
    filters = queue_query(
        {"theme": theme, "venue": venue, "year": year, "member": member, "status": status}
    )
    short = short_themes(db, settings)
    rows = links_db.review_queue(
        db,
        status=status or None,
        theme=theme or None,
        venue=venue or None,
        year=int_or_none(year),
        person_id=member or None,
        short_themes=short,
    )
    size = settings.review.page_size
    last_page = max(1, math.ceil(len(rows) / size))
    ids = [r["link_id"] for r in rows]
    position = {link_id: i for i, link_id in enumerate(ids)}
    page_no = int_or_none(page)
    if page_no is not None and page_no < 1:
        raise HTTPException(400, f"page {page_no} does not exist; pages start at 1")
    item_id = int_or_none(item)
    notice = None
    if item_id in position:
        # The list shows the page holding the item (it moves as others are decided).
        page_no = position[item_id] // size + 1
    elif page_no is None:
        page_no = 1
    elif page_no > last_page:
        notice = translate(user.lang, "queue.no_such_page", page=page_no, last=last_page)
        page_no = last_page
    first = (page_no - 1) * size
    shown = rows[first : first + size]
    if item_id is None and shown:
        item_id = shown[0]["link_id"]
    detail = similar = confirmed = None
    next_id = prev_id = None
    if item_id is not None:
        detail = links_db.link_detail(db, item_id)
        similar = links_db.similar_links(db, item_id)
        confirmed = [
            p
            for p in links_db.confirmed_papers(db, detail["member"]["person_id"])
            if p["link_id"] != item_id
        ]
        # Next and previous run through the whole queue, across pages.
        if item_id in position:
            i = position[item_id]
            next_id = ids[i + 1] if i + 1 < len(ids) else None
            prev_id = ids[i - 1] if i > 0 else None

    def page_url(n: int) -> str:
        return "/queue?" + urlencode({**filters, "page": n})

    def item_url(link_id: int | None) -> str:
        return "/queue?" + urlencode({**filters, "item": link_id}) if link_id else ""

    return render(
        request,
        "queue.html",
        user.lang,
        user=user,
        rows=shown,
        total=len(rows),
        first=first + 1,
        last=first + len(shown),
        page=page_no,
        last_page=last_page,
        pages=page_numbers(page_no, last_page),
        page_url=page_url,
        item_url=item_url,
        notice=notice,
        filters=filters,
        kept={**filters, "page": page_no},
        facets=links_db.queue_facets(db),
        statuses=links_db.QUEUE_STATUSES,
        id_schemes=links_db.AUTHOR_ID_SCHEMES,
        rule_schemes=ID_SCHEMES,
        short=short,
        current_fy=settings.fiscal_year_of(dt.date.today()),
        item=detail,
        similar=similar,
        confirmed=confirmed,
        next_id=next_id,
        prev_id=prev_id,
        recent=links_db.recent_decisions(db, limit=6),
    )


def seen_decision(form: dict) -> int | None:
    return int_or_none(form.get("seen_decision"))


def check_unchanged(db, link_id: int, form: dict) -> None:
    """Refuse a decision on evidence the reviewer did not see: the form carries the
    link's version (updated_at) as shown; a re-match or a second-look flag since then
    changes it. (A decision by someone else is reported by links_db.decide itself.)"""
    shown = form.get("seen_version")
    link = links_db.get_link(db, link_id)
    if not shown or link["decision_id"] != seen_decision(form):
        return
    if link["updated_at"] != shown:
        raise links_db.ConflictError(
            f"link {link_id} was re-scored by the matcher at {link['updated_at']}, "
            "after you opened it; reload to see the new score and evidence"
        )


@router.post("/links/{link_id}/decide")
def decide(request: Request, link_id: int, form: Form, user: User, db: Db):
    action = form.get("action")
    if action not in ("accept", "reject", "unsure"):
        raise HTTPException(400, f"unknown action '{action}'; use accept, reject or unsure")
    reason = (form.get("reason") or "").strip() or None
    with db.atomic():
        check_unchanged(db, link_id, form)
        links_db.decide(
            db, link_id, action, user.name, reason, expected_decision_id=seen_decision(form)
        )
    flash(request, "ok", translate(user.lang, f"flash.{action}", link_id=link_id))
    return back_to_queue(form, int_or_none(form.get("next_id")))


@router.post("/links/{link_id}/undo")
def undo(request: Request, link_id: int, form: Form, user: User, db: Db):
    with db.atomic():
        links_db.decide(
            db,
            link_id,
            "undo",
            user.name,
            (form.get("reason") or "").strip() or None,
            expected_decision_id=seen_decision(form),
        )
    flash(request, "ok", translate(user.lang, "flash.undo", link_id=link_id))
    return back_to_queue(form, link_id)


@router.post("/links/{link_id}/bulk")
def bulk(request: Request, link_id: int, form: Form, user: User, db: Db):
    action, group = form.get("action"), form.get("group")
    if action not in ("accept", "reject") or group not in ("orcid", "name_org"):
        raise HTTPException(
            400, "bulk decisions need action accept|reject and group orcid|name_org"
        )
    try:
        shown = {int(x) for x in (form.get("link_ids") or "").split(",") if x.strip()}
    except ValueError:
        raise HTTPException(400, "link_ids must be a comma-separated list of numbers") from None
    reason = (form.get("reason") or "").strip() or None
    with db.atomic():
        found = links_db.similar_links(db, link_id).get(group) or {}
        now_group = found.get("link_ids", [])
        # The audit row says it was a bulk decision and on which shared evidence.
        label = {"orcid": "same ORCID", "name_org": "same printed name and organisation"}[
            group
        ]
        reason = (
            f"{reason + ' ' if reason else ''}"
            f"[bulk from #{link_id}: {label} {found.get('value', '')}]"
        )
        # Only what the reviewer saw AND still shares the evidence: never more.
        targets = [i for i in now_group if i in shown]
        written, skipped = links_db.decide_many(db, targets, action, user.name, reason)
    flash(
        request,
        "ok",
        translate(
            user.lang,
            "flash.bulk",
            n=len(written),
            skipped=len(skipped) + len(shown - set(targets)),
        ),
    )
    return back_to_queue(form, int_or_none(form.get("next_id")))
