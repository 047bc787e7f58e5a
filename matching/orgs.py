"""Organisations: normalising printed affiliations, splitting multi-affiliations, comparing."""

from __future__ import annotations

import csv
import itertools
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from rapidfuzz import fuzz

from matching.evidence import ORG_SENTENCES
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
# A word broken across a line in the PDF the source read: "Kyoto Univer-sity",
# "Technol-ogy". (Address words such as "Bunkyo-ku" join too, on both sides alike.)
_LINE_BREAK = re.compile(r"(?<=[a-z])-(?=[a-z])")
_STOP = frozenset({"the"})
# Affiliation separators: "Tohoku University / RIKEN", "A; B", "A | B", "A+B" (Paper
# Copilot's double affiliations in CoRL and RSS). Commas separate departments from
# institutions and from the postal address ("Dept. of CS, The University of Tokyo, 7-3-1
# Hongo, Bunkyo-ku, Tokyo 113-8656, Japan").
_SEGMENT = re.compile(r"\s*(?:[;|/,+]|\band\b(?=\s+(?:the\s+)?[A-Z]))\s*")
_PIECES = re.compile(r"\s*[;|/+]\s*|\s*,\s*")
# Spaces and middle dots left out when comparing Japanese names (company forms such as
# 株式会社 stay: names are found as substrings, so 株式会社デンソー contains デンソー).
_JA_NOISE = re.compile(r"[\s・･]+")
# Cities that share a name with an organisation of the table: in a postal address after
# the organisation ("Aichi Institute of Technology, Toyota, Japan") they are places.
_PLACES = frozenset({"toyota", "hitachi"})
FUZZY_CUTOFF = 92.0


@lru_cache(maxsize=200_000)
def normalise_org(text: str) -> str:
    """An affiliation reduced for comparison: folded, abbreviations expanded, no "the"."""
    t = fold(_LINE_BREAK.sub("", text))
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
    out.extend(f"{a} {b}" for a, b in itertools.pairwise(normed))
    seen: set[str] = set()
    return tuple(s for s in out if s and not (s in seen or seen.add(s)))


def ja_key(text: str) -> str:
    """A Japanese organisation name for comparing: width folded (NFKC), spaces and middle
    dots removed (プリファード・ネットワークス = プリファードネットワークス)."""
    return _JA_NOISE.sub("", unicodedata.normalize("NFKC", text))


def org_similarity(a: str, b: str) -> float:
    """0..100 similarity of two normalised organisation names, without subset matches.

    Uses plain and token-sorted ratios, never token_set, so that "Toyota Technological
    Institute" does not equal "... at Chicago" and "AIST" does not equal "KAIST".
    """
    if a == b:
        return 100.0
    return max(fuzz.ratio(a, b), fuzz.token_sort_ratio(a, b))


def best_org_match(
    person_orgs: tuple[str, ...], printed: tuple[str, ...]
) -> tuple[float, str, str]:
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


# --- Organisation table: curated majors + the ROR Japan extract (package data) -------------

_DATA = Path(__file__).resolve().parent / "data"
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
_ACRONYM_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9&\-]*")
# "X University of Y", "X Institute at Chicago", "X Institute for Z": a longer name that
# merely starts with a known one ("Tokyo University of Science") is another organisation.
_CONTINUES = frozenset({"of", "at", "for"})
_MAX_NGRAM = 9


@dataclass(frozen=True)
class Org:
    """One organisation of the table."""

    org_id: str
    name: str
    part_of: str | None = (
        None  # parent within the same legal entity (RIKEN AIP -> RIKEN)
    )
    related: tuple[str, ...] = ()  # sister entities: a match between them needs review
    ror: str | None = None


