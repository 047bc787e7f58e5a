"""Personal names: parsing printed names, romanization-insensitive keys, and name agreement."""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from matching.text import fold

# Family-name particles: "van der Maaten", "de la Torre", "bin Abdullah".
PARTICLES = frozenset(
    [
        "van",
        "von",
        "der",
        "den",
        "de",
        "del",
        "della",
        "di",
        "da",
        "dos",
        "das",
        "du",
        "la",
        "le",
        "ten",
        "ter",
        "bin",
        "binti",
        "al",
        "el",
        "st",
    ]
)
_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv", "phd"})
_LETTERS = re.compile(r"[^a-z]+")
_SPLIT = re.compile(r"[\s\u3000]+")
# Hepburn and Kunrei spell the same kana differently; both reduce to one spelling here.
# The digraphs go first so that "sya" becomes "sha" before "si" is considered.
_KUNREI = (
    (re.compile(r"sy([auo])"), r"sh\1"),
    (re.compile(r"ty([auo])"), r"ch\1"),
    (re.compile(r"(?:zy|jy|dy)([auo])"), r"j\1"),
    (re.compile(r"si"), "shi"),
    (re.compile(r"ti"), "chi"),
    (re.compile(r"tu"), "tsu"),
    (re.compile(r"(?<![sc])hu"), "fu"),
    (re.compile(r"(?:zi|di)"), "ji"),
    (re.compile(r"du"), "zu"),
)
# Long vowels: Ō/Oo/Ou/Oh are one sound. "oh" only before a consonant or at the end
# ("Ohta", "Satoh"), never before a vowel ("Ohara" is O-ha-ra).
_LONG = (
    (re.compile(r"oh(?![aiueoy])"), "o"),
    (re.compile(r"o[ou]"), "o"),
    (re.compile(r"uu"), "u"),
    (re.compile(r"aa"), "a"),
    (re.compile(r"ii"), "i"),
    (re.compile(r"ee"), "e"),
)
_M_BEFORE_LABIAL = re.compile(r"m(?=[bmp])")
# One Japanese syllable in Hepburn or Kunrei (plus syllabic n, doubled consonants and a
# long-vowel h), so that we only apply the Japanese equivalences to Japanese-looking names.
_JA_SYLLABLES = re.compile(
    r"^(?:(?:[kgsztdnhbpmr]y|sh|ch|ts|j|f|[kgsztdnhbpmr])?[aiueo]h?|w[ao]|y[auo]h?|n|m(?=[bmp])"
    r"|([kstpgcbd])(?=\1)|t(?=ch))+$"
)


# German umlauts are printed without the dots ("Muller", which is what `fold` gives) or
# with an e ("Mueller"); ß is already "ss" after casefold. Only a printed umlaut yields the
# e-spelling: "ue" is never read back as "ü", because Japanese names are full of it (Inoue,
# Ueda), and "Mueller" and "Muller" stay two names.
_UMLAUT_E = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"}
)


def german_spelling(text: str) -> str | None:
    """`text` with ä/ö/ü written ae/oe/ue ("Müller" -> "Mueller"); None without umlauts."""
    if text.isascii():
        return None
    composed = unicodedata.normalize("NFC", text)
    spelled = composed.translate(_UMLAUT_E)
    return spelled if spelled != composed else None


def letters(text: str) -> str:
    """Folded text with everything but a-z removed: "Shun'ichi" -> "shunichi"."""
    if text.isascii() and "&" not in text:
        return _LETTERS.sub(
            "", text.lower()
        )  # the common case, without Unicode folding
    return _LETTERS.sub("", fold(text))


_TOKEN_SPLIT = re.compile(r"[\s,]+")


@lru_cache(maxsize=500_000)
def token_keys(printed: str) -> frozenset[str]:
    """romaji_key of every token of a printed name: a cheap test before full parsing.

    A mention can only agree with a member whose family-name key (or a part of it) is
    among these, so most mentions are dismissed without parsing.
    """
    text = html.unescape(printed) if "&" in printed else printed
    tokens = [t for t in _TOKEN_SPLIT.split(text) if t]
    spelled = (german_spelling(t) for t in tokens)
    return frozenset(romaji_key(t) for t in (*tokens, *spelled) if t)


