"""The review web app over real HTTP: login, CSRF, escaping, decisions, bulk, rules, summary, i18n."""

from __future__ import annotations

import os
import re
import stat

import pytest
import requests

from db import accounts as accounts_db
from db import links as links_db
from db import rules as rules_db
from papertally import report as report_mod
from review.auth import load_secret_key


def decisions(db) -> list[dict]:
    return list(db.query("SELECT * FROM decisions ORDER BY decision_id"))


def post(session, url, path, token, origin=None, **data):
    return session.post(
        f"{url}{path}",
        data={"csrf_token": token, **data},
        headers={"Origin": origin or url},
        allow_redirects=False,
    )


# -- security ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/queue", "/queue?item=1", "/summary", "/rules", "/log", "/"]
)
def test_pages_without_login_redirect_to_the_login_page(review_app, path):
    server, _, _ = review_app
    r = requests.get(server.url + path, allow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/login")


def test_actions_without_login_are_refused_and_change_nothing(review_app, db, web):
    server, _, links = review_app
    anonymous = web.session()
    token = web.csrf_of(
        anonymous.get(server.url + "/login").text
    )  # a session, but no login
    r = post(
        anonymous,
        server.url,
        f"/links/{links['c1']}/decide",
        token,
        action="accept",
        seen_decision="",
    )
    assert r.status_code == 401
    assert "log in" in r.text.lower() or "ログイン" in r.text
    r = requests.post(
        server.url + f"/links/{links['c1']}/decide", data={"action": "accept"}
    )
    assert r.status_code == 403
    assert decisions(db) == []


def test_wrong_password_and_unknown_user_are_refused(review_app, web):
    server, _, _ = review_app
    for name, password in (("sato", "wrong password"), ("nobody", web.password)):
        s = web.session()
        token = web.csrf_of(s.get(server.url + "/login").text)
        r = post(s, server.url, "/login", token, name=name, password=password)
        assert r.status_code == 401
        assert s.get(server.url + "/queue", allow_redirects=False).status_code == 303


@pytest.mark.parametrize(
    ("how", "token", "origin"),
    [
        ("no token", "", None),
        ("wrong token", "forged-token", None),
        ("other site", None, "https://evil.example"),
    ],
)
def test_forged_cross_site_post_is_refused(review_app, db, web, how, token, origin):
    server, _, links = review_app
    s, real_token = web.login(server.url, "sato")
    r = post(
        s,
        server.url,
        f"/links/{links['c1']}/decide",
        real_token if token is None else token,
        origin=origin,
        action="accept",
        seen_decision="",
    )
    assert r.status_code == 403, how
    assert "refused" in r.text or "token" in r.text
    assert links_db.get_link(db, links["c1"])["status"] == "needs_review"
    assert decisions(db) == []


def test_title_with_script_renders_as_text(review_app, web):
    server, _, links = review_app
    s, _ = web.login(server.url, "sato")
    html = s.get(f"{server.url}/queue?item={links['c1']}").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html
    # the only scripts on the page are our own file
    assert re.findall(r"<script[^>]*>", html) == [
        '<script src="/static/review.js" defer>'
    ]


def test_login_never_redirects_off_site(review_app, web):
    server, _, _ = review_app
    s = web.session()
    token = web.csrf_of(s.get(server.url + "/login?next=//evil.example/x").text)
    r = post(
        s,
        server.url,
        "/login",
        token,
        name="sato",
        password=web.password,
        next="//evil.example/x",
    )
    assert r.status_code == 303 and r.headers["location"] == "/queue"


def test_logout_ends_the_session_even_for_a_copied_cookie(review_app, web):
    server, _, _ = review_app
    s, token = web.login(server.url, "sato")
    stolen = web.session()
    stolen.cookies.update(s.cookies)
    assert stolen.get(server.url + "/queue", allow_redirects=False).status_code == 200
    assert post(s, server.url, "/logout", token).status_code == 303
    assert s.get(server.url + "/queue", allow_redirects=False).status_code == 303
    assert stolen.get(server.url + "/queue", allow_redirects=False).status_code == 303


def test_a_new_password_ends_open_sessions(review_app, db, web):
    server, _, _ = review_app
    s, _ = web.login(server.url, "tanaka")
    accounts_db.add_user(
        db, "tanaka", "$argon2id$v=19$m=1024,t=1,p=1$c29tZXNhbHQ$aGFzaGhhc2hoYXNo"
    )
    assert s.get(server.url + "/queue", allow_redirects=False).status_code == 303


def test_session_cookie_is_signed_httponly_and_samesite(review_app, web):
    server, _, _ = review_app
    r = requests.get(server.url + "/login")
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    s, _ = web.login(server.url, "sato")
    value = s.cookies["papertally_review"]
    tampered = value[:-3] + ("AAA" if not value.endswith("AAA") else "BBB")
    for cookie, code in ((value, 200), (tampered, 303)):
        other = web.session()
        other.cookies.set("papertally_review", cookie)
        assert (
            other.get(server.url + "/queue", allow_redirects=False).status_code == code
        )


def test_secret_key_file_is_created_private(tmp_path):
    path = tmp_path / "keys" / "secret.key"
    key = load_secret_key(path)
    assert len(key) >= 32 and load_secret_key(path) == key
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/queue?year=abc", 400),
        ("/queue?item=999", 404),
        ("/queue?status=maybe", 400),
        ("/summary?fy=abc", 400),
        ("/nowhere", 404),
    ],
)
def test_bad_input_gives_a_clear_4xx_page(review_app, web, path, code):
    server, _, _ = review_app
    s, _ = web.login(server.url, "tanaka")
    r = s.get(server.url + path)
    assert r.status_code == code
    assert "<h1>" in r.text and str(code) in r.text


