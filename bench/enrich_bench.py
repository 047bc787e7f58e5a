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
    return 0


def cost(n: int) -> None:  # filled in with the enrichment step
    print("cost: the enrichment step is not built yet")


if __name__ == "__main__":
    sys.exit(main())
