"""Errors the core raises on the rules, bulk and withdrawal paths: each names a message of
papertally/locales, and the review page shows it in the viewer's language."""

from __future__ import annotations

import ast
import string
from pathlib import Path

import pytest
from markupsafe import escape

from db import links as links_db
from db import rules as rules_db
from papertally.errors import PapertallyError
from papertally.i18n import messages, translate
from review.wording import error_text

REPO = Path(__file__).resolve().parents[2]
# The modules whose errors reach the review page from its rules, bulk and withdrawal paths.
CORE = ("db/rules.py", "db/links.py")


def _raised_errors(path: str) -> list[ast.Call]:
    """Every `raise SomethingError(...)` call in the module at `path`."""
    tree = ast.parse((REPO / path).read_text(encoding="utf-8"))
    return [
        node.exc
        for node in ast.walk(tree)
        if isinstance(node, ast.Raise)
        and isinstance(node.exc, ast.Call)
        and isinstance(node.exc.func, ast.Name)
        and node.exc.func.id.endswith("Error")
    ]


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


@pytest.mark.parametrize("path", CORE)
def test_every_error_raised_names_a_message_in_both_languages(path):
    calls = _raised_errors(path)
    assert calls, f"no raise found in {path}"
    for call in calls:
        where = f"{path}:{call.lineno}"
        kw = {k.arg: k.value for k in call.keywords}
        assert "key" in kw, f"{where}: {call.func.id} raised without key="
        for key, params in _branches(kw["key"], kw.get("params")):
            assert isinstance(key, ast.Constant), f"{where}: key= is not a literal"
            assert params is None or isinstance(params, ast.Dict), (
                f"{where}: params= is not a dict literal"
            )
            given = {k.value for k in params.keys} if params is not None else set()
            for lang in ("en", "ja"):
                text = messages(lang).get(key.value)
                assert text is not None, f"{where}: {key.value} is not in {lang}.json"
                assert _fields(text) <= given, f"{where}: {lang} {key.value} needs {_fields(text)}"


def _branches(key: ast.expr, params: ast.expr | None) -> list[tuple[ast.expr, ast.expr | None]]:
    """(key, params) as raised: both branches of `key=A if c else B, params=X if c else Y`."""
    if isinstance(key, ast.IfExp):
        both = (params.body, params.orelse) if isinstance(params, ast.IfExp) else (params, params)
        return [(key.body, both[0]), (key.orelse, both[1])]
    return [(key, params)]


def test_the_ast_check_finds_a_raise_without_a_key(tmp_path, monkeypatch):
    # the check above can fail: a raise without key= is caught
    bad = tmp_path / "bad.py"
    bad.write_text('def f():\n    raise PapertallyError("English only")\n', encoding="utf-8")
    monkeypatch.setattr(f"{__name__}.REPO", tmp_path)
    with pytest.raises(AssertionError, match="raised without key="):
        test_every_error_raised_names_a_message_in_both_languages("bad.py")


@pytest.mark.parametrize(
    ("call", "key"),
    [
        (lambda db: rules_db.add_rule(db, "always", "p001", "x", by="sato"), "error.unknown_rule_kind"),
        (lambda db: rules_db.add_rule(db, "id_is", "p001", "x", scheme="isni", by="sato"), "error.rule_scheme"),
        (lambda db: rules_db.add_rule(db, "never_at_org", "p001", "  ", by="sato"), "error.rule_value_required"),
        (lambda db: rules_db.add_rule(db, "never_at_org", "p001", "RIKEN", by=" "), "error.rule_by_required"),
        (lambda db: rules_db.add_rule(db, "never_at_org", "p999", "RIKEN", by="sato"), "error.no_member"),
        (lambda db: rules_db.deactivate_rule(db, 41, by="sato"), "error.no_active_rule"),
        (lambda db: rules_db.withdraw_rule(db, 41, by="sato", reason=""), "error.withdraw_reason_required"),
        (lambda db: links_db.decide(db, 1, "delete", "sato"), "error.unknown_decision"),
        (lambda db: links_db.decide(db, 1, "accept", ""), "error.decision_by_required"),
        (lambda db: links_db.review_queue(db, status="late"), "error.unknown_status"),
        (lambda db: links_db.parse_mention_key("broken"), "error.bad_mention_key"),
    ],
)
def test_each_rules_and_links_error_reads_in_japanese_and_english(db, links, call, key):
    with pytest.raises(PapertallyError) as caught:
        call(db)
    exc = caught.value
    assert exc.key == key
    ja, en = error_text("ja", exc, "?"), error_text("en", exc, "?")
    assert ja == translate("ja", key, **exc.params) and en == translate("en", key, **exc.params)
    assert ja != en and not any(word in ja for word in ("rule", "the ", "nothing"))


