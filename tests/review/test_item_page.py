"""One item decidable on the page: the paper's own pages, every co-author with their printed
affiliation, the member's papers with the same co-authors, why no affiliation is shown,
the core's evidence and errors in the viewer's language, and times in the configured zone."""

from __future__ import annotations

import json
import re

import pytest

from db import links as links_db
from review.paper_pages import paper_pages
from review.wording import evidence_text, explanation, local_time


def post(session, url, path, token, **data):
    return session.post(
        f"{url}{path}",
        data={"csrf_token": token, **data},
        headers={"Origin": url},
        allow_redirects=False,
    )


def pages(venue, *sources):
    return [
        (p.kind, p.url)
        for p in paper_pages(
            {"venue": venue},
            [{"source": s, "source_id": i, "url": u} for s, i, u in sources],
        )
    ]


@pytest.mark.parametrize(
    ("venue", "sources", "expected"),
    [
        # Paper Copilot's NeurIPS record: an OpenReview id and no URL
        (
            "NeurIPS",
            [("paperlists", "RMeQjexaRj", None)],
            [
                ("openreview", "https://openreview.net/forum?id=RMeQjexaRj"),
                ("pdf", "https://openreview.net/pdf?id=RMeQjexaRj"),
            ],
        ),
        # CVPR: the CVF page, and its PDF beside it
        (
            "CVPR",
            [
                (
                    "paperlists",
                    "Prach_1-Lipschitz_Layers_CVPR_2024_paper",
                    "https://openaccess.thecvf.com/content/CVPR2024/html/"
                    "Prach_1-Lipschitz_Layers_CVPR_2024_paper.html",
                )
            ],
            [
                (
                    "cvf",
                    "https://openaccess.thecvf.com/content/CVPR2024/html/"
                    "Prach_1-Lipschitz_Layers_CVPR_2024_paper.html",
                ),
                (
                    "pdf",
                    "https://openaccess.thecvf.com/content/CVPR2024/papers/"
                    "Prach_1-Lipschitz_Layers_CVPR_2024_paper.pdf",
                ),
            ],
        ),
        (
            "ACL",
            [("acl-anthology", "2023.acl-long.1", "https://aclanthology.org/2023.acl-long.1")],
            [
                ("anthology", "https://aclanthology.org/2023.acl-long.1/"),
                ("pdf", "https://aclanthology.org/2023.acl-long.1.pdf"),
            ],
        ),
        # ICRA: an IEEE Xplore document number, with or without the site URL
        (
            "ICRA",
            [("paperlists", "10160459", None)],
            [("ieee", "https://ieeexplore.ieee.org/document/10160459/")],
        ),
        (
            "IROS",
            [("paperlists", "10341997", "https://ieeexplore.ieee.org/document/10341997/")],
            [("ieee", "https://ieeexplore.ieee.org/document/10341997/")],
        ),
        # a digit id at a venue that is not IEEE's is not taken for a document number
        ("CVPR", [("paperlists", "1234567", None)], []),
        # one page from two sources is listed once
        (
            "NeurIPS",
            [
                ("paperlists", "RMeQjexaRj", None),
                ("openreview", "RMeQjexaRj", "https://openreview.net/forum?id=RMeQjexaRj"),
            ],
            [
                ("openreview", "https://openreview.net/forum?id=RMeQjexaRj"),
                ("pdf", "https://openreview.net/pdf?id=RMeQjexaRj"),
            ],
        ),
        # only web addresses become links
        ("CVPR", [("paperlists", "x", "javascript:alert(1)")], []),
    ],
)
def test_links_to_the_papers_own_pages_from_source_ids_and_urls(venue, sources, expected):
    assert pages(venue, *sources) == expected


@pytest.fixture
def neurips_item(db, data, links):
    """A NeurIPS paper by Tanaka and two co-authors as Paper Copilot lists it (an OpenReview
    id, no affiliations), and an earlier paper of his with one of those co-authors."""
    from db.links import store_candidates
    from db.papers import store_records

    store_records(
        db,
        [
            data.paper(
                "RMeQjexaRj",
                "Policies from play",
                [
                    data.author("Hiroshi Tanaka", 1),
                    data.author("Mei Ono", 2),
                    data.author("Ken Ito", 3),
                ],
                venue="NeurIPS",
                year=2023,
            ),
            data.paper(
                "w1",
                "Play data at scale",
                [
                    data.author("Hiroshi Tanaka", 1, "University of Tokyo"),
                    data.author("Mei Ono", 2, "RIKEN"),
                ],
            ),
        ],
        None,
    )
    db.execute("UPDATE source_records SET url = NULL WHERE source_id = 'RMeQjexaRj'")
    pid = {
        r["source_id"]: r["paper_id"]
        for r in db.query("SELECT source_id, paper_id FROM source_records")
    }
    existing = [
        data.candidate(r["paper_id"], r["person_id"], r["mention"], r["score"], r["status"])
        for r in db.query("SELECT * FROM links")
    ]
    store_candidates(
        db,
        [
            *existing,
            data.candidate(pid["RMeQjexaRj"], "p001", "paperlists:RMeQjexaRj#1", 0.65),
            data.candidate(pid["w1"], "p001", "paperlists:w1#1", 0.97, status="confirmed"),
        ],
        "test",
    )
    return {
        sid: db.execute("SELECT link_id FROM links WHERE paper_id = ?", [pid[sid]]).fetchone()[0]
        for sid in ("RMeQjexaRj", "w1")
    }


