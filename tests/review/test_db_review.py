"""db/accounts.py, db/rules.py and the review additions to db/links.py: queue filters, bulk groups, rules."""

from __future__ import annotations

import pytest

from db import accounts as accounts_db
from db import links as links_db
from db import rules as rules_db
from matching.context import Rule
from papertally.errors import NotFoundError, PapertallyError


def test_queue_without_arguments_keeps_needs_review_best_score_first(db, links):
    rows = links_db.review_queue(db)
    assert [r["link_id"] for r in rows] == [
        links[s] for s in ("a1", "c1", "c2", "c4", "c3")
    ]


def test_queue_puts_themes_short_of_target_first_then_score(db, links):
    rows = links_db.review_queue(db, short_themes={"T01"})
    assert [r["theme_id"] for r in rows] == ["T01", "T01", "T01", "T01", "T02"]
    assert [r["link_id"] for r in rows][:2] == [links["c1"], links["c2"]]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"theme": "T02"}, ["a1"]),
        ({"venue": "ACL"}, ["a1"]),
        ({"year": 2023}, []),
        ({"person_id": "p002"}, ["c4"]),
        ({"status": "confirmed"}, ["c5"]),
        ({"theme": "T01", "venue": "CVPR", "person_id": "p001"}, ["c1", "c2", "c3"]),
    ],
)
def test_queue_filters(db, links, filters, expected):
    assert [r["link_id"] for r in links_db.review_queue(db, **filters)] == [
        links[s] for s in expected
    ]


def test_queue_rejects_unknown_status(db, links):
    with pytest.raises(PapertallyError, match="unknown status"):
        links_db.review_queue(db, status="maybe")


@pytest.mark.parametrize("status", ["pending", "all"])
def test_next_undecided_in_sql_is_the_queue_walked_on_then_back(db, links, status):
    """queue_next_undecided against the queue walked in Python: on from the item, then
    back from it, skipping decided and excluded links; from the top for an absent item."""
    links_db.decide(db, links["c2"], "unsure", "tanaka", "check", expected_decision_id=None)
    order = [r["link_id"] for r in links_db.review_queue(db, status=status, short_themes={"T02"})]
    undecided = {i for i in order if links_db.get_link(db, i)["decision_id"] is None}

    def walked(current, exclude):
        start = order.index(current) if current in order else 0
        return next(
            (i for i in [*order[start:], *reversed(order[:start])]
             if i in undecided and i not in exclude),
            None,
        )

    cases = [(i, set()) for i in order] + [
        (links["c4"], {links["c4"], links["c3"]}),
        (links["c3"], {links["c3"]}),
        (links["c1"], set(order)),
        (999999, {links["a1"]}),
    ]
    for current, exclude in cases:
        got = links_db.queue_next_undecided(
            db, current, exclude, status=status, short_themes={"T02"}
        )
        assert got == walked(current, exclude), (current, exclude)
    assert links_db.queue_next_undecided(db, links["c3"], [links["c3"]], status=status,
                                         short_themes={"T02"}) is not None


def test_link_detail_has_printed_author_and_evidence(db, links):
    d = links_db.link_detail(db, links["c2"])
    assert d["mention"]["name"] == "H. Tanaka"
    assert d["mention"]["orcid"] == "0000-0002-1825-0097"
    assert [e["kind"] for e in d["evidence"]] == ["name", "affiliation"]
    assert d["member"]["theme_name"] == "ロボット基盤モデル"


def test_bulk_groups_share_an_identifier_or_an_organisation(db, links):
    groups = {g["group"]: g for g in links_db.bulk_groups(db, links["c1"])}
    # c5 carries the ORCID too but is already confirmed, so only undecided links are offered.
    assert groups["id:orcid"]["link_ids"] == [links["c1"], links["c2"]]
    # "University of Tokyo" (c1, c2) resolves to one organisation; c3 is Tokyo Tech
    assert groups["org"]["link_ids"] == [links["c1"], links["c2"]]
    assert groups["org"]["value"] == "The University of Tokyo"
    assert set(groups) == {"id:orcid", "org"}
    assert links_db.bulk_groups(db, links["c4"]) == []  # Sato has one undecided item


@pytest.mark.parametrize(
    ("scheme", "column", "value"),
    [
        ("ieee", "ieee_id", "37087322448"),
        ("openreview", "openreview_id", "~Hiroshi_Tanaka1"),
        ("dblp", "dblp_pid", "12/3456"),
        ("openalex", "openalex_id", "A5023888391"),
    ],
)
def test_bulk_groups_by_every_identifier_scheme_a_source_carries(db, links, scheme, column, value):
    db.execute(
        f"UPDATE authorships SET {column} = ? WHERE source_id IN ('c1', 'c3')", [value]
    )
    groups = {g["group"]: g for g in links_db.bulk_groups(db, links["c3"])}
    assert groups[f"id:{scheme}"]["link_ids"] == [links["c1"], links["c3"]]
    assert groups[f"id:{scheme}"]["value"] == value


