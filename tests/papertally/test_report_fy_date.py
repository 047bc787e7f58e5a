"""[program] fy_date: the conference date or the acceptance notification decides the year."""

from __future__ import annotations

from db.links import store_candidates
from db.papers import store_records
from db.roster import import_roster
from harvesters.records import AuthorRecord, PaperRecord
from matching.model import Candidate
from papertally import report as rep
from papertally.roster import RosterRow


def _world(db):
    import_roster(db, [RosterRow(
        line=0, theme_id="T01", theme_name="Theme", project_id="P1", person_id="a1",
        family_name="Sato", given_name="X", name_ja=None, aliases=(), affiliation="RIKEN",
        affiliation_aliases=(), orcid=None, openalex_id=None, start_date=None, end_date=None,
    )])
    store_records(db, [PaperRecord(
        source="paperlists", source_id="icra26", venue="ICRA", year=2026, title="Grasping",
        authors=(AuthorRecord(name="X Sato", position=1),),
    )], None)
    pid = db.execute("SELECT paper_id FROM papers").fetchone()[0]
    store_candidates(db, [Candidate(paper_id=pid, person_id="a1", mention_key="paperlists:icra26#1",
                                    score=0.95, status="confirmed")], "test")
    return db


def _acceptance(settings):
    return settings.model_copy(
        update={"program": settings.program.model_copy(update={"fy_date": "acceptance"})}
    )


def test_conference_rule_counts_icra_2026_in_fy2026(db, settings):
    _world(db)
    assert rep.build_report(db, settings, 2026)["papers_confirmed"] == 1
    assert rep.build_report(db, settings, 2025)["papers_confirmed"] == 0
    r = rep.build_report(db, settings, 2026)
    assert r["fy_date"] == "conference"
    assert "a paper belongs to the fiscal year of its venue-year's conference date" in r["counting_rules"]


def test_acceptance_rule_counts_icra_2026_in_fy2025_and_says_so(db, settings):
    _world(db)
    accepted = _acceptance(settings)
    # Notified 31 January 2026 (FY2025), held June 2026 (FY2026).
    assert rep.build_report(db, accepted, 2025)["papers_confirmed"] == 1
    r = rep.build_report(db, accepted, 2026)
    assert r["papers_confirmed"] == 0
    assert r["fy_date"] == "acceptance"
    assert any("acceptance notification date" in rule for rule in r["counting_rules"])
    paper = rep.build_report(db, accepted, 2025)["themes"][0]["papers"][0]
    assert (paper["conference_date"], paper["counting_date"]) == ("2026-06-01", "2026-01-31")


def test_editions_counted_by_conference_date_for_want_of_a_notification_are_named(db, settings):
    _world(db)
    r = rep.build_report(db, _acceptance(settings), 2026)
    # CVPR 2026 (no notification date in the catalogue) falls in FY2026 by its June meeting.
    assert "CVPR 2026" in r["acceptance_date_unknown"]
    assert "NeurIPS 2026" not in r["acceptance_date_unknown"]  # notified 24 September 2026
    assert rep.build_report(db, settings, 2026)["acceptance_date_unknown"] == []


def test_table_states_the_rule_and_the_editions_counted_by_conference_date(db, settings):
    _world(db)
    assert rep.render_table(rep.build_report(db, settings, 2026)).endswith(
        "fiscal year by: each edition's conference date"
    )
    table = rep.render_table(rep.build_report(db, _acceptance(settings), 2026))
    assert "fiscal year by: each edition's acceptance notification date (conference date for " in table
    assert "CVPR 2026" in table.splitlines()[-1]


def test_a_refused_export_names_the_fiscal_years_the_counting_rule_covers(settings):
    import pytest

    from papertally.errors import PapertallyError
    from papertally.exports import check_fiscal_year

    icra = settings.venues["ICRA"]
    only_icra_2026 = settings.model_copy(update={"venues": {"ICRA": icra.model_copy(
        update={"editions": {2026: icra.editions[2026]}})}})
    empty = {"venue_years": [], "fiscal_year": 2030}
    with pytest.raises(PapertallyError, match=r"editions are in FY2026\)"):
        check_fiscal_year(only_icra_2026, empty)
    # Notified 31 January 2026: under the acceptance rule the edition is in FY2025.
    with pytest.raises(PapertallyError, match=r"editions are in FY2025\)"):
        check_fiscal_year(_acceptance(only_icra_2026), empty)