class OrgTable:
    """Resolves printed affiliations (English, Japanese, abbreviated) to organisations."""

    def __init__(
        self,
        orgs: dict[str, Org],
        names: dict[str, str],
        acronyms: dict[str, str],
        ja: list[tuple[str, str]],
    ):
        self.orgs = orgs
        self.by_ror = {
            o.ror: oid for oid, o in orgs.items() if o.ror
        }  # bare ROR id -> org id
        self._resolved: dict[str, frozenset[str]] = {}  # printed affiliation -> org ids
        self.names = names  # normalised name -> org id
        self.acronyms = acronyms  # exact-case acronym -> org id
        self.ja = ja  # (Japanese name, org id), longest first

    @classmethod
    def load(cls, directory: Path = _DATA) -> OrgTable:
        """Read orgs_curated.csv and ror_jp.csv; curated entries win over ROR ones."""
        orgs: dict[str, Org] = {}
        names: dict[str, str] = {}
        acronyms: dict[str, str] = {}
        ja: dict[str, str] = {}
        ambiguous: set[str] = set()
        ror_to_id: dict[str, str] = {}

        def add_name(text: str, org_id: str, curated: bool) -> None:
            text = text.strip()
            if not text:
                return
            if _CJK.search(text):
                text = ja_key(text)
                if text and (curated or text not in ja):
                    ja[text] = org_id
                return
            key = normalise_org(text)
            if not key:
                return
            old = names.get(key)
            if old is None:
                names[key] = org_id
            elif (
                old != org_id
                and not curated
                and not old.startswith("ror:")
                and org_id.startswith("ror:")
            ):
                pass  # a curated entry already owns this name
            elif old != org_id and not curated:
                ambiguous.add(key)

        with (directory / "orgs_curated.csv").open(encoding="utf-8") as f:
            for row in csv.DictReader(f):
                oid = row["org_id"]
                orgs[oid] = Org(
                    oid,
                    row["name"],
                    row["part_of"] or None,
                    tuple(x for x in row["related"].split("|") if x),
                    row["ror"] or None,
                )
                if row["ror"]:
                    ror_to_id[row["ror"]] = oid
                for text in [row["name"], *row["aliases"].split("|")]:
                    add_name(text, oid, True)
                for acr in row["acronyms"].split("|"):
                    if acr:
                        acronyms[acr] = oid
        with (directory / "ror_jp.csv").open(encoding="utf-8") as f:
            for row in csv.DictReader(f):
                if row["ror"] in ror_to_id:
                    continue  # curated
                oid = f"ror:{row['ror']}"
                orgs[oid] = Org(oid, row["name"], ror=row["ror"])
                for text in [
                    row["name"],
                    *row["aliases"].split("|"),
                    *row["ja"].split("|"),
                ]:
                    add_name(text, oid, False)
                for acr in row["acronyms"].split("|"):
                    if len(acr) >= 4 and acr.isupper() and acr not in acronyms:
                        acronyms[acr] = oid
        for key in ambiguous:
            if names.get(key, "").startswith("ror:"):
                del names[key]
        ja_list = sorted(ja.items(), key=lambda kv: -len(kv[0]))
        return cls(orgs, names, acronyms, ja_list)

    def resolve(self, affiliation: str) -> frozenset[str]:
        """The organisations named in one printed affiliation (may be several, or none).

        English names are found as whole-word runs, longest first, so that "Toyota
        Technological Institute at Chicago" is TTIC and not TTI; a run followed by
        "of"/"at"/"for" belongs to a longer, different name and is skipped. Japanese names
        are found as substrings; acronyms only as exact-case whole tokens (AIST != KAIST).
        """
        hit = self._resolved.get(affiliation)
        if hit is None:
            hit = self._resolve(affiliation)
            if len(self._resolved) < 200_000:
                self._resolved[affiliation] = hit
        return hit

    def _resolve(self, affiliation: str) -> frozenset[str]:
        found: set[str] = set()
        pieces = [normalise_org(p).split() for p in _PIECES.split(affiliation)]
        runs = [self._runs(words) for words in pieces]
        for n, words in enumerate(pieces):
            if n and " ".join(words) in _PLACES:
                continue  # a city in the postal address, not the company
            found.update(oid for _, _, oid in runs[n])
        # Adjacent pieces together: "Honda Research Institute, San Jose" is HRI USA. A run
        # across the boundary whose second part is already an organisation on its own
        # ("... Science, The University of Tokyo" read as "Science University of Tokyo")
        # is not a name.
        for (a, b), own_b in zip(itertools.pairwise(pieces), runs[1:], strict=True):
            for i, j, oid in self._runs(a + b):
                if i < len(a) < j and not any(
                    x == 0 and y >= j - len(a) for x, y, _ in own_b
                ):
                    found.add(oid)
        if _CJK.search(affiliation):
            rest = ja_key(affiliation)
            for text, oid in self.ja:
                if text in rest:
                    found.add(oid)
                    rest = rest.replace(text, " ")
        for token in _ACRONYM_TOKEN.findall(affiliation):
            # "CNRS-AIST": each part of a hyphenated token is looked up too.
            for part in (token, *token.split("-")) if "-" in token else (token,):
                oid = self.acronyms.get(part)
                if oid:
                    found.add(oid)
        return self._most_specific(found)

    def resolve_all(self, affiliations: tuple[str, ...]) -> frozenset[str]:
        """The organisations named across several printed affiliations of one author."""
        found: set[str] = set()
        for a in affiliations:
            found |= self.resolve(a)
        return self._most_specific(found)

    def _most_specific(self, found: set[str] | frozenset[str]) -> frozenset[str]:
        # A generic name found next to a specific one it stands for ("Honda Research
        # Institute" beside "Honda Research Institute USA", "Sony" beside "Sony AI") and a
        # parent found next to its own part ("RIKEN" in "RIKEN AIP") add nothing.
        drop = {
            g
            for g in found
            for s in found
            if g != s
            and g in self.orgs
            and s in self.orgs
            and (
                (
                    s in self.orgs[g].related
                    and self.orgs[s].name.startswith(self.orgs[g].name)
                )
                or (g.startswith("sony-brand") and s in self.orgs[g].related)
                or g in self.ancestors(s)[1:]
            )
        }
        return frozenset(set(found) - drop)

    def _runs(self, words: list[str]) -> list[tuple[int, int, str]]:
        """(start, end, org id) of the names found as whole-word runs, longest first,
        none inside a longer one."""
        hits: list[tuple[int, int, str]] = []
        n = len(words)
        for i in range(n):
            for j in range(min(n, i + _MAX_NGRAM), i, -1):
                oid = self.names.get(" ".join(words[i:j]))
                if oid is not None:
                    if j < n and words[j] in _CONTINUES:
                        continue
                    hits.append((i, j, oid))
                    break
        return [
            (i, j, oid)
            for i, j, oid in hits
            if not any(a <= i and j <= b and (b - a) > (j - i) for a, b, _ in hits)
        ]

    def ancestors(self, oid: str) -> list[str]:
        """`oid` and its parents within the same legal entity."""
        out = [oid]
        while (
            parent := self.orgs[out[-1]].part_of if out[-1] in self.orgs else None
        ) and parent not in out:
            out.append(parent)
        return out

    def name(self, oid: str) -> str:
        """The display name of an organisation id."""
        org = self.orgs.get(oid)
        return org.name if org else oid