def test_bulk_groups_by_the_organisation_page_one_prints_when_no_source_does(db, links):
    """NeurIPS lists print no affiliations; the full text's page 1 does (the enrich step's
    reading): links of one member printed there at one organisation are one group."""
    from db.enrichment import OK, Enrichment, store

    db.execute("UPDATE authorships SET affiliations = '[]' WHERE source_id IN ('c1', 'c3')")
    assert "org" not in {g["group"] for g in links_db.bulk_groups(db, links["c3"])}
    for sid in ("c1", "c3"):
        a = db.execute(
            "SELECT paper_id, position, name FROM authorships WHERE source_id = ?", [sid]
        ).fetchone()
        store(db, [Enrichment(a[0], "fulltext", "v1:x", OK, "", {"authors": [
            {"position": a[1], "name": a[2], "affiliations": ["Sony AI"], "line": "PDF p.1: ..."},
        ]})])
    read: list[str] = []
    db.conn.set_trace_callback(read.append)
    groups = {g["group"]: g for g in links_db.bulk_groups(db, links["c3"])}
    db.conn.set_trace_callback(None)
    assert groups["org"]["link_ids"] == [links["c1"], links["c3"]]
    assert groups["org"]["value"] == "Sony AI"
    # the item's full text, then all the member's undecided ones at once (not one per link)
    assert sum("FROM enrichments" in q for q in read) == 2


def test_decide_many_skips_links_decided_meanwhile(db, links):
    links_db.decide(db, links["c2"], "reject", "sato")
    written, skipped = links_db.decide_many(
        db, [links["c1"], links["c2"]], "accept", "tanaka"
    )
    assert [d["link_id"] for d in written] == [links["c1"]]
    assert skipped == [links["c2"]]
    assert links_db.get_link(db, links["c2"])["status"] == "rejected"


def test_rules_are_stored_and_loaded_as_matching_rules(db, links):
    rid = rules_db.add_rule(
        db, "id_is", "p001", "0000-0002-1825-0097", scheme="orcid", by="sato"
    )
    again = rules_db.add_rule(
        db, "id_is", "p001", "0000-0002-1825-0097", scheme="orcid", by="sato"
    )
    rules_db.add_rule(
        db,
        "never_at_org",
        "p001",
        "Tokyo Institute of Technology",
        by="sato",
        reason="never worked there",
    )
    assert rid == again
    rules = rules_db.load_rules(db)
    assert rules == [
        Rule(
            "id_is",
            "p001",
            "0000-0002-1825-0097",
            scheme="orcid",
            reason=f"staff rule #{rid} by sato",
        ),
        Rule(
            "never_at_org",
            "p001",
            "Tokyo Institute of Technology",
            reason="never worked there",
        ),
    ]
    rules_db.deactivate_rule(db, rid, by="tanaka")
    assert len(rules_db.load_rules(db)) == 1
    with pytest.raises(NotFoundError):
        rules_db.deactivate_rule(db, rid, by="tanaka")


@pytest.mark.parametrize(
    ("kind", "scheme", "value", "message"),
    [
        ("always", "orcid", "x", "unknown rule kind"),
        ("id_is", "email", "x", "identifier type"),
        ("id_is", "orcid", " ", "needs a value"),
    ],
)
def test_bad_rules_are_refused(db, links, kind, scheme, value, message):
    with pytest.raises(PapertallyError, match=message):
        rules_db.add_rule(db, kind, "p001", value, scheme=scheme, by="sato")


def test_rule_for_unknown_member_is_refused(db, links):
    with pytest.raises(NotFoundError):
        rules_db.add_rule(db, "never_at_org", "p999", "AIST", by="sato")


def test_users_are_created_and_password_reset(db):
    assert accounts_db.add_user(db, "sato", "hash1", "ja") is True
    assert accounts_db.add_user(db, "sato", "hash2") is False
    user = accounts_db.get_user(db, "sato")
    assert (user["password_hash"], user["lang"]) == ("hash2", "ja")
    with pytest.raises(PapertallyError):
        accounts_db.add_user(db, "  ", "h")


def test_reharvest_and_roster_reimport_leave_a_decided_link_as_decided(db, links, data):
    import dataclasses

    from db.papers import store_records
    from db.roster import import_roster

    links_db.decide(db, links["c1"], "accept", "sato", "ORCID matches")
    before = links_db.get_link(db, links["c1"])
    changed_paper = dataclasses.replace(
        data.papers[0], authors=(data.author("Hiroshi Tanaka", 1, "RIKEN AIP"),)
    )
    assert store_records(db, [changed_paper], None).updated == 1
    import_roster(
        db, [dataclasses.replace(data.roster[0], affiliation="RIKEN"), *data.roster[1:]]
    )
    after = links_db.get_link(db, links["c1"])
    assert (after["status"], after["decision_id"], after["score"]) == (
        "confirmed",
        before["decision_id"],
        before["score"],
    )
    assert len(links_db.decision_log(db, links["c1"])) == 1
