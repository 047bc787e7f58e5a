"""End to end with `responses`: harvest a Paper Copilot list, match, enrich from the CVF PDFs, report
under both attribution rules; a second night makes no enrichment call."""

from __future__ import annotations

import pdfkit
import pytest
import responses

from harvesters.http import make_client
from papertally.config import HarvestJob
from papertally.enrichers import default_enrichers
from papertally.enrichment import FULLTEXT, run_enrichers
from papertally.harvesting import harvest_job
from papertally.pipeline import import_roster_file, run_matching
from papertally.report import build_report

CVF = "https://openaccess.thecvf.com"
LIST = "https://raw.githubusercontent.com/papercopilot/paperlists/main/cvpr/cvpr2024.json"
ROSTER = (
    "theme_id,theme_name,project_id,person_id,family_name,given_name,name_ja,aliases,"
    "affiliation,affiliation_aliases,orcid,openalex_id,start_date,end_date\n"
    "T1,Robots,P1,p1,Ogasawara,Kazuki,,,The University of Tokyo,,,,,\n"
)
COAUTHORS = ["Hanako Suzuki", "Wei Zhang", "Maria Garcia", "John Smith", "Li Wang",
             "Anna Müller", "Raj Patel", "Yuki Tanaka"]
PAPERS = {  # CVF name -> (title, acknowledgement in its PDF)
    "Ogasawara_Grounded_Manipulation": ("Grounded Manipulation", f"This paper is based on results "
                                   f"obtained from a project, {pdfkit.GRANT}, commissioned by NEDO."),
    "Ogasawara_Unrelated_Study": ("An Unrelated Study", "We thank our colleagues."),
}


def _paperlist() -> list[dict]:
    """Paper Copilot's CVPR 2024 list for the two papers: authors, affiliations, CVF page."""
    names = ["Kazuki Ogasawara", *COAUTHORS]
    affs = ["The University of Tokyo", *["Carnegie Mellon University"] * len(COAUTHORS)]
    return [
        {"id": name, "title": title, "track": "main", "status": "Poster",
         "author": ";".join(names), "aff": ";".join(affs),
         "oa": f"{CVF}/content/CVPR2024/html/{name}_CVPR_2024_paper.html"}
        for name, (title, _ack) in PAPERS.items()
    ]


@pytest.fixture
def night(db, night_settings, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    s = night_settings(grant_numbers=(pdfkit.GRANT,), funder_names=pdfkit.FUNDERS)
    import_roster_file(db, s, roster)
    responses.add(responses.GET, LIST, json=_paperlist())
    for name, (_title, ack) in PAPERS.items():
        responses.add(responses.GET, f"{CVF}/content/CVPR2024/papers/{name}_CVPR_2024_paper.pdf",
                      body=pdfkit.paper(ack=ack, authors=["Kazuki Ogasawara^{1}, Hanako Suzuki^{2}"]),
                      content_type="application/pdf")

    def run():
        client = make_client(s, sleep=lambda _s: None)
        harvest_job(db, s, HarvestJob(source="paperlists", venue="CVPR", year=2024), client=client)
        run_matching(db, s)
        return run_enrichers(db, default_enrichers(s), client)[FULLTEXT]

    return db, s, run


def _pdf_calls() -> int:
    return sum(c.request.url.endswith(".pdf") for c in responses.calls)


@responses.activate
def test_harvest_match_enrich_report_in_both_rules_and_a_quiet_second_night(night):
    db, s, run = night
    first = run()
    assert (first.candidates, first.ok, first.calls) == (2, 2, 2)
    assert _pdf_calls() == 2
    assert db.execute("SELECT count(*) FROM links WHERE status = 'confirmed'").fetchone()[0] == 2
    # Matching again (as the enrich step does after a night that learnt something) lists
    # the PDF's author line and the acknowledgement as evidence.
    run_matching(db, s)
    lines = sorted(r[0] for r in db.execute("SELECT explanation FROM links").fetchall())
    assert all('PDF p.1: "Kazuki Ogasawara¹ ... ¹The University of Tokyo"' in e for e in lines)
    assert sum(f"acknowledges {pdfkit.GRANT} (p.4:" in e for e in lines) == 1

    def counted(rule):
        program = s.program.model_copy(update={"attribution": rule})
        report = build_report(db, s.model_copy(update={"program": program}), 2024)
        t1 = next(t for t in report["themes"] if t["theme_id"] == "T1")
        papers = {p["title"]: p for p in t1["papers"]}
        return t1["confirmed"], t1["pending_attribution"], papers

    confirmed, waiting, papers = counted("authorship")
    assert (confirmed, waiting) == (2, 0)
    grounded = papers["Grounded Manipulation"]["attribution"]
    assert grounded["status"] == "acknowledged" and grounded["page"] == 4
    assert grounded["quote"].startswith("This paper is based on results obtained")
    assert papers["An Unrelated Study"]["attribution"]["status"] == "not_acknowledged"

    confirmed, waiting, papers = counted("acknowledgement")
    assert (confirmed, waiting) == (1, 1)
    assert papers["An Unrelated Study"]["status"] == "pending_attribution"

    second = run()
    assert (second.asked, second.cached, second.calls) == (0, 2, 0)
    assert _pdf_calls() == 2  # no enrichment call on a night with no new candidate
