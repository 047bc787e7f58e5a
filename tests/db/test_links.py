"""Links and decisions: re-matching never touches a staff decision; undo supersedes."""

from __future__ import annotations

import pytest

from db.links import ConflictError, decide, decision_log, get_link, store_candidates
from db.papers import store_records
from db.roster import import_roster
from harvesters.records import AuthorRecord, PaperRecord
from matching.model import Candidate, Evidence
from papertally.errors import PapertallyError
from papertally.roster import RosterRow


@pytest.fixture
def one_link(db):
    import_roster(db, [RosterRow(0, "T1", "t", "P1", "p1", "Ohta", "Kohei", None, (), "RIKEN", (), None, None, None, None)])
    store_records(db, [PaperRecord("paperlists", "s1", "CVPR", 2024, "T", (AuthorRecord("Kohei Ota", 1),))], None)
    pid = db.execute("SELECT paper_id FROM papers").fetchone()[0]

    def cand(status, score, why="because"):
        return Candidate(pid, "p1", "paperlists:s1#1", score, status, (Evidence("name", score, why),), why)

    store_candidates(db, [cand("needs_review", 0.6)], "v1")
    return db, cand


def test_rematch_updates_undecided_links(one_link):
    db, cand = one_link
    c = store_candidates(db, [cand("confirmed", 0.95)], "v2")
    link = get_link(db, 1)
    assert c.confirmed == 1 and link["status"] == "confirmed" and link["matcher_version"] == "v2"


def test_rematch_never_changes_a_decided_link_but_flags_contradiction(one_link):
    db, cand = one_link
    decide(db, 1, "accept", "ann", "checked the PDF")
    c = store_candidates(db, [cand("rejected", 0.05, "ORCID disagrees")], "v2")
    link = get_link(db, 1)
    assert (link["status"], link["score"], link["matcher_version"]) == ("confirmed", 0.6, "v1")
    assert c.second_look == 1 and "ORCID disagrees" in link["second_look"]


def test_undo_is_a_new_row_restoring_the_previous_state(one_link):
    db, _ = one_link
    decide(db, 1, "accept", "ann")
    decide(db, 1, "reject", "bob", "different person")
    decide(db, 1, "undo", "bob")
    assert get_link(db, 1)["status"] == "confirmed"
    decide(db, 1, "undo", "ann")
    assert get_link(db, 1)["status"] == "needs_review"  # back to the machine's proposal
    assert get_link(db, 1)["decision_id"] is None
    log = decision_log(db, 1)
    assert [d["action"] for d in log] == ["undo", "undo", "reject", "accept"]
    assert log[-1]["score_shown"] == 0.6 and "because" in log[-1]["evidence_shown"]
    with pytest.raises(PapertallyError, match="no staff decision to undo"):
        decide(db, 1, "undo", "ann")


def test_stale_decision_is_refused(one_link):
    db, _ = one_link
    decide(db, 1, "accept", "ann", expected_decision_id=None)
    with pytest.raises(ConflictError, match="decided by ann"):
        decide(db, 1, "reject", "bob", expected_decision_id=None)
    assert get_link(db, 1)["status"] == "confirmed"


def test_dropped_candidates_are_rejected_not_deleted(one_link):
    db, _ = one_link
    c = store_candidates(db, [], "v2")
    assert c.dropped == 1 and get_link(db, 1)["status"] == "rejected"


def test_only_staff_confirmations_feed_coauthorship_evidence(one_link):
    from db.links import staff_confirmed_pairs

    db, cand = one_link
    store_candidates(db, [cand("confirmed", 0.95)], "v2")
    assert staff_confirmed_pairs(db) == set()  # a machine confirmation is recomputed each pass
    decide(db, 1, "accept", "ann")
    assert staff_confirmed_pairs(db) == {(get_link(db, 1)["paper_id"], "p1")}