def test_bad_action_and_bad_link_id_are_4xx(review_app, web):
    server, _, links = review_app
    s, token = web.login(server.url, "tanaka")
    assert (
        post(
            s, server.url, f"/links/{links['c1']}/decide", token, action="delete"
        ).status_code
        == 400
    )
    assert (
        post(s, server.url, "/links/abc/decide", token, action="accept").status_code
        == 400
    )
    assert (
        post(s, server.url, "/links/999/decide", token, action="accept").status_code
        == 404
    )


# -- reviewing -------------------------------------------------------------------------------


def test_item_page_shows_paper_printed_author_member_and_evidence(review_app, web):
    server, _, links = review_app
    s, _ = web.login(server.url, "tanaka")
    html = s.get(f"{server.url}/queue?item={links['c2']}").text
    for text in (
        "Diffusion policies for 家庭用ロボット",
        "H. Tanaka",
        "University of Tokyo",
        "0000-0002-1825-0097",
        "田中 浩",
        "The University of Tokyo",
        "T01-P1",
        "ロボット基盤モデル",
        "2023-04-01",
        "printed name matches the roster name",
        "+0.40",
        "Already confirmed paper",
        "https://example.org/c2",
    ):
        assert text in html, text
    assert "<kbd>A</kbd>" in html and "<kbd>R</kbd>" in html and "<kbd>N</kbd>" in html


def test_queue_filters_and_short_themes_first(review_app, web):
    server, _, links = review_app
    s, _ = web.login(server.url, "tanaka")
    html = s.get(f"{server.url}/queue?theme=T02").text
    assert re.findall(r'data-link="(\d+)"', html.split("</ol>")[0]) == [
        str(links["a1"])
    ]
    html = s.get(f"{server.url}/queue?member=p001&venue=CVPR").text
    listed = re.findall(r'<a href="/queue\?[^"]*item=(\d+)" data-link', html)
    assert listed == [str(links[k]) for k in ("c1", "c2", "c3")]


