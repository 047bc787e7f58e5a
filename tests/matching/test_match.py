"""match_all: evidence, statuses, guards, rules, windows and co-authorship."""

from __future__ import annotations

import datetime as dt

import pytest

from matching.context import MatchContext, NameStats, Rule
from matching.match import MATCHER_VERSION, match_all
from matching.model import Mention, Person

CONFIRM, REVIEW = 0.85, 0.45

HARADA = Person(
    person_id="p1",
    project_id="P1",
    theme_id="T01",
    family_name="Harada",
    given_name="Tatsuya",
    affiliation="The University of Tokyo",
    affiliation_aliases=("UTokyo",),
    orcid="0000-0002-1825-0097",
)
WANG = Person(
    person_id="p2",
    project_id="P2",
    theme_id="T02",
    family_name="Wang",
    given_name="Wei",
    affiliation="Kyoto University",
)
OTA = Person(
    person_id="p3",
    project_id="P1",
    theme_id="T01",
    family_name="Ōta",
    given_name="Yūta",
    name_ja="太田 裕太",
    affiliation="Tohoku University",
    start_date=dt.date(2024, 4, 1),
    end_date=dt.date(2027, 3, 31),
)
ROSTER = [HARADA, WANG, OTA]

# Wang is common, Harada and Ota are rare in this tiny corpus.
STATS = NameStats.from_names(
    ["Wei Wang"] * 500 + ["Jun Li"] * 30000 + ["Tatsuya Harada", "Yuta Ota"]
)


def mention(name, key="s:1#1", paper="paper1", **kw):
    return Mention(key=key, paper_id=paper, name=name, **kw)


def run(mentions, context=None, roster=ROSTER):
    ctx = context if context is not None else MatchContext(name_stats=STATS)
    return {
        (c.paper_id, c.person_id): c
        for c in match_all(
            mentions,
            roster,
            confirm_threshold=CONFIRM,
            review_threshold=REVIEW,
            context=ctx,
        )
    }


def test_rare_name_with_matching_affiliation_is_confirmed():
    got = run([mention("Tatsuya Harada", affiliations=("Univ. of Tokyo, Japan",))])
    c = got[("paper1", "p1")]
    assert c.status == "confirmed"
    assert c.explanation.startswith("Confirmed:")
    assert "affiliation" in c.explanation


def test_common_name_without_affiliation_is_never_confirmed():
    c = run([mention("Wei Wang")])[("paper1", "p2")]
    assert c.status != "confirmed"


def test_common_name_with_another_affiliation_is_rejected():
    ctx = MatchContext(name_stats=STATS, keep_rejected_from=0.0)
    c = run([mention("Wei Wang", affiliations=("Tsinghua University",))], context=ctx)[
        ("paper1", "p2")
    ]
    assert c.status == "rejected"
    assert "Tsinghua" in c.explanation


def test_plain_name_coincidences_are_not_returned_by_default():
    assert run([mention("Wei Wang", affiliations=("Tsinghua University",))]) == {}


def test_window_rejections_are_returned_even_when_low():
    got = run(
        [
            mention(
                "Yuta Ota",
                affiliations=("Tsinghua University",),
                conference_date=dt.date(2020, 1, 1),
            )
        ]
    )
    assert got[("paper1", "p3")].status == "rejected"


def test_common_name_with_its_affiliation_is_confirmed():
    c = run([mention("Wei Wang", affiliations=("Kyoto University",))])[("paper1", "p2")]
    assert c.status == "confirmed"


def test_without_name_statistics_every_name_counts_as_common():
    c = run([mention("Tatsuya Harada")], context=MatchContext())[("paper1", "p1")]
    assert c.status != "confirmed"


def test_orcid_agreement_confirms_even_with_a_different_affiliation():
    c = run(
        [
            mention(
                "Tatsuya Harada",
                affiliations=("RIKEN",),
                orcid="https://orcid.org/0000-0002-1825-0097",
            )
        ]
    )[("paper1", "p1")]
    assert c.status == "confirmed"
    assert any(e.kind == "id" and e.weight > 0 for e in c.evidence)


def test_orcid_disagreement_is_strong_counter_evidence():
    c = run(
        [
            mention(
                "Tatsuya Harada",
                affiliations=("The University of Tokyo",),
                orcid="0000-0001-0000-0001",
            )
        ]
    )[("paper1", "p1")]
    assert c.status == "rejected"


def test_romanization_variant_with_affiliation_is_confirmed_and_explained():
    c = run(
        [
            mention(
                "Yuuta Ohta",
                affiliations=("Tohoku University",),
                conference_date=dt.date(2025, 6, 1),
            )
        ]
    )[("paper1", "p3")]
    assert c.status == "confirmed"
    assert "Ōta" in c.explanation


