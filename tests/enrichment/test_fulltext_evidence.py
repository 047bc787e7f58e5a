"""The full text as matching evidence: page 1's printed affiliation and the acknowledgement,
each with its own line, attached to the right mention only."""

from __future__ import annotations

from dataclasses import asdict

import pdfkit
import pytest

from harvesters.fulltext import extract_text
from matching.attribution import find_acknowledgement, terms_from
from matching.authorblock import read_author_block
from matching.enriched import (
    AcknowledgementFacts,
    PdfAuthorFacts,
    attach,
    pdf_acknowledgement,
    pdf_affiliation,
)
from matching.model import Mention, Person

SATO = Person("p1", "P1", "T1", "Sato", "Kazuki", affiliation="The University of Tokyo")


def _fulltext_data() -> dict:
    """The cached data of the full-text enricher for the two-column corpus paper."""
    data = pdfkit.paper(
        authors=["Kazuki Sato^{1,2}, Hanako Suzuki^{2}"],
        affiliations=["^{1}The University of Tokyo  ^{2}RIKEN AIP"],
        ack=f"This paper is based on results obtained from a project, {pdfkit.GRANT}, "
            "commissioned by NEDO.",
    )
    ft = extract_text(data)
    ack = find_acknowledgement(ft.pages, terms_from([pdfkit.GRANT], ["NEDO"]))
    block = read_author_block(ft.first_page, ["Kazuki Sato", "Hanako Suzuki"])
    return {"acknowledgement": asdict(ack), "ack_line": ack.explain(),
            "authors": [dict(asdict(a), line=a.explain()) for a in block]}


def test_printed_affiliation_of_the_member_is_strong_evidence_with_its_pdf_line():
    (m1, m2) = attach(
        [Mention("cvf:X#1", "P", "Kazuki Sato"), Mention("cvf:X#2", "P", "Hanako Suzuki")],
        {"P": {"fulltext": _fulltext_data()}},
    )
    ev = pdf_affiliation(SATO, m1.enrichment.pdf_author)
    assert ev.kind == "affiliation" and ev.weight == 3.0
    assert ev.detail == (
        'PDF p.1: "Kazuki Sato¹,² ... ¹The University of Tokyo; ²RIKEN AIP" (organisation matches)'
    )
    # Suzuki is printed at RIKEN only: against a Tokyo member, as a source's own different
    # affiliation would be; nothing when a source printed the author's own (weighed there).
    differs = pdf_affiliation(SATO, m2.enrichment.pdf_author)
    assert differs.kind == "affiliation" and differs.weight == -1.1
    assert differs.key == "pdf.affiliation_different"
    assert differs.detail == ('PDF p.1: "Hanako Suzuki² ... ²RIKEN AIP" (printed affiliation '
                              'RIKEN Center for Advanced Intelligence Project is not The '
                              'University of Tokyo)')
    assert pdf_affiliation(SATO, m2.enrichment.pdf_author, printed_elsewhere=True) is None
    ack = pdf_acknowledgement(m1.enrichment.acknowledgement)
    assert ack.kind == "funding" and ack.detail.startswith(f'acknowledges {pdfkit.GRANT} (p.4: "')


def test_a_mention_whose_name_differs_at_that_position_gets_no_printed_line():
    (m,) = attach([Mention("cvf:X#1", "P", "Taro Yamada")], {"P": {"fulltext": _fulltext_data()}})
    assert m.enrichment.pdf_author is None
    assert m.enrichment.acknowledgement.status == "acknowledged"


@pytest.mark.parametrize("status, counted", [
    ("acknowledged", True), ("funder_only", False), ("not_acknowledged", False)])
def test_only_the_grant_number_is_acknowledgement_evidence(status, counted):
    facts = AcknowledgementFacts(status, (), "line")
    assert (pdf_acknowledgement(facts) is not None) is counted


def test_another_organisation_printed_counts_against_as_a_sources_would():
    facts = PdfAuthorFacts(("Kyoto University",), ("kyoto-u.ac.jp",), "PDF p.1: ...")
    ev = pdf_affiliation(SATO, facts)
    assert (ev.key, ev.weight) == ("pdf.affiliation_different", -1.1)
    # A sister entity (Sony AI for a Sony Group member): some support, never a confirmation.
    sony = Person("p2", "P1", "T1", "Stone", "Peter", affiliation="Sony Group Corporation")
    related = pdf_affiliation(sony, PdfAuthorFacts(("Sony AI",), (), "PDF p.1: ..."))
    assert (related.key, related.weight) == ("pdf.affiliation_related", 1.0)


def _match(mentions):
    from matching.match import match_all

    (c,) = match_all(mentions, [OGASAWARA], confirm_threshold=0.85, review_threshold=0.45)
    return c


OGASAWARA = Person("p1", "P1", "T1", "Ogasawara", "Kazuki", affiliation="The University of Tokyo")


def test_a_name_only_review_item_is_confirmed_by_the_affiliation_printed_in_its_pdf():
    plain = Mention("cvf:X#1", "P", "Kazuki Ogasawara")
    before = _match([plain])
    assert before.status == "needs_review"
    facts = PdfAuthorFacts(("The University of Tokyo",), ("u-tokyo.ac.jp",),
                           'PDF p.1: "Kazuki Ogasawara¹ ... ¹The University of Tokyo (u-tokyo.ac.jp)"')
    ack = AcknowledgementFacts("acknowledged", ("JPNP20006",),
                               'acknowledges JPNP20006 (p.9: "Supported by JPNP20006.")')
    from dataclasses import replace

    from matching.enriched import MentionEnrichment

    enriched = replace(plain, enrichment=MentionEnrichment(pdf_author=facts, acknowledgement=ack))
    after = _match([enriched])
    assert after.status == "confirmed" and after.score > before.score
    assert 'PDF p.1: "Kazuki Ogasawara¹ ... ¹The University of Tokyo (u-tokyo.ac.jp)" (organisation matches)' in after.explanation
    assert 'acknowledges JPNP20006 (p.9: "Supported by JPNP20006.")' in after.explanation
    # Printed at another organisation (and no source printed the author's own): as a
    # source's different affiliation, it counts against; this name alone then falls below
    # review (a rarer name, with its rarity evidence, would stay in review).
    other = _match([replace(plain, enrichment=MentionEnrichment(
        pdf_author=PdfAuthorFacts(("Kyoto University",), (), "PDF p.1: ...")))])
    assert other.status == "rejected" and other.score < before.score
    assert "(printed affiliation Kyoto University is not The University of Tokyo)" in other.explanation
    # and no line says "no affiliation printed" beside page 1's (it was there before)
    assert "no affiliation printed" in before.explanation
    assert "no affiliation printed" not in other.explanation
    assert "no affiliation printed" not in after.explanation
