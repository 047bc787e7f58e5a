"""Does a paper's text acknowledge the program? Its grant numbers and funder names, quoted.

`find_acknowledgement(pages, terms)` reads the pages of a paper's text (harvesters.fulltext)
and returns an `Acknowledgement`: every sentence that names one of the program's grant
numbers, its funder or its own name, with the page (1-based) and the sentence as printed.

How a mention counts (the rule the report states):
- **acknowledged**: a sentence names one of `[program] grant_numbers` (e.g. JPNP20006).
  The systematic number (体系的番号) is what the ministries require in every paper since
  2020 and what funders check; it names this program and no other. Matched across spaces,
  hyphens, full-width characters and a line break inside the number; a longer number that
  merely contains it (JPNP200061) is not it.
- **funder only**: a sentence names the funder (NEDO, 新エネルギー・産業技術総合開発機構)
  or the program's name, but no program number. NEDO funds hundreds of projects, so this is
  NOT an acknowledgement of the program: the paper stays "not acknowledged", and the
  sentence is shown to staff, who may confirm the attribution with a reason.
- **not acknowledged**: neither. Another agency's numbers (JST `JPMJ...`, JSPS KAKENHI
  `JP` + digits, other NEDO projects' `JPNP...`) never count; they are listed in
  `other_grants` so that staff see what the paper does acknowledge.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

ACKNOWLEDGED = "acknowledged"
FUNDER_ONLY = "funder_only"
NOT_ACKNOWLEDGED = "not_acknowledged"

# Characters dropped inside a grant number: spaces, line breaks and every hyphen or dash
# (ASCII, Unicode dashes, the minus sign, the katakana long-vowel mark used as a dash).
_NUMBER_SEPARATORS = frozenset(" \t\n\r\u00a0\u3000-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc\uff0d_")
# Japanese grant numbers as the ministries issue them: JP + letters + digits/letters.
_GRANT_LIKE = re.compile(r"(?<![A-Z0-9])JP[A-Z]{0,4}[0-9][0-9A-Z]{3,}(?![A-Z0-9])")
# Abbreviations after which a full stop does not end a sentence.
_ABBREVIATIONS = (
    "e.g", "i.e", "al", "etc", "tab", "tabs", "cf", "vs", "no", "nos", "fig", "figs", "eq", "eqs", "ref",
    "dr", "prof", "mr", "ms", "inc", "ltd", "co", "corp", "univ", "dept", "sec", "approx",
)
_MAX_QUOTE = 400
# Which mention an acknowledgement is quoted by: a grant number, then a program name, then
# a funder (earliest page first within a kind).
QUOTE_ORDER = {"grant_number": 0, "program_name": 1, "funder_name": 2}


def best_stored_mention(mentions: list[dict]) -> dict | None:
    """The mention to quote among stored ones (dicts with `kind` and `page`, as the
    enrichment cache keeps them): the same choice as Acknowledgement.best()."""
    return min(mentions, key=lambda m: (QUOTE_ORDER[m["kind"]], m["page"]), default=None)


@dataclass(frozen=True)
class AttributionTerms:
    """What the program is called in an acknowledgement.

    grant_numbers: the program's systematic numbers ([program] grant_numbers);
    funder_names: the funder in English and Japanese ([program] funder_names);
    program_names: the program's own name(s) as a paper would print it
      ([program] program_names).
    """

    grant_numbers: tuple[str, ...] = ()
    funder_names: tuple[str, ...] = ()
    program_names: tuple[str, ...] = ()


@dataclass(frozen=True)
class Mention:
    """One sentence naming the program: what it names, where, and the sentence itself."""

    kind: str  # "grant_number" | "funder_name" | "program_name"
    term: str  # the configured number or name it matched
    page: int  # 1-based
    sentence: str  # as printed, whitespace collapsed, at most ~400 characters


@dataclass(frozen=True)
class Acknowledgement:
    """The verdict on one paper's text and the quotes behind it."""

    status: str  # ACKNOWLEDGED | FUNDER_ONLY | NOT_ACKNOWLEDGED
    mentions: tuple[Mention, ...] = ()
    other_grants: tuple[str, ...] = ()  # grant-like numbers that are not the program's
    numbers: tuple[str, ...] = field(default=())  # the program's numbers found

    @property
    def acknowledged(self) -> bool:
        return self.status == ACKNOWLEDGED

    def best(self) -> Mention | None:
        """The mention to quote: a grant number first, then a program name, then a funder."""
        return min(self.mentions, key=lambda m: (QUOTE_ORDER[m.kind], m.page), default=None)

    def explain(self) -> str:
        """One line, e.g. `acknowledges JPNP20006 (p.9: "This work ...")`."""
        best = self.best()
        if self.status == ACKNOWLEDGED and best:
            return f'acknowledges {", ".join(self.numbers)} (p.{best.page}: "{best.sentence}")'
        if self.status == FUNDER_ONLY and best:
            return (
                f'names {best.term} without the program\'s grant number, not counted as an '
                f'acknowledgement (p.{best.page}: "{best.sentence}")'
            )
        others = f" (acknowledges other grants: {', '.join(self.other_grants)})" if self.other_grants else ""
        return f"no acknowledgement of the program in the full text{others}"