@lru_cache(maxsize=200_000)
def romaji_key(text: str) -> str:
    """A key equal for romanization variants of one Japanese name.

    Folds case and diacritics (Ō -> o), removes apostrophes, hyphens and spaces, reduces
    long vowels (Ohta, Oota, Outa, Ōta -> ota), writes m before b/m/p as n (Homma = Honma)
    and maps Kunrei spellings onto Hepburn (Tutiya = Tsuchiya, Sigeru = Shigeru).
    Applied to non-Japanese names it merges a few distinct names (Hu/Fu), so callers use it
    as the loose key only; see `is_japanese_like`.
    """
    key = letters(text)
    for pattern, repl in _KUNREI:
        key = pattern.sub(repl, key)
    key = _M_BEFORE_LABIAL.sub("n", key)
    for _ in range(2):  # "oou" needs two passes
        for pattern, repl in _LONG:
            key = pattern.sub(repl, key)
    return key


@lru_cache(maxsize=200_000)
def is_japanese_like(text: str) -> bool:
    """True when `text` (a name, any case) spells only Japanese syllables."""
    key = letters(text)
    return bool(key) and bool(_JA_SYLLABLES.match(key))


@dataclass(frozen=True)
class Part:
    """One part of a given name: "Tai" and "Man" of "Tai-Man", or the initial "T."."""

    text: str  # letters only, lower case
    initial: bool  # printed as an initial ("T." or a lone capital)


@dataclass(frozen=True)
class NameSplit:
    """One reading of a printed name as family + given."""

    family: str  # as printed (after HTML entities)
    given: str
    family_key: str  # romaji_key(family): the blocking key
    family_letters: str  # letters(family): the strict key
    given_parts: tuple[Part, ...]
    certain: (
        bool  # the source or the printing (comma, UPPER family) says which is family
    )


def _given_parts(given: str) -> tuple[Part, ...]:
    parts: list[Part] = []
    for token in re.split(r"[\s\-‐‑–.]+|(?<=\.)", given):
        if not token:
            continue
        text = letters(token)
        if not text:
            continue
        # "T." was split on the dot; a lone letter is an initial, so is "TM" printed in caps
        # only when it is one or two letters without vowels (e.g. "JP").
        if len(text) == 1:
            parts.append(Part(text, True))
        else:
            parts.append(Part(text, False))
    return tuple(parts)


def _split(family: str, given: str, certain: bool) -> NameSplit:
    return NameSplit(
        family=family,
        given=given,
        family_key=romaji_key(family),
        family_letters=letters(family),
        given_parts=_given_parts(given),
        certain=certain,
    )


def clean(printed: str) -> str:
    """The printed name with HTML entities resolved, NFC, and spacing collapsed."""
    text = unicodedata.normalize("NFKC", html.unescape(printed))
    return _SPLIT.sub(" ", text).strip()


def _is_upper_token(token: str) -> bool:
    core = token.replace("-", "").replace("'", "")
    return len(core) > 1 and core.isalpha() and core.isupper()


