"""Benchmark: papertally's live harvest into SQLite vs a plain download loop, on a local server.

Serves, from 127.0.0.1, one venue-year of OpenAlex-shaped /works pages (2,716 works built
from ../shared/data/paperlists/cvpr2024.json, cursor paging, 100 per page, a count call)
and a CVF-style listing of the same papers (with ETag / Last-Modified, answering 304 to a
conditional request). In the same run it times:

  raw      a plain requests loop that downloads the same pages (cursor pages + listing);
  harvest  papertally's harvest of both sources into a fresh SQLite file (fetch, parse,
           coverage guard, store, run record);
  repeat   the same harvest again with nothing changed (count check, 304).

`--latency` adds a per-request server delay (seconds) to mimic a remote API; several
values may be given. Goal: harvest <= 1.5x raw; repeat >= 10x cheaper in requests or bytes.

Usage:  python bench/harvest_bench.py [--latency 0,0.1,0.3] [--data ../shared/data]

Measured 2026-11-28 (2 cores), after store_records moved to plain prepared SQL: raw
0.30 s, harvest 3.4 s (x11; 2.1 s of it storing 5,432 source records); with 0.1 s latency
x1.51; with 0.3 s latency x1.21. Repeat run: 2 requests / 124 bytes instead of 30 / 14.6 MB
(x15 requests, x118,000 bytes). The latencies are assumptions about a remote API, not
measurements: against a local server with no delay the 1.5x goal is not met.
"""

from __future__ import annotations

import argparse
import html
import json
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

    return Handler


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
    from harvesters.live import harvest_live
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


def bench(latency: float, works: list[dict], listing: str, tmp: Path) -> dict:
    from harvesters.http import make_client
    from papertally.config import load_settings

    site = Site(works, listing, latency)
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(site))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        cfg = load_settings(REPO / "config.toml")
        sources = dict(cfg.sources)
        sources["openalex"] = sources["openalex"].model_copy(
            update={"base_url": base, "venue_ids": {"CVPR 2024": (SOURCE_ID,)}}
        )
        sources["cvf"] = sources["cvf"].model_copy(update={"base_url": base})
        work = tmp / f"lat{latency}"
        work.mkdir()
        settings = cfg.model_copy(
            update={
                "sources": sources,
                "http": cfg.http.model_copy(update={"cache_dir": str(work / "cache")}),
            }
        )
        raw_s, raw_n, raw_b = raw_download(base)
        site.reset()
        client = make_client(settings)
        first_s, first = harvest(settings, work / "bench.db", client)
        first_store = STORE_SECONDS[0]
        first_req, first_bytes = site.requests, site.bytes
        site.reset()
        repeat_s, repeat = harvest(settings, work / "bench.db", make_client(settings))
        repeat_req, repeat_bytes = site.requests, site.bytes
        # The raw loop again, after the harvests (order effects: caches, warm Python).
        raw2_s, _, _ = raw_download(base)
    finally:
        server.shutdown()
    raw_best = min(raw_s, raw2_s)
    return {
        "latency_s": latency,
        "raw_s": round(raw_best, 3),
        "raw_requests": raw_n,
        "raw_bytes": raw_b,
        "harvest_s": round(first_s, 3),
        "harvest_requests": first_req,
        "harvest_bytes": first_bytes,
        "harvest_vs_raw": round(first_s / raw_best, 2),
        "harvest_store_s": round(first_store, 3),  # in db.papers.store_records
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
    args = parser.parse_args(argv)
    source = Path(args.data) / "paperlists" / "cvpr2024.json"
    if not source.is_file():
        print(
            f"skipped: {source} not found (the shared data sits beside the repository)"
        )
        return 0
    papers = json.loads(source.read_text(encoding="utf-8"))
    works, listing = build_works(papers), build_listing(papers)
    print(
        f"{len(works)} works in {len(works) // PER_PAGE + 1} pages of {PER_PAGE}; "
        f"listing {len(listing) / 1e6:.1f} MB"
    )
    _timed_store()
    tmp = Path(tempfile.mkdtemp(prefix="harvest_bench_"))
    try:
        for latency in [float(x) for x in args.latency.split(",") if x.strip()]:
            r = bench(latency, works, listing, tmp)
            print(json.dumps(r, indent=1))
            print(
                f"latency {latency:g}s: raw {r['raw_s']}s, harvest {r['harvest_s']}s "
                f"(x{r['harvest_vs_raw']}, goal <= 1.5; {r['harvest_store_s']}s of it storing "
                f"in db.papers.store_records); repeat {r['repeat_s']}s with "
                f"{r['repeat_requests']} requests / {r['repeat_bytes']} bytes vs "
                f"{r['harvest_requests']} / {r['harvest_bytes']} "
                f"(x{r['repeat_cheaper_requests']} fewer requests, x{r['repeat_cheaper_bytes']} "
                "fewer bytes, goal >= 10)"
            )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
