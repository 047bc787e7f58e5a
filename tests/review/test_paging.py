"""The review queue in pages: order kept across pages, filters kept, decisions on any page."""

from __future__ import annotations

import html as htmllib
import re

from db import links as links_db


def listed(page_html: str) -> list[int]:
    """The link ids in the queue list of a page, in order."""
    items = page_html.split('<ol class="items"')[1].split("</ol>")[0]
    return [int(x) for x in re.findall(r'data-link="(\d+)"', items)]


def hidden(page_html: str, form_class: str) -> dict[str, str]:
    """The hidden inputs of the first form with `form_class`."""
    form = page_html.split(f'class="{form_class}"')[1].split("</form>")[0]
    return dict(re.findall(r'type="hidden" name="([a-z_]+)" value="([^"]*)"', form))


def pager_links(page_html: str) -> list[str]:
    nav = page_html.split('<nav class="pager"')[1].split("</nav>")[0]
    return [htmllib.unescape(h) for h in re.findall(r'href="([^"]+)"', nav)]


def test_page_two_shows_the_next_items_in_queue_order(make_app, web):
    whole = make_app(page_size=1000)
    paged = make_app(page_size=2)
    s, _ = web.login(whole.url, "tanaka")
    order = listed(s.get(whole.url + "/queue").text)
    assert len(order) == 5  # the fixture's five undecided links, short themes first
    s, _ = web.login(paged.url, "tanaka")
    pages = [s.get(f"{paged.url}/queue?page={n}").text for n in (1, 2, 3)]
    assert [listed(p) for p in pages] == [order[0:2], order[2:4], order[4:5]]
    assert not set(listed(pages[0])) & set(listed(pages[1]))
    assert "Items 3–4 of 5" in pages[1]
    assert pager_links(pages[1]) == [
        "/queue?page=1",  # previous
        "/queue?page=1",
        "/queue?page=3",
        "/queue?page=3",  # next
    ]
    # page 2 opens on its own first item, whose neighbours run across the page edges
    item = re.search(r'<article class="card" id="item"[^>]*>', pages[1]).group(0)
    assert f'data-link="{order[2]}"' in item
    assert f'data-prev-url="/queue?item={order[1]}"' in item
    assert f'data-next-url="/queue?item={order[3]}"' in item
    s_ja, _ = web.login(paged.url, "sato")
    assert "5 件中 3–4 件目" in s_ja.get(f"{paged.url}/queue?page=2").text


def test_filters_survive_paging(make_app, web, links):
    server = make_app(page_size=2)
    s, _ = web.login(server.url, "tanaka")
    first = s.get(f"{server.url}/queue?theme=T01").text
    t01 = [links[k] for k in ("c1", "c2", "c4", "c3")]
    assert listed(first) == t01[:2]
    [to_page_2] = {h for h in pager_links(first) if "page=2" in h}
    assert to_page_2 == "/queue?theme=T01&page=2"
    second = s.get(server.url + to_page_2).text
    assert listed(second) == t01[2:]
    assert '<option value="T01" selected>' in second
    assert hidden(second, "decide") | {"csrf_token": ""} == {
        "csrf_token": "",
        "theme": "T01",
        "page": "2",
        "seen_decision": "",
        "seen_version": hidden(second, "decide")["seen_version"],
        "next_id": str(links["c3"]),
    }
    # an item link of page 2 keeps the filter, and the list stays on the item's page
    third = s.get(f"{server.url}/queue?theme=T01&item={links['c3']}").text
    assert listed(third) == t01[2:]
    assert 'aria-current="page">2<' in third


def test_a_page_beyond_the_last_shows_the_last_page_and_says_so(make_app, web):
    server = make_app(page_size=2)
    s, _ = web.login(server.url, "tanaka")
    last = s.get(f"{server.url}/queue?page=3").text
    r = s.get(f"{server.url}/queue?page=99")
    assert r.status_code == 200
    assert listed(r.text) == listed(last)
    assert "There is no page 99; this is the last page, 3." in r.text
    s_ja, _ = web.login(server.url, "sato")
    assert "99 ページはありません" in s_ja.get(f"{server.url}/queue?page=99").text
    for bad in ("0", "-1", "abc"):
        r = s.get(f"{server.url}/queue?page={bad}")
        assert r.status_code == 400, bad
        assert "<h1>" in r.text