@lru_cache(maxsize=500_000)
def name_readings(
    printed: str, given: str | None = None, family: str | None = None
) -> tuple[tuple[str, str, bool], ...]:
    """Every plausible (family, given, certain) reading of a printed name, most likely first.

    - A source's own given/family fields come first and are `certain`.
    - "Harada, Tatsuya" and "HARADA Tatsuya" (an upper-case family among mixed-case tokens)
      are certain too.
    - Otherwise the family name is the last token (with particles and hyphens kept:
      "Laurens van der Maaten", "Erik Learned-Miller"), and, as less likely readings, the
      last k tokens or the first token (family-first printing such as "Wang Wei").
    """
    out: list[tuple[str, str, bool]] = []
    if family:
        out.append((clean(family), clean(given or ""), True))
    text = clean(printed)
    if "," in text:
        fam, _, giv = text.partition(",")
        if letters(giv) not in _SUFFIXES and letters(fam):
            out.append((fam.strip(), giv.strip(), True))
            return tuple(dict.fromkeys(out))
        text = fam
    tokens = [t for t in text.split(" ") if letters(t) and letters(t) not in _SUFFIXES]
    if not tokens:
        return tuple(dict.fromkeys(out))
    if len(tokens) == 1:
        out.append((tokens[0], "", False))
        return tuple(dict.fromkeys(out))
    upper = [i for i, t in enumerate(tokens) if _is_upper_token(t)]
    if upper and len(upper) < len(tokens):
        fam_tokens = [tokens[i] for i in upper]
        giv_tokens = [t for i, t in enumerate(tokens) if i not in upper]
        out.append((" ".join(fam_tokens), " ".join(giv_tokens), True))
    # Given-first: the family is the last token plus any particles before it.
    k = len(tokens) - 1
    while k > 1 and letters(tokens[k - 1]) in PARTICLES:
        k -= 1
    out.append((" ".join(tokens[k:]), " ".join(tokens[:k]), False))
    # Less likely readings: a longer family (two-word surnames), and family first.
    for j in range(1, len(tokens) - 1):
        if j != k:
            out.append((" ".join(tokens[j:]), " ".join(tokens[:j]), False))
    out.append((tokens[0], " ".join(tokens[1:]), False))
    return tuple(dict.fromkeys(out))


@lru_cache(maxsize=500_000)
def split_of(family: str, given: str, certain: bool) -> NameSplit:
    """The parsed form of one reading (cached: readings repeat across mentions)."""
    return _split(family, given, certain)


def spellings(s: NameSplit) -> tuple[NameSplit, ...]:
    """The reading, then its German spellings when family or given has ä/ö/ü.

    "Jürgen Müller" gives the keys of "Jurgen Muller", "Juergen Muller", "Jurgen Mueller"
    and "Juergen Mueller", so that either side may print the umlaut, the bare vowel or the
    e-spelling and still agree exactly.
    """
    if s.family.isascii() and s.given.isascii():
        return (s,)  # the common case, on the hot path of every mention
    return (s, *_german_splits(s.family, s.given, s.certain))


@lru_cache(maxsize=100_000)
def _german_splits(family: str, given: str, certain: bool) -> tuple[NameSplit, ...]:
    spelled_family, spelled_given = german_spelling(family), german_spelling(given)
    return tuple(
        split_of(f, g, certain)
        for f in (family, spelled_family)
        for g in (given, spelled_given)
        if f is not None and g is not None and (f, g) != (family, given)
    )


@lru_cache(maxsize=500_000)
def name_splits(
    printed: str, given: str | None = None, family: str | None = None
) -> tuple[NameSplit, ...]:
    """`name_readings` parsed into NameSplits (duplicates and empty families removed)."""
    return tuple(_dedupe([split_of(*r) for r in name_readings(printed, given, family)]))


def _dedupe(splits: list[NameSplit]) -> list[NameSplit]:
    seen: set[tuple[str, tuple[Part, ...]]] = set()
    out = []
    for s in splits:
        key = (s.family_letters, s.given_parts)
        if s.family_letters and key not in seen:
            seen.add(key)
            out.append(s)
    return out


def _given_key(parts: tuple[Part, ...]) -> str:
    return "".join(p.text for p in parts)


