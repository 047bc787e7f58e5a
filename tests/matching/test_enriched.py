"""Evidence from OpenReview profiles and OpenAlex per paper: each kind with its own sentence."""

from __future__ import annotations

import pytest

from matching.enriched import (
    W_AWARD,
    W_ID_AGREE,
    W_ID_DISAGREE,
    W_INSTITUTION,
    W_PROFILE_PLACES,
    Institution,
    OpenAlexAuthorFacts,
    ProfileFacts,
    Stint,
    openalex_awards,
    openalex_ids,
    openalex_institution,
    profile_history,
    profile_ids,
)
from matching.model import Person


def member(affiliation="National Institute of Advanced Industrial Science and Technology", **kw):
    return Person(
        person_id="M1", project_id="PJ1", theme_id="T1", family_name="Yamada",
        given_name="Taro", affiliation=affiliation, **kw,
    )


AIST_NOW = Stint("National Institute of Advanced Industrial Science and Technology", 2023, None, "Senior Researcher")
UTOKYO_PHD = Stint("The University of Tokyo", 2019, 2022, "PhD student")
KAIST = Stint("Korea Advanced Institute of Science and Technology", 2020, None, "Professor")


@pytest.mark.parametrize(
    ("stints", "year", "places"),
    [
        ((UTOKYO_PHD, AIST_NOW), 2026, True),
        ((UTOKYO_PHD, AIST_NOW), 2023, True),
        ((UTOKYO_PHD, AIST_NOW), 2021, False),  # at UTokyo that year, not AIST
        ((Stint("AIST"),), 2026, True),  # no years: open at both ends
        ((KAIST,), 2026, False),  # KAIST is not AIST
        ((), 2026, False),
    ],
)
def test_profile_history_places_the_member_in_the_year(stints, year, places):
    got = profile_history(member(), ProfileFacts("~Taro_Yamada1", stints), year)
    assert (got is not None) == places
    if places:
        assert got.weight == W_PROFILE_PLACES and got.kind == "affiliation"


def test_profile_history_sentence_names_profile_position_and_years():
    got = profile_history(member(), ProfileFacts("~Taro_Yamada1", (AIST_NOW,)), 2026)
    assert got.detail == (
        "OpenReview ~Taro_Yamada1: Senior Researcher at National Institute of Advanced "
        "Industrial Science and Technology 2023–present, covering 2026"
    )


def test_profile_history_through_a_roster_alias():
    person = member(affiliation="Sony Group", affiliation_aliases=("The University of Tokyo",))
    assert profile_history(person, ProfileFacts("~T1", (UTOKYO_PHD,)), 2020) is not None


@pytest.mark.parametrize(
    ("roster", "profile", "weight"),
    [
        ("0000-0002-1825-0097", "https://orcid.org/0000-0002-1825-0097", W_ID_AGREE),
        ("0000-0002-1825-0097", "0000-0001-5109-3700", W_ID_DISAGREE),
        (None, "0000-0001-5109-3700", None),
        ("0000-0002-1825-0097", None, None),
    ],
)
def test_profile_orcid_against_the_roster(roster, profile, weight):
    got = profile_ids(member(orcid=roster), ProfileFacts("~T1", orcid=profile))
    assert (got.weight if got else None) == weight


def test_openalex_orcid_and_author_id_each_give_a_line():
    person = member(orcid="0000-0002-1825-0097", openalex_id="A5099000001")
    author = OpenAlexAuthorFacts(
        "W4999000001", openalex_id="https://openalex.org/A5000000009",
        orcid="https://orcid.org/0000-0002-1825-0097",
    )
    got = openalex_ids(person, author)
    assert [(e.weight, e.detail) for e in got] == [
        (W_ID_AGREE, "OpenAlex W4999000001: ORCID of this author matches (0000-0002-1825-0097)"),
        (
            W_ID_DISAGREE,
            "OpenAlex W4999000001: OpenAlex author ID of this author differs "
            "(A5000000009; roster A5099000001)",
        ),
    ]


def test_no_ids_on_either_side_say_nothing():
    assert openalex_ids(member(), OpenAlexAuthorFacts("W1", orcid="0000-0002-1825-0097")) == []


@pytest.mark.parametrize(
    ("institution", "agrees"),
    [
        (Institution("", ror="057zh3y96", country="JP"), True),  # by ROR alone
        (Institution("Univ. of Tokyo"), True),  # by name
        (Institution("Tokyo Institute of Technology"), False),
    ],
)
def test_openalex_institution_by_ror_or_name(institution, agrees):
    person = member(affiliation="The University of Tokyo")
    got = openalex_institution(person, OpenAlexAuthorFacts("W7", institutions=(institution,)))
    assert (got is not None) == agrees
    if agrees:
        assert got.weight == W_INSTITUTION and got.detail.startswith("OpenAlex W7: institution")


