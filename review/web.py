"""What every page of the review app shares: its state, the database connection and the
current user as FastAPI dependencies, the CSRF-checked form, and rendering in the viewer's
language."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated
from urllib.parse import urlencode, urlsplit

import sqlite_utils
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException

from db import accounts as accounts_db
from db.connection import connect as connect_db
from db.schema import schema_fault
from papertally.config import Settings
from papertally.i18n import LANGS, from_accept_language, translate
from review import auth
from review.wording import local_time

HERE = Path(__file__).resolve().parent
FILTERS = ("theme", "venue", "year", "member", "status")
# Kept through forms and redirects along with the filters (the page the reviewer was on).
KEPT = (*FILTERS, "page")


MAX_REASON = 500  # characters of a typed reason (the page's field holds as many)


class PageError(HTTPException):
    """An HTTP error whose message is the catalogue's `key` (shown in the viewer's
    language; `detail` is the English text for logs)."""

    def __init__(self, status_code: int, key: str, **params: object):
        super().__init__(status_code, translate("en", key, **params))
        self.key = key
        self.params = params


class NotLoggedIn(Exception):
    """Raised by `current_user` when the request carries no valid login."""


@dataclass
class Staff:
    name: str
    lang: str


@dataclass
class ReviewState:
    """What the routers read from `request.app.state.review`."""

    settings: Settings
    db_path: Path
    clock: Callable[[], dt.datetime]
    limits: accounts_db.LoginLimits
    templates: Jinja2Templates


def make_templates(settings: Settings) -> Jinja2Templates:
    templates = Jinja2Templates(directory=HERE / "templates")  # autoescapes .html
    templates.env.filters["fromjson"] = lambda text: json.loads(text or "[]")
    # Stored UTC times shown in the configured zone ([review] time_zone).
    templates.env.filters["localtime"] = lambda value, fmt="%Y-%m-%d %H:%M": local_time(
        value, settings.review.time_zone, fmt
    )
    return templates


def state(request: Request) -> ReviewState:
    return request.app.state.review


# -- dependencies ------------------------------------------------------------------------


def get_db(request: Request) -> Iterator[sqlite_utils.Database]:
    """One connection per request (concurrent requests never share a transaction),
    closed when the request is done. It opens the existing file only: a database deleted
    or moved under the running server is a NoDatabase error page, never a new empty file;
    another program's file put in its place, a NotPapertallyDatabase page; an older
    papertally database, a DatabaseOutdated page (never migrated from a request)."""
    path = state(request).db_path
    with contextlib.closing(connect_db(path, create=False)) as db:
        try:
            yield db
        except Exception as exc:
            outdated = schema_fault(db, path, exc)
            if outdated is None:
                raise
            raise outdated from exc


Db = Annotated[sqlite_utils.Database, Depends(get_db)]


def lang_of(request: Request, user: dict | None = None) -> str:
    if user and user.get("lang") in LANGS:
        return user["lang"]
    if request.session.get("lang") in LANGS:
        return request.session["lang"]
    return from_accept_language(request.headers.get("accept-language"))


def current_user(request: Request, db: Db) -> Staff:
    """The logged-in staff member; NotLoggedIn (a redirect to /login) otherwise."""
    user = accounts_db.session_user(db, request.session.get("sid"))
    if user is None:
        request.session.pop("sid", None)
        raise NotLoggedIn()
    return Staff(name=user["name"], lang=lang_of(request, user))


User = Annotated[Staff, Depends(current_user)]


async def checked_form(request: Request) -> dict:
    """The POSTed form, after the CSRF checks: same-origin (when the browser says where
    the request comes from) and the session's token in the form."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if origin and origin != "null":
        if urlsplit(origin).netloc != request.headers.get("host", ""):
            raise PageError(403, "error.cross_site")
    elif origin == "null":
        raise PageError(403, "error.cross_site")
    form = dict(await request.form())
    if not auth.csrf_ok(request.session.get("csrf"), form.get("csrf_token")):
        raise PageError(403, "error.csrf")
    return form


Form = Annotated[dict, Depends(checked_form)]


# -- rendering ---------------------------------------------------------------------------


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = auth.new_csrf_token()
    return token


def render(
    request: Request, template: str, lang: str, status_code: int = 200, **context
) -> HTMLResponse:
    """`template` in `lang`, with t(), the CSRF token, the flash message and the program."""

    def t(key: str, **values) -> str:
        return translate(lang, key, **values)

    has_session = "session" in request.scope
    st = state(request)
    return st.templates.TemplateResponse(
        request,
        template,
        {
            "t": t,
            "lang": lang,
            "csrf": csrf_token(request) if has_session else "",
            "flash": request.session.pop("flash", None) if has_session else None,
            "program": st.settings.program.name,
            "zone": st.settings.review.time_zone,
            **context,
        },
        status_code=status_code,
    )


def reason_of(form: dict, required: bool = False) -> str | None:
    """The reason typed into the form (at most MAX_REASON characters); a PageError when
    it is too long, or missing where one is `required`."""
    reason = (form.get("reason") or "").strip()
    if len(reason) > MAX_REASON:
        raise PageError(400, "error.reason_too_long", n=len(reason), most=MAX_REASON)
    if required and not reason:
        raise PageError(400, "error.reason_required")
    return reason or None


def flash(request: Request, kind: str, text: str) -> None:
    request.session["flash"] = {"kind": kind, "text": text}


# -- small helpers -----------------------------------------------------------------------


def int_or_none(value: str | None) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except ValueError:
        raise PageError(400, "error.not_a_number", value=value) from None


def queue_query(values: dict, keys: tuple[str, ...] = FILTERS) -> dict:
    return {k: values.get(k) for k in keys if values.get(k) not in (None, "")}


def back_to_queue(form: dict, item: int | None) -> RedirectResponse:
    """Back to the queue with the filters and page the form came from, on `item`."""
    query = queue_query(form, KEPT)
    if item is not None:
        query["item"] = item
    return RedirectResponse(
        "/queue" + (f"?{urlencode(query)}" if query else ""), status_code=303
    )


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


def same_site_referer(request: Request) -> str | None:
    parts = urlsplit(request.headers.get("referer") or "")
    if parts.netloc != request.headers.get("host") or not parts.path.startswith("/"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")
