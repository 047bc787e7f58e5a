"""Benchmark: papertally's live harvest into SQLite vs a plain download loop, on a local server.

Serves, from 127.0.0.1 in a child process, one venue-year of OpenAlex-shaped /works pages
(2,716 works built from ../shared/data/paperlists/cvpr2024.json, cursor paging, 100 per
page, a count call) and a CVF-style listing of the same papers (with ETag / Last-Modified,
answering 304 to a conditional request). In the same run, both sides warm (modules
imported before any timing), each timed twice, alternating, best of two:

  raw      a plain requests loop that downloads the same pages (cursor pages + listing);
  harvest  papertally's harvest of both sources into a fresh SQLite file (fetch, parse,
           coverage guard, store, run record), one job after the other as
           `papertally harvest` runs them;
  nightly  the same two jobs at once, as the nightly flow runs them
           ([nightly] harvest_concurrency, each on its own connection);
  repeat   the first harvest again with nothing changed (count check, 304);
  floor    writing the rows the harvest stored (papers, source records, authorships) into
           empty tables with no index, key or check: the least any SQLite store of this
           data costs on this machine, before parsing or dedupe;
  schema floor  the same rows into papertally's own tables (keys, indexes, foreign keys
           on), one transaction: the least a store costs with this schema.

`--latency` adds a per-request server delay (seconds) to mimic a remote API; several
values may be given. `--limit N` serves only N papers (a quick check). Goals (issue 13,
restated; the old "harvest <= 1.5x raw with no latency" is withdrawn, as writing the rows
alone costs about the download): with no added latency, harvest <= 2x (raw download +
write floor); at 0.1 s per request, harvest <= 1.2x the raw download; a repeat >= 10x
cheaper in requests or bytes.

Usage:  python bench/harvest_bench.py [--latency 0,0.1,0.3] [--data ../shared/data] [--limit N]

Measured 2026-11-28 (2 cores), after the batch store (one executemany per statement):
no latency: raw 0.21-0.30 s, harvest 1.66 s (x5.5-x7.9; 0.9-1.0 s of it in
db.papers.store_records, was 2.1 s), floor 0.21 s (x0.7-x1.0 of raw on its own);
0.1 s latency: x1.30 (nightly x1.16); 0.3 s latency: x1.14. Repeat run: 2 requests /
124 bytes instead of 30 / 14.6 MB (x15 requests, x118,000 bytes). The latencies are
assumptions about a remote API, not measurements. Against a local server with no delay
the 1.5x goal is not met: writing the rows alone takes about as long as the download.

Measured 2026-11-30 05:32-05:45 UTC (2 cores, load ~1-1.7), `--latency 0,0.1`, three runs:
no latency: raw 0.158-0.178 s, harvest 0.92-1.03 s, write floor 0.16-0.17 s, schema floor
0.28 s: harvest x2.79-x2.96 of (raw + write floor), goal 2 NOT met; x2.09-x2.14 of (raw +
schema floor). Of the harvest, ~0.5 s is db.papers.store_records (INSERT INTO authorships
alone ~0.24 s for 30,600 rows: its key, paper index and two foreign-key checks per row;
COMMITs ~0.1 s over ~60 transactions), ~0.25 s parsing (OpenAlex JSON authors, CVF HTML).
0.1 s latency: raw 3.13 s, harvest 3.82-3.93 s = x1.22-x1.26, goal 1.2 NOT met; as the
nightly runs the jobs (at once) x1.05-x1.08, met. Per job: OpenAlex 3.24-3.39 s (its pages
stored while the next download; ~0.1-0.3 s over its own download), CVF 0.49-0.56 s for a
~0.13 s download: its one page is parsed (~0.1 s) and stored (~0.26-0.33 s) after it
arrives, with nothing left to overlap in a one-job-after-the-other harvest. That tail
(~0.4 s on 3.1 s) is the floor of the sequential x1.2 goal here.
"""

from __future__ import annotations