@pytest.mark.parametrize("day", [dt.date(2024, 3, 31), dt.date(2027, 4, 1)])
def test_paper_outside_membership_window_is_rejected_with_that_evidence(day):
    c = run(
        [mention("Yuta Ota", affiliations=("Tohoku University",), conference_date=day)]
    )[("paper1", "p3")]
    assert c.status == "rejected"
    assert any(e.kind == "window" for e in c.evidence)


def test_pure_non_matches_are_not_returned():
    assert run([mention("Alice Smith", affiliations=("MIT",))]) == {}


def test_one_candidate_per_paper_and_person_the_best_mention():
    got = match_all(
        [
            mention("T. Harada", key="a#1", affiliations=("MIT",)),
            mention(
                "Tatsuya Harada", key="b#1", affiliations=("The University of Tokyo",)
            ),
        ],
        ROSTER,
        confirm_threshold=CONFIRM,
        review_threshold=REVIEW,
        context=MatchContext(name_stats=STATS),
    )
    assert len(got) == 1 and got[0].mention_key == "b#1"


def test_paper_level_affiliation_supports_a_rare_name():
    c = run(
        [
            mention(
                "Tatsuya Harada",
                paper_affiliations=("Peking University", "The University of Tokyo"),
            )
        ]
    )[("paper1", "p1")]
    assert c.status == "confirmed"


def test_rule_identifier_is_never_this_person_rejects():
    rule = Rule(
        "id_is_not",
        "p1",
        "0000-0002-1825-0097",
        scheme="orcid",
        reason="another Harada",
    )
    c = run(
        [
            mention(
                "Tatsuya Harada",
                affiliations=("The University of Tokyo",),
                orcid="0000-0002-1825-0097",
            )
        ],
        context=MatchContext(name_stats=STATS, rules=(rule,)),
    )[("paper1", "p1")]
    assert c.status == "rejected"
    assert "staff rule" in c.explanation


def test_rule_identifier_is_this_person_confirms_without_name():
    rule = Rule("id_is", "p2", "~Wei_Wang7", scheme="openreview")
    c = run(
        [mention("W. Wang", openreview_id="~Wei_Wang7")],
        context=MatchContext(name_stats=STATS, rules=(rule,)),
    )[("paper1", "p2")]
    assert c.status == "confirmed"


def test_rule_never_at_org_rejects():
    rule = Rule("never_at_org", "p2", "Kyoto University of Advanced Science")
    c = run(
        [mention("Wei Wang", affiliations=("Kyoto University of Advanced Science",))],
        context=MatchContext(name_stats=STATS, rules=(rule,)),
    )[("paper1", "p2")]
    assert c.status == "rejected"


def test_confirmed_coauthor_from_same_project_helps_a_rare_name_without_affiliation():
    base = MatchContext(name_stats=STATS)
    alone = run(
        [mention("Yuta Ota", conference_date=dt.date(2025, 1, 1))], context=base
    )[("paper1", "p3")]
    assert alone.status == "needs_review"
    ctx = MatchContext(name_stats=STATS, confirmed_links=frozenset({("paper1", "p1")}))
    c = run([mention("Yuta Ota", conference_date=dt.date(2025, 1, 1))], context=ctx)[
        ("paper1", "p3")
    ]
    assert any(e.kind == "coauthor" for e in c.evidence)
    assert c.score > alone.score


def test_thresholds_are_checked():
    with pytest.raises(ValueError):
        match_all([], ROSTER, confirm_threshold=0.4, review_threshold=0.5)


def test_matcher_version_is_a_string():
    assert isinstance(MATCHER_VERSION, str) and MATCHER_VERSION


def test_name_stats_rank_common_and_rare_names():
    assert STATS.is_common("Wang") and not STATS.is_common("Harada")
    assert STATS.rarity("Wang") < STATS.rarity("Harada")
    assert STATS.share("Ohta") == STATS.share(
        "Ota"
    )  # romanization variants count together


@pytest.mark.parametrize(
    "family, count",
    [
        ("Mueller", 15),  # printed Mueller and Müller
        ("Muller", 13),  # printed Muller and Müller
        ("Müller", 15),  # the larger of the two, never a mention twice
        ("Inoue", 4),  # "ue" without an umlaut is not German: Inou is another name
        ("Inou", 2),
    ],
)
def test_name_stats_count_german_spellings_with_the_umlaut(family, count):
    stats = NameStats.from_names(
        ["Jan Müller"] * 10
        + ["Jan Mueller"] * 5
        + ["Jan Muller"] * 3
        + ["Takashi Inoue"] * 4
        + ["Takashi Inou"] * 2
    )
    assert stats.count(family) == count


def test_rule_rejects_unknown_kind_and_scheme():
    with pytest.raises(ValueError):
        Rule("always", "p1", "x", scheme="orcid")
    with pytest.raises(ValueError):
        Rule("id_is", "p1", "x", scheme="email")


