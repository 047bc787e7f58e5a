"""matching.attribution: the program's grant number, funder and program names, quoted with the page."""

from __future__ import annotations

import pdfkit
import pytest

from harvesters.fulltext import extract_text
from matching.attribution import (
    ACKNOWLEDGED,
    FUNDER_ONLY,
    NOT_ACKNOWLEDGED,
    Acknowledgement,
    Mention,
    best_stored_mention,
    find_acknowledgement,
    normalise_number,
)


def test_precision_and_recall_on_the_generated_corpus_are_one(corpus, terms):
    tp = fp = fn = 0
    readable = 0
    for case in corpus:
        ft = extract_text(case.pdf)
        if case.problem:
            assert not ft.ok and case.problem in ft.problem, case.name
            continue
        readable += 1
        ack = find_acknowledgement(ft.pages, terms)
        found = ack.status == ACKNOWLEDGED
        tp += found and case.acknowledged
        fp += found and not case.acknowledged
        fn += case.acknowledged and not found
        assert (ack.status == FUNDER_ONLY) == case.funder_only, case.name
        if case.ack_page:
            assert ack.best().page == case.ack_page, case.name
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    assert readable >= 10 and tp >= 6
    assert (precision, recall) == (1.0, 1.0)


def test_the_quote_is_the_sentence_with_the_number_and_its_page(corpus, terms):
    case = next(c for c in corpus if c.name == "number_in_acknowledgement")
    ack = find_acknowledgement(extract_text(case.pdf).pages, terms)
    best = ack.best()
    assert best.kind == "grant_number" and best.page == 4
    assert best.sentence == (
        "This paper is based on results obtained from a project, JPNP20006, commissioned by "
        "the New Energy and Industrial Technology Development Organization (NEDO)."
    )
    assert ack.explain().startswith('acknowledges JPNP20006 (p.4: "This paper is based')


def test_japanese_acknowledgement_quotes_the_japanese_sentence(corpus, terms):
    case = next(c for c in corpus if c.name == "japanese_acknowledgement")
    ack = find_acknowledgement(extract_text(case.pdf).pages, terms)
    assert ack.numbers == ("JPNP20006",)
    assert "新エネルギー・産業技術総合開発機構" in ack.best().sentence
    assert ack.best().sentence.endswith("結果得られたものです。")
    # One sentence is quoted once, for its strongest term (the number).
    assert [m.kind for m in ack.mentions] == ["grant_number"]


def test_other_agencies_numbers_are_listed_not_counted(corpus, terms):
    case = next(c for c in corpus if c.name == "other_agencies_numbers")
    ack = find_acknowledgement(extract_text(case.pdf).pages, terms)
    assert ack.status == FUNDER_ONLY
    assert ack.numbers == ()
    assert ack.other_grants == ("JPMJCR20G1", "JP20H05556", "JP21K12345", "JPNP200061")
    assert "without the program's grant number" in ack.explain()


@pytest.mark.parametrize(
    "text, status",
    [
        ("Funded by project JPNP20006.", ACKNOWLEDGED),
        ("Funded by project JPNP 20006.", ACKNOWLEDGED),
        ("Funded by project JPNP-20006.", ACKNOWLEDGED),
        ("Funded by project JPNP2\n0006.", ACKNOWLEDGED),
        ("Funded by project jpnp20006.", ACKNOWLEDGED),
        ("Funded by project ＪＰＮＰ－２０００６.", ACKNOWLEDGED),
        ("Funded by project JPNP200061.", NOT_ACKNOWLEDGED),
        ("Funded by project XJPNP20006.", NOT_ACKNOWLEDGED),
        ("Funded by JSPS KAKENHI JP20006.", NOT_ACKNOWLEDGED),
        ("Funded by JST JPMJNP20006.", NOT_ACKNOWLEDGED),
        ("Funded by NEDO.", FUNDER_ONLY),
        ("Funded by nedo, a word in lower case.", NOT_ACKNOWLEDGED),
        ("新エネルギー・産業\n技術総合開発機構の支援を受けた。", FUNDER_ONLY),
        ("Part of Multimodal Foundation\nModels for Physical AI.", FUNDER_ONLY),
        ("We use the TORPEDO and NEDOX datasets.", NOT_ACKNOWLEDGED),
    ],
)
def test_number_and_name_forms(terms, text, status):
    assert find_acknowledgement([text], terms).status == status


def test_a_sentence_ends_at_its_full_stop_not_at_abbreviations(terms):
    page = (
        "Results are in Fig. 3 and Tab. 2. We thank Dr. K. Sato et al. for comments, e.g. on "
        "the grasping study, and NEDO (JPNP20006) for funding. The end."
    )
    ack = find_acknowledgement([page], terms)
    assert ack.best().sentence == (
        "We thank Dr. K. Sato et al. for comments, e.g. on the grasping study, and NEDO "
        "(JPNP20006) for funding."
    )


def test_no_terms_find_nothing_and_empty_pages_are_not_acknowledged(terms):
    from matching.attribution import AttributionTerms

    assert find_acknowledgement(["Funded by NEDO JPNP20006."], AttributionTerms()).status == (
        NOT_ACKNOWLEDGED
    )
    assert find_acknowledgement([], terms).status == NOT_ACKNOWLEDGED


def test_number_normal_form():
    assert normalise_number(" ｊｐｎｐ－２０００６\n") == "JPNP20006"


def test_a_stored_acknowledgement_quotes_the_same_sentence_as_the_fresh_one():
    # the report and the review page read mentions back from the cache as dicts
    mentions = (
        Mention("funder_name", "NEDO", 1, "Supported by NEDO."),
        Mention("program_name", "the program", 9, "Part of the program."),
        Mention("grant_number", "JPNP20006", 9, "This paper is based on JPNP20006."),
        Mention("grant_number", "JPNP20006", 3, "Funded under JPNP20006."),
    )
    fresh = Acknowledgement(ACKNOWLEDGED, mentions, numbers=("JPNP20006",)).best()
    stored = best_stored_mention([m.__dict__ for m in mentions])
    assert fresh.sentence == stored["sentence"] == "Funded under JPNP20006."
    assert best_stored_mention([]) is None