def normalise_number(text: str) -> str:
    """A grant number's comparable form: NFKC (full-width to ASCII), upper case, no separators."""
    return "".join(
        ch for ch in unicodedata.normalize("NFKC", text).upper() if ch not in _NUMBER_SEPARATORS
    )


def _join_lines(page: str) -> str:
    """A page's lines as running text: a word hyphenated at a line end is joined, two CJK
    characters are joined with nothing, anything else with a space."""
    out: list[str] = []
    for line in page.split("\n"):
        line = line.strip()
        if not line:
            continue
        if out:
            prev = out[-1]
            if len(prev) >= 2 and prev[-1] == "-" and prev[-2].isalpha() and line[0].islower():
                out[-1] = prev[:-1]
            elif not (_is_cjk(prev[-1]) and _is_cjk(line[0])):
                out.append(" ")
        out.append(line)
    return "".join(out)


def _is_cjk(ch: str) -> bool:
    return ord(ch) >= 0x2E80 and unicodedata.category(ch)[0] in "LPN"


def _squeeze(text: str) -> tuple[str, list[int]]:
    """`text` normalised for number search, and for each kept character its index in `text`."""
    chars: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        if ch < "\x80":  # ASCII (most of a paper): NFKC leaves it as it is
            if ch not in _NUMBER_SEPARATORS:
                chars.append(ch.upper())
                where.append(i)
            continue
        for c in unicodedata.normalize("NFKC", ch).upper():
            if c not in _NUMBER_SEPARATORS:
                chars.append(c)
                where.append(i)
    return "".join(chars), where


def _ascii_alnum(ch: str) -> bool:
    c = unicodedata.normalize("NFKC", ch)
    return bool(c) and c.isascii() and c.isalnum()