# -- on the page ---------------------------------------------------------------------------


def post(session, url, path, token, **data):
    return session.post(
        f"{url}{path}", data={"csrf_token": token, **data}, headers={"Origin": url},
        allow_redirects=False,
    )


def _withdrawn_rule(db, links) -> tuple[str, dict]:
    rule_id = rules_db.add_rule(db, "never_at_org", "p001", "RIKEN", by="sato", reason="x")
    rules_db.withdraw_rule(db, rule_id, by="sato", reason="typo")
    return f"/rules/{rule_id}/off", {"reason": "again", "confirm": "yes"}


def _bulk(**changed):
    def setup(db, links):
        form = {
            "action": "accept", "group": "id:orcid", "link_ids": f"{links['c1']},{links['c2']}",
            "reason": "same ORCID", "confirm": "yes", **changed,
        }
        return f"/links/{links['c1']}/bulk", form

    return setup


def _broken_mention(db, links):
    db["links"].update(links["c3"], {"mention": "broken"})
    form = {"kind": "never_at_org", "value": "x", "reason": "y", "confirm": "yes"}
    return f"/links/{links['c3']}/rules", form


@pytest.mark.parametrize(
    ("setup", "code", "key", "params"),
    [
        (_withdrawn_rule, 404, "error.no_active_rule", None),
        (_bulk(status="late"), 400, "error.unknown_status",
         {"status": "late", "known": ", ".join(links_db.QUEUE_STATUSES)}),
        (_bulk(action="unsure"), 400, "error.bulk_action", {"action": "unsure"}),
        (_bulk(link_ids="1,two"), 400, "error.bulk_link_ids", {}),
        (_broken_mention, 400, "error.bad_mention_key", {"mention": "broken"}),
    ],
    ids=["withdrawn-twice", "bulk-bad-status", "bulk-bad-action", "bulk-bad-ids", "rule-bad-mention"],
)
def test_core_errors_on_the_page_in_the_viewers_language(
    review_app, db, web, setup, code, key, params
):
    server, _, links = review_app
    path, form = setup(db, links)
    if params is None:  # the rule's id
        params = {"rule_id": int(path.split("/")[2])}
    before = db.execute("SELECT COUNT(*) FROM decisions").fetchone()[0]
    for name, lang in (("sato", "ja"), ("tanaka", "en")):
        s, token = web.login(server.url, name)
        r = post(s, server.url, path, token, **form)
        assert r.status_code == code, r.text[:300]
        shown = str(escape(translate(lang, key, **params)))
        assert shown in r.text, (lang, shown, r.text[-800:])
        other = str(escape(translate("en" if lang == "ja" else "ja", key, **params)))
        assert other not in r.text
    assert db.execute("SELECT COUNT(*) FROM decisions").fetchone()[0] == before


def test_a_malformed_address_is_worded_in_the_viewers_language(review_app, web):
    server, _, _ = review_app
    for name, wording in (("sato", "入力が正しくありません（"), ("tanaka", "Bad input (")):
        s, token = web.login(server.url, name)
        for path in ("/links/abc/bulk", "/rules/x/off"):
            r = post(s, server.url, path, token, action="accept", reason="r", confirm="yes")
            assert r.status_code == 400 and wording in r.text, (path, r.text[-600:])