def test_an_item_without_affiliations_says_why_and_links_its_forum(
    review_app, web, neurips_item
):
    server, _, _ = review_app
    s, _ = web.login(server.url, "tanaka")
    html = s.get(f"{server.url}/queue?item={neurips_item['RMeQjexaRj']}").text
    assert 'href="https://openreview.net/forum?id=RMeQjexaRj"' in html
    assert 'href="https://openreview.net/pdf?id=RMeQjexaRj"' in html
    assert "paperlists:RMeQjexaRj" not in html  # no bare source id instead of a link
    why = re.search(r'<p class="why-none" id="why-none">(.*?)</p>', html).group(1)
    assert "No source lists affiliations for NeurIPS" in why
    assert "Full text not fetched yet" in why
    # the attribution panel says the full text is not read yet
    assert 'id="attribution" data-state="not_enriched"' in html
    assert "Not enriched yet" in html.split('id="attribution"')[1]


def test_the_reason_says_why_the_full_text_was_not_read(review_app, db, web, neurips_item):
    from db import enrichment as enrichment_db

    paper_id = db.execute(
        "SELECT paper_id FROM links WHERE link_id = ?", [neurips_item["RMeQjexaRj"]]
    ).fetchone()[0]
    enrichment_db.store(
        db,
        [enrichment_db.Enrichment(paper_id, "fulltext", "{}", "not_fetched", "offline",
                                  enriched_at="2026-11-30T02:00:00+00:00")],
    )
    server, _, _ = review_app
    s, _ = web.login(server.url, "sato")
    html = s.get(f"{server.url}/queue?item={neurips_item['RMeQjexaRj']}").text
    why = re.search(r'<p class="why-none" id="why-none">(.*?)</p>', html).group(1)
    assert why == (
        "NeurIPS の所属を記載している情報源はありません（paperlists はどの著者の所属も記載していません）。"
        "本文は未取得です：offline。"
    )


def test_every_coauthor_with_their_printed_affiliation_and_shared_papers(
    review_app, web, links
):
    server, _, _ = review_app
    s, _ = web.login(server.url, "tanaka")
    html = s.get(f"{server.url}/queue?item={links['c1']}").text
    authors = re.search(r'<ol class="authors" id="authors">(.*?)</ol>', html, re.S).group(1)
    names = re.findall(r'<span class="aname">(.*?)</span>', authors)
    assert names == ["Hiroshi Tanaka", "Ann Lee"]
    assert '<li class="mention"><span class="aname">Hiroshi Tanaka</span> <span class="aaff">University of Tokyo</span>' in authors
    assert "Ann Lee</span> <span class=\"muted\">no affiliation printed</span>" in authors
    # with an affiliation printed for this author, no "why none" line
    assert 'id="why-none"' not in html


def test_the_members_other_papers_with_the_same_coauthors(db, neurips_item):
    link = links_db.get_link(db, neurips_item["RMeQjexaRj"])
    authors = links_db.paper_authors(db, link["mention"])
    assert [(a["name"], a["is_mention"]) for a in authors] == [
        ("Hiroshi Tanaka", 1), ("Mei Ono", 0), ("Ken Ito", 0)
    ]
    shared = links_db.papers_with_coauthors(
        db, "p001", link["paper_id"], [a["name"] for a in authors if not a["is_mention"]]
    )
    assert [(p["title"], p["shared"], p["status"]) for p in shared] == [
        ("Play data at scale", ["Mei Ono"], "confirmed")
    ]


