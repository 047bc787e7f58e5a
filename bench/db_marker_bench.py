"""Benchmark: what the per-request check that the file holds a papertally database costs.

db.connection.connect(create=False), which the review app calls once per request (and once
more for an error page), looks up the marker table in sqlite_master before it touches the
file, so that an empty file or another program's database put in its place is refused
untouched. Timed in the same run, check on and check off (connection._check_marker
replaced by a no-op), alternating rounds, best of `--repeat`:
  open    connect(create=False) and close, `--opens` times;
  page    GET /queue for a logged-in staff member through the whole app (Starlette's
          TestClient), `--pages` times, on a database of `--items` queued links.
Printed: milliseconds per open / per page, and on/off as a ratio.

Usage:  python bench/db_marker_bench.py [--items 2000] [--opens 500] [--pages 50] [--repeat 5]
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from argon2 import PasswordHasher  # noqa: E402
with warnings.catch_warnings():  # Starlette's note about httpx; the client works as is
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient  # noqa: E402

from db import accounts as accounts_db  # noqa: E402
from db import connection  # noqa: E402
from db.schema import open_db  # noqa: E402
from papertally.config import load_settings  # noqa: E402
from review.app import create_app  # noqa: E402
from review_queue_bench import build  # noqa: E402

PASSWORD = "correct horse battery"


def settings_for(tmp: Path, db_path: Path):
    text = (REPO / "config.toml").read_text(encoding="utf-8")
    text = text.replace('path = "papertally.db"', f'path = "{db_path}"')
    text = text.replace('file = "examples/roster.csv"', "")
    cfg = tmp / "config.toml"
    cfg.write_text(text, encoding="utf-8")
    return load_settings(cfg)


def logged_in(app) -> TestClient:
    client = TestClient(app, base_url="http://127.0.0.1")
    page = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    r = client.post(
        "/login",
        data={"name": "bench", "password": PASSWORD, "csrf_token": token, "next": "/queue"},
        headers={"Origin": "http://127.0.0.1"},
    )
    assert r.status_code == 200 and "/queue" in str(r.url), r.text[:300]
    return client


def timed(fn, n: int) -> float:
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t0) / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=2_000)
    parser.add_argument("--opens", type=int, default=500)
    parser.add_argument("--pages", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    checked = connection._check_marker
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        build(path, args.items)
        db = open_db(path)
        cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)
        accounts_db.add_user(db, "bench", cheap, "en")
        db.close()
        client = logged_in(create_app(settings_for(Path(tmp), path), path))

        def open_close():
            connection.connect(path, create=False).close()

        def page():
            r = client.get("/queue")
            assert r.status_code == 200

        best = {(what, on): float("inf") for what in ("open", "page") for on in (True, False)}
        for _ in range(args.repeat):
            for on in (False, True):
                connection._check_marker = checked if on else (lambda conn, path: None)
                try:
                    best["open", on] = min(best["open", on], timed(open_close, args.opens))
                    best["page", on] = min(best["page", on], timed(page, args.pages))
                finally:
                    connection._check_marker = checked
        print(f"{'what':<8}{'off ms':>10}{'on ms':>10}{'on/off':>9}")
        for what in ("open", "page"):
            off, on = best[what, False], best[what, True]
            print(f"{what:<8}{off * 1000:>10.3f}{on * 1000:>10.3f}{on / off:>9.3f}")


if __name__ == "__main__":
    main()
