"""`papertally review list/accept/reject/undo/log` and `papertally user add` from a terminal."""

from __future__ import annotations

import io
import json

import pytest

from db import accounts as accounts_db
from db import links as links_db
from papertally.cli import main
from review.auth import verify_password


@pytest.fixture
def run(capsys, monkeypatch, review_config, links):
    monkeypatch.setenv("PAPERTALLY_CONFIG", str(review_config))
    monkeypatch.delenv("PAPERTALLY_DB", raising=False)

    def _run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
        if stdin is not None:
            monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = exc.code or 0
        out, err = capsys.readouterr()
        return code, out, err

    return _run


@pytest.fixture
def staff(db):
    """The staff accounts sato and tanaka, whom --by may name (no login here: any hash)."""
    accounts_db.add_user(db, "sato", "$argon2id$unused", "ja")
    accounts_db.add_user(db, "tanaka", "$argon2id$unused", "en")


def test_list_shows_each_item_with_its_link_id(run, links):
    code, out, _ = run("review", "list")
    assert code == 0
    ids = [int(line.split()[0]) for line in out.splitlines()[1:-1]]
    assert ids == [links[k] for k in ("a1", "c1", "c2", "c4", "c3")]


def test_list_json_with_filters(run, links):
    code, out, _ = run(
        "review", "list", "--format", "json", "--theme", "T01", "--member", "p002"
    )
    assert code == 0
    items = json.loads(out)
    assert [i["link_id"] for i in items] == [links["c4"]]
    assert (
        items[0]["title"] == "Kyoto scene graphs" and items[0]["name_ja"] == "佐藤 由紀"
    )


def test_accept_reject_undo_and_log(run, db, links, staff):
    assert (
        run("review", "accept", str(links["c1"]), "--by", "sato", "--reason", "ORCID")[
            0
        ]
        == 0
    )
    assert run("review", "reject", str(links["c3"]), "--by", "sato")[0] == 0
    assert links_db.get_link(db, links["c1"])["status"] == "confirmed"
    code, out, _ = run("review", "undo", str(links["c1"]), "--by", "tanaka")
    assert code == 0 and "needs_review" in out
    code, out, _ = run("review", "log")
    lines = out.splitlines()
    assert len(lines) == 3
    assert (
        "tanaka: undo" in lines[0]
        and "sato: reject" in lines[1]
        and '"ORCID"' in lines[2]
    )
    code, out, _ = run("review", "log", "--link", str(links["c1"]), "--format", "json")
    assert [d["action"] for d in json.loads(out)] == ["undo", "accept"]


def test_errors_are_one_line_and_non_zero(run, links, staff):
    code, _, err = run("review", "accept", "999", "--by", "sato")
    assert (
        code == 1
        and err.strip()
        == "error: link 999 does not exist; see `papertally review list`"
    )
    code, _, err = run("review", "undo", str(links["c1"]), "--by", "sato")
    assert code == 1 and "no staff decision to undo" in err
    code, _, err = run("review", "accept", str(links["c1"]))
    assert code == 2 and "--by" in err


def test_user_add_hashes_the_password(run, db):
    code, out, _ = run(
        "user", "add", "sato", "--password-stdin", "--lang", "ja", stdin="s3cret-pass\n"
    )
    assert code == 0 and "created" in out
    user = accounts_db.get_user(db, "sato")
    assert user["password_hash"].startswith("$argon2id$")
    assert "s3cret-pass" not in user["password_hash"]
    assert verify_password(user["password_hash"], "s3cret-pass")
    assert not verify_password(user["password_hash"], "wrong")
    code, _, err = run("user", "add", "kato", "--password-stdin", stdin="short\n")
    assert code == 1 and "too short" in err


def test_user_logins_lists_attempts_and_lockouts(run, db):
    import datetime as dt

    limits = accounts_db.LoginLimits(per_name=2, per_client=10, window=dt.timedelta(minutes=15))
    moment = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC)
    for _ in range(2):
        attempt_id, _ = accounts_db.begin_login(db, "sato", "192.0.2.1", moment=moment, limits=limits)
        accounts_db.login_failed(db, attempt_id, moment=moment, limits=limits)
    accounts_db.begin_login(db, "sato", "192.0.2.1", moment=moment, limits=limits)
    code, out, _ = run("user", "logins", "--limit", "3")
    assert code == 0
    lines = out.splitlines()
    assert [line.split()[1] for line in lines] == ["refused", "locked", "failed"]
    assert "'sato'" in lines[0] and "from 192.0.2.1" in lines[0]
    assert "name locked until 2026-11-28T09:15:00+00:00" in lines[0]


@pytest.mark.parametrize(
    ("by", "says"),
    [
        ("nobody", "--by 'nobody' is not a staff account"),
        ("sato\n#99 2026-11-30 admin: accept link 1", "holds control characters"),
        ("sato\x1b[2J", "holds control characters"),
        ("x" * 2000, "is not a staff account"),
    ],
)
def test_by_must_name_a_staff_account_in_plain_text(run, db, links, staff, by, says):
    code, _, err = run("review", "accept", str(links["c1"]), "--by", by)
    assert code == 1 and says in err and len(err.strip().splitlines()) == 1
    assert links_db.get_link(db, links["c1"])["decision_id"] is None
    assert db.execute("SELECT COUNT(*) FROM decisions").fetchone()[0] == 0


