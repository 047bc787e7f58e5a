"""Staff finish a realistic queue in Chromium: the real 2023-2024 lists of CVPR, NeurIPS, ACL and
ICRA, and the robotics venues' (IROS 2023, CoRL 2023-2025, RSS 2024-2025), matched against the
labelled rosters (bench/labels and bench/labels/robotics, 67 members). For every item:
the keys pressed to a decision, and whether the page shows affiliation or ID evidence for
the member or says why there is none. Screenshots at 1280x720 in Japanese and English go
to test-artifacts/, the figures to test-artifacts/review-walkthrough.json.

The second walk is the nightly's next step: the enrich step reads the candidates' full texts
(generated PDFs with the real titles and bylines, served by `responses`; page 1's
affiliations from tests/fixtures/walkthrough), matching runs again, and staff walk what is
left. The goal there: at least 90% of the items show the member's affiliation or an
identifier on the page, so one key decides them with no outside lookup."""

from __future__ import annotations

import csv
import json
import time
from dataclasses import asdict
from pathlib import Path

import pytest

from tests.review.test_browser import ARGS, ARTIFACTS, CHROMIUM

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "walkthrough"
LISTS = [
    ("paperlists", "paperlists/cvpr2023.json", "CVPR", 2023),
    ("paperlists", "paperlists/cvpr2024.json", "CVPR", 2024),
    ("paperlists", "paperlists/nips2023.json", "NeurIPS", 2023),
    ("paperlists", "paperlists/nips2024.json", "NeurIPS", 2024),
    ("paperlists", "paperlists/icra2023.json", "ICRA", 2023),
    ("paperlists", "paperlists/iros2023.json", "IROS", 2023),
    ("acl-anthology", "acl-anthology/2023.acl.xml", "ACL", 2023),
    ("acl-anthology", "acl-anthology/2024.acl.xml", "ACL", 2024),
    # the robotics venues, with bench/labels/robotics' roster and labels
    ("paperlists", "paperlists/corl2023.json", "CoRL", 2023),
    ("paperlists", "paperlists/corl2024.json", "CoRL", 2024),
    ("paperlists", "paperlists/corl2025.json", "CoRL", 2025),
    ("paperlists", "paperlists/rss2024.json", "RSS", 2024),
    ("paperlists", "paperlists/rss2025.json", "RSS", 2025),
]
LABELS = REPO / "bench" / "labels"
# Researchers in both labelled rosters: the robotics id -> the main roster's.
SAME_PERSON = {"r06": "p33", "r07": "p34", "r09": "p38"}  # Hamaya, Kazutoshi Tanaka, Hirose

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs Debian's Chromium at /usr/bin/chromium (apt-get install -y chromium)",
    ),
]


def build_real_queue(db, settings, shared_data: Path, tmp_path: Path) -> None:
    from db.papers import store_records
    from harvesters.registry import parse_file
    from papertally.pipeline import import_roster_file, run_matching

    # One roster of both labelled sets: the 58 members (T01-T09) and the robotics ones
    # (R1-R4) but the three researchers both sets hold (each listed once, as in bench/labels).
    main_rows = (LABELS / "roster.csv").read_text(encoding="utf-8").splitlines()
    robotics_rows = (LABELS / "robotics" / "roster.csv").read_text(encoding="utf-8").splitlines()
    assert main_rows[0] == robotics_rows[0]
    robotics = [r for r in robotics_rows[1:] if r.split(",")[3] not in SAME_PERSON]
    roster = tmp_path / "roster.csv"
    roster.write_text("\n".join([*main_rows, *robotics]) + "\n", encoding="utf-8")
    import_roster_file(db, settings, roster)
    for source, path, venue, year in LISTS:
        store_records(db, parse_file(source, shared_data / path, venue, year).records, None)
    # NeurIPS 2024 from OpenReview as well, as the nightly harvests it (built notes: the
    # forum is where the full text comes from; Paper Copilot's 2024 list has none).
    notes = parse_file("openreview", FIXTURES / "neurips2024_openreview_notes.json", "NeurIPS", 2024)
    store_records(db, notes.records, None)
    run_matching(db, settings)