def compare_given(
    person_parts: tuple[Part, ...], mention_parts: tuple[Part, ...], japanese: bool
) -> tuple[str, float] | None:
    """Agreement of two given names as (level, strength), or None when they disagree.

    Joined names are equal however they are split (Tai-Man = Taiman = Tai Man); a middle
    name on one side only is tolerated (Kevin Smith ~ Kevin Andrew Smith); initials agree
    with the names they abbreviate but are weaker evidence.
    """
    if not person_parts and not mention_parts:
        return ("exact", 1.0)
    if not person_parts or not mention_parts:
        return ("family_only", 0.3)
    p_key, m_key = _given_key(person_parts), _given_key(mention_parts)
    p_full = all(not p.initial for p in person_parts)
    m_full = all(not p.initial for p in mention_parts)
    if p_full and m_full:
        if p_key == m_key:
            return ("exact", 1.0)
        if japanese and romaji_key(p_key) == romaji_key(m_key):
            return ("variant", 0.95)
    # Part by part: first parts must agree; later parts agree or are absent on one side.
    first = _parts_agree(person_parts[0], mention_parts[0], japanese)
    if first is None:
        # "Taiman" vs "Tai Man" with initials elsewhere, or "Tai-Man" vs "T.-M.".
        return _joined_vs_initials(person_parts, mention_parts)
    rest_p, rest_m = person_parts[1:], mention_parts[1:]
    initials_used = first == "initial"
    for a, b in zip(rest_p, rest_m):
        agreement = _parts_agree(a, b, japanese)
        if agreement is None:
            return None
        initials_used = initials_used or agreement == "initial"
    if initials_used:
        return ("initials", 0.6)
    if len(rest_p) != len(rest_m):
        return ("exact", 0.9)  # a middle name printed on one side only
    return ("exact", 1.0)


def _parts_agree(a: Part, b: Part, japanese: bool) -> str | None:
    if a.initial or b.initial:
        return "initial" if a.text[0] == b.text[0] else None
    if a.text == b.text:
        return "full"
    if japanese and romaji_key(a.text) == romaji_key(b.text):
        return "full"
    return None


def _joined_vs_initials(
    p: tuple[Part, ...], m: tuple[Part, ...]
) -> tuple[str, float] | None:
    # "Tai-Man" (2 parts) against "T.M." (2 initials) is handled above; here: one joined
    # part against several initials is not evidence enough to agree.
    return None


def describe(person_name: str, printed: str, level: str) -> tuple[str, dict[str, str]]:
    """The sentence key and parameters of a name agreement: "name matches (Ohta = Ōta)".

    Returns (key, params) for `matching.evidence.sentence`: name.same when the printed name
    is the roster's (folded), else name.exact, name.variant, name.initials or name.family_only.
    """
    if level == "exact" and fold(person_name) == fold(printed):
        return "name.same", {"printed": printed}
    return f"name.{level}", {"printed": printed, "roster": person_name}


_KANA = re.compile(r"^[\u3040-\u30ff\u31f0-\u31ff\s\u3000・ー]+$")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")
_PAREN = re.compile(r"[（(]([^)）]*)[)）]")


def has_cjk(text: str) -> bool:
    """True when the text holds kana or kanji."""
    return bool(_CJK.search(text))


def ja_key(text: str) -> str:
    """A Japanese name with spacing removed, for comparing names printed in Japanese."""
    return re.sub(r"[\s\u3000・]+", "", unicodedata.normalize("NFKC", text))


@lru_cache(maxsize=1)
def _kakasi():
    import pykakasi  # loaded only when a roster gives kana readings (0.7 s to set up)

    return pykakasi.kakasi()


@lru_cache(maxsize=20_000)
def kana_reading(name_ja: str) -> tuple[str, str] | None:
    """(family, given) in Hepburn romaji from a kana reading in the roster's name_ja.

    Only kana is romanized: "おおた ゆうた", "オオタ ユウタ" or a reading in brackets
    ("太田 裕太 (おおた ゆうた)"). Kanji alone return None, because a kanji name has
    several possible readings (坂野 is Banno or Sakano) and a guessed one must not create
    a match. The name must be "family given" separated by a space.
    """
    text = unicodedata.normalize("NFKC", name_ja).strip()
    m = _PAREN.search(text)
    reading = m.group(1).strip() if m else text
    if not reading or not _KANA.match(reading):
        return None
    parts = reading.replace("\u3000", " ").split()
    if len(parts) != 2:
        return None
    kks = _kakasi()
    family, given = ("".join(x["hepburn"] for x in kks.convert(p)) for p in parts)
    return family.capitalize(), given.capitalize()
