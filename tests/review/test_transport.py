"""Cookies over HTTPS (directly or behind a proxy) and what is served without a login."""

from __future__ import annotations

from pathlib import Path

import requests

STATIC = Path(__file__).resolve().parents[2] / "review" / "static"


def session_cookie(response) -> str:
    cookie = response.headers.get("set-cookie", "")
    assert cookie.startswith("papertally_review="), cookie
    return cookie.lower()


def test_cookies_are_secure_when_a_trusted_proxy_says_https(make_app):
    server = make_app(forwarded_allow_ips="127.0.0.1")
    plain = requests.get(server.url + "/login")
    assert "secure" not in session_cookie(plain).split("; ")
    # uvicorn believes X-Forwarded-Proto from 127.0.0.1 (forwarded_allow_ips)
    proxied = requests.get(server.url + "/login", headers={"X-Forwarded-Proto": "https"})
    cookie = session_cookie(proxied)
    assert "secure" in cookie.split("; ")
    assert "httponly" in cookie and "samesite=lax" in cookie


def test_without_a_proxy_forwarded_headers_change_nothing(make_app):
    server = make_app()  # the default: no proxy
    forged = requests.get(server.url + "/login", headers={"X-Forwarded-Proto": "https"})
    assert "secure" not in session_cookie(forged).split("; ")


def test_cookies_are_always_secure_with_the_config_flag(make_app, web):
    server = make_app(secure_cookies=True)
    assert "secure" in session_cookie(requests.get(server.url + "/login")).split("; ")
    # (a client keeps Secure cookies for https only: send it back by hand over this http)
    page = requests.get(server.url + "/login")
    cookie = page.headers["set-cookie"].split(";")[0]
    r = requests.post(
        server.url + "/login",
        data={"name": "sato", "password": web.password, "csrf_token": web.csrf_of(page.text)},
        headers={"Origin": server.url, "Cookie": cookie},
        allow_redirects=False,
    )
    assert r.status_code == 303
    assert "secure" in session_cookie(r).split("; ")


def test_static_files_are_public_and_hold_only_the_page_code(make_app):
    # Served without a login on purpose: the login page needs them, and they are the
    # same files as in the repository. Anything put in review/static is public.
    server = make_app()
    assert sorted(p.name for p in STATIC.iterdir()) == ["favicon.ico", "review.css", "review.js"]
    for name in ("review.css", "review.js"):
        r = requests.get(f"{server.url}/static/{name}", allow_redirects=False)
        assert r.status_code == 200
        assert r.text == (STATIC / name).read_text(encoding="utf-8")
    assert requests.get(f"{server.url}/static/../app.py").status_code == 404


def test_the_favicon_is_served_without_a_login(make_app):
    server = make_app()
    r = requests.get(server.url + "/favicon.ico", allow_redirects=False)
    assert r.status_code == 200 and r.headers["content-type"] == "image/x-icon"
    assert r.content == (STATIC / "favicon.ico").read_bytes() and r.content[:4] == b"\0\0\1\0"