def true_links() -> set[tuple[str, str]]:
    """(\"<VENUE><YEAR>:<source_id>\", person_id) of every labelled true link: bench/labels,
    and the walk-through's own labels of the NeurIPS pairs (which bench/labels leaves out)."""
    truth = set()
    for labels in (LABELS / "links.csv", LABELS / "robotics" / "links.csv"):
        with open(labels, encoding="utf-8") as fh:
            truth |= {(r["paper_id"], SAME_PERSON.get(r["person_id"], r["person_id"]))
                      for r in csv.DictReader(fh) if r["is_link"] == "1"}
    for r in first_pages():
        if r["is_link"] == "1":
            truth.add((r["paper"], r["person_id"]))
        elif r["is_link"] == "0":
            truth.discard((r["paper"], r["person_id"]))
    return truth


def paper_keys(db) -> dict[str, set[str]]:
    """paper_id -> its label keys ("<VENUE><YEAR>:<source_id>"), one per source listing it."""
    keys: dict[str, set[str]] = {}
    for r in db.query(
        """SELECT DISTINCT a.paper_id, p.venue || p.year || ':' || a.source_id AS key
           FROM authorships a JOIN papers p USING (paper_id)"""
    ):
        keys.setdefault(r["paper_id"], set()).add(r["key"])
    return keys