def test_deciding_on_page_two_loads_the_next_item_on_its_page(make_app, web, db, links):
    server = make_app(page_size=2)
    s, _ = web.login(server.url, "tanaka")
    page = s.get(f"{server.url}/queue?theme=T01&page=2").text
    form = hidden(page, "decide")
    assert form["next_id"] == str(links["c3"])
    r = s.post(
        f"{server.url}/links/{links['c4']}/decide",
        data={**form, "action": "accept"},
        headers={"Origin": server.url},
        allow_redirects=False,
    )
    assert r.status_code == 303
    assert r.headers["location"] == f"/queue?theme=T01&page=2&item={links['c3']}"
    assert links_db.get_link(db, links["c4"])["status"] == "confirmed"
    after = s.get(server.url + r.headers["location"]).text
    # c4 left the pending queue: T01 is now c1, c2 | c3, and c3 is open on page 2
    assert listed(after) == [links["c3"]]
    assert f'id="item" data-link="{links["c3"]}"' in after
    assert "Items 3–3 of 3" in after


def test_bulk_decision_from_a_later_page(make_app, web, db, links):
    server = make_app(page_size=1)
    s, _ = web.login(server.url, "tanaka")
    page = s.get(f"{server.url}/queue?theme=T01&page=2").text
    assert listed(page) == [links["c2"]]
    form = hidden(page, "bulk")  # c1 and c2 share Tanaka's ORCID
    assert set(form["link_ids"].split(",")) == {str(links["c1"]), str(links["c2"])}
    assert (form["theme"], form["page"]) == ("T01", "2")
    r = s.post(
        f"{server.url}/links/{links['c2']}/bulk",
        data={**form, "action": "accept", "reason": "same ORCID", "confirm": "yes"},
        headers={"Origin": server.url},
        allow_redirects=False,
    )
    assert r.status_code == 303 and "theme=T01" in r.headers["location"]
    # on to the next undecided item of the queue (c4, after c1 and c2 by score)
    assert f"item={links['c4']}" in r.headers["location"]
    for key in ("c1", "c2"):
        assert links_db.get_link(db, links[key])["status"] == "confirmed"
    after = s.get(server.url + r.headers["location"]).text
    assert "2 items decided at once" in after
    assert set(listed(after)) <= {links["c4"], links["c3"]}


def test_page_numbers_leave_out_the_middle_of_long_queues():
    from review.views.queue import page_numbers

    assert page_numbers(1, 1) == [1]
    assert page_numbers(1, 3) == [1, 2, 3]
    assert page_numbers(7, 312) == [1, None, 5, 6, 7, 8, 9, None, 312]
    assert page_numbers(312, 312) == [1, None, 310, 311, 312]


def test_the_page_and_a_bulk_decision_never_load_the_whole_queue(
    make_app, web, links, monkeypatch
):
    """The queue is paged in SQL: every read of it asks for a page and the rows either side
    (J/K's neighbours), never all of it, and never gets more rows back than it asked for."""
    calls: list[tuple[int | None, int]] = []
    real = links_db.review_queue

    def counted(db, limit=None, **kw):
        rows = real(db, limit, **kw)
        calls.append((limit, len(rows)))
        return rows

    monkeypatch.setattr(links_db, "review_queue", counted)
    server = make_app(page_size=2)
    s, _ = web.login(server.url, "tanaka")
    for query in ("", "?page=2", "?page=3", f"?item={links['c3']}", "?theme=T01&page=2"):
        assert s.get(f"{server.url}/queue{query}").status_code == 200, query
    page = s.get(f"{server.url}/queue?theme=T01&page=1").text
    form = hidden(page, "bulk")
    r = s.post(
        f"{server.url}/links/{links['c1']}/bulk",
        data={**form, "action": "accept", "reason": "same ORCID", "confirm": "yes"},
        headers={"Origin": server.url},
        allow_redirects=False,
    )
    assert r.status_code == 303 and f"item={links['c4']}" in r.headers["location"]
    assert calls, "the page read no queue rows at all"
    assert all(limit is not None and 0 < limit <= 2 + 2 for limit, _ in calls), calls
    assert all(got <= limit for limit, got in calls), calls
    assert max(got for _, got in calls) < 5  # the fixture's queue holds five
