"""Review test data built through the db functions (no matcher): a roster, papers, links."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from db.links import store_candidates
from db.papers import store_records
from db.roster import import_roster
from harvesters.records import AuthorRecord, PaperRecord
from matching.model import Candidate, Evidence
from papertally.roster import RosterRow

ORCID_TANAKA = "0000-0002-1825-0097"


def member(
    line,
    theme,
    theme_name,
    project,
    pid,
    family,
    given,
    name_ja,
    affiliation,
    orcid=None,
):
    return RosterRow(
        line=line,
        theme_id=theme,
        theme_name=theme_name,
        project_id=project,
        person_id=pid,
        family_name=family,
        given_name=given,
        name_ja=name_ja,
        aliases=(),
        affiliation=affiliation,
        affiliation_aliases=(),
        orcid=orcid,
        openalex_id=None,
        start_date=dt.date(2023, 4, 1),
        end_date=None,
    )


ROSTER = [
    member(
        2,
        "T01",
        "ロボット基盤モデル",
        "T01-P1",
        "p001",
        "Tanaka",
        "Hiroshi",
        "田中 浩",
        "The University of Tokyo",
        ORCID_TANAKA,
    ),
    member(
        3,
        "T01",
        "ロボット基盤モデル",
        "T01-P1",
        "p002",
        "Sato",
        "Yuki",
        "佐藤 由紀",
        "Kyoto University",
    ),
    member(
        4,
        "T02",
        "Vision and language",
        "T02-P1",
        "p003",
        "Suzuki",
        "Aya",
        "鈴木 彩",
        "Osaka University",
    ),
]


def paper(sid, title, authors, venue="CVPR", year=2024, doi=None, track="main"):
    return PaperRecord(
        source="paperlists",
        source_id=sid,
        venue=venue,
        year=year,
        title=title,
        track=track,
        doi=doi,
        url=f"https://example.org/{sid}",
        authors=tuple(authors),
    )


def author(name, position, affiliation=None, orcid=None):
    return AuthorRecord(
        name=name,
        position=position,
        affiliations=(affiliation,) if affiliation else (),
        orcid=orcid,
    )


PAPERS = [
    paper(
        "c1",
        "Grasping with <script>alert(1)</script> foundation models",
        [
            author("Hiroshi Tanaka", 1, "University of Tokyo", ORCID_TANAKA),
            author("Ann Lee", 2),
        ],
        doi="10.1109/cvpr.2024.001",
    ),
    paper(
        "c2",
        "Diffusion policies for 家庭用ロボット",
        [author("H. Tanaka", 1, "University of Tokyo", ORCID_TANAKA)],
    ),
    paper(
        "c3",
        "Tactile pretraining at scale",
        [author("Hiroshi Tanaka", 2, "Tokyo Institute of Technology")],
    ),
    paper("c4", "Kyoto scene graphs", [author("Yuki Sato", 1, "Kyoto University")]),
    paper(
        "a1",
        "Multilingual captioning",
        [author("Aya Suzuki", 1, "Osaka University")],
        venue="ACL",
        year=2024,
        track="long",
    ),
    paper(
        "c5",
        "Already confirmed paper",
        [author("Hiroshi Tanaka", 1, "The University of Tokyo", ORCID_TANAKA)],
    ),
]


def candidate(paper_id, person_id, key, score, status="needs_review"):
    return Candidate(
        paper_id=paper_id,
        person_id=person_id,
        mention_key=key,
        score=score,
        status=status,
        evidence=(
            Evidence("name", 0.4, "printed name matches the roster name"),
            Evidence("affiliation", 0.2, "affiliation close to the roster's"),
        ),
        explanation=f"score {score}",
    )


def build(db) -> dict[str, int]:
    """Store roster, papers and links; returns {paper source_id: link_id}."""
    import_roster(db, ROSTER)
    store_records(db, PAPERS, None)
    pid = {
        r["source_id"]: r["paper_id"]
        for r in db.query("SELECT source_id, paper_id FROM source_records")
    }
    cands = [
        candidate(pid["c1"], "p001", "paperlists:c1#1", 0.80),
        candidate(pid["c2"], "p001", "paperlists:c2#1", 0.70),
        candidate(pid["c3"], "p001", "paperlists:c3#2", 0.50),
        candidate(pid["c4"], "p002", "paperlists:c4#1", 0.60),
        candidate(pid["a1"], "p003", "paperlists:a1#1", 0.90),
        candidate(pid["c5"], "p001", "paperlists:c5#1", 0.95, status="confirmed"),
    ]
    store_candidates(db, cands, "test")
    return {
        sid: db.execute(
            "SELECT link_id FROM links WHERE paper_id = ?", [pid[sid]]
        ).fetchone()[0]
        for sid in pid
    }


@pytest.fixture
def links(db) -> dict[str, int]:
    return build(db)


@pytest.fixture
def review_config(tmp_path) -> Path:
    """A config whose FY2024 holds CVPR 2024 and ACL 2024, with a per-theme target."""
    repo = Path(__file__).resolve().parents[2]
    text = (repo / "config.toml").read_text(encoding="utf-8")
    text = text.replace(
        "[targets.2026]", "[targets.2024]\ntotal = 4\nper_theme = 1\n\n[targets.2026]"
    )
    text = text.replace(
        'path = "papertally.db"', f'path = "{tmp_path / "papertally.db"}"'
    )
    text = text.replace('file = "examples/roster.csv"', "")
    cfg = tmp_path / "config.toml"
    cfg.write_text(text, encoding="utf-8")
    return cfg


# -- a running review app ----------------------------------------------------------------

PASSWORD = "correct horse battery"
# argon2id with small parameters: verification reads them from the hash, so the app checks it
# as it would any stored hash, without spending 64 MB and ~0.3 s per login in every test.
CHEAP_HASH = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)


class LiveServer:
    """The review app served by uvicorn in a thread, on a free local port."""

    def __init__(self, app):
        import socket
        import threading

        import uvicorn

        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        sock.close()
        self.url = f"http://127.0.0.1:{self.port}"
        from review.app import server_options

        # The proxy set-up `papertally review serve` uses, from the app's own settings.
        self.server = uvicorn.Server(
            uvicorn.Config(
                app,
                host="127.0.0.1",
                port=self.port,
                log_level="warning",
                lifespan="off",
                **server_options(app.state.review.settings),
            )
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self):
        import time

        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the review app did not start within 10 s")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def review_app(tmp_path, review_config, db, links):
    """(LiveServer, settings, links) with staff accounts sato (ja) and tanaka (en)."""
    from db.accounts import add_user
    from papertally.config import load_settings
    from review.app import create_app

    add_user(db, "sato", CHEAP_HASH, "ja")
    add_user(db, "tanaka", CHEAP_HASH, "en")
    settings = load_settings(review_config)
    app = create_app(settings, tmp_path / "papertally.db")
    with LiveServer(app) as server:
        yield server, settings, links


def csrf_of(html: str) -> str:
    import re

    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


@pytest.fixture
def web():
    """Helpers for talking to the app: web.session(), web.login(url, name) -> (session, csrf
    token), web.csrf_of(html). Every session is closed at the end of the test."""
    import types

    import requests

    sessions: list[requests.Session] = []

    def session() -> requests.Session:
        sessions.append(requests.Session())
        return sessions[-1]

    def login(url: str, name: str, password: str = PASSWORD):
        s = session()
        token = csrf_of(s.get(f"{url}/login").text)
        r = s.post(
            f"{url}/login",
            data={
                "name": name,
                "password": password,
                "csrf_token": token,
                "next": "/queue",
            },
            headers={"Origin": url},
        )
        assert r.status_code == 200 and "/queue" in r.url, r.text[:500]
        return s, csrf_of(r.text)

    yield types.SimpleNamespace(
        session=session, login=login, csrf_of=csrf_of, password=PASSWORD
    )
    for s in sessions:
        s.close()


@pytest.fixture
def data():
    """The record and candidate builders, for tests that need more items."""
    import types

    return types.SimpleNamespace(
        paper=paper,
        author=author,
        candidate=candidate,
        build=build,
        roster=ROSTER,
        papers=PAPERS,
    )


@pytest.fixture
def make_app(tmp_path, review_config, db, links):
    """make_app(clock=None, **review_settings) -> a LiveServer of the review app with those
    [review] settings (e.g. page_size=2) and, when given, an injected clock; staff accounts
    sato (ja) and tanaka (en). Servers stop at the end of the test."""
    from db.accounts import add_user
    from papertally.config import load_settings
    from review.app import create_app

    add_user(db, "sato", CHEAP_HASH, "ja")
    add_user(db, "tanaka", CHEAP_HASH, "en")
    servers: list[LiveServer] = []

    def make(clock=None, **review) -> LiveServer:
        settings = load_settings(review_config)
        settings = settings.model_copy(
            update={"review": settings.review.model_copy(update=review)}
        )
        extra = {"clock": clock} if clock else {}
        servers.append(
            LiveServer(create_app(settings, tmp_path / "papertally.db", **extra))
        )
        return servers[-1].__enter__()

    yield make
    for server in servers:
        server.__exit__(None, None, None)