def test_accept_records_who_what_why_and_loads_the_next_item(review_app, db, web):
    server, _, links = review_app
    s, token = web.login(server.url, "sato")
    r = post(
        s,
        server.url,
        f"/links/{links['c1']}/decide",
        token,
        action="accept",
        reason="ORCID matches",
        seen_decision="",
        next_id=str(links["c2"]),
        theme="T01",
    )
    assert r.status_code == 303
    assert r.headers["location"] == f"/queue?theme=T01&item={links['c2']}"
    [d] = decisions(db)
    assert (d["action"], d["decided_by"], d["reason"], d["score_shown"]) == (
        "accept",
        "sato",
        "ORCID matches",
        0.8,
    )
    assert "printed name matches" in d["evidence_shown"]
    assert links_db.get_link(db, links["c1"])["status"] == "confirmed"
    page = s.get(server.url + r.headers["location"]).text
    assert "#{} を承認しました".format(links["c1"]) in page  # sato reads Japanese


def test_two_staff_deciding_one_item_the_second_gets_a_clear_conflict(
    review_app, db, web
):
    server, _, links = review_app
    sato, sato_token = web.login(server.url, "sato")
    tanaka, tanaka_token = web.login(server.url, "tanaka")
    # both loaded the item while it was undecided (seen_decision empty)
    assert (
        post(
            sato,
            server.url,
            f"/links/{links['c4']}/decide",
            sato_token,
            action="accept",
            seen_decision="",
        ).status_code
        == 303
    )
    r = post(
        tanaka,
        server.url,
        f"/links/{links['c4']}/decide",
        tanaka_token,
        action="reject",
        seen_decision="",
    )
    assert r.status_code == 409
    assert f"sato decided #{links['c4']} at " in r.text and "after you opened it" in r.text
    assert [d["decided_by"] for d in decisions(db)] == ["sato"]
    assert links_db.get_link(db, links["c4"])["status"] == "confirmed"


def test_undo_restores_the_previous_state_with_a_new_row(review_app, db, web):
    server, _, links = review_app
    s, token = web.login(server.url, "sato")
    post(
        s,
        server.url,
        f"/links/{links['c3']}/decide",
        token,
        action="reject",
        seen_decision="",
    )
    first = links_db.get_link(db, links["c3"])["decision_id"]
    r = post(
        s, server.url, f"/links/{links['c3']}/undo", token, seen_decision=str(first)
    )
    assert r.status_code == 303
    assert [d["action"] for d in decisions(db)] == ["reject", "undo"]
    link = links_db.get_link(db, links["c3"])
    assert (link["status"], link["decision_id"]) == ("needs_review", None)


def test_bulk_accept_by_shared_orcid_touches_only_the_group_seen(review_app, db, web):
    server, _, links = review_app
    s, token = web.login(server.url, "sato")
    html = s.get(f"{server.url}/queue?item={links['c1']}").text
    assert "ORCID 0000-0002-1825-0097" in html
    # a tampered list also names c4 (another member): it must be ignored
    ids = f"{links['c1']},{links['c2']},{links['c4']}"
    r = post(
        s,
        server.url,
        f"/links/{links['c1']}/bulk",
        token,
        group="id:orcid",
        action="accept",
        link_ids=ids,
        reason="same ORCID",
        confirm="yes",
    )
    assert r.status_code == 303
    status = {
        k: links_db.get_link(db, links[k])["status"] for k in ("c1", "c2", "c3", "c4")
    }
    assert status == {
        "c1": "confirmed",
        "c2": "confirmed",
        "c3": "needs_review",
        "c4": "needs_review",
    }
    assert {d["reason"] for d in decisions(db)} == {
        f"same ORCID [bulk from #{links['c1']}: id:orcid 0000-0002-1825-0097]"
    }


