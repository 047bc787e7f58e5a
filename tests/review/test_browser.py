"""A real browser (Debian's Chromium via Playwright) against the running review app."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from db import links as links_db

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs Debian's Chromium at /usr/bin/chromium (apt-get install -y chromium)",
    ),
]


@pytest.fixture
def page():
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed"
    )
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        context = browser.new_context(
            locale="ja-JP", viewport={"width": 1440, "height": 960}
        )
        context.set_default_timeout(10_000)
        yield context.new_page()
        context.close()
        browser.close()


def confirmed_of(page, url: str, theme: str) -> int:
    page.goto(f"{url}/summary?fy=2024")
    return int(page.locator(f"#theme-{theme} td.confirmed").inner_text())


def test_staff_review_in_a_real_browser(review_app, db, page):
    server, _, links = review_app
    url = server.url

    # login (every page sends us there first)
    page.goto(f"{url}/queue")
    assert "/login" in page.url
    page.fill("input[name=name]", "sato")
    page.fill("input[name=password]", "correct horse battery")
    page.click("button.primary")
    page.wait_for_url(re.compile(r"/queue"))
    assert page.locator("header nav a.active").inner_text() == "審査キュー"

    before = confirmed_of(page, url, "T01")

    # filter by theme: choosing it applies at once
    page.goto(f"{url}/queue")
    page.select_option("select[name=theme]", "T01")
    page.wait_for_url(re.compile(r"theme=T01"))
    listed = page.locator("ol.items a").evaluate_all(
        "els => els.map(e => e.dataset.link)"
    )
    assert listed == [str(links[k]) for k in ("c1", "c2", "c4", "c3")]
    assert page.locator("#item").get_attribute("data-link") == str(links["c1"])

    # accept the current item with one key; the next one loads at once
    page.keyboard.press("a")
    page.wait_for_url(re.compile(rf"item={links['c2']}"))
    assert page.locator("#item").get_attribute("data-link") == str(links["c2"])
    assert "承認しました" in page.locator(".flash").inner_text()
    assert links_db.get_link(db, links["c1"])["status"] == "confirmed"

    # reject the next one with a reason, keyboard only
    page.keyboard.press("/")
    page.keyboard.type("同姓同名の別人 (different person)")
    page.keyboard.press("Enter")  # must not submit anything
    page.keyboard.press("Escape")
    page.keyboard.press("r")
    page.wait_for_url(re.compile(rf"item={links['c4']}"))
    rejected = links_db.get_link(db, links["c2"])
    assert rejected["status"] == "rejected"
    [last] = links_db.decision_log(db, links["c2"])
    assert (last["decided_by"], last["reason"]) == (
        "sato",
        "同姓同名の別人 (different person)",
    )

    # undo it (U undoes my last decision still in force)
    with page.expect_navigation():
        page.keyboard.press("u")
    assert links_db.get_link(db, links["c2"])["status"] == "needs_review"
    assert [d["action"] for d in links_db.decision_log(db, links["c2"])] == [
        "undo",
        "reject",
    ]

    # the summary counted the accepted paper
    assert confirmed_of(page, url, "T01") == before + 1

    # the fiscal-year picker applies at once (our script runs under the page's CSP)
    page.select_option("select[name=fy]", "2023")
    page.wait_for_url(re.compile(r"fy=2023"))
    assert "FY2023" in page.locator("h1").inner_text()

    # a screenshot of the queue for people to look at
    page.goto(f"{url}/queue?item={links['c2']}")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "review-queue.png"), full_page=True)
    assert (ARTIFACTS / "review-queue.png").stat().st_size > 10_000


def test_keyboard_review_across_queue_pages(make_app, db, links, page):
    server = make_app(page_size=2)
    url = server.url
    page.goto(f"{url}/login")
    page.fill("input[name=name]", "sato")
    page.fill("input[name=password]", "correct horse battery")
    page.click("button.primary")
    page.wait_for_url(re.compile(r"/queue"))

    def listed():
        return page.locator("ol.items a").evaluate_all(
            "els => els.map(e => Number(e.dataset.link))"
        )

    page.goto(f"{url}/queue?theme=T01&item={links['c2']}")
    assert listed() == [links["c1"], links["c2"]]
    # J on the last item of page 1 opens the first item of page 2, filter kept
    page.keyboard.press("j")
    page.wait_for_url(re.compile(rf"item={links['c4']}"))
    assert "theme=T01" in page.url
    assert listed() == [links["c4"], links["c3"]]
    assert page.locator(".pager .current").first.inner_text() == "2"
    assert "4 件中 3–4 件目" in page.locator(".filters .count").inner_text()
    # K goes back across the edge
    page.keyboard.press("k")
    page.wait_for_url(re.compile(rf"item={links['c2']}"))
    assert listed() == [links["c1"], links["c2"]]
    # the pager's next link, then a decision by key on page 2
    page.locator(".pager a.next").first.click()
    page.wait_for_url(re.compile(r"page=2"))
    assert page.locator("#item").get_attribute("data-link") == str(links["c4"])
    page.keyboard.press("a")
    page.wait_for_url(re.compile(rf"item={links['c3']}"))
    assert links_db.get_link(db, links["c4"])["status"] == "confirmed"
    assert "theme=T01" in page.url and listed() == [links["c3"]]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "review-queue-page2.png"), full_page=True)
