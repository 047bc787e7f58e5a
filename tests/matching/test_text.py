"""Title and text folding: the ASCII shortcut gives what the full Unicode path gives."""

from __future__ import annotations

import html
import unicodedata

import pytest

from matching.text import fold, normalise_title


def _full_fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", html.unescape(text))
    return "".join(c for c in text if not unicodedata.combining(c)).casefold()


@pytest.mark.parametrize(
    "text",
    [
        "Learning to Grasp: A STUDY",
        "Plain ascii, with 1 number & an ampersand",
        "Caf&eacute; &amp; Cr&egrave;me",  # entities that decode to non-ASCII
        "Ｆｕｌｌ　Ｗｉｄｔｈ",
        "Müller–Straße ﬁne",
        "東京大学 Tōkyō",
        "",
    ],
)
def test_fold_equals_the_full_unicode_fold(text):
    assert fold(text) == _full_fold(text)


def test_titles_differing_in_case_punctuation_and_accents_share_a_key():
    assert normalise_title("Diffusion Reflectance Map: Single-Image") == normalise_title(
        "diffusion reflectance map — single image"
    )
    assert normalise_title("Café") == normalise_title("CAFE") == "cafe"
