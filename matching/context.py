"""What matching needs beyond one mention: name frequencies, staff rules, confirmed links, funding."""

from __future__ import annotations

import csv
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal

from matching.names import (
    german_spelling,
    is_japanese_like,
    name_splits,
    romaji_key,
    spellings,
)
from matching.text import bare_openalex_id, normalise_orcid

RuleKind = Literal["id_is", "id_is_not", "never_at_org"]
ID_SCHEMES = ("orcid", "openalex", "openreview", "dblp", "ieee")


@dataclass(frozen=True)
class Rule:
    """A durable staff rule, applied before any scoring.

    kind:
      - "id_is": a mention carrying identifier `scheme`:`value` is always `person_id`;
      - "id_is_not": a mention carrying that identifier is never `person_id`;
      - "never_at_org": `person_id` has never been at organisation `value` (a printed name),
        so a mention affiliated only with it is not them.
    """

    kind: RuleKind
    person_id: str
    value: str
    scheme: str | None = None  # orcid | openalex | openreview | dblp | ieee, for the id rules
    reason: str = ""

    def __post_init__(self) -> None:
        if self.kind not in ("id_is", "id_is_not", "never_at_org"):
            raise ValueError(
                f"Rule.kind {self.kind!r}: expected id_is, id_is_not or never_at_org"
            )
        if self.kind != "never_at_org" and self.scheme not in ID_SCHEMES:
            raise ValueError(
                f"Rule.scheme {self.scheme!r}: expected one of {ID_SCHEMES}"
            )


def normalise_id(scheme: str, value: str | None) -> str | None:
    """The comparable form of an identifier of `scheme` (bare ORCID, bare OpenAlex id...)."""
    if not value:
        return None
    if scheme == "orcid":
        return normalise_orcid(value)
    if scheme == "openalex":
        return bare_openalex_id(value)
    return value.strip()


_DATA = Path(__file__).resolve().parent / "data"
# Japan's population in 2008, the year of the ranking's estimates (Statistics Bureau of
# Japan, population estimates, October 2008: 127.69 million).
JAPAN_POPULATION_2008 = 127_690_000
# Below this many Japanese-reading mentions the corpus is too small to measure names
# within them; the whole corpus is the group instead.
MIN_GROUP = 500


