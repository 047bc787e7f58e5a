"""What matching needs beyond one mention: name frequencies, staff rules, confirmed links, funding."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from matching.names import german_spelling, name_splits, romaji_key, spellings
from matching.text import bare_openalex_id, normalise_orcid

RuleKind = Literal["id_is", "id_is_not", "never_at_org"]
ID_SCHEMES = ("orcid", "openalex", "openreview", "dblp")


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
    scheme: str | None = None  # orcid | openalex | openreview | dblp, for the id rules
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


@dataclass(frozen=True)
class NameStats:
    """How common each family name is among the harvested mentions (term frequency).

    Build it with `NameStats.from_names(printed names)`. A family name seen at least
    `common_share` of the time (default 1 in 1,000 mentions) counts as common.
    """

    counts: dict[str, int] = field(default_factory=dict)
    total: int = 0
    common_share: float = 0.001

    @classmethod
    def from_names(cls, names: Iterable[str], common_share: float = 0.001) -> NameStats:
        """Count family names (most likely reading of each printed name, romaji-keyed)."""
        counts: Counter[str] = Counter()
        total = 0
        for name in names:
            splits = name_splits(name)
            if not splits:
                continue
            total += 1
            # A printed "Müller" counts under "muller" and "mueller": it agrees with both.
            counts.update({s.family_key for s in spellings(splits[0])})
        return cls(dict(counts), total, common_share)

    def count(self, family: str) -> int:
        """Mentions printed with a family name that agrees with `family`.

        A name with an umlaut takes the larger count of its two spellings: "Müller" agrees
        with printed Muller, Mueller and Müller, and the larger count is a lower bound that
        counts no mention twice.
        """
        spelled = german_spelling(family)
        names = (family,) if spelled is None else (family, spelled)
        return max(self.counts.get(romaji_key(n), 0) for n in names)

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
        """-1 (very common) .. +1 (very rare): log-scaled inverse frequency."""
        if not self.total:
            return -1.0
        count = self.count(family)
        # 1 in 10,000 or rarer -> +1; 1 in 100 or commoner -> -1.
        share = max(count, 1) / self.total
        value = -math.log10(share) - 3.0
        return max(-1.0, min(1.0, value))


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
