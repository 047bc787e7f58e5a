"""The staff review web app: middleware, error pages and the routers of review/views/
(queue and items, rules, summary and log, login)."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.middleware.sessions import SessionMiddleware

from db import accounts as accounts_db
from db import links as links_db
from db.connection import DatabaseFault
from db.connection import connect as connect_db
from db.schema import open_db, schema_fault
from papertally.config import Settings
from papertally.errors import NotFoundError, PapertallyError
from papertally.i18n import translate
from review import auth
from review.views import login, queue, rules, summary
from review.wording import error_text
from review.web import (
    HERE,
    NotLoggedIn,
    PageError,
    ReviewState,
    Staff,
    lang_of,
    make_templates,
    render,
    same_site_referer,
)


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


def create_app(
    settings: Settings,
    db_path: str | Path,
    clock: Callable[[], dt.datetime] = _utcnow,
) -> FastAPI:
    """The review app for the database at `db_path` (migrated here, once). `clock` gives
    the current UTC time for the login limits (tests pass their own)."""
    db_path = Path(db_path)
    open_db(db_path, create=False).close()
    secret = auth.load_secret_key(settings.resolve(settings.review.secret_key_file))
    app = FastAPI(title="papertally review", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.review = ReviewState(
        settings=settings,
        db_path=db_path,
        clock=clock,
        limits=accounts_db.LoginLimits(
            per_name=settings.review.login_max_failures,
            per_client=settings.review.login_max_failures_per_client,
            window=dt.timedelta(minutes=settings.review.login_window_minutes),
        ),
        templates=make_templates(settings),
    )
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret,
        session_cookie="papertally_review",
        max_age=int(settings.review.session_hours * 3600),
        same_site="lax",
    )
    app.add_middleware(SecureCookies, always=settings.review.secure_cookies)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.middleware("http")(security_headers)
    app.add_exception_handler(NotLoggedIn, not_logged_in)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, bad_input)
    app.add_exception_handler(PapertallyError, papertally_error)
    for views in (login, queue, rules, summary):
        app.include_router(views.router)

    @app.get("/healthz")
    def healthz() -> Response:
        return Response("ok", media_type="text/plain")

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> FileResponse:
        return FileResponse(HERE / "static" / "favicon.ico", media_type="image/x-icon")

    return app


def server_options(settings: Settings) -> dict:
    """uvicorn's options for the proxy set-up in [review] forwarded_allow_ips: forwarded
    headers are read only from the configured proxies, and not at all without one."""
    proxies = settings.review.proxies
    return {
        "proxy_headers": bool(proxies),
        "forwarded_allow_ips": ",".join(proxies) if proxies else "",
    }


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
    if request.url.path not in ("/healthz", "/favicon.ico") and not request.url.path.startswith(
        "/static/"
    ):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


# -- error pages -------------------------------------------------------------------------


def error_page(
    request: Request, code: int, message: str, exc: Exception | None = None
) -> HTMLResponse:
    """A 4xx or 503 page in the viewer's language, with the navigation when logged in."""
    path = request.app.state.review.db_path
    try:
        with contextlib.closing(connect_db(path, create=False)) as db:
            try:
                user = accounts_db.session_user(db, request.session.get("sid"))
            except Exception as failed:
                if schema_fault(db, path, failed) is None:
                    raise
                user = None  # an older schema: the page says so
    except DatabaseFault:
        user = None  # the page says what is wrong with the database
    lang = lang_of(request, user)
    zone = request.app.state.review.settings.review.time_zone
    message = error_text(lang, exc, message, zone) if exc is not None else message
    if code == 409 and getattr(exc, "key", None) is None:
        message = f"{translate(lang, 'error.conflict')} ({message})"
    if code == 401:
        message = translate(lang, "error.login_required")
    return render(
        request,
        "error.html",
        lang,
        code,
        code=code,
        message=message,
        back=same_site_referer(request),
        user=Staff(name=user["name"], lang=lang) if user else None,
    )


async def not_logged_in(request: Request, exc: NotLoggedIn):
    if request.method in ("GET", "HEAD"):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse("/login?" + urlencode({"next": target}), status_code=303)
    return error_page(request, 401, "")


async def http_error(request: Request, exc: HTTPException):
    return error_page(request, exc.status_code, str(exc.detail), exc)


async def bad_input(request: Request, exc: RequestValidationError):
    where = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
    worded = PageError(400, "error.bad_input", where=where)  # pydantic's own part stays English
    return error_page(request, 400, str(worded.detail), worded)


async def papertally_error(request: Request, exc: PapertallyError):
    code = (
        503
        if isinstance(exc, DatabaseFault)
        else 404
        if isinstance(exc, NotFoundError)
        else 409
        if isinstance(exc, links_db.ConflictError)
        else 400
    )
    return error_page(request, code, str(exc), exc)