@lru_cache(maxsize=1)
def ja_family_shares() -> dict[str, float]:
    """Romaji key -> share of Japan's population with that family name (top-100 ranking).

    From matching/data/ja_surnames.csv (see SOURCES.md there). Romanization-folded: kanji
    that read the same (斉藤 and 斎藤, Saitō) add up, and a kanji with two readings
    (山崎: Yamazaki, Yamasaki) counts for both, so a name is never rated rarer than it is.
    """
    counts: Counter[str] = Counter()
    with (_DATA / "ja_surnames.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            for reading in row["romaji"].split("|"):
                counts[romaji_key(reading)] += int(row["estimated_holders_2008"])
    return {k: v / JAPAN_POPULATION_2008 for k, v in counts.items()}


@dataclass(frozen=True)
class NameFrequency:
    """How common a full name is in the harvested mentions, and what the rating rests on.

    Within its group (Japanese-reading names among Japanese-reading mentions, others among
    all mentions), `family_share` is the family name's share (for a Japanese name at
    least its share in Japan's population ranking) and `given_share` the given name's,
    both romanization-folded; `expected` = group size x family share x given share is
    the number of mentions expected to print this full name by chance.
    """

    japanese: bool  # rated among the Japanese-reading mentions
    family_share: float
    given_share: float
    by_ranking: bool  # the national ranking, not the corpus, set the family share
    expected: float
    rarity: float  # -1 (common) .. +1 (rare)
    family_sets: bool = False  # the family name's rating was the lower: it set `rarity`

    @property
    def common(self) -> bool:
        """True when the name alone proves little (rarity at or below 0)."""
        return self.rarity <= 0.0


@dataclass(frozen=True)
class NameStats:
    """How common names are among the harvested mentions (romanization-folded counts).

    Build it with `NameStats.from_names(printed names)`. Family names are counted over all
    mentions (`counts`, `total`) and over the mentions whose name reads as Japanese
    (`ja_counts`, `ja_total`); given names likewise. A family name seen at least
    `common_share` of the time (default 1 in 1,000 mentions) counts as common.
    """

    counts: dict[str, int] = field(default_factory=dict)
    total: int = 0
    common_share: float = 0.001
    given_counts: dict[str, int] = field(default_factory=dict)
    ja_counts: dict[str, int] = field(default_factory=dict)
    ja_given_counts: dict[str, int] = field(default_factory=dict)
    ja_total: int = 0

    @classmethod
    def from_names(cls, names: Iterable[str], common_share: float = 0.001) -> NameStats:
        """Count family and given names (most likely reading of each printed name)."""
        counts: Counter[str] = Counter()
        given: Counter[str] = Counter()
        ja: Counter[str] = Counter()
        ja_given: Counter[str] = Counter()
        total = ja_total = 0
        for name in names:
            splits = name_splits(name)
            if not splits:
                continue
            total += 1
            first = splits[0]
            # A printed "Müller" counts under "muller" and "mueller": it agrees with both.
            families = {s.family_key for s in spellings(first)}
            counts.update(families)
            gkey = _given_key(first)
            if gkey:
                given[gkey] += 1
            if gkey and reads_japanese(first.family, first.given):
                ja_total += 1
                ja.update(families)
                ja_given[gkey] += 1
        return cls(
            dict(counts), total, common_share, dict(given), dict(ja), dict(ja_given), ja_total
        )

    def count(self, family: str) -> int:
        """Mentions printed with a family name that agrees with `family`.

        A name with an umlaut takes the larger count of its two spellings: "Müller" agrees
        with printed Muller, Mueller and Müller, and the larger count is a lower bound that
        counts no mention twice.
        """
        return self._count(self.counts, family)

    @staticmethod
    def _count(counts: dict[str, int], family: str) -> int:
        spelled = german_spelling(family)
        names = (family,) if spelled is None else (family, spelled)
        return max(counts.get(romaji_key(n), 0) for n in names)

    def share(self, family: str) -> float:
        """Share of mentions with this family name (0 when never seen)."""
        if not self.total:
            return 0.0
        return self.count(family) / self.total

    def is_common(self, family: str) -> bool:
        """True when the family name is common enough that the name alone proves little."""
        if not self.total:
            return True  # no statistics: assume the worst
        return self.share(family) >= self.common_share

    def rarity(self, family: str) -> float:
        """-1 (very common) .. +1 (very rare): log-scaled inverse family-name frequency."""
        if not self.total:
            return -1.0
        count = self.count(family)
        # 1 in 10,000 or rarer -> +1; 1 in 100 or commoner -> -1.
        share = max(count, 1) / self.total
        value = -math.log10(share) - 3.0
        return max(-1.0, min(1.0, value))

    def full_name(self, family: str, given: str) -> NameFrequency | None:
        """How common the full name `given family` is (None without statistics).

        The rarity is the lower of two ratings: the expected namesakes (one -> 0, 30 or
        more -> -1, 1 in 30 or fewer -> +1) and the family name's rating over all mentions, in which a
        Japanese family name counts at least as often as the national ranking says
        (its share in Japan times the corpus's share of Japanese-reading mentions). So
        "Tanaka" (1 in 95 people in Japan) is never rated rare because Japanese names
        are rare in the corpus, and a rare given name does not make "Wang" rare.
        """
        if not self.total:
            return None
        splits = name_splits("", given, family)
        gkey = _given_key(splits[0]) if splits else ""
        japanese = self.ja_total >= MIN_GROUP and reads_japanese(family, given)
        ranking = (
            ja_family_shares().get(romaji_key(family), 0.0)
            if is_japanese_like(family)
            else 0.0
        )
        if japanese:
            size = self.ja_total
            family_count = self._count(self.ja_counts, family)
            given_count = self.ja_given_counts.get(gkey, 0)
        else:
            size = self.total
            family_count = self.count(family)
            given_count = self.given_counts.get(gkey, 0)
        corpus_family = max(family_count, 1) / size
        family_share = max(corpus_family, ranking) if japanese else corpus_family
        given_share = max(given_count, 1) / size
        expected = size * family_share * given_share
        # One namesake expected by chance -> 0; 30 -> -1 (Wei Wang: 14); 1 in 30 -> +1.
        by_full = -math.log10(expected) / 1.5
        # The family name over all mentions, the ranking scaled to the corpus's share of
        # Japanese-reading names (the rating used before full names, now a ceiling).
        ja_part = self.ja_total / self.total
        family_all = max(max(self.count(family), 1) / self.total, ranking * ja_part)
        by_family = -math.log10(family_all) - 3.0
        rarity = max(-1.0, min(1.0, by_full, by_family))
        return NameFrequency(
            japanese,
            family_share,
            given_share,
            japanese and ranking > corpus_family,
            expected,
            rarity,
            by_family < by_full,
        )


def reads_japanese(family: str, given: str) -> bool:
    """True when a name reads as Japanese, for rating it among Japanese names.

    Both parts must spell Japanese syllables, and the family name must be in the national
    ranking or have four or more letters ending in a vowel: many Chinese and Korean names
    also spell Japanese syllables ("Kai Chen", "Tao Gui", "Minsu Cho"), but their family
    names are one syllable.
    """
    if not (given and is_japanese_like(family) and is_japanese_like(given)):
        return False
    key = romaji_key(family)
    return key in ja_family_shares() or (len(key) >= 4 and key[-1] in "aeiou")


def _given_key(split) -> str:
    """Romanization-folded key of a reading's given name ("" for initials only)."""
    if not split.given_parts or all(p.initial for p in split.given_parts):
        return ""
    return romaji_key("".join(p.text for p in split.given_parts))


@dataclass(frozen=True)
class MatchContext:
    """Everything matching needs beyond one mention and the roster."""

    name_stats: NameStats | None = None
    rules: tuple[Rule, ...] = ()
    # (paper_id, person_id) confirmed by a staff decision. Pass only those: machine
    # confirmations are recomputed by every pass (and lift co-authors one step only), while
    # stale machine confirmations passed in here could keep each other confirmed.
    confirmed_links: frozenset[tuple[str, str]] = frozenset()
    funder_names: tuple[str, ...] = ()
    grant_numbers: tuple[str, ...] = ()
    # Rejected candidates scoring below this are name coincidences (a common name at
    # another institution) and are not returned; rejections decided by a rule, an
    # identifier or the membership window are always returned. 0 keeps every rejection.
    keep_rejected_from: float = 0.2