import argparse
import html
import json
import multiprocessing
import shutil
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

PER_PAGE = 100
SOURCE_ID = "S4363607701"
RAW_SOURCE = (
    "2024 IEEE/CVF Conference on Computer Vision and Pattern Recognition (CVPR)"
)


def build_works(papers: list[dict]) -> list[dict]:
    """OpenAlex-shaped works (only the fields papertally selects) for the paper list."""
    works = []
    for n, p in enumerate(papers, start=1):
        names = [
            a.strip()
            for a in html.unescape(p.get("author") or "").split(",")
            if a.strip()
        ]
        affs = [
            a.strip() for a in html.unescape(p.get("aff") or "").split(";") if a.strip()
        ]
        location = {
            "id": f"pdf:{n}",
            "is_oa": True,
            "landing_page_url": p.get("oa"),
            "pdf_url": p.get("pdf"),
            "source": None,
            "raw_source_name": RAW_SOURCE,
            "raw_type": "proceedings-article",
            "version": "publishedVersion",
        }
        works.append(
            {
                "id": f"https://openalex.org/W{4390000000 + n}",
                "doi": None,
                "title": html.unescape(p["title"]),
                "publication_year": 2024,
                "type": "article",
                "authorships": [
                    {
                        "author_position": "first"
                        if i == 0
                        else ("last" if i == len(names) - 1 else "middle"),
                        "author": {
                            "id": f"https://openalex.org/A{5000000000 + n * 50 + i}",
                            "display_name": name,
                            "orcid": None,
                        },
                        "raw_author_name": name,
                        "institutions": [],
                        "countries": [],
                        "is_corresponding": i == 0,
                        "raw_affiliation_strings": [affs[i % len(affs)]]
                        if affs
                        else [],
                        "affiliations": [],
                    }
                    for i, name in enumerate(names)
                ],
                "primary_location": location,
                "locations": [
                    location,
                    {
                        **location,
                        "id": f"s:{n}",
                        "source": {
                            "id": f"https://openalex.org/{SOURCE_ID}",
                            "display_name": "CVPR 2024",
                            "type": "conference",
                        },
                    },
                ],
                "funders": [],
                "awards": [],
            }
        )
    return works


def build_listing(papers: list[dict]) -> str:
    """A CVF Open Access listing (structure of SOURCE_FORMATS.md) of the paper list."""
    head = (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>CVPR 2024 Open Access'
        '</title></head><body><div id="content"><dl>'
    )
    out = [head]
    for p in papers:
        href = urlparse(p["oa"]).path
        out.append(
            f'<dt class="ptitle"><br><a href="{href}">{html.escape(html.unescape(p["title"]))}</a></dt>\n<dd>\n'
        )
        for name in [
            a.strip()
            for a in html.unescape(p.get("author") or "").split(",")
            if a.strip()
        ]:
            q = html.escape(name, quote=True)
            out.append(
                f'<form id="form-{q}" action="/CVPR2024" method="post" class="authsearch">'
                f'<input type="hidden" name="query_author" value="{q}"><a href="#">{q}</a>,</form>\n'
            )
        pdf = urlparse(p.get("pdf") or "").path
        out.append(
            f'</dd>\n<dd>\n[<a href="{pdf}">pdf</a>]\n<div class="link2">[<a class="fakelink">bibtex</a>]'
            f'<div class="bibref pre-white-space">@InProceedings{{x_2024_CVPR,\n title = '
            f"{{{html.escape(p['title'])}}},\n booktitle = {{CVPR}},\n year = {{2024}}\n}}</div></div>\n</dd>\n"
        )
    out.append("</dl></div></body></html>")
    return "".join(out)