def test_rules_from_an_item_use_the_printed_values(review_app, db, web):
    server, _, links = review_app
    s, token = web.login(server.url, "sato")
    # a rule needs a reason and a confirmation
    for missing in ({"confirm": "yes"}, {"reason": "his ORCID"}):
        r = post(s, server.url, f"/links/{links['c1']}/rules", token,
                 kind="id_is", scheme="orcid", **missing)
        assert r.status_code == 400
    assert rules_db.load_rules(db) == []
    r = post(
        s,
        server.url,
        f"/links/{links['c1']}/rules",
        token,
        kind="id_is",
        scheme="orcid",
        reason="his ORCID",
        confirm="yes",
    )
    assert r.status_code == 303
    r = post(
        s,
        server.url,
        f"/links/{links['c3']}/rules",
        token,
        kind="never_at_org",
        value="Tokyo Institute of Technology",
        reason="never at Tokyo Tech",
        confirm="yes",
    )
    assert r.status_code == 303
    assert (
        post(
            s,
            server.url,
            f"/links/{links['c3']}/rules",
            token,
            kind="never_at_org",
            value="Somewhere not printed",
            reason="x",
            confirm="yes",
        ).status_code
        == 400
    )
    assert (
        post(
            s,
            server.url,
            f"/links/{links['c3']}/rules",
            token,
            kind="id_is",
            scheme="orcid",
            reason="his ORCID",
            confirm="yes",
        ).status_code
        == 400
    )  # c3's author has no ORCID
    rules = rules_db.load_rules(db)
    assert [(r.kind, r.person_id, r.scheme, r.value) for r in rules] == [
        ("id_is", "p001", "orcid", "0000-0002-1825-0097"),
        ("never_at_org", "p001", None, "Tokyo Institute of Technology"),
    ]
    assert "Tokyo Institute of Technology" in s.get(server.url + "/rules").text


def _summary_numbers(html: str) -> dict[str, tuple[int, int]]:
    rows = re.findall(r'<tr id="(theme-\w+|total)">(.*?)</tr>', html, re.DOTALL)
    out = {}
    for row_id, body in rows:
        confirmed = int(re.search(r'class="n confirmed">(\d+)<', body).group(1))
        pending = int(re.search(r'class="n pending">(\d+)<', body).group(1))
        out[row_id] = (confirmed, pending)
    return out


def test_summary_shows_the_report_numbers_and_follows_decisions(review_app, db, web):
    server, settings, links = review_app
    s, token = web.login(server.url, "tanaka")

    def expected():
        rep = report_mod.build_report(db, settings, 2024)
        out = {
            f"theme-{t['theme_id']}": (t["confirmed"], t["pending"])
            for t in rep["themes"]
        }
        out["total"] = (rep["papers_confirmed"], rep["papers_pending"])
        return out

    before = _summary_numbers(s.get(server.url + "/summary?fy=2024").text)
    assert before == expected()
    assert before["theme-T01"] == (1, 4)
    post(
        s,
        server.url,
        f"/links/{links['c4']}/decide",
        token,
        action="accept",
        seen_decision="",
    )
    after = _summary_numbers(s.get(server.url + "/summary?fy=2024").text)
    assert after == expected() and after["theme-T01"] == (2, 3)


def test_language_per_user_or_browser(review_app, web):
    server, _, _ = review_app
    assert (
        "ログイン"
        in requests.get(
            server.url + "/login", headers={"Accept-Language": "ja,en;q=0.5"}
        ).text
    )
    assert (
        "Log in"
        in requests.get(
            server.url + "/login", headers={"Accept-Language": "en-GB,ja;q=0.3"}
        ).text
    )
    sato, sato_token = web.login(server.url, "sato")
    tanaka, _ = web.login(server.url, "tanaka")
    assert "審査キュー" in sato.get(server.url + "/queue").text
    assert ">Queue<" in tanaka.get(server.url + "/queue").text
    r = post(sato, server.url, "/lang", sato_token, lang="en", back="/summary")
    assert r.status_code == 303 and r.headers["location"] == "/summary"
    assert ">Queue<" in sato.get(server.url + "/queue").text


def test_audit_log_page_lists_decisions(review_app, web):
    server, _, links = review_app
    s, token = web.login(server.url, "tanaka")
    post(
        s,
        server.url,
        f"/links/{links['a1']}/decide",
        token,
        action="unsure",
        reason="ask the PI",
        seen_decision="",
    )
    html = s.get(server.url + "/log").text
    assert "ask the PI" in html and "tanaka" in html


