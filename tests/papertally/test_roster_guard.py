"""Roster import as a use case: a file that would drop too many members is refused (a cut-off
file), and re-listed members count again at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from db.links import store_candidates
from db.papers import store_records
from harvesters.records import AuthorRecord, PaperRecord
from matching.model import Candidate
from papertally import report as rep
from papertally.errors import RosterError
from papertally.pipeline import import_roster_file
from papertally.roster import COLUMNS

HEADER = ",".join(COLUMNS)


def roster(tmp_path: Path, ids: list[str], name: str = "roster.csv") -> Path:
    lines = [f"T0{int(i[1:]) % 3 + 1},Theme,P{i},{i},Family{i},Given,,,RIKEN,,,,," for i in ids]
    p = tmp_path / name
    p.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return p


def active(db) -> int:
    return db.execute("SELECT COUNT(*) FROM members WHERE active = 1").fetchone()[0]


MEMBERS = [f"p{i}" for i in range(1, 11)]


def test_an_import_that_drops_more_than_the_share_is_refused_and_changes_nothing(db, settings, tmp_path):
    import_roster_file(db, settings, roster(tmp_path, MEMBERS))
    cut = roster(tmp_path, MEMBERS[:3], "cut.csv")
    with pytest.raises(RosterError) as err:
        import_roster_file(db, settings, cut)
    assert "it would deactivate 7 of the 10 active members (70%; [roster] max_deactivate_share is 20%)" in str(err.value)
    assert f"papertally roster import {cut} --allow-shrink" in str(err.value)
    assert active(db) == 10
    done = import_roster_file(db, settings, cut, allow_shrink=True)
    assert (done.change.deactivated, active(db)) == (7, 3)


def test_dropping_up_to_the_share_needs_no_flag(db, settings, tmp_path):
    import_roster_file(db, settings, roster(tmp_path, MEMBERS))
    done = import_roster_file(db, settings, roster(tmp_path, MEMBERS[2:], "less.csv"))  # 2 of 10
    assert done.change.deactivated == 2 and active(db) == 8


def test_the_first_import_and_a_zero_share_setting(db, settings, tmp_path):
    import_roster_file(db, settings, roster(tmp_path, MEMBERS[:1]))  # nothing active yet
    strict = settings.model_copy(
        update={"roster": settings.roster.model_copy(update={"max_deactivate_share": 0.0})}
    )
    import_roster_file(db, strict, roster(tmp_path, MEMBERS[:2], "more.csv"))
    with pytest.raises(RosterError, match="would deactivate 1 of the 2"):
        import_roster_file(db, strict, roster(tmp_path, MEMBERS[1:2], "one.csv"))


def test_members_listed_again_count_again_without_a_re_match(db, settings, tmp_path):
    full = roster(tmp_path, MEMBERS)
    import_roster_file(db, settings, full)
    store_records(
        db,
        [
            PaperRecord(source="paperlists", source_id=pid, venue="CVPR", year=2024, track="main",
                        title=f"Paper by {pid}", authors=(AuthorRecord(name=f"Given Family{pid}", position=1),))
            for pid in MEMBERS
        ],
        None,
    )
    papers = dict(db.execute("SELECT source_id, paper_id FROM source_records").fetchall())

    def candidates(ids):
        return [Candidate(paper_id=papers[i], person_id=i, mention_key=f"paperlists:{i}#1", score=0.95,
                          status="confirmed") for i in ids]

    store_candidates(db, candidates(MEMBERS), "test")
    assert rep.build_report(db, settings, 2024)["papers_confirmed"] == 10
    import_roster_file(db, settings, roster(tmp_path, MEMBERS[:3], "cut.csv"), allow_shrink=True)
    store_candidates(db, candidates(MEMBERS[:3]), "test")  # the night's match on the cut roster
    assert rep.build_report(db, settings, 2024)["papers_confirmed"] == 3
    import_roster_file(db, settings, full)  # the right file again; no match run after it
    assert rep.build_report(db, settings, 2024)["papers_confirmed"] == 10