@lru_cache(maxsize=1)
def org_table() -> OrgTable:
    """The shipped organisation table (loaded once)."""
    return OrgTable.load()


# The OrgVerdict kinds that say a printed organisation is the member's.
AGREE = ("same", "part_of", "fuzzy_same")


@dataclass(frozen=True)
class OrgVerdict:
    """How a member's organisations relate to the ones printed on a paper.

    `key` names the sentence (matching.evidence.ORG_SENTENCES) and `params` fill it;
    `detail` is that sentence in English.
    """

    kind: str  # "same", "part_of", "related", "different", "fuzzy_same", "unknown"
    key: str  # same, part_of, related, different, fuzzy_same, no_match
    params: Mapping[str, str] = field(default_factory=dict, hash=False)

    @property
    def detail(self) -> str:
        """The verdict as one English sentence."""
        return ORG_SENTENCES[self.key].format_map(self.params)


@lru_cache(maxsize=200_000)
def compare_orgs_cached(
    person_affs: tuple[str, ...], printed: tuple[str, ...], rors: tuple[str, ...] = ()
) -> OrgVerdict:
    """`compare_orgs` with the shipped table, memoised (printed affiliations repeat a lot)."""
    return compare_orgs(person_affs, printed, rors=rors)


def compare_orgs(
    person_affs: tuple[str, ...],
    printed: tuple[str, ...],
    table: OrgTable | None = None,
    rors: tuple[str, ...] = (),
) -> OrgVerdict:
    """Compare a member's affiliation (and aliases) with printed affiliations (and ROR ids).

    Resolved organisations decide when both sides resolve: the same one (or one part of
    the other: RIKEN AIP within RIKEN) agrees, sister entities (Sony Group / Sony AI) are
    `related`, anything else is `different` (AIST vs KAIST, NEC vs NEC Labs America).
    When either side does not resolve, a strict fuzzy comparison of the names decides.
    """
    table = table or org_table()
    P = set(table.resolve_all(tuple(person_affs)))
    M = set(table.resolve_all(tuple(printed)))
    # Institutions the source itself resolved (OpenAlex gives ROR ids per author).
    M |= {
        table.by_ror[r.rsplit("/", 1)[-1]]
        for r in rors
        if r.rsplit("/", 1)[-1] in table.by_ror
    }
    shown = "; ".join(printed) or "ROR " + ", ".join(rors)
    if P and M:
        common = P & M
        if common:
            return OrgVerdict(
                "same", "same", {"org": table.name(min(common)), "printed": shown}
            )
        for p in P:
            for m in M:
                if p in table.ancestors(m) or m in table.ancestors(p):
                    inner, outer = (m, p) if p in table.ancestors(m) else (p, m)
                    return OrgVerdict(
                        "part_of",
                        "part_of",
                        {
                            "inner": table.name(inner),
                            "outer": table.name(outer),
                            "printed": shown,
                        },
                    )
        for p in P:
            for m in M:
                rp, rm = table.ancestors(p), table.ancestors(m)
                if (
                    (set(rp) & set(rm))
                    or m in table.orgs[p].related
                    or p in table.orgs[m].related
                ):
                    return OrgVerdict(
                        "related",
                        "related",
                        {
                            "theirs": table.name(m),
                            "ours": table.name(p),
                            "printed": shown,
                        },
                    )
    if P and M:
        # Both sides name known organisations and none agree: the table decides (a fuzzy
        # comparison here could only confuse look-alikes).
        names = ", ".join(sorted(table.name(m) for m in M))
        return OrgVerdict(
            "different",
            "different",
            {"theirs": names, "ours": table.name(min(P)), "printed": shown},
        )
    # Fuzzy fallback on the raw names, when either side is not in the table.
    normed = tuple(normalise_org(a) for a in person_affs if a.strip())
    score, org, seg = best_org_match(normed, printed)
    if score >= FUZZY_CUTOFF:
        seg_orgs = table.resolve(seg) if seg else frozenset()
        if not (P and seg_orgs and not (P & seg_orgs)):
            return OrgVerdict("fuzzy_same", "fuzzy_same", {"org": org, "printed": shown})
    return OrgVerdict(
        "unknown" if not printed else "different", "no_match", {"printed": shown}
    )