def test_evidence_kinds_sentences_and_the_explanation_in_japanese(
    review_app, db, web, links
):
    # an evidence item with a machine key and parameters (as matching stores them) and
    # one without (an older run): the first is worded by the catalogue, the second as is
    evidence = [
        {"kind": "id", "weight": 0.6, "detail": "ORCID on OpenReview ~T1 matches (0000)",
         "key": "openreview.orcid_agree", "params": {"profile": "~T1", "orcid": "0000"}},
        {"kind": "name", "weight": 0.4, "detail": "printed name matches the roster name"},
    ]
    db.execute(
        "UPDATE links SET evidence = ? WHERE link_id = ?", [json.dumps(evidence), links["c4"]]
    )
    db.conn.commit()
    server, _, _ = review_app
    s, _ = web.login(server.url, "sato")  # reads Japanese
    html = s.get(f"{server.url}/queue?item={links['c4']}").text
    table = re.search(r'<table class="evidence">(.*?)</table>', html, re.S).group(1)
    kinds = re.findall(r'<td class="k">(.*?)</td>', table)
    assert kinds == ["識別子", "氏名"]
    assert "OpenReview ~T1 の ORCID が一致（0000）" in table
    line = re.search(r'<p class="muted explanation">(.*?)</p>', html).group(1)
    assert line.startswith("要確認: OpenReview ~T1 の ORCID が一致")
    assert explanation("en", "needs_review", evidence) == (
        "Needs review: ORCID on OpenReview ~T1 matches (0000); printed name matches the roster name"
    )
    # parameters the wording does not know: the core's own sentence
    assert evidence_text("ja", {**evidence[0], "params": {}}) == evidence[0]["detail"]


def test_errors_from_the_core_in_the_viewers_language(review_app, web):
    server, _, _ = review_app
    s, token = web.login(server.url, "sato")
    r = post(s, server.url, "/links/999999/decide", token, action="accept")
    assert r.status_code == 404
    assert "項目 #999999 は存在しません。" in r.text and "does not exist" not in r.text
    en, token = web.login(server.url, "tanaka")
    r = post(en, server.url, "/links/999999/decide", token, action="accept")
    assert "Item #999999 does not exist." in r.text


def test_the_reason_is_limited_to_500_characters_on_the_server(review_app, db, web, links):
    server, _, _ = review_app
    s, token = web.login(server.url, "tanaka")
    r = post(s, server.url, f"/links/{links['c4']}/decide", token,
             action="reject", seen_decision="", reason="x" * 501)
    assert r.status_code == 400 and "501 characters" in r.text
    assert list(db.query("SELECT * FROM decisions")) == []
    r = post(s, server.url, f"/links/{links['c4']}/decide", token,
             action="reject", seen_decision="", reason="y" * 500)
    assert r.status_code == 303
    assert next(db.query("SELECT reason FROM decisions"))["reason"] == "y" * 500


def test_times_are_shown_in_the_configured_zone_and_stored_in_utc(review_app, db, web, links):
    server, settings, _ = review_app
    assert settings.review.time_zone == "Asia/Tokyo"
    s, token = web.login(server.url, "tanaka")
    post(s, server.url, f"/links/{links['c4']}/decide", token, action="accept", seen_decision="")
    stored = next(db.query("SELECT decided_at FROM decisions"))["decided_at"]
    assert stored.endswith("+00:00")  # stored in UTC
    shown = local_time(stored, "Asia/Tokyo")
    log = s.get(server.url + "/log").text
    assert "When (Asia/Tokyo)" in log and f"<td>{shown}</td>" in log
    item = s.get(f"{server.url}/queue?status=all&item={links['c4']}").text
    assert shown in item and stored not in item
    assert local_time("2026-11-28T09:15:00+00:00", "Asia/Tokyo") == "2026-11-28 18:15"


def test_an_unknown_time_zone_is_a_config_error():
    from papertally.config import Review

    with pytest.raises(ValueError, match="not an IANA time zone"):
        Review(time_zone="Tokyo/Japan")


def test_the_summary_says_not_harvested_yet_per_venue_year(review_app, web):
    server, _, _ = review_app
    s, _ = web.login(server.url, "tanaka")
    html = s.get(server.url + "/summary?fy=2024").text
    # FY2024 counts CVPR, ACL, ICRA and NeurIPS 2024; only CVPR and ACL have papers here
    marked = re.findall(r'<span class="vy unharvested">(\w+ \d{4})', html)
    assert marked and "CVPR 2024" not in marked and "ACL 2024" not in marked
    assert 'id="not-harvested"' in html and "to go" in html  # some harvested: gaps shown
    html = s.get(server.url + "/summary?fy=2026").text
    assert "Nothing harvested yet for FY2026" in html
    assert "to go" not in html  # no "3 to go" for a zero that is not a count


def test_short_of_target_counts_harvested_venue_years_only(db, links, review_config):
    import datetime as dt

    from papertally.config import load_settings
    from review.service import short_themes

    settings = load_settings(review_config)
    # FY2026: nothing harvested, so no theme is short (every item the same marker before)
    assert short_themes(db, settings, today=dt.date(2026, 6, 1)) == set()
    # FY2024: CVPR and ACL harvested; T01 (1 confirmed of 1) met, T02 (0 of 1) short
    assert short_themes(db, settings, today=dt.date(2024, 6, 1)) == {"T02"}


