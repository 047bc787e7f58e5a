"""Staff finish a realistic queue in Chromium: the real 2023-2024 lists of CVPR, NeurIPS, ACL,
ICRA and IROS matched against the labelled 58-member roster (bench/labels). For every item:
the keys pressed to a decision, and whether the page shows affiliation or ID evidence for
the member or says why there is none. Screenshots at 1280x720 in Japanese and English go
to test-artifacts/, the figures to test-artifacts/review-walkthrough.json."""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

import pytest

from tests.review.test_browser import ARGS, ARTIFACTS, CHROMIUM

REPO = Path(__file__).resolve().parents[2]
LISTS = [
    ("paperlists", "paperlists/cvpr2023.json", "CVPR", 2023),
    ("paperlists", "paperlists/cvpr2024.json", "CVPR", 2024),
    ("paperlists", "paperlists/nips2023.json", "NeurIPS", 2023),
    ("paperlists", "paperlists/nips2024.json", "NeurIPS", 2024),
    ("paperlists", "paperlists/icra2023.json", "ICRA", 2023),
    ("paperlists", "paperlists/iros2023.json", "IROS", 2023),
    ("acl-anthology", "acl-anthology/2023.acl.xml", "ACL", 2023),
    ("acl-anthology", "acl-anthology/2024.acl.xml", "ACL", 2024),
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs Debian's Chromium at /usr/bin/chromium (apt-get install -y chromium)",
    ),
]


def build_real_queue(db, settings, shared_data: Path) -> None:
    from db.papers import store_records
    from harvesters.registry import parse_file
    from papertally.pipeline import import_roster_file, run_matching

    import_roster_file(db, settings, REPO / "bench" / "labels" / "roster.csv")
    for source, path, venue, year in LISTS:
        store_records(db, parse_file(source, shared_data / path, venue, year).records, None)
    run_matching(db, settings)


def true_links() -> set[tuple[str, str]]:
    """(\"<VENUE><YEAR>:<source_id>\", person_id) of every labelled true link."""
    with open(REPO / "bench" / "labels" / "links.csv", encoding="utf-8") as fh:
        return {(r["paper_id"], r["person_id"]) for r in csv.DictReader(fh) if r["is_link"] == "1"}


def what_the_page_shows(page) -> dict:
    """Whether the open item shows an affiliation or an identifier for the author, or
    says why it shows none."""
    printed = page.locator(".compare > div").first
    affiliation = printed.locator("dd").nth(1).inner_text().strip()
    ids = printed.locator("dd code").count()
    mention_aff = page.locator("#authors li.mention .aaff").count()
    paper_level = "paper-level" in affiliation or "論文全体の所属" in affiliation
    return {
        "paper_level": paper_level,
        "affiliation": mention_aff > 0
        or (bool(affiliation) and not affiliation.startswith(("なし", "none"))),
        "ids": ids > 0,
        "why_none": page.locator("#why-none").count() > 0,
    }


def test_walk_the_real_queue_in_japanese_and_english(tmp_path, review_config, db, shared_data):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    from db import accounts as accounts_db
    from papertally.config import load_settings
    from review.app import create_app
    from tests.review.conftest import CHEAP_HASH, PASSWORD, LiveServer

    settings = load_settings(review_config)
    started = time.perf_counter()
    build_real_queue(db, settings, shared_data)
    built = time.perf_counter() - started
    accounts_db.add_user(db, "sato", CHEAP_HASH, "ja")
    accounts_db.add_user(db, "tanaka", CHEAP_HASH, "en")
    truth = true_links()
    key_of = {
        r["link_id"]: f"{r['venue']}{r['year']}:{r['source_id']}"
        for r in db.query(
            """SELECT l.link_id, p.venue, p.year, a.source_id FROM links l
               JOIN papers p USING (paper_id) JOIN authorships a
               ON l.mention = a.source || ':' || a.source_id || '#' || a.position"""
        )
    }
    queue = [
        r["link_id"]
        for r in db.query(
            "SELECT link_id FROM links WHERE status = 'needs_review' AND decision_id IS NULL"
        )
    ]
    assert len(queue) >= 20, f"a realistic queue has tens of items, not {len(queue)}"

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
            for label, link_id in (("neurips", neurips), ("icra", icra)):
                page.goto(f"{server.url}/queue?item={link_id}")
                # decision buttons and the evidence above the fold at 1280x720
                buttons = page.locator("form.decide .buttons").bounding_box()
                evidence = page.locator("table.evidence").bounding_box()
                assert buttons["y"] + buttons["height"] <= 720, (lang, label, buttons)
                assert evidence["y"] < 720 and evidence["y"] + evidence["height"] <= 720
                why = page.locator("#why-none")
                if why.count():  # the reason for no affiliation, above the fold too
                    box = why.bounding_box()
                    assert box["y"] + box["height"] <= 720, (lang, label, box)
                page.screenshot(path=str(ARTIFACTS / f"review-walkthrough-{lang}-{label}.png"))
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
            wanted = "a" if (key_of.get(link_id), page_person(db, link_id)) in truth else "r"
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

    explained = [it for it in items if it["affiliation"] or it["ids"] or it["why_none"]]
    one_key = [it for it in items if it["keys"] == 1]
    figures = {
        "queue": len(queue),
        "walked": len(items),
        "one_key_decisions": len(one_key),
        "shows_affiliation_or_id": sum(1 for it in items if it["affiliation"] or it["ids"]),
        "says_why_none": sum(1 for it in items if it["why_none"]),
        "paper_level_list_only": sum(1 for it in items if it["paper_level"]),
        "evidence_or_reason": len(explained),
        "seconds_to_build_the_queue": round(built, 1),
        "items": items,
    }
    (ARTIFACTS / "review-walkthrough.json").write_text(
        json.dumps(figures, indent=2, ensure_ascii=False), encoding="utf-8"
    )
    assert len(items) == len(queue), figures
    assert all(decided(db, it["link_id"]) for it in items)
    # every item shows evidence for the member, or says why there is none
    assert len(explained) == len(items), [it for it in items if it not in explained]
    # one key per decision (no re-scoring happens during the walk)
    assert len(one_key) == len(items), [it for it in items if it["keys"] != 1]


def page_person(db, link_id: int) -> str:
    return db.execute("SELECT person_id FROM links WHERE link_id = ?", [link_id]).fetchone()[0]


def decided(db, link_id: int) -> bool:
    return db.execute(
        "SELECT decision_id IS NOT NULL FROM links WHERE link_id = ?", [link_id]
    ).fetchone()[0] == 1
