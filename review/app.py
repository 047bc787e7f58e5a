"""The staff review web app: login, the queue, decisions, bulk decisions, rules, summary, log."""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException
from starlette.middleware.sessions import SessionMiddleware

from db import links as links_db
from db import review as review_db
from db.schema import open_db
from papertally import report as report_mod
from papertally.config import Settings
from papertally.errors import NotFoundError, PapertallyError
from review import auth
from review.i18n import LANGS, from_accept_language, translate
from review.service import short_themes

HERE = Path(__file__).resolve().parent
log = logging.getLogger("papertally.review")
FILTERS = ("theme", "venue", "year", "member", "status")
# Kept through forms and redirects along with the filters (the page the reviewer was on).
KEPT = (*FILTERS, "page")
STATUS_CHOICES = (
    "pending",
    "needs_review",
    "second_look",
    "confirmed",
    "rejected",
    "decided",
    "all",
)


class NotLoggedIn(Exception):
    """Raised by `current_user` when the request carries no valid login."""


@dataclass
class Staff:
    name: str
    lang: str


def _int_or_none(value: str | None) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except ValueError:
        raise HTTPException(400, f"'{value}' is not a number") from None


class SecureCookies:
    """Adds `Secure` to the cookies of responses to https requests (uvicorn's TLS, or a
    trusted proxy's X-Forwarded-Proto), or of every response when `always`."""

    def __init__(self, app, always: bool = False):
        self.app = app
        self.always = always

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not (self.always or scope.get("scheme") == "https"):
            return await self.app(scope, receive, send)

        async def send_secure(message):
            if message["type"] == "http.response.start":
                message["headers"] = [
                    (k, v + b"; secure")
                    if k.lower() == b"set-cookie" and b"secure" not in v.lower()
                    else (k, v)
                    for k, v in message["headers"]
                ]
            await send(message)

        return await self.app(scope, receive, send_secure)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


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


