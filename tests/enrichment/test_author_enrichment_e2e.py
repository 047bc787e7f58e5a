"""End to end with `responses`: a NeurIPS list with OpenReview ids and no affiliations is
harvested and matched (review: a name alone), enriched from the member's OpenReview profile
and OpenAlex's record (title search: no DOI), re-matched (confirmed, with each evidence line);
a second night makes no call."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import responses

from harvesters.http import make_client
from papertally.config import HarvestJob
from papertally.enrichers import default_enrichers
from papertally.enrichment import run_enrichers
from papertally.harvesting import harvest_job
from papertally.pipeline import import_roster_file, run_matching

FIXTURES = Path(__file__).parents[1] / "fixtures"
LIST = "https://raw.githubusercontent.com/papercopilot/paperlists/main/nips/nips2025.json"
OPENREVIEW = "https://api2.openreview.net/profiles"
OPENALEX = "https://api.openalex.org/works"
ROSTER = (
    "theme_id,theme_name,project_id,person_id,family_name,given_name,name_ja,aliases,"
    "affiliation,affiliation_aliases,orcid,openalex_id,start_date,end_date\n"
    "T1,Robots,P1,p1,Ogasawara,Kazuki,,,The University of Tokyo,,0000-0002-1825-0097,,,\n"
)
TITLE = "Tactile Grounding for Deformable Objects"


def _paperlist() -> list[dict]:
    """Paper Copilot's NeurIPS list as its OpenReview-based files print it: names and
    profile ids, no affiliation (the issue's 13 of 15 review items)."""
    ours = {
        "id": "AbCdEf123", "title": TITLE, "track": "main", "status": "Poster",
        "author": "Kazuki Ogasawara;Hanako Suzuki;Wei Zhang",
        "authorids": "~Kazuki_Ogasawara1;~Hanako_Suzuki1;~Wei_Zhang9",
        "site": "https://openreview.net/forum?id=AbCdEf123",
    }
    # Other papers, so that the name statistics see Ogasawara as the rare name it is.
    others = [
        {"id": f"Other{i}", "title": f"Another Paper {i}", "track": "main", "status": "Poster",
         "author": f"Alex Filler{i};Sam Other{i}", "authorids": f"~Alex_Filler{i};~Sam_Other{i}",
         "site": f"https://openreview.net/forum?id=Other{i}"}
        for i in range(800)
    ]
    return [ours, *others]


def _profile() -> dict:
    profile = json.loads((FIXTURES / "openreview/profiles_documented.json").read_text())["profiles"][0]
    return {**profile, "id": "~Kazuki_Ogasawara1", "content": {
        **profile["content"],
        "names": [{"fullname": "Kazuki Ogasawara", "username": "~Kazuki_Ogasawara1"}],
        "orcid": "",  # no ORCID on the profile: the history alone has to speak
        "history": [{"position": "Associate Professor", "start": 2021, "end": None,
                     "institution": {"name": "The University of Tokyo", "domain": "u-tokyo.ac.jp",
                                     "country": "JP"}}],
    }}


def _work() -> dict:
    work = json.loads((FIXTURES / "openalex/work_awards_documented.json").read_text())
    work = {k: v for k, v in work.items() if not k.startswith("_")}
    first = {**work["authorships"][0], "raw_author_name": "Kazuki Ogasawara"}
    first["author"] = {**first["author"], "display_name": "Kazuki Ogasawara"}
    return {**work, "title": TITLE, "doi": None, "publication_year": 2025,
            "authorships": [first, *work["authorships"][1:]]}


@pytest.fixture
def night(db, night_settings, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    s = night_settings(grant_numbers=("JPNP20006",))
    import_roster_file(db, s, roster)
    responses.add(responses.GET, LIST, json=_paperlist())
    responses.add(responses.GET, OPENREVIEW, json={"profiles": [_profile()]})
    responses.add(responses.GET, OPENALEX, json={"meta": {"count": 1}, "results": [_work()]},
                  headers={"x-ratelimit-cost-usd": "0.0001"})

    def enrich():
        client = make_client(s, sleep=lambda _s: None)
        enrichers = [e for e in default_enrichers(s) if e.kind != "fulltext"]
        return run_enrichers(db, enrichers, client)

    def harvest():
        harvest_job(db, s, HarvestJob(source="paperlists", venue="NeurIPS", year=2025),
                    client=make_client(s, sleep=lambda _s: None))

    return db, s, harvest, enrich


def _link(db):
    return db.execute("SELECT status, explanation FROM links WHERE person_id = 'p1'").fetchone()


@responses.activate
def test_profile_and_openalex_turn_a_name_only_review_item_into_a_confirmed_link(night):
    db, s, harvest, enrich = night
    harvest()
    run_matching(db, s)
    status, explanation = _link(db)
    assert status == "needs_review"  # a name alone, no affiliation anywhere

    first = enrich()
    assert (first["openreview"].ok, first["openreview"].calls) == (1, 1)
    assert (first["openalex"].ok, first["openalex"].calls) == (1, 1)
    assert first["openalex"].price == {"search": 1}
    # only the member's profile is asked for, not the co-authors'
    asked = [c.request for c in responses.calls if c.request.url.startswith(OPENREVIEW)]
    assert [r.params for r in asked] == [{"ids": "~Kazuki_Ogasawara1"}]

    run_matching(db, s)  # as the enrich step does after a night that learnt something
    status, explanation = _link(db)
    assert status == "confirmed"
    assert ("OpenReview ~Kazuki_Ogasawara1: Associate Professor at The University of Tokyo "
            "2021–present, covering 2025") in explanation
    assert "OpenAlex W4999000001: ORCID of this author matches (0000-0002-1825-0097)" in explanation
    assert "OpenAlex W4999000001: institution The University of Tokyo (ROR 057zh3y96) matches" in explanation
    assert "OpenAlex W4999000001 lists award JPNP20006, the program's grant number" in explanation

    calls = len(responses.calls)
    second = enrich()
    assert all((k.asked, k.calls) == (0, 0) for k in second.values())
    assert len(responses.calls) == calls  # a night with no new candidate makes no call
