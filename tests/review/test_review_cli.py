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
