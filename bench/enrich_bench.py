"""Benchmark: full-text extraction per typical paper, and what enrichment costs per candidate.

Part 1, extraction. A typical paper is generated with fpdf2 (tests/enrichment/pdfkit.py):
10 pages, two columns, about 900 words a page, an embedded TrueType font, the author block
and the acknowledgement. Timed, best of `--repeat`, in the same run:
  read      reading the bytes from memory into pypdfium2 and closing it (the floor);
  extract   harvesters.fulltext.extract_text (all pages, page 1 marked, checks);
  pypdf / pdfminer.six   the same pages' text with those libraries, when installed
            (they are not dependencies; `pip install pypdf pdfminer.six` to compare).
Goal: extract <= 0.5 s per paper.

Part 2, cost per candidate (after the enrichment step exists: --cost). A loopback server
serves N candidate papers' PDFs; in the same run:
  raw       a plain requests loop downloading each PDF once;
  enrich    papertally's enrichment of the same N candidates (first night);
  again     a second night with nothing changed.
Printed: calls and bytes per candidate, as ratios against raw.

Usage:  python bench/enrich_bench.py [--repeat 5] [--pages 10] [--cost N]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "enrichment"))

import pdfkit  # noqa: E402

from harvesters.fulltext import extract_text  # noqa: E402

WORDS = (pdfkit.BODY * 4).split()


def typical_paper(pages: int) -> bytes:
    """A `pages`-page two-column paper, ~900 words a page."""
    from fpdf import FPDF

    pdf = FPDF(format="letter")
    pdf.add_font("ipa", fname=pdfkit.font_path())
    pdf.set_margins(18, 18, 18)
    pdf.set_auto_page_break(True, margin=18)
    pdf.add_page()
    pdf.set_font("ipa", size=15)
    pdf.multi_cell(w=0, text="Grounded Manipulation with Multimodal Foundation Models", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("ipa", size=11)
    pdf.multi_cell(w=0, text="Kazuki Sato, Hanako Suzuki, John Smith", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("ipa", size=9)
    pdf.multi_cell(w=0, text="The University of Tokyo  RIKEN AIP  Carnegie Mellon University",
                   align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("ipa", size=9)
    words = 1000 * pages
    text = " ".join(WORDS[i % len(WORDS)] for i in range(words))
    paragraphs = [text[i : i + 1200] for i in range(0, len(text), 1200)]
    paragraphs.append("Acknowledgements. This paper is based on results obtained from a "
                      "project, JPNP20006, commissioned by NEDO.")
    with pdf.text_columns(ncols=2, gutter=6) as cols:
        for p in paragraphs:
            cols.write(text=p + "\n\n")
    data = bytes(pdf.output())
    return data


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


# Real PDFs that Debian installs with its documentation (typeset by LaTeX / DocBook, Type1
# fonts): timed too when present, since a generated PDF is simpler than a real one.
REAL = ("/usr/share/doc/libtasn1-doc/libtasn1.pdf",
        "/usr/share/doc/shared-mime-info/shared-mime-info-spec.pdf")


def _bare_pdfium(data: bytes) -> list[str]:
    """The floor: PDFium's text of every page and nothing else."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(data)
    out = [doc[i].get_textpage().get_text_range() for i in range(len(doc))]
    doc.close()
    return out


def _others(data: bytes, repeat: int) -> dict[str, float]:
    import io

    out = {}
    try:
        import pypdf

        out["pypdf"] = best(
            lambda: [p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages], repeat
        )
    except ImportError:
        pass
    try:
        import logging

        from pdfminer.high_level import extract_text as pdfminer_text

        logging.getLogger("pdfminer").setLevel(logging.ERROR)
        out["pdfminer.six"] = best(lambda: pdfminer_text(io.BytesIO(data)), repeat)
    except ImportError:
        pass
    return out


