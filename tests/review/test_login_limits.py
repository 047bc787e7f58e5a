"""Failed logins slow a guesser down: per name and per client address, durable, audited."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import pytest

from db import accounts as accounts_db

START = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self):
        self.now = START

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += dt.timedelta(**delta)


def attempt(web, url, name, password, client=None):
    """One login attempt in a fresh browser session; `client` is sent as the address a
    trusted proxy saw (X-Forwarded-For, believed from 127.0.0.1 when the test's app lists it
    in forwarded_allow_ips)."""
    s = web.session()
    token = web.csrf_of(s.get(url + "/login").text)
    headers = {"Origin": url}
    if client:
        headers["X-Forwarded-For"] = client
    return s.post(
        url + "/login",
        data={"name": name, "password": password, "csrf_token": token, "next": "/queue"},
        headers=headers,
        allow_redirects=False,
    )


def attempts(db) -> list[dict]:
    return list(db.query("SELECT * FROM review_login_attempts ORDER BY attempt_id"))


def test_the_sixth_attempt_is_refused_even_with_the_right_password(make_app, web, db):
    clock = Clock()
    server = make_app(clock=clock)
    for _ in range(5):
        assert attempt(web, server.url, "sato", "wrong password").status_code == 401
        clock.advance(seconds=30)
    r = attempt(web, server.url, "sato", web.password)
    assert r.status_code == 429
    # locked until the first of the five failures (09:00) leaves the 15-minute window
    # shown in the configured zone (Asia/Tokyo): 09:15 UTC is 18:15 JST
    assert "18:15 JST" in r.text and "UTC" not in r.text and "一時停止" in r.text
    assert int(r.headers["Retry-After"]) == 15 * 60 - 150
    assert "set-cookie" not in r.headers or "sid" not in r.headers["set-cookie"]
    # other staff are unaffected
    assert attempt(web, server.url, "tanaka", web.password).status_code == 303
    # still refused just before the window passes; let in once it has
    clock.advance(minutes=12, seconds=29)
    assert attempt(web, server.url, "sato", web.password).status_code == 429
    clock.advance(seconds=2)
    r = attempt(web, server.url, "sato", web.password)
    assert r.status_code == 303 and r.headers["location"] == "/queue"


def test_english_lockout_page(make_app, web):
    clock = Clock()
    server = make_app(clock=clock)
    for _ in range(5):
        attempt(web, server.url, "tanaka", "wrong password")
    s = web.session()
    token = web.csrf_of(s.get(server.url + "/login").text)
    r = s.post(
        server.url + "/login",
        data={"name": "tanaka", "password": web.password, "csrf_token": token},
        headers={"Origin": server.url, "Accept-Language": "en"},
        allow_redirects=False,
    )
    assert r.status_code == 429
    assert "Too many failed logins for this name" in r.text
    assert "Try again in 15 min (after 18:15 JST)" in r.text


def test_a_successful_login_clears_the_count(make_app, web):
    clock = Clock()
    server = make_app(clock=clock)
    for _ in range(4):
        assert attempt(web, server.url, "sato", "wrong password").status_code == 401
    assert attempt(web, server.url, "sato", web.password).status_code == 303
    for _ in range(4):
        assert attempt(web, server.url, "sato", "wrong password").status_code == 401
    # eight failures within the window, but only four since the login
    assert attempt(web, server.url, "sato", web.password).status_code == 303


def test_unknown_names_are_locked_out_like_real_ones(make_app, web):
    server = make_app(clock=Clock(), login_max_failures=2)
    for name in ("nobody", "sato"):
        for _ in range(2):
            assert attempt(web, server.url, name, "wrong password").status_code == 401
        assert attempt(web, server.url, name, "wrong password").status_code == 429


def test_one_client_address_trying_many_names_is_refused(make_app, web):
    clock = Clock()
    server = make_app(
        clock=clock, login_max_failures_per_client=3, forwarded_allow_ips="127.0.0.1"
    )
    for name in ("sato", "tanaka", "nobody"):
        r = attempt(web, server.url, name, "wrong password", client="203.0.113.7")
        assert r.status_code == 401
    r = attempt(web, server.url, "tanaka", web.password, client="203.0.113.7")
    assert r.status_code == 429
    assert "このアドレスから" in r.text or "from this address" in r.text
    r = attempt(web, server.url, "tanaka", web.password, client="198.51.100.2")
    assert r.status_code == 303
    clock.advance(minutes=15, seconds=1)
    r = attempt(web, server.url, "sato", web.password, client="203.0.113.7")
    assert r.status_code == 303


def test_the_lockout_is_audited_and_logged(make_app, web, db, caplog):
    clock = Clock()
    server = make_app(clock=clock, forwarded_allow_ips="127.0.0.1")
    with caplog.at_level(logging.WARNING, logger="papertally.review"):
        for _ in range(5):
            attempt(web, server.url, "sato", "wrong password", client="192.0.2.9")
        attempt(web, server.url, "sato", web.password, client="192.0.2.9")
    rows = attempts(db)
    assert [r["outcome"] for r in rows] == ["failed"] * 5 + ["locked", "refused"]
    assert {(r["name"], r["client"]) for r in rows} == {("sato", "192.0.2.9")}
    assert rows[5]["detail"] == (
        "5 failed logins for this name within 0:15:00; "
        "refused until 2026-11-28T09:15:00+00:00"
    )
    assert rows[6]["detail"] == "name locked until 2026-11-28T09:15:00+00:00"
    logged = [r.getMessage() for r in caplog.records if r.name == "papertally.review"]
    assert any("locked for 'sato' from 192.0.2.9" in m for m in logged), logged
    assert any("refused for 'sato' from 192.0.2.9" in m for m in logged), logged
    # a successful login is in the audit too, and clears the failures
    clock.advance(minutes=16)
    attempt(web, server.url, "sato", web.password, client="192.0.2.9")
    rows = attempts(db)
    assert rows[-1]["outcome"] == "ok"
    assert all(r["cleared_at"] for r in rows if r["outcome"] == "failed")


def test_the_lockout_survives_a_restart_and_a_password_reset_lifts_it(
    make_app, web, db, tmp_path
):
    from tests.review.conftest import CHEAP_HASH

    clock = Clock()
    first = make_app(clock=clock)
    for _ in range(5):
        attempt(web, first.url, "sato", "wrong password")
    second = make_app(clock=clock)  # a new process on the same database
    assert attempt(web, second.url, "sato", web.password).status_code == 429
    accounts_db.add_user(db, "sato", CHEAP_HASH)  # papertally user add sato
    assert attempt(web, second.url, "sato", web.password).status_code == 303


# -- the window, at the storage level -----------------------------------------------------


LIMITS = accounts_db.LoginLimits(per_name=3, per_client=10, window=dt.timedelta(minutes=15))


def fail(db, name, moment, client="10.0.0.1"):
    attempt_id, lock = accounts_db.begin_login(db, name, client, moment=moment, limits=LIMITS)
    assert lock is None
    return accounts_db.login_failed(db, attempt_id, moment=moment, limits=LIMITS)


def test_the_window_slides_and_refusals_do_not_extend_it(db):
    at = [START + dt.timedelta(minutes=m) for m in (0, 5, 10)]
    assert fail(db, "sato", at[0]) is None
    assert fail(db, "sato", at[1]) is None
    lock = fail(db, "sato", at[2])
    assert lock == accounts_db.Lockout("name", START + dt.timedelta(minutes=15), 3)
    for minute in (11, 14):  # refused tries while locked change nothing
        _, lock = accounts_db.begin_login(
            db, "sato", "10.0.0.1", moment=START + dt.timedelta(minutes=minute), limits=LIMITS
        )
        assert lock.until == START + dt.timedelta(minutes=15)
    # at 09:15:01 the 09:00 failure has left the window: one more try is let through,
    # and failing it locks again until the 09:05 failure leaves
    later = START + dt.timedelta(minutes=15, seconds=1)
    lock = fail(db, "sato", later)
    assert lock == accounts_db.Lockout("name", START + dt.timedelta(minutes=20), 3)


def test_login_limits_config_defaults():
    from papertally.config import load_settings

    repo = Path(__file__).resolve().parents[2]
    review = load_settings(repo / "config.toml").review
    assert (review.login_max_failures, review.login_window_minutes) == (5, 15.0)
    assert review.login_max_failures_per_client > review.login_max_failures
    assert review.secure_cookies is False


@pytest.mark.parametrize("name", ["", "x" * 5000])
def test_odd_names_are_counted_without_error(make_app, web, db, name):
    server = make_app(clock=Clock())
    r = attempt(web, server.url, name, "wrong password")
    assert r.status_code == 401
    assert len(attempts(db)[-1]["name"]) == min(len(name), accounts_db.MAX_NAME)


def test_reaching_both_limits_at_once_records_both_lockouts(db):
    both = accounts_db.LoginLimits(per_name=2, per_client=2, window=dt.timedelta(minutes=15))
    for minute in (0, 1):
        moment = START + dt.timedelta(minutes=minute)
        attempt_id, _ = accounts_db.begin_login(db, "sato", "10.0.0.1", moment=moment, limits=both)
        lock = accounts_db.login_failed(db, attempt_id, moment=moment, limits=both)
    assert lock.until == START + dt.timedelta(minutes=15)
    locked = [r for r in attempts(db) if r["outcome"] == "locked"]
    assert [r["detail"].split(";")[0] for r in locked] == [
        "2 failed logins for this name within 0:15:00",
        "2 failed logins for this client within 0:15:00",
    ]


def test_without_a_proxy_a_forged_forwarded_for_is_ignored(make_app, web, db):
    # The default config names no proxy: a local process cannot pick its own address to
    # get a fresh budget after a lockout, nor write a forged address into the audit.
    clock = Clock()
    server = make_app(clock=clock, login_max_failures_per_client=3)
    for name in ("sato", "tanaka", "nobody"):
        attempt(web, server.url, name, "wrong password", client=f"203.0.113.{len(name)}")
    r = attempt(web, server.url, "tanaka", web.password, client="198.51.100.2")
    assert r.status_code == 429  # the connection's own address is locked
    assert {row["client"] for row in attempts(db)} == {"127.0.0.1"}


def test_the_serve_command_reads_forwarded_headers_only_from_a_configured_proxy():
    from papertally.config import Review, Settings
    from review.app import server_options

    assert Review().forwarded_allow_ips == ""
    assert server_options(Settings.model_construct(review=Review())) == {
        "proxy_headers": False,
        "forwarded_allow_ips": "",
    }
    proxied = Review(forwarded_allow_ips="127.0.0.1, 10.0.0.0/8")
    assert server_options(Settings.model_construct(review=proxied)) == {
        "proxy_headers": True,
        "forwarded_allow_ips": "127.0.0.1,10.0.0.0/8",
    }
    with pytest.raises(ValueError, match="not an IP address or network"):
        Review(forwarded_allow_ips="proxy.example.org")
