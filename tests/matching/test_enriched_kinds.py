"""The enrichment evidence kinds in the registry: an OpenReview history at the roster's
organisation, OpenAlex ids and institutions, and the program's award number, each with its
own line in the explanation; the pre-filter keeps the pairs they lift."""

from __future__ import annotations

import datetime as dt

import pytest

from matching.context import MatchContext, NameStats
from matching.enriched import (
    Institution,
    MentionEnrichment,
    OpenAlexAuthorFacts,
    ProfileFacts,
    Stint,
)
from matching.kinds import KINDS
from matching.match import match_all
from matching.model import Mention, Person

CONFIRM, REVIEW = 0.85, 0.45
SATO = Person(
    person_id="p1", project_id="P1", theme_id="T01", family_name="Sato",
    given_name="Kazuki", affiliation="National Institute of Advanced Industrial Science and Technology",
    affiliation_aliases=("AIST",), orcid="0000-0002-1825-0097",
)
# A fairly rare name here: alone it goes to review, never confirmed (no affiliation printed).
STATS = NameStats.from_names(["Kazuki Sato"] * 3 + ["Jun Li"] * 3000)
DAY = dt.date(2026, 12, 7)


def run(enrichment=None, **kw):
    m = Mention(
        key="paperlists:X#1", paper_id="P9", name="Kazuki Sato", conference_date=DAY,
        enrichment=enrichment, **kw,
    )
    ctx = MatchContext(name_stats=STATS, grant_numbers=("JPNP20006",))
    found = match_all([m], [SATO], confirm_threshold=CONFIRM, review_threshold=REVIEW, context=ctx)
    return found[0] if found else None


def lines(c):
    return [e.detail for e in c.evidence]


def test_without_enrichment_a_common_name_with_no_affiliation_waits_for_review():
    c = run()
    assert c.status == "needs_review" and c.score < CONFIRM


def test_openreview_history_at_the_roster_organisation_that_year_confirms():
    profile = ProfileFacts("~Kazuki_Sato2", (
        Stint("The University of Tokyo", 2018, 2022, "PhD student"),
        Stint("AIST", 2023, None, "Researcher"),
    ))
    c = run(MentionEnrichment(profile=profile))
    assert c.status == "confirmed"
    assert "OpenReview ~Kazuki_Sato2: Researcher at AIST 2023–present, covering 2026" in lines(c)
    assert "OpenReview ~Kazuki_Sato2" in c.explanation
    (e,) = [e for e in c.evidence if e.key == "openreview.places"]
    assert e.kind == "affiliation" and e.params["profile"] == "~Kazuki_Sato2"


@pytest.mark.parametrize(
    "stint",
    [
        Stint("AIST", 2015, 2020),  # at AIST, but not in 2026
        Stint("Korea Advanced Institute of Science and Technology", 2020, None),  # KAIST
    ],
)
def test_history_elsewhere_or_in_other_years_is_no_evidence(stint):
    c = run(MentionEnrichment(profile=ProfileFacts("~Kazuki_Sato2", (stint,))))
    assert c.status == "needs_review"
    assert not any(e.key.startswith("openreview") for e in c.evidence)


def test_openalex_orcid_agreement_confirms_and_disagreement_rejects():
    agree = OpenAlexAuthorFacts("W42", orcid="0000-0002-1825-0097")
    c = run(MentionEnrichment(openalex=agree, openalex_work="W42"))
    assert c.status == "confirmed"
    assert "OpenAlex W42: ORCID of this author matches (0000-0002-1825-0097)" in lines(c)
    differs = OpenAlexAuthorFacts("W42", orcid="0000-0001-5109-3700")
    assert run(MentionEnrichment(openalex=differs)).status == "rejected"


def test_openalex_institution_by_ror_supports_the_pair():
    # 057zh3y96 is the University of Tokyo: a member there, printed with no affiliation.
    tokyo = Person(**{**SATO.__dict__, "affiliation": "The University of Tokyo", "affiliation_aliases": ()})
    m = Mention(
        key="s:1#1", paper_id="P9", name="Kazuki Sato", conference_date=DAY,
        enrichment=MentionEnrichment(openalex=OpenAlexAuthorFacts(
            "W42", institutions=(Institution("", ror="057zh3y96", country="JP"),),
        )),
    )
    (c,) = match_all([m], [tokyo], confirm_threshold=CONFIRM, review_threshold=REVIEW,
                     context=MatchContext(name_stats=STATS))
    assert c.status == "confirmed"
    assert "OpenAlex W42: institution ? (ROR 057zh3y96) matches" in lines(c)


def test_the_programs_award_in_openalex_is_its_own_funding_line():
    c = run(MentionEnrichment(openalex_work="W42", openalex_awards=("JP22H00001", "JPNP-20006")))
    assert "OpenAlex W42 lists award JPNP20006, the program's grant number" in lines(c)
    # said once: when the paper's own source lists the number, that line is the source's
    both = run(MentionEnrichment(openalex_work="W42", openalex_awards=("JPNP20006",)),
               awards=("JPNP20006",))
    assert not any(e.key == "openalex.award" for e in both.evidence)
    assert any(e.kind == "funding" for e in both.evidence)


def test_the_pre_filter_keeps_a_pair_only_enrichment_lifts():
    """A printed name that alone scores below the review floor, lifted by an ORCID from
    OpenAlex: the registry's bound must keep the pair for scoring."""
    # Initials only, another affiliation printed: dropped as a coincidence without enrichment.
    base = dict(affiliations=("Kyoto University",))
    m = Mention(key="s:1#1", paper_id="P9", name="K. Sato", conference_date=DAY, **base)
    ctx = MatchContext(name_stats=STATS)
    assert match_all([m], [SATO], confirm_threshold=CONFIRM, review_threshold=REVIEW, context=ctx) == []
    lifted = Mention(
        key="s:1#1", paper_id="P9", name="K. Sato", conference_date=DAY, **base,
        enrichment=MentionEnrichment(openalex=OpenAlexAuthorFacts("W42", orcid="0000-0002-1825-0097")),
    )
    (c,) = match_all([lifted], [SATO], confirm_threshold=CONFIRM, review_threshold=REVIEW, context=ctx)
    assert c.status == "confirmed"


def test_the_enrichment_kinds_are_registered():
    names = [k.name for k in KINDS]
    assert {"openreview_profile", "openalex_author", "openalex_award"} <= set(names)


def test_a_confirmed_email_at_the_organisation_lifts_but_never_confirms_alone():
    # At AIST in earlier years only; a confirmed aist.go.jp e-mail today.
    profile = ProfileFacts("~Kazuki_Sato2", (Stint("AIST", 2015, 2020, domain="aist.go.jp"),),
                           email_domains=("aist.go.jp",))
    c = run(MentionEnrichment(profile=profile))
    assert "OpenReview ~Kazuki_Sato2: confirmed e-mail at aist.go.jp, the domain of AIST" in lines(c)
    assert c.status == "needs_review" and c.score > run().score
    # with a history entry that year, the e-mail is not counted twice
    now = ProfileFacts("~Kazuki_Sato2", (Stint("AIST", 2023, None, domain="aist.go.jp"),),
                       email_domains=("aist.go.jp",))
    assert not any(e.key == "openreview.email" for e in run(MentionEnrichment(profile=now)).evidence)