def test_u_undoes_a_whole_bulk_decision_as_one_action(review_app, db, web, links):
    server, _, _ = review_app
    s, token = web.login(server.url, "tanaka")
    r = post(s, server.url, f"/links/{links['c1']}/bulk", token, group="id:orcid",
             action="accept", link_ids=f"{links['c1']},{links['c2']}", reason="same ORCID",
             confirm="yes")
    assert r.status_code == 303
    # U posts the undo of the latest decision of mine in "recent decisions": one of the two
    page = s.get(server.url + "/queue?status=all").text
    form = re.search(
        r'<form method="post" action="/links/(\d+)/undo" class="inline undo" data-mine="1">'
        r'.*?name="seen_decision" value="(\d+)"', page, re.S,
    )
    r = post(s, server.url, f"/links/{form.group(1)}/undo", token, seen_decision=form.group(2))
    assert r.status_code == 303
    assert {links_db.get_link(db, links[k])["status"] for k in ("c1", "c2")} == {"needs_review"}
    assert [d["action"] for d in db.query("SELECT action FROM decisions ORDER BY decision_id")] == [
        "accept", "accept", "undo", "undo"
    ]
    assert "2 items are back as they were" in s.get(server.url + r.headers["location"]).text


def test_a_rule_is_withdrawn_with_a_reason_as_a_new_audited_row(review_app, db, web, links):
    from db import rules as rules_db

    server, _, _ = review_app
    s, token = web.login(server.url, "tanaka")
    post(s, server.url, f"/links/{links['c1']}/rules", token, kind="id_is", scheme="orcid",
         reason="his ORCID", confirm="yes")
    (rule,) = rules_db.list_rules(db)
    off = f"/rules/{rule['rule_id']}/off"
    assert post(s, server.url, off, token, confirm="yes").status_code == 400
    assert post(s, server.url, off, token, reason="wrong ORCID").status_code == 400
    assert len(rules_db.load_rules(db)) == 1
    assert post(s, server.url, off, token, reason="wrong ORCID", confirm="yes").status_code == 303
    assert rules_db.load_rules(db) == []
    (row,) = db.query("SELECT * FROM review_rule_withdrawals")
    assert (row["rule_id"], row["withdrawn_by"], row["reason"]) == (rule["rule_id"], "tanaka", "wrong ORCID")
    assert "“wrong ORCID”" in s.get(server.url + "/rules").text
    # the withdrawal row is append-only, like the decisions
    with pytest.raises(Exception, match="append-only"):
        db.execute("DELETE FROM review_rule_withdrawals")


def test_a_matcher_sentence_in_japanese_with_its_bracketed_parameters():
    from dataclasses import asdict

    from matching.evidence import evidence

    e = asdict(
        evidence("name.variant", 1.9, printed="Yuta Ota", roster="Ohta Yuta", via="roster kana reading")
    )
    assert evidence_text("ja", e) == (
        "ローマ字表記の違いとして氏名が一致（Yuta Ota = Ohta Yuta）（名簿の読み仮名）"
    )
    assert evidence_text("en", e) == e["detail"]  # English: the matcher's own sentence
    capped = asdict(evidence("cap.initials", 0.0, score="0.84"))
    assert evidence_text("ja", capped) == "0.84 で頭打ち：イニシャルだけでは確定しません"


def test_the_explanation_line_is_the_matchers_own_in_english_and_worded_in_japanese():
    from dataclasses import asdict

    from matching.match import _explain
    from matching.evidence import evidence

    evidence_list = [
        evidence("name.initials", 0.6, printed="H. Tanaka", roster="Tanaka Hiroshi"),
        evidence("affiliation.same", 3.0, org="The University of Tokyo", printed="UTokyo"),
        evidence("affiliation.none_printed", 0.0),
    ]
    cap = evidence("cap.initials", 0.0, score="0.84")
    stored = [asdict(e) for e in (*evidence_list, cap)]
    assert explanation("en", "needs_review", stored) == _explain("needs_review", evidence_list, cap)
    line = explanation("ja", "needs_review", stored)
    assert line.startswith("要確認（0.84 で頭打ち：イニシャルだけでは確定しません）: 所属 ")


def test_the_pages_own_errors_in_the_viewers_language(review_app, web, links):
    server, _, _ = review_app
    s, token = web.login(server.url, "sato")
    r = post(s, server.url, f"/links/{links['c4']}/decide", "stale-token", action="accept")
    assert r.status_code == 403 and "フォームの確認用トークン" in r.text
    r = s.get(f"{server.url}/queue?status=maybe")
    assert r.status_code == 400 and "状態「maybe」はありません" in r.text
    r = s.get(f"{server.url}/summary?fy=1800")
    assert r.status_code == 400 and "年度 1800 は範囲外です" in r.text
