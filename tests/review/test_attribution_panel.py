"""The item page's attribution panel: what the enrich step learnt about the paper."""

from __future__ import annotations

from dataclasses import asdict

from db.enrichment import NONE, OK, Enrichment, decide_attribution, store
from matching.attribution import find_acknowledgement, terms_from

ACK = "This paper is based on results obtained from a project, JPNP20006, commissioned by NEDO."


def _paper_id(db, link_id: int) -> str:
    return db.execute("SELECT paper_id FROM links WHERE link_id = ?", [link_id]).fetchone()[0]


def test_item_shows_the_quoted_acknowledgement_author_lines_pdf_and_staff_attribution(
    review_app, db, web
):
    server, _, links = review_app
    pid = _paper_id(db, links["c2"])
    ack = find_acknowledgement(["Intro.", ACK], terms_from(["JPNP20006"], ["NEDO"]))
    store(db, [Enrichment(pid, "fulltext", "v1:x", OK, "", {
        "url": "https://example.org/c2.pdf",
        "acknowledgement": asdict(ack),
        "ack_line": ack.explain(),
        "authors": [{"position": 1, "name": "H. Tanaka",
                     "line": 'PDF p.1: "H. Tanaka¹ ... ¹The University of Tokyo (u-tokyo.ac.jp)"'}],
    }, "f" * 64)])
    decide_attribution(db, pid, by="sato", reason="checked the camera-ready")
    db.execute("UPDATE authorships SET openreview_id = '~Hiroshi_Tanaka1' WHERE source_id = 'c2'")
    store(db, [Enrichment(pid, "openreview", "v1:y", OK, "", {"profiles": {"~Hiroshi_Tanaka1": {
        "profile_id": "~Hiroshi_Tanaka1", "stints": [
            {"org": "The University of Tokyo", "start": 2019, "end": None,
             "position": "Associate Professor", "domain": "u-tokyo.ac.jp"}]}}})])
    s, _ = web.login(server.url, "tanaka")
    html = s.get(f"{server.url}/queue?item={links['c2']}").text
    panel = html.split('id="attribution"')[1].split("</div>")[0]
    assert "Acknowledges the program&#39;s grant number:" in panel
    assert f"<q>{ACK}</q>" in panel and "(p.2)" in panel
    assert '<li class="mention">PDF p.1: &#34;H. Tanaka¹ ... ¹The University of Tokyo (u-tokyo.ac.jp)&#34;</li>' in panel
    assert 'href="https://example.org/c2.pdf"' in panel and "SHA-256 ffffffffffff" in panel
    assert "Staff attribution: confirm by sato (checked the camera-ready)" in panel
    assert "OpenReview history (~Hiroshi_Tanaka1)" in panel
    assert "Associate Professor, The University of Tokyo <span class=\"muted\">2019–present</span>" in panel


def test_item_says_why_there_is_no_full_text_and_in_japanese(review_app, db, web):
    server, _, links = review_app
    pid = _paper_id(db, links["c2"])
    html = web.login(server.url, "tanaka")[0].get(f"{server.url}/queue?item={links['c2']}").text
    assert "Not enriched yet" in html.split('id="attribution"')[1]
    store(db, [Enrichment(pid, "fulltext", "v1:x", NONE,
                          "no full text (not a PDF (an HTML page: a paywall, a login or an error page?))")])
    html = web.login(server.url, "sato")[0].get(f"{server.url}/queue?item={links['c2']}").text
    panel = html.split('id="attribution"')[1].split("</div>")[0]
    assert "no full text (not a PDF (an HTML page" in panel
    assert "本文（事業への帰属）" in html
