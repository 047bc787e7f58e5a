"""The evidence registry: every kind counted by the pre-filter, every sentence keyed."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from matching.context import MatchContext, NameStats, Rule
from matching.evidence import SENTENCES, sentence
from matching.kinds import KINDS, EvidenceKind
from matching.match import match_all
from matching.model import Evidence, Mention, Person

WANG = Person("p2", "P2", "T02", "Wang", "Wei", affiliation="Kyoto University")
ROSTER = [WANG]
# Wang is common here: a Wei Wang at another university is a plain name coincidence.
STATS = NameStats.from_names(["Wei Wang"] * 500 + ["Jun Li"] * 30000)
COINCIDENCE = Mention("s:1#1", "paper1", "Wei Wang", affiliations=("Tsinghua University",))


def _dummy(mt, pair, sc):
    sc.evidence.append(Evidence("dummy", 3.0, "a strong new kind of evidence"))


def _run(kinds, keep=0.4):
    return match_all(
        [COINCIDENCE],
        ROSTER,
        confirm_threshold=0.85,
        review_threshold=0.45,
        context=MatchContext(name_stats=STATS, keep_rejected_from=keep),
        kinds=kinds,
    )


def test_a_plain_name_coincidence_is_dropped_by_the_pre_filter():
    assert _run(KINDS) == []
    # Kept when the pre-filter is off: it was the pre-filter that dropped it.
    assert [c.status for c in _run(KINDS, keep=0.0)] == ["rejected"]


def test_a_new_kind_lifts_a_pair_the_pre_filter_would_have_dropped():
    dummy = EvidenceKind("dummy", {"strong": 3.0}, _dummy)
    (c,) = _run((*KINDS, dummy))
    assert c.status == "needs_review"
    assert [e.kind for e in c.evidence][-1] == "dummy"


def test_a_kind_whose_bound_understates_it_loses_the_pair():
    # What the registry prevents: a pre-filter that does not know the new kind's best.
    hidden = EvidenceKind("dummy", {"strong": 3.0}, _dummy, bound=lambda mt, pair: 0.0)
    assert _run((*KINDS, hidden)) == []


def test_best_is_the_largest_weight_or_nothing():
    assert EvidenceKind("x", {"a": -1.0, "b": 2.5}, _dummy).best == 2.5
    assert EvidenceKind("x", {"a": -1.0}, _dummy).best == 0.0
    assert {k.name for k in KINDS} >= {
        "identifier",
        "name",
        "name_rarity",
        "affiliation",
        "funding",
        "window",
        "coauthor",
    }


HARADA = Person(
    "p1",
    "P1",
    "T01",
    "Harada",
    "Tatsuya",
    name_ja="原田 達也",
    aliases=("T. Harada",),
    affiliation="The University of Tokyo",
    orcid="0000-0002-1825-0097",
    start_date=dt.date(2023, 1, 1),
)
SONY = Person("p3", "P1", "T01", "Stone", "Peter", affiliation="Sony Group Corporation")
KEYED = [
    Mention("a#1", "A", "Tatsuya Harada", affiliations=("Univ. of Tokyo",)),
    Mention("b#1", "B", "HARADA Tatsuya", affiliations=("KAIST",)),
    Mention("c#1", "C", "T. Harada", paper_affiliations=("The University of Tokyo",)),
    Mention("d#1", "D", "原田 達也", conference_date=dt.date(2022, 6, 1)),
    Mention("e#1", "E", "Tatsuya Harada", orcid="0000-0001-0000-0001"),
    Mention("f#1", "F", "Tatsuya Harada", paper_affiliations=("Kyoto University",)),
    Mention("g#1", "G", "Peter Stone", affiliations=("Sony AI",)),
    Mention("h#1", "H", "Tatsuya Harada", openreview_id="~Tatsuya_Harada1"),
]


def test_every_evidence_has_a_key_whose_sentence_is_its_detail():
    rules = (Rule("id_is_not", "p1", "~Tatsuya_Harada1", "openreview", "a namesake"),)
    got = match_all(
        KEYED,
        [HARADA, SONY],
        confirm_threshold=0.85,
        review_threshold=0.45,
        context=MatchContext(
            name_stats=NameStats.from_names(["A B"] * 10_000), keep_rejected_from=0.0, rules=rules
        ),
    )
    keys = set()
    for c in got:
        for e in c.evidence:
            assert e.key in SENTENCES, e
            assert e.detail == sentence(e.key, e.params)
            assert e.kind == e.key.split(".")[0]
            assert all(isinstance(v, str) for v in e.params.values())
            keys.add(e.key)
    assert {
        "name.same",
        "name.exact",
        "name.ja",
        "affiliation.same",
        "affiliation.different",
        "affiliation.paper_same",
        "affiliation.paper_missing",
        "affiliation.related",
        "window.before",
        "id.differs",
        "rule.id_is_not",
    } <= keys, keys


def test_evidence_is_stored_with_its_key_and_params():
    c = match_all(
        KEYED[:1],
        [HARADA],
        confirm_threshold=0.85,
        review_threshold=0.45,
        context=MatchContext(name_stats=NameStats.from_names(["A B"] * 10_000)),
    )[0]
    stored = [dataclasses.asdict(e) for e in c.evidence]
    assert stored[0] == {
        "kind": "name",
        "weight": 2.0,
        "detail": "name matches (Tatsuya Harada)",
        "key": "name.same",
        "params": {"printed": "Tatsuya Harada"},
    }


@pytest.mark.parametrize(
    ("key", "params", "text"),
    [
        ("name.variant", {"printed": "Ohta", "roster": "Ōta", "via": "alias"},
         "name matches as a romanization variant (Ohta = Ōta) (alias)"),
        ("rule.never_at", {"org": "KAIST", "reason": ""}, "staff rule: never at KAIST"),
        ("rule.never_at", {"org": "KAIST", "reason": "moved"}, "staff rule: never at KAIST (moved)"),
    ],
)
def test_sentence_appends_via_and_reason_in_brackets(key, params, text):
    assert sentence(key, params) == text
