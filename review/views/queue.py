"""The queue and its items: the list, one item's evidence, decisions, undo, bulk decisions."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from dataclasses import dataclass
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from db import links as links_db
from matching.attribution import best_stored_mention
from matching.context import ID_SCHEMES
from papertally.i18n import translate
from review import wording
from review.paper_pages import paper_pages
from review.service import short_themes
from review.web import (
    MAX_REASON,
    Db,
    Form,
    PageError,
    User,
    reason_of,
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
        raise PageError(
            400, "error.unknown_status", status=status, known=", ".join(links_db.QUEUE_STATUSES)
        )
    filters = queue_query(
        {"theme": theme, "venue": venue, "year": year, "member": member, "status": status}
    )
    short = short_themes(db, settings)
    size = settings.review.page_size
    page_no = int_or_none(page)
    if page_no is not None and page_no < 1:
        raise PageError(400, "error.page_below_one", page=page_no)
    item_id = int_or_none(item)
    q = read_page(db, filters, short, size, page_no, item_id)
    notice = None
    found = item_id is not None and q.item_at is not None  # then its page is shown
    if page_no is not None and page_no > q.last_page and not found:
        notice = translate(user.lang, "queue.no_such_page", page=page_no, last=q.last_page)
    detail = None
    item_context: dict = {}
    if q.item_id is not None:
        detail = links_db.link_detail(db, q.item_id)
        item_context = item_page(db, detail, user.lang)

    def page_url(n: int) -> str:
        return "/queue?" + urlencode({**filters, "page": n})

    def item_url(link_id: int | None) -> str:
        return "/queue?" + urlencode({**filters, "item": link_id}) if link_id else ""

    return render(
        request,
        "queue.html",
        user.lang,
        user=user,
        rows=q.rows,
        total=q.total,
        first=q.first + 1,
        last=q.first + len(q.rows),
        page=q.page,
        last_page=q.last_page,
        pages=page_numbers(q.page, q.last_page),
        page_url=page_url,
        item_url=item_url,
        notice=notice,
        filters=filters,
        kept={**filters, "page": q.page},
        facets=links_db.queue_facets(db),
        statuses=links_db.QUEUE_STATUSES,
        id_schemes=links_db.AUTHOR_ID_SCHEMES,
        rule_schemes=ID_SCHEMES,
        short=short,
        current_fy=settings.fiscal_year_of(dt.date.today()),
        item=detail,
        **item_context,
        max_reason=MAX_REASON,
        next_id=q.next_id,
        prev_id=q.prev_id,
        recent=links_db.recent_decisions(db, limit=6),
    )


@dataclass(frozen=True)
class QueuePage:
    """One page of the queue as the list shows it, and the item open beside it."""

    total: int  # links in the queue under the filters
    last_page: int
    page: int
    first: int  # the 0-based place of rows[0]
    rows: list[dict]
    item_id: int | None  # the item open (the page's first unless one was asked for)
    item_at: int | None  # its 0-based place in the queue (None: not in it)
    prev_id: int | None  # J/K's neighbours, across page edges
    next_id: int | None


def read_page(
    db, filters: dict, short: set[str], size: int, page_no: int | None, item_id: int | None
) -> QueuePage:
    """Page `page_no` (1 if None; the last if beyond it) of the queue under `filters`, or the
    page holding `item_id` when the queue holds it. Reads the count, the item's place and
    one page with a row either side from SQL, never the whole queue."""
    total = links_db.queue_length(db, **queue_filters(filters))
    last_page = max(1, math.ceil(total / size))
    at = (
        links_db.queue_position(db, item_id, **queue_filters(filters), short_themes=short)
        if item_id is not None
        else None
    )
    if at is not None:
        # The list shows the page holding the item (it moves as others are decided).
        page_no = at // size + 1
    page_no = min(page_no or 1, last_page)
    first = (page_no - 1) * size
    # The rows either side of the page are the neighbours J/K go to from its first and
    # last items.
    before = min(first, 1)
    around = queue_rows(db, filters, short, limit=before + size + 1, offset=first - before)
    rows = around[before : before + size]
    if item_id is None and rows:
        item_id, at = rows[0]["link_id"], first
    prev_id = next_id = None
    if at is not None:
        i = at - first + before  # the item is on the page read
        prev_id = around[i - 1]["link_id"] if i > 0 else None
        next_id = around[i + 1]["link_id"] if i + 1 < len(around) else None
    return QueuePage(total, last_page, page_no, first, rows, item_id, at, prev_id, next_id)


def item_page(db, detail: dict, lang: str) -> dict:
    """What the item page shows beside the link itself: the paper's own pages, every
    author as printed, the member's other papers with these co-authors, why no
    affiliation is shown, the bulk groups, the evidence in `lang`."""
    link, paper, member = detail["link"], detail["paper"], detail["member"]
    authors = links_db.paper_authors(db, link["mention"])
    coauthors = [a["name"] for a in authors if not a["is_mention"]]
    fulltext = fulltext_panel(db, paper["paper_id"], link["mention"], detail["mention"])
    return {
        "paper_links": paper_pages(paper, detail["sources"]),
        "authors": authors,
        "coauthor_papers": links_db.papers_with_coauthors(
            db, member["person_id"], paper["paper_id"], coauthors
        ),
        "why_no_affiliation": why_no_affiliation(
            lang, paper, detail["mention"], authors, (fulltext["state"], fulltext["reason"])
        ),
        "fulltext": fulltext,
        "groups": links_db.bulk_groups(db, link["link_id"]),
        "confirmed": [
            p
            for p in links_db.confirmed_papers(db, member["person_id"])
            if p["link_id"] != link["link_id"]
        ],
        "seen_version": evidence_version(link),
        "evidence_kind": lambda e: wording.evidence_kind(lang, e),
        "evidence_text": lambda e: wording.evidence_text(lang, e),
        "explanation": wording.explanation(lang, link["machine_status"], detail["evidence"]),
    }


def fulltext_panel(db, paper_id: str, mention_key: str, mention: dict | None) -> dict:
    """What enrichment learnt about the item's paper, for the attribution panel: the full
    text's state, the acknowledgement quoted (or its absence), page 1's author lines with
    the member's marked, the member's OpenReview history, and the staff attribution."""
    from db import enrichment as enrichment_db

    rows = enrichment_db.load(db, [paper_id])
    ft = rows.get((paper_id, "fulltext"))
    try:
        position = int(mention_key.rsplit("#", 1)[1])
    except (IndexError, ValueError):
        position = None
    panel: dict = {"state": "not_enriched", "reason": "", "pdf_url": "", "sha256": "",
                   "ack_status": "", "quote": None, "other_grants": [], "authors": [],
                   "stints": [], "profile_id": "", "decision": None}
    if ft is not None:
        panel["state"] = ft.status
        panel["reason"] = ft.reason
        panel["pdf_url"] = ft.data.get("url", "")
        panel["sha256"] = ft.content_hash or ""
        ack = ft.data.get("acknowledgement") or {}
        if ft.status == "ok" and ack:
            panel["ack_status"] = ack["status"]
            panel["other_grants"] = ack.get("other_grants", [])
            panel["quote"] = best_stored_mention(ack.get("mentions", []))
            panel["authors"] = [
                {"line": a["line"], "member": a.get("position") == position}
                for a in ft.data.get("authors", [])
            ]
    profiles = rows.get((paper_id, "openreview"))
    printed_id = (mention or {}).get("openreview_id")
    if profiles is not None and profiles.status == "ok" and printed_id:
        facts = (profiles.data.get("profiles") or {}).get(printed_id)
        if facts:
            panel["profile_id"] = printed_id
            panel["stints"] = facts.get("stints", [])
    panel["decision"] = enrichment_db.attribution_decisions(db).get(paper_id)
    return panel


def why_no_affiliation(
    lang: str,
    paper: dict,
    mention: dict | None,
    authors: list[dict],
    fulltext: tuple[str, str] = ("not_enriched", ""),
) -> str:
    """Why the page shows no affiliation for the author ('' when it shows one), with
    what the full text gave (`fulltext`: the attribution panel's state and reason)."""
    if mention is None or json.loads(mention["affiliations"] or "[]"):
        return ""
    if json.loads(mention["paper_affiliations"] or "[]"):
        return translate(lang, "item.why_paper_level", source=mention["source"], venue=paper["venue"])
    if any(a["affiliations"] for a in authors):
        return translate(lang, "item.why_none_author", source=mention["source"])
    # Japanese sentences follow each other without a space.
    return ("" if lang == "ja" else " ").join(
        (
            translate(lang, "item.why_none_venue", venue=paper["venue"], source=mention["source"]),
            translate(lang, f"item.why_fulltext_{fulltext[0]}", reason=fulltext[1] or "-"),
        )
    )


def evidence_version(link: dict) -> str:
    """What the reviewer saw, as the page shows it: status, score and each evidence's kind
    and weight to two decimals, the mention, the second-look flag. A re-match that changes
    none of these (a count in a sentence, a timestamp) leaves an open page valid."""
    evidence = json.loads(link["evidence"] or "[]")
    shown = (
        link["status"],
        f"{link['score']:.2f}",
        link["mention"],
        link["second_look"] or "",
        [(e.get("kind"), f"{float(e.get('weight') or 0):.2f}") for e in evidence],
    )
    return hashlib.sha256(json.dumps(shown).encode()).hexdigest()[:16]


def seen_decision(form: dict) -> int | None:
    return int_or_none(form.get("seen_decision"))


def rescored_since_shown(db, link_id: int, form: dict) -> bool:
    """True when the matcher changed what the page showed (score, evidence, status,
    second-look flag) since the reviewer opened it. (A decision by someone else is
    reported by links_db.decide itself.)"""
    shown = form.get("seen_version")
    link = links_db.get_link(db, link_id)
    if not shown or link["decision_id"] != seen_decision(form):
        return False
    return evidence_version(link) != shown


@router.post("/links/{link_id}/decide")
def decide(request: Request, link_id: int, form: Form, user: User, db: Db):
    action = form.get("action")
    if action not in ("accept", "reject", "unsure"):
        raise PageError(400, "error.unknown_action", action=action)
    reason = reason_of(form)
    with db.atomic():
        if rescored_since_shown(db, link_id, form):
            # Not an error: show the new evidence and let the same key decide on it.
            flash(request, "warn", translate(user.lang, "item.rescored"))
            return back_to_queue(form, link_id)
        links_db.decide(
            db, link_id, action, user.name, reason, expected_decision_id=seen_decision(form)
        )
    flash(request, "ok", translate(user.lang, f"flash.{action}", link_id=link_id))
    return back_to_queue(form, int_or_none(form.get("next_id")))


@router.post("/links/{link_id}/undo")
def undo(request: Request, link_id: int, form: Form, user: User, db: Db):
    """Undo the decision in force on `link_id`; when it was part of a bulk decision, the
    whole bulk is undone as one action."""
    reason = reason_of(form)
    with db.atomic():
        bulk_id = links_db.bulk_of(db, seen_decision(form))
        if bulk_id is not None and links_db.get_link(db, link_id)["decision_id"] == seen_decision(form):
            undone = links_db.undo_bulk(db, bulk_id, user.name, reason)
        else:
            links_db.decide(
                db, link_id, "undo", user.name, reason, expected_decision_id=seen_decision(form)
            )
            undone = [link_id]
    if len(undone) > 1:
        flash(request, "ok", translate(user.lang, "flash.undo_bulk", n=len(undone), link_id=link_id))
    else:
        flash(request, "ok", translate(user.lang, "flash.undo", link_id=link_id))
    return back_to_queue(form, link_id)


@router.post("/links/{link_id}/bulk")
def bulk(request: Request, link_id: int, form: Form, user: User, db: Db):
    action, group = form.get("action"), form.get("group") or ""
    if action not in ("accept", "reject"):
        raise PageError(400, "error.bulk_action", action=action)
    try:
        shown = {int(x) for x in (form.get("link_ids") or "").split(",") if x.strip()}
    except ValueError:
        raise PageError(400, "error.bulk_link_ids") from None
    reason = reason_of(form, required=True)
    if form.get("confirm") != "yes":
        raise PageError(400, "error.confirm_required")
    filters = queue_query(form)
    with db.atomic():
        found = next((g for g in links_db.bulk_groups(db, link_id) if g["group"] == group), None)
        if found is None:
            raise PageError(400, "error.bulk_group_gone", group=group, link_id=link_id)
        # The audit rows say it was a bulk decision and on which shared evidence.
        label = found["group"] + (f" {found['value']}" if found["value"] else "")
        # Only what the reviewer saw AND still shares the evidence: never more.
        targets = [i for i in found["link_ids"] if i in shown]
        # Before the decisions, while the queue still holds them: where to go on to.
        after = links_db.queue_next_undecided(
            db,
            link_id,
            set(targets),
            **queue_filters(filters),
            short_themes=short_themes(db, state(request).settings),
        )
        written, skipped = links_db.decide_many(
            db, targets, action, user.name, f"{reason} [bulk from #{link_id}: {label}]"
        )
        links_db.record_bulk(
            db,
            written,
            grouped_by=found["group"],
            value=found["value"] or "",
            from_link_id=link_id,
            reason=reason,
        )
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
    return back_to_queue(form, after)


def queue_filters(filters: dict) -> dict:
    """The page's filters (as queue_query keeps them) as db.links' queue keywords."""
    return {
        "status": filters.get("status"),
        "theme": filters.get("theme"),
        "venue": filters.get("venue"),
        "year": int_or_none(filters.get("year")),
        "person_id": filters.get("member"),
    }


def queue_rows(
    db, filters: dict, short: set[str], *, limit: int, offset: int = 0
) -> list[dict]:
    """`limit` rows of the queue under `filters` from `offset`, in the order the page lists
    it, the `short` themes first."""
    return links_db.review_queue(
        db, limit, offset=offset, **queue_filters(filters), short_themes=short
    )