def create_app(
    settings: Settings,
    db_path: str | Path,
    clock: Callable[[], dt.datetime] = _utcnow,
) -> FastAPI:
    """The review app for the database at `db_path` (migrated here, once). `clock` gives
    the current UTC time for the login limits (tests pass their own)."""
    db_path = Path(db_path)
    open_db(db_path).close()
    secret = auth.load_secret_key(settings.resolve(settings.review.secret_key_file))
    app = FastAPI(
        title="papertally review", docs_url=None, redoc_url=None, openapi_url=None
    )
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret,
        session_cookie="papertally_review",
        max_age=int(settings.review.session_hours * 3600),
        same_site="lax",
    )
    app.add_middleware(SecureCookies, always=settings.review.secure_cookies)
    limits = review_db.LoginLimits(
        per_name=settings.review.login_max_failures,
        per_client=settings.review.login_max_failures_per_client,
        window=dt.timedelta(minutes=settings.review.login_window_minutes),
    )
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        # Only our own script and forms; no framing (clickjacking); no internal URLs leaked
        # to doi.org or the sources when staff follow a link.
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if request.url.path != "/healthz" and not request.url.path.startswith(
            "/static/"
        ):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    templates = Jinja2Templates(directory=HERE / "templates")  # autoescapes .html
    templates.env.filters["fromjson"] = lambda text: json.loads(text or "[]")

    # -- plumbing ----------------------------------------------------------------------

    def connect():
        return review_db.connect(db_path)

    def lang_of(request: Request, user: dict | None = None) -> str:
        if user and user.get("lang") in LANGS:
            return user["lang"]
        if request.session.get("lang") in LANGS:
            return request.session["lang"]
        return from_accept_language(request.headers.get("accept-language"))

    def csrf_token(request: Request) -> str:
        token = request.session.get("csrf")
        if not token:
            token = request.session["csrf"] = auth.new_csrf_token()
        return token

    def render(
        request: Request, template: str, lang: str, status_code: int = 200, **context
    ) -> HTMLResponse:
        def t(key: str, **values) -> str:
            return translate(lang, key, **values)

        flash = (
            request.session.pop("flash", None) if "session" in request.scope else None
        )
        return templates.TemplateResponse(
            request,
            template,
            {
                "t": t,
                "lang": lang,
                "csrf": csrf_token(request) if "session" in request.scope else "",
                "flash": flash,
                "program": settings.program.name,
                **context,
            },
            status_code=status_code,
        )

    def current_user(request: Request, db) -> Staff:
        user = review_db.session_user(db, request.session.get("sid"))
        if user is None:
            request.session.pop("sid", None)
            raise NotLoggedIn()
        return Staff(name=user["name"], lang=lang_of(request, user))

    async def checked_form(request: Request) -> dict:
        """The POSTed form, after the CSRF checks: same-origin (when the browser says where
        the request comes from) and the session's token in the form."""
        origin = request.headers.get("origin") or request.headers.get("referer")
        if origin and origin != "null":
            if urlsplit(origin).netloc != request.headers.get("host", ""):
                raise HTTPException(403, "cross-site request refused")
        elif origin == "null":
            raise HTTPException(403, "cross-site request refused")
        form = dict(await request.form())
        if not auth.csrf_ok(request.session.get("csrf"), form.get("csrf_token")):
            raise HTTPException(
                403,
                "the form's security token is missing or stale; reload the page and try again",
            )
        return form

    def flash(request: Request, kind: str, text: str) -> None:
        request.session["flash"] = {"kind": kind, "text": text}

    def queue_query(values: dict, keys: tuple[str, ...] = FILTERS) -> dict:
        return {k: values.get(k) for k in keys if values.get(k) not in (None, "")}

    def fiscal_years() -> list[int]:
        years = {
            settings.fiscal_year_of(ed.conference_date)
            for v in settings.venues.values()
            for ed in v.editions.values()
        }
        years |= set(settings.targets)
        years.add(settings.fiscal_year_of(dt.date.today()))
        return sorted(years, reverse=True)

    def error_page(request: Request, code: int, message: str) -> HTMLResponse:
        """A 4xx page in the viewer's language, with the navigation when logged in."""
        db = connect()
        try:
            user = review_db.session_user(db, request.session.get("sid"))
        finally:
            db.close()
        lang = lang_of(request, user)
        if code == 409:
            message = f"{translate(lang, 'error.conflict')} ({message})"
        if code == 401:
            message = translate(lang, "error.login_required")
        staff = Staff(name=user["name"], lang=lang) if user else None
        return render(
            request,
            "error.html",
            lang,
            code,
            code=code,
            message=message,
            back=same_site_referer(request),
            user=staff,
        )

    def same_site_referer(request: Request) -> str | None:
        parts = urlsplit(request.headers.get("referer") or "")
        if parts.netloc != request.headers.get("host") or not parts.path.startswith(
            "/"
        ):
            return None
        return parts.path + (f"?{parts.query}" if parts.query else "")

    # -- errors ------------------------------------------------------------------------

    @app.exception_handler(NotLoggedIn)
    async def not_logged_in(request: Request, exc: NotLoggedIn):
        if request.method in ("GET", "HEAD"):
            target = request.url.path + (
                f"?{request.url.query}" if request.url.query else ""
            )
            return RedirectResponse(
                "/login?" + urlencode({"next": target}), status_code=303
            )
        return error_page(request, 401, "")

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException):
        return error_page(request, exc.status_code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def bad_input(request: Request, exc: RequestValidationError):
        where = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        return error_page(request, 400, f"bad input: {where}")

    @app.exception_handler(PapertallyError)
    async def papertally_error(request: Request, exc: PapertallyError):
        code = (
            404
            if isinstance(exc, NotFoundError)
            else 409
            if isinstance(exc, links_db.ConflictError)
            else 400
        )
        return error_page(request, code, str(exc))

    # -- login -------------------------------------------------------------------------

    def safe_next(target: str | None) -> str:
        # Only local paths: never redirect a login to another site.
        if (
            not target
            or not target.startswith("/")
            or target.startswith("//")
            or "\\" in target
        ):
            return "/queue"
        return target

    @app.get("/login", response_class=HTMLResponse)
    def login_page(request: Request, next: str | None = None):
        return render(
            request, "login.html", lang_of(request), next=safe_next(next), error=None
        )

    @app.post("/login")
    async def login(request: Request):
        form = await checked_form(request)
        name = (form.get("name") or "").strip()
        password = form.get("password") or ""
        # uvicorn puts a trusted proxy's X-Forwarded-For here (forwarded_allow_ips).
        client = request.client.host if request.client else "unknown"
        db = connect()
        try:
            attempt, lock = review_db.begin_login(
                db, name, client, moment=clock(), limits=limits
            )
            user = review_db.get_user(db, name) if name and lock is None else None
        finally:
            db.close()
        if lock is not None:
            log.warning(
                "review login refused for %r from %s: too many failed logins (%s) until %s",
                name, client, lock.scope, lock.until.isoformat(timespec="seconds"),
            )
            return too_many_attempts(request, form, name, lock)
        ok = auth.verify_password(
            user["password_hash"] if user else auth.DUMMY_HASH, password
        )
        lang = lang_of(request, user)
        if not (user and ok):
            db = connect()
            try:
                started = review_db.login_failed(
                    db, attempt, moment=clock(), limits=limits
                )
            finally:
                db.close()
            if started is not None:
                log.warning(
                    "review login locked for %r from %s: %d failed logins for this %s; "
                    "refused until %s",
                    name, client, started.failures, started.scope,
                    started.until.isoformat(timespec="seconds"),
                )
            return render(
                request,
                "login.html",
                lang,
                401,
                next=safe_next(form.get("next")),
                error=translate(lang, "login.failed"),
                name=name,
            )
        db = connect()
        try:
            review_db.login_succeeded(db, attempt, moment=clock())
            sid = review_db.create_session(
                db, user["name"], settings.review.session_hours
            )
        finally:
            db.close()
        request.session.clear()  # a fresh session (and CSRF token) at login
        request.session.update({"sid": sid, "csrf": auth.new_csrf_token()})
        return RedirectResponse(safe_next(form.get("next")), status_code=303)

    def too_many_attempts(
        request: Request, form: dict, name: str, lock: review_db.Lockout
    ) -> HTMLResponse:
        lang = lang_of(request)
        wait = max(1, math.ceil((lock.until - clock()).total_seconds()))
        response = render(
            request,
            "login.html",
            lang,
            429,
            next=safe_next(form.get("next")),
            error=translate(
                lang,
                f"login.locked_{lock.scope}",
                minutes=math.ceil(wait / 60),
                until=lock.until.astimezone(dt.UTC).strftime("%H:%M"),
            ),
            name=name,
        )
        response.headers["Retry-After"] = str(wait)
        return response

    @app.post("/logout")
    async def logout(request: Request):
        await checked_form(request)
        db = connect()
        try:
            review_db.revoke_session(db, request.session.get("sid"))
        finally:
            db.close()
        request.session.clear()
        return RedirectResponse("/login", status_code=303)

    @app.post("/lang")
    async def set_lang(request: Request):
        form = await checked_form(request)
        lang = form.get("lang") or None
        if lang is not None and lang not in LANGS:
            raise HTTPException(400, f"language '{lang}' is not supported (ja, en)")
        db = connect()
        try:
            user = current_user(request, db)
            review_db.set_user_lang(db, user.name, lang)
        finally:
            db.close()
        return RedirectResponse(safe_next(form.get("back")), status_code=303)

    # -- queue -------------------------------------------------------------------------

    @app.get("/")
    def home(request: Request):
        db = connect()
        try:
            current_user(request, db)
        finally:
            db.close()
        return RedirectResponse("/queue", status_code=303)

    @app.get("/queue", response_class=HTMLResponse)
    def queue(
        request: Request,
        theme: str | None = None,
        venue: str | None = None,
        year: str | None = None,
        member: str | None = None,
        status: str | None = None,
        item: str | None = None,
        page: str | None = None,
    ):
        db = connect()
        try:
            user = current_user(request, db)
            if status and status not in STATUS_CHOICES:
                raise HTTPException(
                    400,
                    f"unknown status '{status}'; use one of {', '.join(STATUS_CHOICES)}",
                )
            filters = queue_query(
                {
                    "theme": theme,
                    "venue": venue,
                    "year": year,
                    "member": member,
                    "status": status,
                }
            )
            short = short_themes(db, settings)
            rows = links_db.review_queue(
                db,
                status=status or None,
                theme=theme or None,
                venue=venue or None,
                year=_int_or_none(year),
                person_id=member or None,
                short_themes=short,
            )
            size = settings.review.page_size
            last_page = max(1, math.ceil(len(rows) / size))
            ids = [r["link_id"] for r in rows]
            position = {link_id: i for i, link_id in enumerate(ids)}
            page_no = _int_or_none(page)
            if page_no is not None and page_no < 1:
                raise HTTPException(400, f"page {page_no} does not exist; pages start at 1")
            item_id = _int_or_none(item)
            notice = None
            if item_id in position:
                # The list shows the page holding the item (it moves as others are decided).
                page_no = position[item_id] // size + 1
            elif page_no is None:
                page_no = 1
            elif page_no > last_page:
                notice = translate(
                    user.lang, "queue.no_such_page", page=page_no, last=last_page
                )
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
                    for p in links_db.confirmed_papers(
                        db, detail["member"]["person_id"]
                    )
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
                statuses=STATUS_CHOICES,
                short=short,
                current_fy=settings.fiscal_year_of(dt.date.today()),
                item=detail,
                similar=similar,
                confirmed=confirmed,
                next_id=next_id,
                prev_id=prev_id,
                recent=review_db.recent_decisions(db, limit=6),
            )
        finally:
            db.close()

    def back_to_queue(form: dict, item: int | None) -> RedirectResponse:
        query = queue_query(form, KEPT)
        if item is not None:
            query["item"] = item
        return RedirectResponse(
            "/queue" + (f"?{urlencode(query)}" if query else ""), status_code=303
        )

    def seen_decision(form: dict) -> int | None:
        return _int_or_none(form.get("seen_decision"))

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

    @app.post("/links/{link_id}/decide")
    async def decide(request: Request, link_id: int):
        form = await checked_form(request)
        action = form.get("action")
        if action not in ("accept", "reject", "unsure"):
            raise HTTPException(
                400, f"unknown action '{action}'; use accept, reject or unsure"
            )
        reason = (form.get("reason") or "").strip() or None
        db = connect()
        try:
            user = current_user(request, db)
            with review_db.write_transaction(db):
                check_unchanged(db, link_id, form)
                links_db.decide(
                    db,
                    link_id,
                    action,
                    user.name,
                    reason,
                    expected_decision_id=seen_decision(form),
                )
        finally:
            db.close()
        flash(request, "ok", translate(user.lang, f"flash.{action}", link_id=link_id))
        return back_to_queue(form, _int_or_none(form.get("next_id")))

    @app.post("/links/{link_id}/undo")
    async def undo(request: Request, link_id: int):
        form = await checked_form(request)
        db = connect()
        try:
            user = current_user(request, db)
            with review_db.write_transaction(db):
                links_db.decide(
                    db,
                    link_id,
                    "undo",
                    user.name,
                    (form.get("reason") or "").strip() or None,
                    expected_decision_id=seen_decision(form),
                )
        finally:
            db.close()
        flash(request, "ok", translate(user.lang, "flash.undo", link_id=link_id))
        return back_to_queue(form, link_id)

    @app.post("/links/{link_id}/bulk")
    async def bulk(request: Request, link_id: int):
        form = await checked_form(request)
        action, group = form.get("action"), form.get("group")
        if action not in ("accept", "reject") or group not in ("orcid", "name_org"):
            raise HTTPException(
                400, "bulk decisions need action accept|reject and group orcid|name_org"
            )
        try:
            shown = {
                int(x) for x in (form.get("link_ids") or "").split(",") if x.strip()
            }
        except ValueError:
            raise HTTPException(
                400, "link_ids must be a comma-separated list of numbers"
            ) from None
        reason = (form.get("reason") or "").strip() or None
        db = connect()
        try:
            user = current_user(request, db)
            with review_db.write_transaction(db):
                found = links_db.similar_links(db, link_id).get(group) or {}
                now_group = found.get("link_ids", [])
                # The audit row says it was a bulk decision and on which shared evidence.
                label = {
                    "orcid": "same ORCID",
                    "name_org": "same printed name and organisation",
                }[group]
                reason = f"{reason + ' ' if reason else ''}[bulk from #{link_id}: {label} {found.get('value', '')}]"
                # Only what the reviewer saw AND still shares the evidence: never more.
                targets = [i for i in now_group if i in shown]
                written, skipped = links_db.decide_many(
                    db, targets, action, user.name, reason
                )
        finally:
            db.close()
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
        return back_to_queue(form, _int_or_none(form.get("next_id")))

    @app.post("/links/{link_id}/rules")
    async def add_rule(request: Request, link_id: int):
        form = await checked_form(request)
        kind = form.get("kind")
        db = connect()
        try:
            user = current_user(request, db)
            link = links_db.get_link(db, link_id)
            mention = links_db.mention_authorship(db, link["mention"]) or {}
            # The value comes from the stored mention, not from the form: a rule can only
            # say what the item shows.
            if kind in ("id_is", "id_is_not"):
                scheme = form.get("scheme")
                column = {
                    "orcid": "orcid",
                    "openalex": "openalex_id",
                    "openreview": "openreview_id",
                    "dblp": "dblp_pid",
                }.get(scheme or "")
                if column is None or not mention.get(column):
                    raise HTTPException(
                        400, f"this item's author has no {scheme} identifier"
                    )
                value = mention[column]
            elif kind == "never_at_org":
                orgs = json.loads(mention.get("affiliations") or "[]")
                value = form.get("value") or ""
                if value not in orgs:
                    raise HTTPException(
                        400, "the organisation must be one printed on this item"
                    )
                scheme = None
            else:
                raise HTTPException(400, f"unknown rule kind '{kind}'")
            rule_id = review_db.add_rule(
                db,
                kind,
                link["person_id"],
                value,
                scheme=scheme,
                by=user.name,
                reason=(form.get("reason") or "").strip(),
                from_link_id=link_id,
            )
        finally:
            db.close()
        flash(request, "ok", translate(user.lang, "flash.rule", rule_id=rule_id))
        return back_to_queue(form, link_id)

    # -- rules, log, summary -------------------------------------------------------------

    @app.get("/rules", response_class=HTMLResponse)
    def rules_page(request: Request):
        db = connect()
        try:
            user = current_user(request, db)
            return render(
                request,
                "rules.html",
                user.lang,
                user=user,
                rules=review_db.list_rules(db, include_inactive=True),
            )
        finally:
            db.close()

    @app.post("/rules/{rule_id}/off")
    async def rule_off(request: Request, rule_id: int):
        await checked_form(request)
        db = connect()
        try:
            user = current_user(request, db)
            review_db.deactivate_rule(db, rule_id, by=user.name)
        finally:
            db.close()
        flash(request, "ok", translate(user.lang, "flash.rule_off", rule_id=rule_id))
        return RedirectResponse("/rules", status_code=303)

    @app.get("/log", response_class=HTMLResponse)
    def log_page(request: Request, by: str | None = None, link: str | None = None):
        db = connect()
        try:
            user = current_user(request, db)
            rows = review_db.recent_decisions(
                db, limit=300, decided_by=by or None, link_id=_int_or_none(link)
            )
            return render(request, "log.html", user.lang, user=user, rows=rows)
        finally:
            db.close()

    @app.get("/summary", response_class=HTMLResponse)
    def summary(request: Request, fy: str | None = None):
        db = connect()
        try:
            user = current_user(request, db)
            year = _int_or_none(fy) or settings.fiscal_year_of(dt.date.today())
            if not 1990 <= year <= 2100:
                raise HTTPException(400, f"fiscal year {year} is out of range")
            data = report_mod.build_report(db, settings, year)
            return render(
                request,
                "summary.html",
                user.lang,
                user=user,
                report=data,
                fiscal_years=fiscal_years(),
            )
        finally:
            db.close()

    @app.get("/healthz")
    def healthz() -> Response:
        return Response("ok", media_type="text/plain")

    return app