class Site:
    """The served bodies and counters of the local server."""

    def __init__(self, works: list[dict], listing: str, latency: float):
        self.latency = latency
        self.pages = []
        for start in range(0, len(works), PER_PAGE):
            n = start // PER_PAGE
            last = start + PER_PAGE >= len(works)
            self.pages.append(
                json.dumps(
                    {
                        "meta": {
                            "count": len(works),
                            "db_response_time_ms": 20,
                            "page": None,
                            "per_page": PER_PAGE,
                            "next_cursor": None if last else f"c{n + 1}",
                            "groups_count": None,
                        },
                        "results": works[start : start + PER_PAGE],
                        "group_by": [],
                    }
                ).encode()
            )
        self.pages.append(
            json.dumps(
                {
                    "meta": {
                        "count": len(works),
                        "page": None,
                        "per_page": PER_PAGE,
                        "next_cursor": None,
                    },
                    "results": [],
                    "group_by": [],
                }
            ).encode()
        )
        self.count_body = json.dumps(
            {
                "meta": {"count": len(works), "page": 1, "per_page": 1},
                "results": [{"id": works[0]["id"]}],
                "group_by": [],
            }
        ).encode()
        self.listing = listing.encode()
        self.etag = '"cvpr2024-listing-v1"'
        self.requests = 0
        self.bytes = 0
        self.lock = threading.Lock()

    def reset(self) -> None:
        self.requests = self.bytes = 0


def make_handler(site: Site):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:  # quiet
            pass

        def do_GET(self) -> None:
            if site.latency:
                time.sleep(site.latency)
            url = urlparse(self.path)
            if url.path.startswith("/_bench/"):  # the bench's own counters, not counted
                return self._bench(url.path)
            q = {k: v[0] for k, v in parse_qs(url.query).items()}
            status, body, headers = 404, b"not found", {}
            if url.path == "/works":
                if q.get("per-page") == "1":
                    status, body = 200, site.count_body
                else:
                    cursor = q.get("cursor", "*")
                    n = 0 if cursor == "*" else int(cursor[1:])
                    status, body = 200, site.pages[min(n, len(site.pages) - 1)]
                headers["Content-Type"] = "application/json"
            elif url.path == "/CVPR2024":
                headers = {
                    "Content-Type": "text/html; charset=utf-8",
                    "ETag": site.etag,
                    "Last-Modified": "Mon, 17 Jun 2024 00:00:00 GMT",
                }
                if self.headers.get("If-None-Match") == site.etag:
                    status, body = 304, b""
                else:
                    status, body = 200, site.listing
            with site.lock:
                site.requests += 1
                site.bytes += len(body)
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _bench(self, path: str) -> None:
            with site.lock:
                body = json.dumps({"requests": site.requests, "bytes": site.bytes}).encode()
                if path == "/_bench/reset":
                    site.reset()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


def serve(works: list[dict], listing: str, latency: float, ports, stop) -> None:
    """The local server, in its own process (as a remote server would be: its work is not
    the client's), until `stop` is set."""
    site = Site(works, listing, latency)
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(site))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    ports.put(server.server_address[1])
    stop.wait()
    server.shutdown()


class Server:
    """The served site in a child process; `counters()` reads (and resets) its counts."""

    def __init__(self, works: list[dict], listing: str, latency: float):
        ctx = multiprocessing.get_context("spawn")
        ports, self._stop = ctx.Queue(), ctx.Event()
        self._process = ctx.Process(
            target=serve, args=(works, listing, latency, ports, self._stop), daemon=True
        )
        self._process.start()
        self.base = f"http://127.0.0.1:{ports.get(timeout=60)}"

    def counters(self, reset: bool = True) -> tuple[int, int]:
        import requests

        got = requests.get(f"{self.base}/_bench/{'reset' if reset else 'stats'}").json()
        return got["requests"], got["bytes"]

    def close(self) -> None:
        self._stop.set()
        self._process.join(10)