def _add_paper(db, data, sid, title, author, score=0.6):
    """Store one more CVPR 2024 paper by `author` and a needs_review link to Tanaka."""
    from db.links import store_candidates
    from db.papers import store_records

    store_records(db, [data.paper(sid, title, [author])], None)
    pid = db.execute(
        "SELECT paper_id FROM source_records WHERE source_id = ?", [sid]
    ).fetchone()[0]
    existing = [
        data.candidate(r["paper_id"], r["person_id"], r["mention"], r["score"], r["status"])
        for r in db.query("SELECT * FROM links")
    ]
    store_candidates(
        db, [*existing, data.candidate(pid, "p001", f"paperlists:{sid}#1", score)], "test"
    )
    return db.execute("SELECT link_id FROM links WHERE paper_id = ?", [pid]).fetchone()[0]


def test_bulk_groups_by_organisation_through_the_organisation_table(
    review_app, db, web, data
):
    server, _, links = review_app
    # "Bunkyo-ku, Tokyo, Japan" and "University of Tokyo": one organisation in the table
    x1 = _add_paper(
        db, data, "x1", "Another Tokyo paper",
        data.author("Hiroshi Tanaka", 1, "The University of Tokyo, Bunkyo-ku, Tokyo, Japan"),
    )
    s, token = web.login(server.url, "tanaka")
    html = s.get(f"{server.url}/queue?item={x1}").text
    assert "printed at The University of Tokyo" in html and "Reject all 3" in html
    form = dict(group="org", action="reject", link_ids=f"{links['c1']},{links['c2']},{x1}")
    # a reason and the confirmation are required
    assert post(s, server.url, f"/links/{x1}/bulk", token, **form, confirm="yes").status_code == 400
    assert post(s, server.url, f"/links/{x1}/bulk", token, **form, reason="other Tanaka").status_code == 400
    assert decisions(db) == []
    r = post(s, server.url, f"/links/{x1}/bulk", token, **form, reason="other Tanaka", confirm="yes")
    assert r.status_code == 303
    assert {links_db.get_link(db, i)["status"] for i in (links["c1"], links["c2"], x1)} == {
        "rejected"
    }
    assert links_db.get_link(db, links["c3"])["status"] == "needs_review"  # Tokyo Tech


def test_bulk_falls_back_to_the_same_printed_name_and_affiliation(review_app, db, web, data):
    server, _, links = review_app
    # an organisation the table does not know: only identical printed strings group
    a = _add_paper(db, data, "y1", "Lab paper one", data.author("Hiroshi Tanaka", 1, "Acme Robotics Lab"))
    b = _add_paper(db, data, "y2", "Lab paper two", data.author("Hiroshi Tanaka", 1, "Acme Robotics Lab"))
    s, token = web.login(server.url, "tanaka")
    html = s.get(f"{server.url}/queue?item={a}").text
    assert "Hiroshi Tanaka @ Acme Robotics Lab" in html and "Reject all 2" in html
    r = post(s, server.url, f"/links/{a}/bulk", token, group="name_org", action="reject",
             link_ids=f"{a},{b}", reason="a namesake", confirm="yes")
    assert r.status_code == 303
    assert {links_db.get_link(db, i)["status"] for i in (a, b)} == {"rejected"}


def test_after_a_bulk_decision_the_next_undecided_item_opens(review_app, db, web):
    server, _, links = review_app
    s, token = web.login(server.url, "tanaka")
    html = s.get(f"{server.url}/queue?item={links['c1']}").text
    # the page's next item is c2, which the bulk decides along with c1
    assert f'name="next_id" value="{links["c2"]}"' in html
    r = post(s, server.url, f"/links/{links['c1']}/bulk", token, group="id:orcid",
             action="accept", link_ids=f"{links['c1']},{links['c2']}", reason="same ORCID",
             confirm="yes", next_id=str(links["c2"]))
    assert r.status_code == 303
    assert r.headers["location"].endswith(f"item={links['c4']}")  # c4: next undecided
    page = s.get(server.url + r.headers["location"]).text
    assert f'id="item" data-link="{links["c4"]}"' in page
    assert re.search(r'<li class="current">\s*<a href="[^"]*item=%d"' % links["c4"], page)