def _sentence_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence around text[start:end]: from the previous sentence end to the next."""
    lo = start
    while lo > 0:
        if _ends_sentence(text, lo - 1):
            break
        lo -= 1
    hi = end
    while hi < len(text):
        if _ends_sentence(text, hi):
            hi += 1
            break
        hi += 1
    return lo, hi


def _ends_sentence(text: str, i: int) -> bool:
    ch = text[i]
    if ch in "。．！？":
        return True
    if ch not in ".!?":
        return False
    if i + 1 < len(text) and not text[i + 1].isspace():
        return False  # 10.5 / e.g. / a URL
    if ch == ".":
        word = re.search(r"([A-Za-z.]+)$", text[max(0, i - 8) : i])
        if word and word.group(1).lower().lstrip(".") in _ABBREVIATIONS:
            return False
        if i > 0 and text[i - 1].isupper() and (i < 2 or not text[i - 2].isalpha()):
            return False  # an initial: "K. Sato"
    return True


def _quote(text: str, lo: int, hi: int, start: int, end: int) -> str:
    sentence = " ".join(text[lo:hi].split())
    if len(sentence) <= _MAX_QUOTE:
        return sentence
    # A runaway "sentence" (a table, a reference list): keep the window around the match.
    a = max(lo, start - _MAX_QUOTE // 2)
    b = min(hi, end + _MAX_QUOTE // 2)
    return ("..." if a > lo else "") + " ".join(text[a:b].split()) + ("..." if b < hi else "")


def _name_pattern(name: str) -> re.Pattern[str] | None:
    """A name as a regex: any whitespace between its words; whole words for Latin names;
    upper-case acronyms (NEDO) case-sensitive, other Latin names case-insensitive."""
    name = unicodedata.normalize("NFKC", name).strip()
    if not name:
        return None
    words = name.split()
    body = r"\s*".join(re.escape(w) for w in words) if _is_cjk(name[0]) else r"\s+".join(
        re.escape(w) for w in words
    )
    if not _is_cjk(name[0]):
        body = r"(?<![A-Za-z0-9])" + body + r"(?![A-Za-z0-9])"
    flags = 0 if (name.isupper() and len(name) <= 6) else re.IGNORECASE
    return re.compile(body, flags)


def find_acknowledgement(pages: Sequence[str], terms: AttributionTerms) -> Acknowledgement:
    """Every sentence of `pages` naming the program (see the module docstring for the rule).

    Args:
      pages: each page's text (lines joined by "\\n"), page 1 first.
      terms: the program's grant numbers and names.
    Returns: an Acknowledgement; NOT_ACKNOWLEDGED with no mentions for empty pages.
    """
    numbers = {normalise_number(n): n for n in terms.grant_numbers if normalise_number(n)}
    names = [
        ("funder_name", n, p) for n in terms.funder_names if (p := _name_pattern(n))
    ] + [("program_name", n, p) for n in terms.program_names if (p := _name_pattern(n))]
    mentions: list[Mention] = []
    found: list[str] = []
    others: list[str] = []
    seen: set[tuple[int, str]] = set()

    def add(kind: str, term: str, page_no: int, text: str, start: int, end: int) -> None:
        lo, hi = _sentence_bounds(text, start, end)
        sentence = _quote(text, lo, hi, start, end)
        if (page_no, sentence) in seen and kind != "grant_number":
            return
        seen.add((page_no, sentence))
        mentions.append(Mention(kind, term, page_no, sentence))

    for page_no, page in enumerate(pages, start=1):
        text = _join_lines(page)
        squeezed, where = _squeeze(text)
        spans: list[tuple[int, int]] = []
        for norm, printed in numbers.items():
            for m in re.finditer(re.escape(norm), squeezed):
                start, end = where[m.start()], where[m.end() - 1] + 1
                # Whole numbers only: JPNP200061 and XJPNP20006 are other numbers.
                if start > 0 and _ascii_alnum(text[start - 1]):
                    continue
                if end < len(text) and _ascii_alnum(text[end]):
                    continue
                spans.append((start, end))
                if printed not in found:
                    found.append(printed)
                add("grant_number", printed, page_no, text, start, end)
        nfkc = unicodedata.normalize("NFKC", text)
        # NFKC can change a string's length (ligatures); only search it when it does not,
        # so that positions stay valid; otherwise search the text as printed.
        haystack = nfkc if len(nfkc) == len(text) else text
        for kind, term, pattern in names:
            for m in pattern.finditer(haystack):
                add(kind, term, page_no, text, m.start(), m.end())
        for m in _GRANT_LIKE.finditer(haystack):
            number = m.group(0)
            if any(a < m.end() and m.start() < b for a, b in spans):
                continue  # a piece of the program's own number, split across a line
            if number not in numbers and number not in others:
                others.append(number)
    if found:
        status = ACKNOWLEDGED
    elif mentions:
        status = FUNDER_ONLY
    else:
        status = NOT_ACKNOWLEDGED
    return Acknowledgement(status, tuple(mentions), tuple(others), tuple(found))


def terms_from(
    grant_numbers: Iterable[str], funder_names: Iterable[str], program_names: Iterable[str] = ()
) -> AttributionTerms:
    """AttributionTerms from config lists (blank entries dropped)."""
    return AttributionTerms(
        tuple(n for n in grant_numbers if n.strip()),
        tuple(n for n in funder_names if n.strip()),
        tuple(n for n in program_names if n.strip()),
    )