def raw_download(base: str) -> tuple[float, int, int]:
    """A plain loop downloading the same pages: cursor pages until the end, then the listing."""
    import requests

    t0 = time.perf_counter()
    session = requests.Session()
    n = nbytes = 0
    cursor = "*"
    while cursor:
        r = session.get(
            f"{base}/works",
            params={
                "filter": f"locations.source.id:{SOURCE_ID}",
                "per-page": PER_PAGE,
                "cursor": cursor,
            },
        )
        n, nbytes = n + 1, nbytes + len(r.content)
        data = r.json()
        cursor = data["meta"]["next_cursor"] if data["results"] else None
    r = session.get(f"{base}/CVPR2024", params={"day": "all"})
    n, nbytes = n + 1, nbytes + len(r.content)
    return time.perf_counter() - t0, n, nbytes


STORE_SECONDS = [0.0]


def _timed_store():
    """Wrap db.papers.store_records to add its time to STORE_SECONDS (for the breakdown)."""
    from db import papers

    original = papers.store_records

    def timed(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            STORE_SECONDS[0] += time.perf_counter() - t0

    papers.store_records = timed


def harvest(settings, db_path: Path, client) -> tuple[float, list]:
    """papertally's harvest of OpenAlex and CVF for CVPR 2024 into SQLite."""
    from db.schema import open_db
    from papertally.harvesting import harvest_live
    from papertally.config import HarvestJob

    STORE_SECONDS[0] = 0.0
    t0 = time.perf_counter()
    db = open_db(db_path)
    outcomes = [
        harvest_live(
            db, settings, HarvestJob(source=s, venue="CVPR", year=2024), client=client
        )
        for s in ("openalex", "cvf")
    ]
    db.close()
    return time.perf_counter() - t0, outcomes


def harvest_concurrently(settings, db_path: Path) -> float:
    """The same two jobs the way the nightly flow runs them: [nightly] harvest_concurrency
    at a time, each on its own connection and HTTP client (flows/nightly.py)."""
    from concurrent.futures import ThreadPoolExecutor

    from db.schema import open_db
    from harvesters.http import make_client
    from papertally.harvesting import harvest_live
    from papertally.config import HarvestJob

    open_db(db_path).close()  # the schema, before the jobs start (as the flow's first step)

    def one(source: str):
        db = open_db(db_path)
        try:
            return harvest_live(
                db,
                settings,
                HarvestJob(source=source, venue="CVPR", year=2024),
                client=make_client(settings),
            )
        finally:
            db.close()

    t0 = time.perf_counter()
    with ThreadPoolExecutor(settings.nightly.harvest_concurrency) as pool:
        outcomes = list(pool.map(one, ("openalex", "cvf")))
    seconds = time.perf_counter() - t0
    assert all(o.status == "ok" for o in outcomes), [o.summary() for o in outcomes]
    return seconds


FLOOR_TABLES = ("papers", "source_records", "authorships")


def write_floor(harvested: Path, tmp: Path, schema: bool = False) -> tuple[float, int]:
    """Seconds to write the rows a harvest stored (papers, source records, authorships) in
    one transaction, one executemany per table, and how many rows.

    Into empty tables with no index, no key and no check: what any store of this data into
    SQLite costs at the least, here, before any parsing or dedupe. With `schema`, into
    papertally's own tables (their keys and indexes as the harvested file declares them,
    foreign keys on): the least the store costs with this schema, before parsing, dedupe
    or per-batch commits (the "schema floor")."""
    import sqlite3

    source = sqlite3.connect(harvested)
    tables = {name: source.execute(f"SELECT * FROM {name}").fetchall() for name in FLOOR_TABLES}
    ddl = [
        sql
        for (sql,) in source.execute(
            "SELECT sql FROM sqlite_master WHERE tbl_name IN (?, ?, ?) AND sql IS NOT NULL "
            "ORDER BY type = 'index'",
            FLOOR_TABLES,
        )
    ]
    source.close()
    target = sqlite3.connect(
        tmp / ("schema_floor.db" if schema else "floor.db"), isolation_level=None
    )
    target.execute("PRAGMA journal_mode = WAL")
    if schema:
        target.execute("PRAGMA foreign_keys = ON")
    else:
        ddl = [
            f"CREATE TABLE {name} ({', '.join(f'c{i}' for i in range(len(rows[0])))})"
            for name, rows in tables.items()
        ]
    for sql in ddl:
        target.execute(sql)
    t0 = time.perf_counter()
    target.execute("BEGIN")
    for name, rows in tables.items():
        marks = ", ".join("?" * len(rows[0]))
        target.executemany(f"INSERT INTO {name} VALUES ({marks})", rows)
    target.execute("COMMIT")
    seconds = time.perf_counter() - t0
    target.close()
    return seconds, sum(len(rows) for rows in tables.values())


def bench(latency: float, works: list[dict], listing: str, tmp: Path, partial: bool = False) -> dict:
    """One latency: raw and first harvest twice each (best of two), a repeat harvest, the
    write floor."""
    from harvesters.http import make_client
    from papertally.config import load_settings

    server = Server(works, listing, latency)
    base = server.base
    try:
        cfg = load_settings(REPO / "config.toml")
        if partial:  # --limit: a part of CVPR 2024 must not trip the coverage guard
            cfg = cfg.model_copy(
                update={"coverage": cfg.coverage.model_copy(update={"min_ratio": 0.0})}
            )
        sources = dict(cfg.sources)
        guard = {"min_coverage": 0.0} if partial else {}
        sources["openalex"] = sources["openalex"].model_copy(
            update={"base_url": base, "venue_ids": {"CVPR 2024": (SOURCE_ID,)}, **guard}
        )
        sources["cvf"] = sources["cvf"].model_copy(update={"base_url": base, **guard})

        def fresh(name: str):
            work = tmp / f"lat{latency}-{name}"
            work.mkdir()
            settings = cfg.model_copy(
                update={
                    "sources": sources,
                    "http": cfg.http.model_copy(update={"cache_dir": str(work / "cache")}),
                }
            )
            return settings, work / "bench.db"

        raws, firsts = [], []
        for name in ("a", "b"):  # alternated, so that neither side gets the warmer machine
            raws.append(raw_download(base))
            server.counters()
            settings, db_path = fresh(name)
            seconds, outcomes = harvest(settings, db_path, make_client(settings))
            firsts.append((seconds, STORE_SECONDS[0], server.counters(), outcomes, settings, db_path))
        raw_s, raw_n, raw_b = min(raws)
        first_s, first_store, (first_req, first_bytes), first, settings, db_path = min(
            firsts, key=lambda f: f[0]
        )
        repeat_s, repeat = harvest(settings, db_path, make_client(settings))
        repeat_req, repeat_bytes = server.counters()
        concurrent_settings, concurrent_db = fresh("nightly")
        concurrent_s = harvest_concurrently(concurrent_settings, concurrent_db)
    finally:
        server.close()
    floor_s, floor_rows = write_floor(db_path, db_path.parent)
    schema_s, _ = write_floor(db_path, db_path.parent, schema=True)
    return {
        "latency_s": latency,
        "raw_s": round(raw_s, 3),
        "raw_requests": raw_n,
        "raw_bytes": raw_b,
        "harvest_s": round(first_s, 3),
        "harvest_requests": first_req,
        "harvest_bytes": first_bytes,
        "harvest_vs_raw": round(first_s / raw_s, 2),
        "harvest_store_s": round(first_store, 3),  # in db.papers.store_records
        "harvest_as_nightly_s": round(concurrent_s, 3),
        "harvest_as_nightly_vs_raw": round(concurrent_s / raw_s, 2),
        "rows_written": floor_rows,
        "write_floor_s": round(floor_s, 3),
        "write_floor_vs_raw": round(floor_s / raw_s, 2),
        "schema_floor_s": round(schema_s, 3),
        "harvest_vs_raw_plus_schema_floor": round(first_s / (raw_s + schema_s), 2),
        # The restated goals: <= 2 with no latency, and harvest_vs_raw <= 1.2 at 0.1 s.
        "harvest_vs_raw_plus_floor": round(first_s / (raw_s + floor_s), 2),
        "repeat_s": round(repeat_s, 3),
        "repeat_requests": repeat_req,
        "repeat_bytes": repeat_bytes,
        "repeat_cheaper_requests": round(first_req / max(repeat_req, 1), 1),
        "repeat_cheaper_bytes": round(first_bytes / max(repeat_bytes, 1), 1),
        "papers": [f"{o.source}: {o.counts.seen} ({o.counts.new} new)" for o in first],
        "repeat_papers": [
            f"{o.source}: {o.counts.unchanged} unchanged" for o in repeat
        ],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--latency",
        default="0,0.1,0.3",
        help="comma-separated per-request server delays in seconds (default 0,0.1,0.3)",
    )
    parser.add_argument(
        "--data",
        default=str(REPO.parent / "shared" / "data"),
        help="the shared data folder holding paperlists/cvpr2024.json",
    )
    parser.add_argument(
        "--limit", type=int, default=None, help="serve only the first N papers (a quick check)"
    )
    args = parser.parse_args(argv)
    source = Path(args.data) / "paperlists" / "cvpr2024.json"
    if not source.is_file():
        print(
            f"skipped: {source} not found (the shared data sits beside the repository)"
        )
        return 0
    papers = json.loads(source.read_text(encoding="utf-8"))[: args.limit]
    # Both sides run warm: the modules a harvest uses are imported before any timing (the
    # raw loop's requests is imported by then too).
    import db.schema  # noqa: F401
    import harvesters.live  # noqa: F401
    import papertally.harvesting  # noqa: F401

    works, listing = build_works(papers), build_listing(papers)
    print(
        f"{len(works)} works in {len(works) // PER_PAGE + 1} pages of {PER_PAGE}; "
        f"listing {len(listing) / 1e6:.1f} MB"
    )
    _timed_store()
    tmp = Path(tempfile.mkdtemp(prefix="harvest_bench_"))
    try:
        for latency in [float(x) for x in args.latency.split(",") if x.strip()]:
            r = bench(latency, works, listing, tmp, partial=args.limit is not None)
            print(json.dumps(r, indent=1))
            print(
                f"latency {latency:g}s: raw {r['raw_s']}s, harvest {r['harvest_s']}s "
                f"(x{r['harvest_vs_raw']}; {r['harvest_store_s']}s of it storing "
                f"in db.papers.store_records); repeat {r['repeat_s']}s with "
                f"{r['repeat_requests']} requests / {r['repeat_bytes']} bytes vs "
                f"{r['harvest_requests']} / {r['harvest_bytes']} "
                f"(x{r['repeat_cheaper_requests']} fewer requests, x{r['repeat_cheaper_bytes']} "
                "fewer bytes, goal >= 10)"
            )
            print(
                f"  as the nightly runs them (both jobs at once): {r['harvest_as_nightly_s']}s "
                f"(x{r['harvest_as_nightly_vs_raw']})"
            )
            print(
                f"  write floor: {r['rows_written']} rows into index-free tables take "
                f"{r['write_floor_s']}s = x{r['write_floor_vs_raw']} of raw, before any "
                "parsing or dedupe"
            )
            print(
                f"  schema floor: the same rows into papertally's own tables (keys, indexes, "
                f"foreign keys) take {r['schema_floor_s']}s; harvest = "
                f"x{r['harvest_vs_raw_plus_schema_floor']} of (raw + schema floor)"
            )
            if latency == 0:
                met = r["harvest_vs_raw_plus_floor"] <= 2.0
                print(
                    f"  goal (no latency): harvest <= 2x (raw + write floor): "
                    f"x{r['harvest_vs_raw_plus_floor']} -> {'met' if met else 'NOT met'}"
                )
            else:
                met = r["harvest_vs_raw"] <= 1.2
                print(
                    f"  goal (at 0.1 s per request and above): harvest <= 1.2x raw: "
                    f"x{r['harvest_vs_raw']} -> {'met' if met else 'NOT met'}"
                )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
