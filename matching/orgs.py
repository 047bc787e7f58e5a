"""Organisations: normalising printed affiliations, splitting multi-affiliations, comparing."""

from __future__ import annotations

import re
from functools import lru_cache

from rapidfuzz import fuzz

from matching.text import fold

# Abbreviations expanded before comparing ("Univ. of Tokyo" = "University of Tokyo").
_ABBREV = (
    (re.compile(r"\buniv\b\.?"), "university"),
    (re.compile(r"\binst\b\.?"), "institute"),
    (re.compile(r"\btech\b\.?"), "technology"),
    (re.compile(r"\bnatl\b\.?|\bnat'l\b"), "national"),
    (re.compile(r"\blabs?\b\.?"), "laboratory"),
    (re.compile(r"\blaboratories\b"), "laboratory"),
    (re.compile(r"\bdept\b\.?"), "department"),
    (re.compile(r"\bcorp\b\.?"), "corporation"),
    (re.compile(r"\bco\.?,? ltd\b\.?"), ""),
    (re.compile(r"\binc\b\.?"), ""),
    (re.compile(r"\bltd\b\.?"), ""),
    (re.compile(r"&"), " and "),
)
_NON_WORD = re.compile(r"[^\w]+")
_STOP = frozenset({"the"})
# Affiliation separators: "Tohoku University / RIKEN", "A; B", "A | B". Commas separate
# departments from institutions ("Dept. of CS, The University of Tokyo, Japan").
_SEGMENT = re.compile(r"\s*(?:[;|/,]|\band\b(?=\s+(?:the\s+)?[A-Z]))\s*")
FUZZY_CUTOFF = 92.0


@lru_cache(maxsize=200_000)
def normalise_org(text: str) -> str:
    """An affiliation reduced for comparison: folded, abbreviations expanded, no "the"."""
    t = fold(text)
    for pattern, repl in _ABBREV:
        t = pattern.sub(repl, t)
    words = [w for w in _NON_WORD.sub(" ", t).split() if w not in _STOP]
    return " ".join(words)


@lru_cache(maxsize=200_000)
def segments(affiliation: str) -> tuple[str, ...]:
    """The normalised pieces of one printed affiliation string, whole string first.

    "Dept. of CS, The University of Tokyo, Japan" gives the whole string, each comma piece
    and each pair of adjacent pieces; "Tohoku University / RIKEN" gives both organisations.
    """
    pieces = [p for p in _SEGMENT.split(affiliation) if p and p.strip()]
    out = [normalise_org(affiliation)]
    normed = [normalise_org(p) for p in pieces]
    out.extend(normed)
    out.extend(f"{a} {b}" for a, b in zip(normed, normed[1:]))
    seen: set[str] = set()
    return tuple(s for s in out if s and not (s in seen or seen.add(s)))


def org_similarity(a: str, b: str) -> float:
    """0..100 similarity of two normalised organisation names, without subset matches.

    Uses plain and token-sorted ratios, never token_set, so that "Toyota Technological
    Institute" does not equal "... at Chicago" and "AIST" does not equal "KAIST".
    """
    if a == b:
        return 100.0
    return max(fuzz.ratio(a, b), fuzz.token_sort_ratio(a, b))


def best_org_match(person_orgs: tuple[str, ...], printed: tuple[str, ...]) -> tuple[float, str, str]:
    """(score, person org, printed segment) of the closest pair, score 0..100."""
    best = (0.0, "", "")
    for aff in printed:
        for seg in segments(aff):
            for org in person_orgs:
                s = org_similarity(org, seg)
                if s > best[0]:
                    best = (s, org, seg)
                    if s == 100.0:
                        return best
    return best