def test_pages_forbid_foreign_scripts_and_framing(review_app, web):
    server, _, _ = review_app
    s, _ = web.login(server.url, "sato")
    for path in ("/login", "/queue", "/summary"):
        r = s.get(server.url + path)
        csp = r.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert r.headers["x-frame-options"] == "DENY"
        assert (
            "onchange=" not in r.text and "onclick=" not in r.text
        )  # no inline handlers


def test_a_rescored_item_shows_the_new_evidence_and_one_key_decides_on_it(
    review_app, db, web, data
):
    server, _, links = review_app
    s, token = web.login(server.url, "tanaka")
    html = s.get(f"{server.url}/queue?item={links['c4']}").text
    version = re.search(r'name="seen_version" value="([^"]+)"', html).group(1)
    # the nightly re-match re-scores c4 while the page is open
    db.execute(
        "UPDATE links SET score = 0.55, updated_at = '2099-01-01T00:00:00+00:00' "
        "WHERE link_id = ?",
        [links["c4"]],
    )
    db.conn.commit()
    r = post(s, server.url, f"/links/{links['c4']}/decide", token,
             action="accept", seen_decision="", seen_version=version)
    assert r.status_code == 303 and r.headers["location"].endswith(f"item={links['c4']}")
    assert decisions(db) == []
    html = s.get(server.url + r.headers["location"]).text
    assert "re-scored this item since you opened it; here is the new evidence" in html
    assert '<span class="scorebig"' in html and "0.55" in html
    # one key (the form on the page as it is now) decides on the new version
    version = re.search(r'name="seen_version" value="([^"]+)"', html).group(1)
    r = post(s, server.url, f"/links/{links['c4']}/decide", token,
             action="accept", seen_decision="", seen_version=version)
    assert r.status_code == 303
    assert decisions(db)[0]["score_shown"] == 0.55


def test_a_rematch_with_unchanged_evidence_leaves_an_open_page_valid(
    review_app, db, web, data
):
    from db.links import store_candidates
    from matching.model import Evidence

    server, _, links = review_app
    s, token = web.login(server.url, "tanaka")
    html = s.get(f"{server.url}/queue?item={links['c4']}").text
    version = re.search(r'name="seen_version" value="([^"]+)"', html).group(1)
    # a harvest elsewhere changes a count in a sentence; kinds, weights and score stay
    again = [
        data.candidate(r["paper_id"], r["person_id"], r["mention"], r["score"], r["status"])
        for r in db.query("SELECT * FROM links")
    ]
    c4 = next(c for c in again if c.mention_key == "paperlists:c4#1")
    again[again.index(c4)] = c4.__class__(
        **{**c4.__dict__, "evidence": (
            Evidence("name", 0.4, "printed name matches the roster name (1 in 7,778 mentions)"),
            *c4.evidence[1:],
        )}
    )
    store_candidates(db, again, "test")
    assert links_db.get_link(db, links["c4"])["updated_at"] not in html  # re-scored
    r = post(s, server.url, f"/links/{links['c4']}/decide", token,
             action="accept", seen_decision="", seen_version=version)
    assert r.status_code == 303 and "re-scored" not in s.get(server.url + r.headers["location"]).text
    assert [d["action"] for d in decisions(db)] == ["accept"]


