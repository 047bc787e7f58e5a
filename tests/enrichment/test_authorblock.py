"""matching.authorblock: each author's printed affiliation and e-mail domain on page 1."""

from __future__ import annotations

import pytest

from harvesters.fulltext import extract_text
from matching.authorblock import read_author_block


def test_every_members_printed_affiliation_is_found_on_the_generated_corpus(corpus):
    checked = 0
    for case in corpus:
        if case.problem or not case.affiliations:
            continue
        ft = extract_text(case.pdf)
        found = {a.name: a for a in read_author_block(ft.first_page, list(case.affiliations))}
        for name, expected in case.affiliations.items():
            assert name in found, (case.name, name)
            printed = " | ".join(found[name].affiliations)
            for words in expected:
                assert words in printed, (case.name, name, printed)
            others = [w for n, ws in case.affiliations.items() if n != name for w in ws
                      if w not in expected]
            assert not any(w in printed for w in others), (case.name, name, printed)
            checked += 1
        for name, domain in case.domains.items():
            assert found[name].email_domains == (domain,), (case.name, name)
    assert checked >= 20


def test_marker_layout_explanation_line(corpus):
    case = next(c for c in corpus if c.name == "two_column_layout")
    ft = extract_text(case.pdf)
    sato, suzuki, smith = read_author_block(ft.first_page, ["Kazuki Sato", "Hanako Suzuki", "John Smith"])
    assert sato.markers == ("1", "2")
    assert sato.explain() == (
        'PDF p.1: "Kazuki Sato¹,² ... ¹The University of Tokyo; ²RIKEN AIP (g.ecc.u-tokyo.ac.jp)"'
    )
    # "*" marks equal contribution: a note, not an affiliation.
    assert smith.affiliations == ("Carnegie Mellon University",)


@pytest.mark.parametrize(
    "page, name, affiliations, domains",
    [
        (
            "Title\nTarō Ōta^{1}, Ann Lee^{2}\n^{1}Kyoto University ^{2}NII\n"
            "{ota,lee}@example.ac.jp\nAbstract\nbody ^{1} not an affiliation",
            "Taro Ota", ("Kyoto University",), ("example.ac.jp",),
        ),
        (
            "Title\nKazuki Sato\nSony AI\nTokyo, Japan\nkazuki.sato@sony.com\nMei Tanaka\nNII\n"
            "Abstract",
            "Kazuki Sato", ("Sony AI, Tokyo, Japan",), ("sony.com",),
        ),
        (
            "Title\nKazuki Sato\tMei Tanaka\nRIKEN AIP\tNII\nsato@riken.jp\tmei@nii.ac.jp\n"
            "Abstract",
            "Mei Tanaka", ("NII",), ("nii.ac.jp",),
        ),
        (
            "Title\nKazuki Sato, Mei Tanaka\nAbstract\nWe study robots.\n"
            "K. Sato is with the Graduate School of Informatics, Kyoto University, Japan. "
            "M. Tanaka is with NII, Tokyo (mtanaka@nii.ac.jp).",
            "Kazuki Sato", ("Graduate School of Informatics, Kyoto University, Japan",), (),
        ),
    ],
)
def test_layouts(page, name, affiliations, domains):
    (found,) = [a for a in read_author_block(page, ["Kazuki Sato", "Taro Ota", "Mei Tanaka"])
                if a.name == name]
    assert found.affiliations == affiliations
    assert found.email_domains == domains


def test_a_name_not_printed_is_left_out_and_a_name_inside_a_word_is_not_it():
    page = "Title\nKazukiSatoh^{1}\n^{1}RIKEN\nAbstract"
    assert read_author_block(page, ["Kazuki Sato"]) == ()
    assert read_author_block("", ["Kazuki Sato"]) == ()