def test_a_reason_with_a_newline_is_refused(run, db, links, staff):
    code, _, err = run("review", "reject", str(links["c1"]), "--by", "sato", "--reason", "a\nb")
    assert code == 1 and "--reason" in err and "control characters" in err
    assert db.execute("SELECT COUNT(*) FROM decisions").fetchone()[0] == 0


def test_a_repeated_decision_writes_nothing_and_one_undo_undoes(run, db, links, staff):
    c1 = str(links["c1"])
    assert run("review", "accept", c1, "--by", "sato")[0] == 0
    code, out, _ = run("review", "accept", c1, "--by", "tanaka")
    assert code == 0 and out.startswith(f"link {c1}: already accept by sato at ")
    assert "nothing written" in out
    assert db.execute("SELECT COUNT(*) FROM decisions").fetchone()[0] == 1
    code, out, _ = run("review", "undo", c1, "--by", "sato")
    assert code == 0 and "needs_review" in out
    assert links_db.get_link(db, links["c1"])["status"] == "needs_review"


def test_user_add_refuses_a_name_with_control_characters(run, db):
    code, _, err = run("user", "add", "sato\nadmin", "--password-stdin", stdin="s3cret-pass\n")
    assert code == 1 and "control characters" in err
    assert accounts_db.list_users(db) == []


# -- the list in pages ---------------------------------------------------------------------


def _queue_of(db, data, n: int) -> None:
    """`n` undecided links of Tanaka (p001, theme T01), scores spread so that the order is not
    link_id's; they replace the fixture's links (a new matching run)."""
    from db.links import store_candidates
    from db.papers import store_records

    store_records(
        db,
        [data.paper(f"q{i}", f"Queued paper {i}", [data.author("H. Tanaka", 1)]) for i in range(n)],
        None,
    )
    ids = dict(db.execute("SELECT source_id, paper_id FROM source_records WHERE source_id LIKE 'q%'"))
    store_candidates(
        db,
        [data.candidate(ids[f"q{i}"], "p001", f"paperlists:q{i}#1", 0.30 + (i * 7 % 50) / 100)
         for i in range(n)],
        "test",
    )


def _listed(out: str) -> list[int]:
    return [int(line.split()[0]) for line in out.splitlines()[1:-1]]


def test_list_reads_one_page_of_a_long_queue_from_sql(run, db, data, monkeypatch):
    from db import schema

    _queue_of(db, data, 300)
    statements: list[str] = []
    fetched: list[int] = []
    real_connect, real_queue = schema.connect, links_db.review_queue

    def traced(*args, **kw):
        conn = real_connect(*args, **kw)
        conn.conn.set_trace_callback(statements.append)
        return conn

    def counted(*args, **kw):
        rows = real_queue(*args, **kw)
        fetched.append(len(rows))
        return rows

    monkeypatch.setattr(schema, "connect", traced)
    monkeypatch.setattr(links_db, "review_queue", counted)
    for args, offset, last_line in (
        ((), 0, "showing 1-50 of 300; next: papertally review list --page 2;"),
        (("--page", "2"), 50, "showing 51-100 of 300; next: papertally review list --page 3;"),
    ):
        statements.clear()
        fetched.clear()
        code, out, _ = run("review", "list", *args)
        assert code == 0
        assert fetched == [50] and len(_listed(out)) == 50  # [review] page_size
        assert out.splitlines()[-1].startswith(last_line)
        queue_reads = [s for s in statements if "FROM links l JOIN papers p" in s]
        assert queue_reads, "no queue query traced"
        for sql in queue_reads:  # the count, or one page: never the whole queue
            assert "COUNT(*)" in sql or f"LIMIT 50 OFFSET {offset}" in sql, sql


def test_list_pages_are_the_browsers_pages_in_the_same_order(run, db, data, review_app, web):
    from tests.review.test_paging import listed

    _queue_of(db, data, 75)  # a full page and a part
    server, _, _ = review_app
    s, _ = web.login(server.url, "tanaka")
    browser = [listed(s.get(f"{server.url}/queue?page={n}").text) for n in (1, 2)]
    _, first, _ = run("review", "list")
    _, second, _ = run("review", "list", "--page", "2")
    assert [_listed(first), _listed(second)] == browser
    assert [len(p) for p in browser] == [50, 25]
    assert first.splitlines()[-1].startswith("showing 1-50 of 75; next: papertally review list --page 2")
    assert second.splitlines()[-1].startswith("showing 51-75 of 75; *")
    # filters and the page size are kept in the next command; JSON keeps stdout one document
    code, out, err = run("review", "list", "--theme", "T01", "--limit", "20", "--format", "json")
    assert code == 0 and len(json.loads(out)) == 20
    assert err.strip() == (
        "showing 1-20 of 75; next: papertally review list --theme T01 --limit 20 "
        "--format json --page 2"
    )
    code, _, err = run("review", "list", "--page", "3")
    assert code == 1 and err.strip() == (
        "error: page 3 is past the end of the queue: 75 item(s) make 2 page(s) of 50; "
        "try --page 2"
    )
