"""Staff rules added in review are applied by the next matching run; decided links stay decided."""

from __future__ import annotations

import json

from db import links as links_db
from db import rules as rules_db
from db.papers import store_records
from db.roster import import_roster
from papertally import pipeline


def status_by_mention(db) -> dict[str, str]:
    return {
        r["mention"]: r["status"] for r in db.query("SELECT mention, status FROM links")
    }


def test_rules_change_the_next_match_but_never_a_staff_decision(db, settings, data):
    import_roster(db, data.roster)
    store_records(db, data.papers, None)
    pipeline.run_matching(db, settings)
    before = status_by_mention(db)
    assert (
        before["paperlists:c1#1"] == "confirmed"
        and before["paperlists:c2#1"] == "confirmed"
    )
    # staff confirm c5 by hand, then say the ORCID is not this member
    c5 = next(
        r["link_id"]
        for r in db.query("SELECT link_id FROM links WHERE mention = 'paperlists:c5#1'")
    )
    links_db.decide(db, c5, "accept", "sato")
    rules_db.add_rule(
        db,
        "id_is_not",
        "p001",
        "0000-0002-1825-0097",
        scheme="orcid",
        by="sato",
        reason="another Hiroshi Tanaka",
    )
    rules_db.add_rule(
        db, "never_at_org", "p001", "Tokyo Institute of Technology", by="sato"
    )

    pipeline.run_matching(db, settings)
    after = status_by_mention(db)
    assert (
        after["paperlists:c1#1"] == "rejected"
        and after["paperlists:c2#1"] == "rejected"
    )
    assert after["paperlists:c3#2"] == "rejected"
    assert (
        after["paperlists:c4#1"] == before["paperlists:c4#1"]
    )  # other members untouched
    c1 = next(
        iter(
            db.query(
                "SELECT evidence, explanation FROM links WHERE mention = 'paperlists:c1#1'"
            )
        )
    )
    assert (
        '"kind": "rule"' in c1["evidence"]
        and "another Hiroshi Tanaka" in c1["explanation"]
    )
    # the staff decision is kept, only flagged for a second look
    kept = links_db.get_link(db, c5)
    assert kept["status"] == "confirmed" and kept["second_look"]


def test_a_rule_on_an_ieee_author_id_from_an_item_decides_the_next_match(db, settings, data):
    # ICRA and IROS print IEEE author ids: a rule takes that scheme like the others
    import_roster(db, data.roster)
    store_records(
        db,
        [
            data.paper("i1", "Legged robots", [data.author("Hiroshi Tanaka", 1, "Tokyo Tech")],
                       venue="ICRA", year=2023),
        ],
        None,
    )
    db.execute("UPDATE authorships SET ieee_id = '37087322448' WHERE source_id = 'i1'")
    pipeline.run_matching(db, settings)
    assert status_by_mention(db).get("paperlists:i1#1") != "confirmed"
    rules_db.add_rule(
        db, "id_is", "p001", "37087322448", scheme="ieee", by="sato", reason="his IEEE id"
    )
    pipeline.run_matching(db, settings)
    assert status_by_mention(db)["paperlists:i1#1"] == "confirmed"
    stored = next(db.query("SELECT evidence FROM links WHERE mention = 'paperlists:i1#1'"))
    (evidence,) = [e for e in json.loads(stored["evidence"]) if e["kind"] == "rule"]
    assert evidence["detail"].startswith("staff rule: IEEE author ID 37087322448 is this person")