@pytest.mark.parametrize(
    ("awards", "found"),
    [
        (("JP22H00001", "JPNP20006"), "JPNP20006"),
        (("jpnp-20006",), "JPNP20006"),  # spelling of the number does not matter
        (("JPNP200061",), None),  # a longer number is another grant
        (("JPMJCR19U1", "18K13235"), None),  # other agencies' numbers
        ((), None),
    ],
)
def test_openalex_award_naming_the_programs_grant_number(awards, found):
    got = openalex_awards("W9", awards, ["JPNP20006", "JPNP16007"])
    assert (got.detail if got else None) == (
        f"OpenAlex W9 lists award {found}, the program's grant number" if found else None
    )
    if got:
        assert (got.kind, got.weight) == ("funding", W_AWARD)


@pytest.mark.parametrize(
    ("byline", "other", "aligned"),
    [
        (["Taro Yamada", "Hanako Suzuki"], ["Taro Yamada", "H. Suzuki"], {0: 0, 1: 1}),
        # OpenAlex lists an author more or in another order: matched by name
        (["Taro Yamada", "Hanako Suzuki"], ["Hanako Suzuki", "Ken Ito", "T. Yamada"], {0: 2, 1: 0}),
        (["Yuki Ohta"], ["Yuki Ota"], {0: 0}),  # romanization variants agree
        # two Satos in OpenAlex and the printed one at another position: ambiguous, left out
        (["Kazuki Sato", "Ken Ito"], ["Ken Ito", "Kazuki Sato", "Kenta Sato"], {1: 0}),
        (["Taro Yamada"], [], {}),
    ],
)
def test_align_authors_never_guesses(byline, other, aligned):
    from matching.enriched import align_authors

    assert align_authors(byline, other) == aligned


def test_attach_gives_each_mention_its_profile_and_openalex_author():
    import dataclasses

    from matching.enriched import attach
    from matching.model import Mention

    yamada = Mention("src:1#1", "P1", "Taro Yamada", openreview_id="~Taro_Yamada1")
    suzuki = Mention("src:1#2", "P1", "Hanako Suzuki")
    moved = Mention("other:9#1", "P1", "Hanako Suzuki")  # another source's order
    elsewhere = Mention("src:2#1", "P2", "Taro Yamada", openreview_id="~Taro_Yamada1")
    profile = dataclasses.asdict(ProfileFacts("~Taro_Yamada3", (AIST_NOW,)))
    author = {"work_id": "W1", "orcid": "0000-0002-1825-0097", "institutions": [], "name": "Taro Yamada"}
    cached = {
        "P1": {
            "openreview": {"profiles": {"~Taro_Yamada1": profile}},
            "openalex": {"work": {"work_id": "W1", "awards": ["JPNP20006"]}, "authors": {"1": author}},
        }
    }
    a, b, c, d = attach([yamada, suzuki, moved, elsewhere], cached)
    assert a.enrichment.profile.stints == (AIST_NOW,)
    assert a.enrichment.openalex.orcid == "0000-0002-1825-0097"
    assert (b.enrichment.profile, b.enrichment.openalex) == (None, None)
    assert b.enrichment.openalex_awards == ("JPNP20006",)  # the paper's, for every author
    assert c.enrichment.openalex is None  # position 1 there is not Taro Yamada
    assert d.enrichment is None and d == elsewhere


def test_profile_history_without_position_or_years_reads_plainly():
    got = profile_history(member(), ProfileFacts("~Taro_Yamada1", (Stint("AIST"),)), 2026)
    assert got.detail == "OpenReview ~Taro_Yamada1: member at AIST (no years given), covering 2026"
    assert got.params["position"] == "member"  # a clean value for the Japanese wording too


@pytest.mark.parametrize(
    ("domains", "stints", "found"),
    [
        (("g.ecc.u-tokyo.ac.jp",), (Stint("The University of Tokyo", 2015, 2019, domain="u-tokyo.ac.jp"),), "g.ecc.u-tokyo.ac.jp"),
        (("u-tokyo.ac.jp",), (Stint("The University of Tokyo", domain="u-tokyo.ac.jp"),), "u-tokyo.ac.jp"),
        (("not-u-tokyo.ac.jp",), (Stint("The University of Tokyo", domain="u-tokyo.ac.jp"),), None),
        (("kaist.ac.kr",), (Stint("KAIST", domain="kaist.ac.kr"),), None),  # not the member's org
        ((), (Stint("The University of Tokyo", domain="u-tokyo.ac.jp"),), None),
    ],
)
def test_confirmed_email_at_the_domain_the_profile_gives_the_members_organisation(domains, stints, found):
    from matching.enriched import W_PROFILE_EMAIL, profile_email

    person = member(affiliation="The University of Tokyo")
    got = profile_email(person, ProfileFacts("~T1", stints, email_domains=domains))
    assert (got.params["domain"] if got else None) == found
    if got:
        assert (got.kind, got.weight) == ("email", W_PROFILE_EMAIL)
        assert got.detail == (
            f"OpenReview ~T1: confirmed e-mail at {found}, the domain of The University of Tokyo"
        )