def extraction(pages: int, repeat: int) -> None:
    papers = [("generated two-column paper", typical_paper(pages))]
    papers += [(Path(p).name, Path(p).read_bytes()) for p in REAL if Path(p).is_file()]
    for label, data in papers:
        ft = extract_text(data, max_pages=1000)
        assert ft.ok, ft.problem
        n = ft.page_count
        per10 = 10 / n
        words = sum(len(p.split()) for p in ft.pages)
        print(f"{label}: {len(data):,} bytes, {n} pages, {words:,} words; times per 10 pages:")
        floor = best(lambda: _bare_pdfium(data), repeat) * per10
        ours = best(lambda: extract_text(data, max_pages=1000), repeat) * per10
        print(f"  pdfium text      {floor * 1000:8.1f} ms  (the floor)")
        print(f"  extract_text     {ours * 1000:8.1f} ms  x{ours / floor:.2f} of the floor; "
              f"goal <= 500 ms: {'met' if ours <= 0.5 else 'NOT met'}")
        others = _others(data, max(1, repeat // 2))
        for lib, t in others.items():
            print(f"  {lib:<16} {t * per10 * 1000:8.1f} ms  x{t * per10 / ours:.1f} of extract_text")
        if not others:
            print("  (pip install pypdf pdfminer.six to compare them)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--pages", type=int, default=10)
    ap.add_argument("--cost", type=int, default=0, help="candidates for part 2 (0: skip)")
    args = ap.parse_args(argv)
    extraction(args.pages, args.repeat)
    if args.cost:
        cost(args.cost)
        openalex_cost(args.cost)
    return 0


def _loopback(body: bytes, content_type: str):
    """A loopback HTTP server answering every GET with `body`; (server, base URL)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def _raw(urls: list[str]) -> tuple[int, float]:
    """Bytes and seconds of plain GETs of `urls` (the baseline)."""
    import requests

    t = time.perf_counter()
    total = 0
    with requests.Session() as session:
        for url in urls:
            total += len(session.get(url, timeout=10).content)
    return total, time.perf_counter() - t


def _candidates(path: str, records: list, member: tuple[str, str]):
    """A database at `path` whose `records` (one author each, the member) are candidates."""
    from db.links import store_candidates
    from db.papers import store_records
    from db.roster import RosterRow, import_roster
    from db.schema import open_db
    from matching.model import Candidate, Evidence

    db = open_db(path)
    family, given = member
    import_roster(db, [RosterRow(0, "T1", "t", "P1", "p1", family, given, None, (),
                                 "The University of Tokyo", (), None, None, None, None)])
    store_records(db, records, None)
    ids = [r[0] for r in db.execute("SELECT paper_id FROM papers").fetchall()]
    store_candidates(db, [
        Candidate(pid, "p1", f"cvf:P{i}#1", 0.9, "confirmed", (Evidence("x", 1, "x"),), "x")
        for i, pid in enumerate(ids)
    ], "bench")
    return db


def cost(n: int) -> None:
    """N candidates' PDFs from a loopback server: raw downloads vs the enrichment step."""
    import tempfile

    from harvesters.http import HttpClient
    from harvesters.records import AuthorRecord, PaperRecord
    from papertally.config import Settings
    from papertally.enrichment import FULLTEXT, FullTextEnricher, run_enrichers

    body = typical_paper(10)
    server, base = _loopback(body, "application/pdf")
    root = f"{base}/content/CVPR2024"
    try:
        raw_bytes, raw_s = _raw([f"{root}/papers/P{i}_paper.pdf" for i in range(n)])
        with tempfile.TemporaryDirectory() as tmp:
            db = _candidates(f"{tmp}/bench.db", [
                PaperRecord("cvf", f"P{i}", "CVPR", 2024, f"Paper {i}",
                            (AuthorRecord("Kazuki Sato", 1),), url=f"{root}/html/P{i}_paper.html")
                for i in range(n)
            ], ("Sato", "Kazuki"))
            # No pause between downloads ([enrichment] pdf_delay_seconds, 1 s by default):
            # it is politeness towards a real host, not work, and would only add n seconds.
            settings = Settings.model_validate({"program": {"grant_numbers": ["JPNP20006"]},
                                                "enrichment": {"pdf_delay_seconds": 0}})
            enrichers = [FullTextEnricher(settings)]
            client = HttpClient(contact_email="bench@example.org")
            t = time.perf_counter()
            first = run_enrichers(db, enrichers, client)[FULLTEXT]
            first_s = time.perf_counter() - t
            t = time.perf_counter()
            again = run_enrichers(db, enrichers, client)[FULLTEXT]
            again_s = time.perf_counter() - t
            client.session.close()
            db.close()
    finally:
        server.shutdown()
        server.server_close()
    print(f"cost for {n} candidates, one 10-page PDF each ({len(body):,} bytes), loopback:")
    print(f"  raw      {n} calls, {raw_bytes:,} bytes, {raw_s:.2f} s")
    print(f"  enrich   {first.calls} calls, {first.bytes:,} bytes, {first_s:.2f} s: per candidate "
          f"{first.calls / n:.2f} calls, x{first.bytes / raw_bytes:.2f} of raw bytes, "
          f"x{first_s / raw_s:.1f} of raw time (extraction and storing included); {first.ok} ok")
    print(f"  again    {again.calls} calls, {again.bytes:,} bytes, {again_s:.3f} s "
          f"({again.cached} cached): x{again.calls / n:.2f} of raw calls")


def openalex_cost(n: int) -> None:
    """N candidates with a DOI against a loopback OpenAlex: one raw single-work GET each vs
    the OpenAlex enricher (one call per candidate at most), then a second night."""
    import json
    import tempfile

    from harvesters.http import HttpClient
    from harvesters.records import AuthorRecord, PaperRecord
    from papertally.author_enrichers import OPENALEX, OpenAlexEnricher
    from papertally.config import Settings
    from papertally.enrichment import run_enrichers

    work = json.loads((REPO / "tests/fixtures/openalex/work_awards_documented.json").read_text())
    body = json.dumps({k: v for k, v in work.items() if not k.startswith("_")}).encode()
    server, base = _loopback(body, "application/json")
    try:
        raw_bytes, raw_s = _raw([f"{base}/works/doi:10.1234/p{i}" for i in range(n)])
        with tempfile.TemporaryDirectory() as tmp:
            db = _candidates(f"{tmp}/bench.db", [
                PaperRecord("cvf", f"P{i}", "CVPR", 2024, f"Paper {i}",
                            (AuthorRecord("Taro Yamada", 1),), doi=f"10.1234/p{i}")
                for i in range(n)
            ], ("Yamada", "Taro"))
            settings = Settings.model_validate({"sources": {"openalex": {"base_url": base}}})
            enrichers = [OpenAlexEnricher(settings)]
            client = HttpClient(contact_email="bench@example.org")
            t = time.perf_counter()
            first = run_enrichers(db, enrichers, client)[OPENALEX]
            first_s = time.perf_counter() - t
            again = run_enrichers(db, enrichers, client)[OPENALEX]
            client.session.close()
            db.close()
    finally:
        server.shutdown()
        server.server_close()
    print(f"OpenAlex per paper for {n} candidates with a DOI ({len(body):,}-byte work), loopback:")
    print(f"  raw      {n} calls, {raw_bytes:,} bytes, {raw_s:.2f} s")
    print(f"  enrich   {first.calls} calls {first.price}, {first.bytes:,} bytes, {first_s:.2f} s: "
          f"per candidate {first.calls / n:.2f} calls, x{first.bytes / raw_bytes:.2f} of raw "
          f"bytes, x{first_s / raw_s:.1f} of raw time; {first.ok} ok")
    print(f"  again    {again.calls} calls, {again.bytes:,} bytes ({again.cached} cached)")


if __name__ == "__main__":
    sys.exit(main())
