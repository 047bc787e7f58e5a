"""Logging in and out (with the login limits), and the page language."""

from __future__ import annotations

import logging
import math

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from db import accounts as accounts_db
from papertally.i18n import LANGS, translate
from review import auth
from review.wording import local_time
from review.web import Db, Form, PageError, User, lang_of, render, safe_next, state

log = logging.getLogger("papertally.review")
router = APIRouter()


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str | None = None):
    return render(request, "login.html", lang_of(request), next=safe_next(next), error=None)


@router.post("/login")
def login(request: Request, form: Form, db: Db):
    st = state(request)
    name = (form.get("name") or "").strip()
    password = form.get("password") or ""
    # uvicorn puts a trusted proxy's X-Forwarded-For here (forwarded_allow_ips).
    client = request.client.host if request.client else "unknown"
    attempt, lock = accounts_db.begin_login(
        db, name, client, moment=st.clock(), limits=st.limits
    )
    if lock is not None:
        log.warning(
            "review login refused for %r from %s: too many failed logins (%s) until %s",
            name, client, lock.scope, lock.until.isoformat(timespec="seconds"),
        )
        return too_many_attempts(request, form, name, lock)
    user = accounts_db.get_user(db, name) if name else None
    ok = auth.verify_password(user["password_hash"] if user else auth.DUMMY_HASH, password)
    lang = lang_of(request, user)
    if not (user and ok):
        started = accounts_db.login_failed(db, attempt, moment=st.clock(), limits=st.limits)
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
    accounts_db.login_succeeded(db, attempt, moment=st.clock())
    sid = accounts_db.create_session(db, user["name"], st.settings.review.session_hours)
    request.session.clear()  # a fresh session (and CSRF token) at login
    request.session.update({"sid": sid, "csrf": auth.new_csrf_token()})
    if user["lang"] in LANGS:
        # Remembered for pages shown without the database (an error page when it is gone).
        request.session["lang"] = user["lang"]
    return RedirectResponse(safe_next(form.get("next")), status_code=303)


def too_many_attempts(
    request: Request, form: dict, name: str, lock: accounts_db.Lockout
) -> HTMLResponse:
    lang = lang_of(request)
    wait = max(1, math.ceil((lock.until - state(request).clock()).total_seconds()))
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
            until=local_time(lock.until, state(request).settings.review.time_zone, "%H:%M %Z"),
        ),
        name=name,
    )
    response.headers["Retry-After"] = str(wait)
    return response


@router.post("/logout")
def logout(request: Request, form: Form, db: Db):
    accounts_db.revoke_session(db, request.session.get("sid"))
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.post("/lang")
def set_lang(request: Request, form: Form, user: User, db: Db):
    lang = form.get("lang") or None
    if lang is not None and lang not in LANGS:
        raise PageError(400, "error.language", lang=lang)
    accounts_db.set_user_lang(db, user.name, lang)
    if lang is None:
        request.session.pop("lang", None)
    else:
        request.session["lang"] = lang
    return RedirectResponse(safe_next(form.get("back")), status_code=303)