def first_pages() -> list[dict]:
    with open(FIXTURES / "first_pages.csv", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def enrich_from_full_texts(db, settings, cache_dir: Path) -> dict:
    """The nightly's enrich step and second matching, offline: every candidate's PDF link
    answers with a generated PDF of its real title and byline, page 1 printing each author's
    affiliation from the per-author lists (ACL) or tests/fixtures/walkthrough/first_pages.csv."""
    import re
    import sys

    import responses

    from harvesters.http import make_client
    from papertally.enrichers import default_enrichers
    from papertally.enrichment import FULLTEXT, FullTextEnricher, load_candidates, run_enrichers
    from papertally.pipeline import run_matching

    if str(REPO / "tests" / "enrichment") not in sys.path:
        sys.path.insert(0, str(REPO / "tests" / "enrichment"))  # the PDF writer of the enrich tests
    import pdfkit

    s = settings.model_copy(update={
        "enrichment": settings.enrichment.model_copy(update={
            "pdf_delay_seconds": 0.0, "openalex_max_calls": 0, "openreview_profiles": False}),
        "http": settings.http.model_copy(update={"cache_dir": str(cache_dir), "backoff_seconds": 0.0}),
    })
    printed = {(r["paper"], r["author"]): r["affiliation"] for r in first_pages()}
    keys = paper_keys(db)
    listed: dict[tuple[str, int], list[str]] = {}
    for r in db.query("SELECT paper_id, position, affiliations FROM authorships"):
        affs = json.loads(r["affiliations"] or "[]")
        if affs:
            listed.setdefault((r["paper_id"], r["position"]), affs)

    fulltext = FullTextEnricher(s)
    pdfs: dict[str, bytes] = {}
    for c in load_candidates(db):
        links = fulltext.links(c)
        if not links:
            continue
        orgs: list[str] = []
        names: list[str] = []
        for a in c.authors:
            affs = listed.get((c.paper_id, a.position)) or next(
                (printed[(k, a.name)].split("; ") for k in keys.get(c.paper_id, ())
                 if (k, a.name) in printed), [])
            marks = []
            for org in affs:
                if org not in orgs:
                    orgs.append(org)
                marks.append(str(orgs.index(org) + 1))
            names.append(f"{a.name}^{{{','.join(marks)}}}" if marks else a.name)
        byline = [", ".join(names[i:i + 4]) for i in range(0, len(names), 4)]
        pdfs[links[0]] = pdfkit.paper(
            title=c.title, authors=byline,
            affiliations=[f"^{{{i}}}{org}" for i, org in enumerate(orgs, start=1)], pages=1)

    def serve(request):
        body = pdfs.get(request.url)
        if body is None:
            return 404, {}, b"not found"
        return 200, {"Content-Type": "application/pdf"}, body

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback(responses.GET, re.compile(r"https?://.*"), callback=serve)
        summary = run_enrichers(db, default_enrichers(s), make_client(s, sleep=lambda _s: None))
    assert not db.conn.in_transaction, "the enrich step left a transaction open"
    run_matching(db, s)
    assert not db.conn.in_transaction, "matching left a transaction open"
    return {"pdfs_generated": len(pdfs), "fulltext": asdict(summary[FULLTEXT])}


def what_the_page_shows(page) -> dict:
    """Whether the open item shows an affiliation or an identifier for the author, or
    says why it shows none."""
    printed = page.locator(".compare > div").first
    affiliation = printed.locator("dd").nth(1).inner_text().strip()
    ids = printed.locator("dd code").count()
    mention_aff = page.locator("#authors li.mention .aaff").count()
    paper_level = "paper-level" in affiliation or "論文全体の所属" in affiliation
    # page 1 of the full text: the member's line, with the affiliation printed beside it
    pdf_lines = page.locator("#pdf-authors li.mention")
    pdf_affiliation = any(
        " ... " in pdf_lines.nth(i).inner_text() for i in range(pdf_lines.count())
    )
    return {
        "paper_level": paper_level,
        "affiliation": mention_aff > 0
        or (bool(affiliation) and not affiliation.startswith(("なし", "none"))),
        "ids": ids > 0,
        "full_text_affiliation": pdf_affiliation,
        "why_none": page.locator("#why-none").count() > 0,
        "bulk_groups": page.locator("form.bulk").count(),
    }


@pytest.mark.parametrize("full_texts", [False, True], ids=["offline", "full-texts"])
def test_walk_the_real_queue_in_japanese_and_english(
    tmp_path, review_config, db, shared_data, full_texts
):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    from db import accounts as accounts_db
    from papertally.config import load_settings
    from review.app import create_app
    from tests.review.conftest import CHEAP_HASH, PASSWORD, LiveServer

    settings = load_settings(review_config)
    started = time.perf_counter()
    build_real_queue(db, settings, shared_data, tmp_path)
    before = undecided(db)
    enriched = enrich_from_full_texts(db, settings, tmp_path / "http") if full_texts else {}
    built = time.perf_counter() - started
    accounts_db.add_user(db, "sato", CHEAP_HASH, "ja")
    accounts_db.add_user(db, "tanaka", CHEAP_HASH, "en")
    truth = true_links()
    keys = paper_keys(db)
    keys_of = {r[0]: keys[r[1]] for r in db.execute("SELECT link_id, paper_id FROM links")}
    key_of = {i: min(k, key=lambda x: ("wt" in x, x)) for i, k in keys_of.items()}
    queue = undecided(db)
    assert len(before) >= 20, f"a realistic queue has tens of items, not {len(before)}"
    # what the full texts decided without staff, against the labels
    machine = []
    for link_id in sorted(set(before) - set(queue)):
        person = page_person(db, link_id)
        status = db.execute("SELECT status FROM links WHERE link_id = ?", [link_id]).fetchone()[0]
        true = any((k, person) in truth for k in keys_of[link_id])
        machine.append({"link_id": link_id, "item": key_of[link_id], "person": person,
                        "status": status, "label": "link" if true else "not a link"})
    wrong = [m for m in machine if (m["status"] == "confirmed") != (m["label"] == "link")]
    label = "full-texts" if full_texts else "offline"

    ARTIFACTS.mkdir(exist_ok=True)
    items: list[dict] = []
    with LiveServer(create_app(settings, tmp_path / "papertally.db")) as server, \
            sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)

        def staff_page(name: str, locale: str):
            context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 720})
            context.set_default_timeout(15_000)
            page = context.new_page()
            page.goto(f"{server.url}/login")
            page.fill("input[name=name]", name)
            page.fill("input[name=password]", PASSWORD)
            page.click("button.primary")
            page.wait_for_url("**/queue**")
            return context, page

        # Screenshots first, on the undecided queue: one item without any printed
        # affiliation (NeurIPS) and one with (ICRA), in both languages.
        neurips = next(
            (i for i in queue if key_of.get(i, "").startswith("NeurIPS")), queue[0]
        )
        icra = next((i for i in queue if key_of.get(i, "").startswith("ICRA")), queue[0])
        for name, lang, locale in (("sato", "ja", "ja-JP"), ("tanaka", "en", "en-US")):
            context, page = staff_page(name, locale)
            for venue, link_id in (("neurips", neurips), ("icra", icra)):
                page.goto(f"{server.url}/queue?item={link_id}")
                # decision buttons and the evidence above the fold at 1280x720
                buttons = page.locator("form.decide .buttons").bounding_box()
                evidence = page.locator("table.evidence").bounding_box()
                assert buttons["y"] + buttons["height"] <= 720, (lang, venue, buttons)
                assert evidence["y"] < 720 and evidence["y"] + evidence["height"] <= 720
                why = page.locator("#why-none")
                if why.count():  # the reason for no affiliation, above the fold too
                    box = why.bounding_box()
                    assert box["y"] + box["height"] <= 720, (lang, venue, box)
                page.screenshot(
                    path=str(ARTIFACTS / f"review-walkthrough-{label}-{lang}-{venue}.png")
                )
            context.close()

        # The walk: Japanese staff decide every item with the keyboard, in queue order.
        context, page = staff_page("sato", "ja-JP")
        page.goto(f"{server.url}/queue")
        for _ in range(len(queue) + 5):
            if page.locator("#item").count() == 0:
                break
            link_id = int(page.locator("#item").get_attribute("data-link"))
            if any(it["link_id"] == link_id for it in items):
                break  # back at a decided item: the queue is done
            shows = what_the_page_shows(page)
            person = page_person(db, link_id)
            wanted = "a" if any((k, person) in truth for k in keys_of[link_id]) else "r"
            keys = 0
            while keys < 3 and not decided(db, link_id):
                keys += 1
                with page.expect_navigation():
                    page.keyboard.press(wanted)
            items.append(
                {"link_id": link_id, "item": key_of.get(link_id), "keys": keys, **shows}
            )
        context.close()
        browser.close()

    shows = [it for it in items
             if it["affiliation"] or it["ids"] or it["full_text_affiliation"]]
    explained = [it for it in items if it in shows or it["why_none"]]
    one_key = [it for it in items if it["keys"] == 1]
    decidable = [it for it in one_key if it in shows]
    figures = {
        "queue_before_full_texts": len(before),
        "enrich": enriched,
        "decided_by_the_full_texts": len(machine),
        "of_which_against_the_labels": wrong,
        "machine": machine,
        "queue": len(queue),
        "walked": len(items),
        "one_key_decisions": len(one_key),
        "shows_affiliation_or_id": len(shows),
        "from_the_full_text_only": sum(
            1 for it in shows if not (it["affiliation"] or it["ids"])),
        "one_key_no_outside_lookup": len(decidable),
        "one_key_no_outside_lookup_share": round(len(decidable) / len(items), 3),
        "says_why_none": sum(1 for it in items if it["why_none"]),
        "offer_a_bulk_decision": sum(1 for it in items if it["bulk_groups"]),
        "paper_level_list_only": sum(1 for it in items if it["paper_level"]),
        "evidence_or_reason": len(explained),
        "seconds_to_build_the_queue": round(built, 1),
        "items": items,
    }
    (ARTIFACTS / f"review-walkthrough-{label}.json").write_text(
        json.dumps(figures, indent=2, ensure_ascii=False), encoding="utf-8"
    )
    assert len(items) == len(queue), figures
    assert all(decided(db, it["link_id"]) for it in items)
    # every item shows evidence for the member, or says why there is none
    assert len(explained) == len(items), [it for it in items if it not in explained]
    # one key per decision (no re-scoring happens during the walk)
    assert len(one_key) == len(items), [it for it in items if it["keys"] != 1]
    if full_texts:
        # the full texts took items off the queue, and what is left is decidable on the page
        assert len(queue) < len(before), figures
        assert not wrong, wrong
        assert len(decidable) >= 0.9 * len(items), [it for it in items if it not in shows]


def undecided(db) -> list[int]:
    return [
        r["link_id"]
        for r in db.query(
            "SELECT link_id FROM links WHERE status = 'needs_review' AND decision_id IS NULL"
        )
    ]


def page_person(db, link_id: int) -> str:
    return db.execute("SELECT person_id FROM links WHERE link_id = ?", [link_id]).fetchone()[0]


def decided(db, link_id: int) -> bool:
    return db.execute(
        "SELECT decision_id IS NOT NULL FROM links WHERE link_id = ?", [link_id]
    ).fetchone()[0] == 1