def test_keep_floor_changes_only_which_rejections_are_returned():
    ms = [
        mention("Wei Wang", key=f"k{i}#1", paper=f"paper{i}", affiliations=(aff,))
        for i, aff in enumerate(
            ["Kyoto University", "Tsinghua University", "", "Kyoto Univ."]
        )
    ] + [
        mention(
            "Yuta Ota", key="o#1", paper="paper9", conference_date=dt.date(2025, 1, 1)
        )
    ]
    lean = {
        (c.paper_id, c.person_id): c.status
        for c in match_all(
            ms,
            ROSTER,
            confirm_threshold=CONFIRM,
            review_threshold=REVIEW,
            context=MatchContext(name_stats=STATS),
        )
    }
    full = {
        (c.paper_id, c.person_id): c.status
        for c in match_all(
            ms,
            ROSTER,
            confirm_threshold=CONFIRM,
            review_threshold=REVIEW,
            context=MatchContext(name_stats=STATS, keep_rejected_from=0.0),
        )
    }
    assert {k: v for k, v in full.items() if v != "rejected"} == {
        k: v for k, v in lean.items() if v != "rejected"
    }
    assert len(full) > len(lean)


def test_every_candidate_has_evidence_with_kind_weight_detail():
    got = run([mention("Tatsuya Harada", affiliations=("The University of Tokyo",))])
    for c in got.values():
        assert c.evidence and all(
            e.kind and isinstance(e.weight, float) and e.detail for e in c.evidence
        )
        assert "\n" not in c.explanation


def test_program_funding_acknowledgement_is_evidence():
    ctx = MatchContext(
        name_stats=STATS,
        funder_names=("New Energy and Industrial Technology Development Organization",),
        grant_numbers=("JPNP20006",),
    )
    by_funder = run(
        [
            mention(
                "Yuta Ota",
                funders=(
                    "New Energy and Industrial Technology Development Organization",
                ),
                conference_date=dt.date(2025, 1, 1),
            )
        ],
        context=ctx,
    )[("paper1", "p3")]
    by_grant = run(
        [
            mention(
                "Yuta Ota", awards=("JP NP 20006",), conference_date=dt.date(2025, 1, 1)
            )
        ],
        context=ctx,
    )[("paper1", "p3")]
    plain = run(
        [mention("Yuta Ota", conference_date=dt.date(2025, 1, 1))], context=ctx
    )[("paper1", "p3")]
    for c in (by_funder, by_grant):
        assert any(e.kind == "funding" for e in c.evidence)
        assert c.score > plain.score


def test_ror_ids_from_the_source_count_as_affiliation():
    by_ror = run([mention("Wei Wang", rors=("02kpeqv85",))])[
        ("paper1", "p2")
    ]  # Kyoto University
    assert by_ror.status == "confirmed"
    assert "Kyoto University" in by_ror.explanation
    other = run(
        [mention("Wei Wang", rors=("057zh3y96",))],
        context=MatchContext(name_stats=STATS, keep_rejected_from=0.0),
    )[("paper1", "p2")]
    assert other.status == "rejected"  # The University of Tokyo is not Kyoto University


def test_a_guard_shows_as_a_cap_with_the_score_it_held():
    c = run([mention("T. Harada", affiliations=("The University of Tokyo",))])[
        ("paper1", "p1")
    ]
    assert c.status == "needs_review" and c.score == 0.84
    assert c.explanation.startswith(
        "Needs review (capped at 0.84: initials alone never confirm): "
    )
    cap = c.evidence[-1]
    assert (cap.kind, cap.key, dict(cap.params)) == (
        "cap",
        "cap.initials",
        {"score": "0.84"},
    )
    assert "+0.00" not in c.explanation and "guard" not in c.explanation


def test_the_explanation_names_weighted_pieces_and_affiliation_strongest_first_and_the_cap():
    from dataclasses import asdict

    from matching.evidence import evidence, explained

    name = evidence("name.initials", 0.6, printed="H. Tanaka", roster="Tanaka Hiroshi")
    aff = evidence("affiliation.none_printed", 0.0)
    window = evidence("window.after", -2.5, day="2026-06-01", end="2026-03-31")
    capped = evidence("cap.initials", 0.0, score="0.84")
    shown, cap = explained([name, aff, window, capped])
    assert shown == [window, name, aff]  # |-2.5| > 0.6 > 0; the cap is not a piece
    assert cap == capped
    # the same choice from stored evidence (dicts), as the review page reads it
    stored = [asdict(e) for e in (name, aff, window, capped)]
    shown_d, cap_d = explained(stored, lambda e: (e["kind"], float(e["weight"])))
    assert shown_d == [asdict(e) for e in shown] and cap_d == asdict(capped)
    assert explained([name]) == ([name], None)