def test_a_database_deleted_under_the_server_is_a_503_page_and_not_recreated(
    review_app, tmp_path, web
):
    from markupsafe import escape

    from papertally.i18n import translate

    server, _, links = review_app
    path = tmp_path / "papertally.db"
    pages = {lang: web.login(server.url, name) for name, lang in (("sato", "ja"), ("tanaka", "en"))}
    path.unlink()  # a cleanup job, or the file moved away
    for lang, (s, token) in pages.items():
        # the browser asks for the other language: the staff member's own choice holds
        s.headers["Accept-Language"] = "en" if lang == "ja" else "ja"
        for r in (
            s.get(f"{server.url}/queue"),
            post(s, server.url, f"/links/{links['c1']}/decide", token, action="accept"),
        ):
            assert r.status_code == 503
            assert str(escape(translate(lang, "error.no_database", path=str(path)))) in r.text
            assert f"503 · {translate(lang, 'error.503')}" in r.text
            assert not path.exists()
    r = requests.get(f"{server.url}/queue", headers={"Accept-Language": "en"})
    assert r.status_code == 503 and "papertally roster import" in r.text
    assert not path.exists()


def test_a_database_locked_past_the_busy_timeout_is_a_503_page_in_the_viewers_language(
    review_app, tmp_path, db, web, monkeypatch
):
    import sqlite3

    from markupsafe import escape

    from db import connection
    from papertally.i18n import translate

    server, _, links = review_app
    path = tmp_path / "papertally.db"
    pages = {lang: web.login(server.url, name) for name, lang in (("sato", "ja"), ("tanaka", "en"))}
    monkeypatch.setattr(connection, "BUSY_TIMEOUT_S", 0.2)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # a nightly run writing
    try:
        for lang, (s, token) in pages.items():
            r = post(s, server.url, f"/links/{links['c1']}/decide", token, action="accept")
            assert r.status_code == 503
            wording = translate(lang, "error.db_busy", path=str(path), seconds=0.2)
            assert str(escape(wording)) in r.text
    finally:
        holder.rollback()
        holder.close()
    assert decisions(db) == []


def _unrelated_sqlite_file(path) -> None:
    """Another program's SQLite database with one table (rollback journal, as most are)."""
    import sqlite3

    other = sqlite3.connect(path)
    other.execute("CREATE TABLE bookmarks (url TEXT PRIMARY KEY, title TEXT)")
    other.execute("INSERT INTO bookmarks VALUES ('https://aclanthology.org/', 'ACL Anthology')")
    other.commit()
    other.close()


def _older_papertally_database(path) -> None:
    """A papertally database of an older version: its first migration set only (WAL, as
    papertally leaves every database)."""
    from db.connection import connect
    from db.schema import MIGRATION_SETS

    old = connect(path)
    MIGRATION_SETS[0].apply(old)
    old.close()


@pytest.mark.parametrize(
    "replacement, key",
    [
        ("empty file", "error.not_papertally_db"),
        ("unrelated sqlite database", "error.not_papertally_db"),
        ("older papertally database", "error.db_outdated"),
    ],
)
def test_a_database_replaced_under_the_server_is_a_503_page_and_the_file_is_left_untouched(
    review_app, tmp_path, web, replacement, key
):
    from markupsafe import escape

    from papertally.i18n import translate

    server, _, links = review_app
    path = tmp_path / "papertally.db"
    pages = {lang: web.login(server.url, name) for name, lang in (("sato", "ja"), ("tanaka", "en"))}
    foreign = tmp_path / "foreign.db"
    if replacement == "empty file":
        foreign.touch()
    elif replacement == "unrelated sqlite database":
        _unrelated_sqlite_file(foreign)
    else:
        _older_papertally_database(foreign)
    before = foreign.read_bytes()
    for suffix in ("-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    os.replace(foreign, path)  # a restore gone wrong, or another program's file copied there
    for lang, (s, token) in pages.items():
        s.headers["Accept-Language"] = "en" if lang == "ja" else "ja"  # the user's choice holds
        for r in (
            s.get(f"{server.url}/queue"),
            post(s, server.url, f"/links/{links['c1']}/decide", token, action="accept"),
        ):
            assert r.status_code == 503, r.text
            assert str(escape(translate(lang, key, path=str(path)))) in r.text
            assert f"503 · {translate(lang, 'error.503')}" in r.text
            assert path.read_bytes() == before  # never migrated, never switched to WAL
    assert "papertally run" in translate("en", key, path="x")
    assert path.read_bytes() == before
