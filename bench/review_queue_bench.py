"""Benchmark: the review queue page's reads at 10,000 queued links, whole queue vs SQL pages.

A temporary database holds a 30-member roster in 10 themes and `--items` papers (default
10,000), each with one needs_review link (built through db/, as tests/review does). For each
view, timed best of `--repeat` in the same run:
  whole   what the page did before issue 13.8: load the whole queue (review_queue with no
          limit), count it, find the item's place and its neighbours, slice one page;
  paged   what it does now (review/views/queue.py's read_page): queue_length,
          queue_position for an asked item, one page and a row either side of it from
          review_queue(limit, offset).
Views: page 1; a middle page; the last item opened by id (item=..., so its page is found).
Printed: milliseconds and rows fetched per view, and whole/paged as a ratio.

Usage:  python bench/review_queue_bench.py [--items 10000] [--page-size 50] [--repeat 5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from db import links as links_db  # noqa: E402
from db.links import store_candidates  # noqa: E402
from db.papers import store_records  # noqa: E402
from db.roster import import_roster  # noqa: E402
from db.schema import open_db  # noqa: E402
from harvesters.records import AuthorRecord, PaperRecord  # noqa: E402
from matching.model import Candidate, Evidence  # noqa: E402
from papertally.roster import RosterRow  # noqa: E402
from review.views.queue import queue_filters, read_page  # noqa: E402

FAMILIES = ["Tanaka", "Sato", "Suzuki", "Takahashi", "Ito", "Watanabe", "Yamamoto", "Nakamura",
            "Kobayashi", "Kato"]


def build(path: Path, items: int) -> None:
    db = open_db(path)
    roster = [
        RosterRow(
            line=i + 2, theme_id=f"T{i % 10 + 1:02d}", theme_name=f"Theme {i % 10 + 1}",
            project_id=f"T{i % 10 + 1:02d}-P1", person_id=f"p{i:03d}",
            family_name=FAMILIES[i % 10], given_name=f"Given{i}", name_ja="", aliases=(),
            affiliation="The University of Tokyo", affiliation_aliases=(), orcid=None,
            openalex_id=None, start_date=dt.date(2023, 4, 1), end_date=None,
        )
        for i in range(30)
    ]
    import_roster(db, roster)
    papers = [
        PaperRecord(
            source="paperlists", source_id=f"s{n}", venue="CVPR", year=2024,
            title=f"Paper number {n} on robot learning", track="main", doi=None,
            url=f"https://example.org/s{n}",
            authors=(AuthorRecord(name=f"Given{n % 30} {FAMILIES[n % 30 % 10]}", position=1,
                                  affiliations=("University of Tokyo",)),),
        )
        for n in range(items)
    ]
    store_records(db, papers, None)
    by_source = {
        r["source_id"]: r["paper_id"] for r in db.query("SELECT source_id, paper_id FROM source_records")
    }
    evidence = (
        Evidence("name", 0.4, "printed name matches the roster name"),
        Evidence("affiliation", 0.2, "affiliation close to the roster's"),
    )
    store_candidates(
        db,
        [
            Candidate(
                paper_id=by_source[f"s{n}"], person_id=f"p{n % 30:03d}",
                mention_key=f"paperlists:s{n}#1", score=round(0.5 + (n * 7919 % 4000) / 10000, 4),
                status="needs_review", evidence=evidence, explanation="needs review",
            )
            for n in range(items)
        ],
        "bench",
    )


def whole(db, filters, short, size, page_no, item_id):
    """The page's reads before issue 13.8 (review/views/queue.py at 49b1420)."""
    rows = links_db.review_queue(db, **queue_filters(filters), short_themes=short)
    ids = [r["link_id"] for r in rows]
    position = {link_id: i for i, link_id in enumerate(ids)}
    last_page = max(1, math.ceil(len(rows) / size))
    if item_id in position:
        page_no = position[item_id] // size + 1
    page_no = min(page_no, last_page)
    first = (page_no - 1) * size
    shown = rows[first : first + size]
    item_id = item_id if item_id is not None else shown[0]["link_id"]
    i = position[item_id]
    prev_next = (ids[i - 1] if i > 0 else None, ids[i + 1] if i + 1 < len(ids) else None)
    return [r["link_id"] for r in shown], prev_next, len(rows)


def paged(db, filters, short, size, page_no, item_id):
    """The page's reads now (review/views/queue.py's read_page)."""
    q = read_page(db, filters, short, size, page_no, item_id)
    return [r["link_id"] for r in q.rows], (q.prev_id, q.next_id), len(q.rows) + 2


def best(fn, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--page-size", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        t0 = time.perf_counter()
        build(path, args.items)
        print(f"built {args.items:,} queued links in {time.perf_counter() - t0:.1f} s")
        db = open_db(path)
        filters, short = {}, {"T01", "T02", "T03"}
        size = args.page_size
        total = links_db.queue_length(db)
        last_item = links_db.review_queue(db, 1, offset=total - 1, short_themes=short)[0]["link_id"]
        views = {
            "page 1": (1, None),
            f"page {total // size // 2}": (total // size // 2, None),
            "last item by id": (1, last_item),
        }
        print(f"{'view':<18}{'whole ms':>10}{'paged ms':>10}{'ratio':>8}{'rows whole':>12}{'rows paged':>12}")
        for name, (page_no, item_id) in views.items():
            tw, (shown_w, nb_w, rows_w) = best(
                lambda: whole(db, filters, short, size, page_no, item_id), args.repeat)
            tp, (shown_p, nb_p, rows_p) = best(
                lambda: paged(db, filters, short, size, page_no, item_id), args.repeat)
            assert (shown_w, nb_w) == (shown_p, nb_p), f"{name}: the two ways disagree"
            print(f"{name:<18}{tw * 1000:>10.1f}{tp * 1000:>10.1f}{tw / tp:>8.1f}"
                  f"{rows_w:>12,}{rows_p:>12,}")


if __name__ == "__main__":
    main()
