"""Matching author mentions to roster members: blocking, evidence, score and status."""

from __future__ import annotations

import gc
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from matching.context import MatchContext, NameStats, Rule, normalise_id
from matching.model import Candidate, Evidence, Mention, Person, Status
from matching.names import (
    NameSplit,
    Part,
    compare_given,
    describe,
    german_spelling,
    has_cjk,
    is_japanese_like,
    ja_key,
    kana_reading,
    name_readings,
    name_splits,
    romaji_key,
    spellings,
    split_of,
    token_keys,
)
from matching.orgs import compare_orgs_cached, normalise_org

__all__ = [
    "MATCHER_VERSION",
    "MatchContext",
    "NameStats",
    "PersonIndex",
    "Rule",
    "match_all",
]

# Bump whenever scoring or decisions change: stored with every machine decision.
MATCHER_VERSION = "1.1.1"

# Log-odds weights. The score is the logistic of their sum, so 0.85 needs a sum of 1.73
# and 0.45 a sum of -0.2 (the config defaults).
PRIOR = -2.0
W_NAME = {"exact": 2.0, "variant": 1.9, "initials": 0.6, "family_only": 0.2}
W_UNCERTAIN_ORDER = -0.2
W_RARITY = (
    1.0  # times NameStats.rarity: -1 (Wang: 1 in 30) .. +1 (1 in 10,000 or rarer)
)
W_AFF_MATCH = 3.0
# A different printed affiliation sends only a rare full name to review (a member who
# moved, a misprinted institute); a common one is rejected.
W_AFF_MISMATCH = -1.1
W_AFF_RELATED = 1.0  # sister entity (Sony AI for Sony Group): review, never confirm
W_PAPER_AFF_MATCH = 1.5
W_PAPER_AFF_MISMATCH = -1.0
W_ID_AGREE = 6.0
W_ID_DISAGREE = -6.0
W_COAUTHOR = 1.5
W_FUNDING = 0.5
W_WINDOW = -10.0


@dataclass(frozen=True)
class _NameEntry:
    person: int
    family: str  # as the roster writes it
    given: str
    family_letters: str
    given_parts: tuple[Part, ...]
    label: str  # "roster name" or "alias"


def _initial(parts: tuple[Part, ...]) -> str:
    if not parts:
        return ""
    return romaji_key(parts[0].text)[:1] or parts[0].text[:1]


class PersonIndex:
    """The roster prepared for matching: name blocks, identifier maps, normalised orgs."""

    def __init__(self, persons: Sequence[Person]):
        self.persons = list(persons)
        # Blocks: (family key, given key) for full given names (first part and joined),
        # (family key, initial) for mentions printed with initials, and roster names that
        # are themselves initials.
        self.by_given: dict[tuple[str, str], list[_NameEntry]] = defaultdict(list)
        self.by_initial: dict[tuple[str, str], list[_NameEntry]] = defaultdict(list)
        self.by_person_initial: dict[tuple[str, str], list[_NameEntry]] = defaultdict(
            list
        )
        self.by_id: dict[tuple[str, str], list[int]] = defaultdict(list)
        self.person_affs: list[tuple[str, ...]] = []
        self.japanese: list[bool] = []
        # Keys of family names and of each word of multi-word family names, for the quick
        # test in `might_match` (most mentions share no family name with the roster).
        self.family_tokens: set[str] = set()
        self.family_keys: set[str] = set()  # romaji keys of whole family names
        self.by_ja: dict[str, list[int]] = defaultdict(list)  # name_ja without spaces
        for i, p in enumerate(self.persons):
            self._add_names(i, p)
            for scheme, value in (("orcid", p.orcid), ("openalex", p.openalex_id)):
                norm = normalise_id(scheme, value)
                if norm:
                    self.by_id[(scheme, norm)].append(i)
            self.person_affs.append(
                tuple(
                    dict.fromkeys(
                        a.strip()
                        for a in (p.affiliation, *p.affiliation_aliases)
                        if a and a.strip()
                    )
                )
            )
            self.japanese.append(
                bool(p.name_ja)
                or is_japanese_like(f"{p.family_name}{p.given_name or ''}")
            )

    def _add_names(self, i: int, p: Person) -> None:
        seen = set()
        variants: list[tuple[NameSplit, str]] = []
        for s in name_splits("", p.given_name or "", p.family_name):
            variants.append((s, "roster name"))
        for alias in p.aliases:
            for s in name_splits(alias):
                variants.append((s, "alias"))
        if p.name_ja:
            self.by_ja[ja_key(p.name_ja.split("(")[0].split("（")[0])].append(i)
            reading = kana_reading(p.name_ja)
            if reading:
                variants.append(
                    (split_of(reading[0], reading[1], True), "roster kana reading")
                )
        # German spellings are entries of their own (Müller also under "mueller"); they
        # show the name as the roster writes it.
        spelled = [(sp, s, label) for s, label in variants for sp in spellings(s)]
        for s, shown, label in spelled:
            if (s.family_key, s.given_parts) in seen or not s.given_parts:
                continue
            seen.add((s.family_key, s.given_parts))
            entry = _NameEntry(
                i, shown.family, shown.given, s.family_letters, s.given_parts, label
            )
            fk = s.family_key
            self.family_tokens.add(fk)
            self.family_keys.add(fk)
            self.family_tokens.update(
                romaji_key(t) for t in re.split(r"[\s,\-‐‑]+", s.family) if t
            )
            first = s.given_parts[0]
            # A mention printed with initials is looked up under (family, initial).
            self.by_initial[(fk, _initial(s.given_parts))].append(entry)
            if first.initial:
                self.by_person_initial[(fk, first.text)].append(entry)
                continue
            keys = {
                romaji_key(first.text),
                romaji_key("".join(x.text for x in s.given_parts)),
            }
            for k in keys:
                self.by_given[(fk, k)].append(entry)

    def lookup(self, s: NameSplit) -> list[_NameEntry]:
        """Roster names that could agree with one reading of a printed name (the block)."""
        if not s.given_parts:
            return []
        fk = s.family_key
        first = s.given_parts[0]
        if first.initial:
            return self.by_initial.get((fk, first.text), [])
        k1 = romaji_key(first.text)
        out = list(self.by_given.get((fk, k1), ()))
        if len(s.given_parts) > 1:
            for e in self.by_given.get(
                (fk, romaji_key("".join(x.text for x in s.given_parts))), ()
            ):
                if e not in out:
                    out.append(e)
        out.extend(self.by_person_initial.get((fk, k1[:1]), ()))
        return out


@dataclass
class _Scored:
    """One (mention, person) pair being scored: evidence so far and the flags guards need."""

    mention: Mention
    person: int
    evidence: list[Evidence] = field(default_factory=list)
    forced: Status | None = None  # a rule or the membership window decided
    id_agrees: bool = False
    aff_support: bool = False
    common_name: bool = True
    name_level: str = ""

    @property
    def logit(self) -> float:
        total = PRIOR
        for e in self.evidence:
            total += e.weight
        return total


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


_NameHit = tuple[
    str, float, Evidence, bool
]  # level, strength, evidence, primary reading


def _name_candidates(
    index: PersonIndex, m: Mention, cache: dict
) -> dict[int, _NameHit]:
    """person -> the best name agreement of this mention with one of their names."""
    found: dict[int, _NameHit] = {}
    if index.by_ja and has_cjk(m.name):
        for i in index.by_ja.get(ja_key(m.name), ()):
            found[i] = (
                "exact",
                1.0,
                Evidence(
                    "name",
                    W_NAME["exact"],
                    f"name matches the roster's Japanese name ({m.name})",
                ),
                True,
            )
        return found
    if index.family_tokens.isdisjoint(token_keys(m.name)) and not (
        m.family and romaji_key(m.family) in index.family_tokens
    ):
        return found
    family_keys = index.family_keys
    for rank, (family, given, certain) in enumerate(
        name_readings(m.name, m.given, m.family)
    ):
        spelled = german_spelling(family)
        if romaji_key(family) not in family_keys and (
            spelled is None or romaji_key(spelled) not in family_keys
        ):
            continue  # no member has this family name: no need to parse the reading
        reading = split_of(family, given, certain)
        primary = rank == 0 or reading.certain
        for s in spellings(reading):
            for entry in index.lookup(s):
                key = (id(entry), m.name, s.family_letters, s.given_parts)
                hit = cache.get(key, False)
                if hit is False:
                    hit = _agree(index, entry, s, m.name)
                    cache[key] = hit
                if hit is None:
                    continue
                level, strength, ev = hit
                old = found.get(entry.person)
                if old is None or (strength, primary) > (old[1], old[3]):
                    found[entry.person] = (level, strength, ev, primary)
    return found


def _agree(
    index: PersonIndex, entry: _NameEntry, s: NameSplit, printed: str
) -> tuple[str, float, Evidence] | None:
    japanese = index.japanese[entry.person]
    if entry.family_letters != s.family_letters and not japanese:
        return None  # romaji-only family agreement counts for Japanese names only
    agreement = compare_given(entry.given_parts, s.given_parts, japanese)
    if agreement is None:
        return None
    level, strength = agreement
    if level == "exact" and entry.family_letters != s.family_letters:
        level, strength = "variant", min(strength, 0.95)
    detail = describe(f"{entry.given} {entry.family}".strip(), printed, level)
    if entry.label != "roster name":
        detail += f" ({entry.label})"
    weight = W_NAME[level] * (strength if level in ("exact", "variant") else 1.0)
    return level, strength, Evidence("name", weight, detail)


def _mention_ids(m: Mention) -> list[tuple[str, str]]:
    out = []
    for scheme, value in (
        ("orcid", m.orcid),
        ("openalex", m.openalex_id),
        ("openreview", m.openreview_id),
        ("dblp", m.dblp_pid),
    ):
        if value:
            norm = normalise_id(scheme, value)
            if norm:
                out.append((scheme, norm))
    return out


_ID_LABEL = {
    "orcid": "ORCID",
    "openalex": "OpenAlex author ID",
    "openreview": "OpenReview profile",
    "dblp": "dblp person ID",
}
_PERSON_ID_FIELD = {"orcid": "orcid", "openalex": "openalex_id"}
_AGREE = ("same", "part_of", "fuzzy_same")
_UNCERTAIN = Evidence("name", W_UNCERTAIN_ORDER, "name read in an unusual order")
_NO_AFF = Evidence("affiliation", 0.0, "no affiliation printed")
_NO_ROSTER_AFF = Evidence("affiliation", 0.0, "the roster gives no affiliation")


class Matcher:
    """Scores mentions against a prepared roster; `match_all` is the one-call form.

    Evidence objects are immutable and shared: the same affiliation comparison, name
    agreement or name-rarity note is built once and reused across mentions.
    """

    def __init__(self, persons: Sequence[Person], context: MatchContext | None = None):
        self.index = PersonIndex(persons)
        self.context = context or MatchContext()
        self.stats = self.context.name_stats
        self.rules_by_id: dict[tuple[str, str], list[Rule]] = defaultdict(list)
        self.org_rules: dict[int, list[Rule]] = defaultdict(list)
        pos = {p.person_id: i for i, p in enumerate(self.index.persons)}
        self.pos = pos
        for r in self.context.rules:
            if r.kind in ("id_is", "id_is_not"):
                norm = normalise_id(r.scheme or "", r.value)
                if norm:
                    self.rules_by_id[(r.scheme or "", norm)].append(r)
            elif r.person_id in pos:
                self.org_rules[pos[r.person_id]].append(r)
        self.funders = {
            normalise_org(f) for f in self.context.funder_names if f.strip()
        }
        self.grants = {
            _grant_key(g) for g in self.context.grant_numbers if _grant_key(g)
        }
        self._name_cache: dict = {}
        self._aff_cache: dict = {}
        self._rarity_cache: dict[int, tuple[Evidence | None, bool]] = {}
        self._window_cache: dict = {}
        self._names_by_printed: dict = {}
        # (paper_id, person) -> (estimate, _score arguments) for pairs below the keep floor
        # that a confirmed co-author from the same project could still lift.
        self.maybe: dict[tuple[str, int], tuple[float, tuple]] = {}
        # Logit below which a plain rejected name coincidence is not kept (None: keep all).
        keep = self.context.keep_rejected_from
        self.drop_below: float | None = (
            math.log(keep / (1 - keep)) if 0.0 < keep < 1.0 else None
        )

    def score_mention(self, m: Mention) -> list[_Scored]:
        """Every person this mention could be, with evidence (pure non-matches omitted)."""
        nkey = (m.name, m.given, m.family)
        names = self._names_by_printed.get(nkey)
        if names is None:
            names = _name_candidates(self.index, m, self._name_cache)
            # With each hit, the part of the logit that depends only on the name.
            names = {
                i: (
                    *hit,
                    PRIOR
                    + hit[2].weight
                    + (0.0 if hit[3] else W_UNCERTAIN_ORDER)
                    + self._rarity_weight(i),
                )
                for i, hit in names.items()
            }
            if len(self._names_by_printed) < 2_000_000:
                self._names_by_printed[nkey] = names
        ids = (
            _mention_ids(m)
            if (m.orcid or m.openalex_id or m.openreview_id or m.dblp_pid)
            else []
        )
        if not names and not ids:
            return []
        id_persons: dict[int, list[tuple[str, str]]] = defaultdict(list)
        rule_hits: dict[int, list[Rule]] = defaultdict(list)
        for key in ids:
            for i in self.index.by_id.get(key, ()):
                id_persons[i].append(key)
            for r in self.rules_by_id.get(key, ()):
                if r.person_id in self.pos:
                    rule_hits[self.pos[r.person_id]].append(r)
        funded = self._funded(m)
        own = tuple(a for a in m.affiliations if a and a.strip())
        rors = tuple(m.rors)
        paper = (
            ()
            if (own or rors)
            else tuple(a for a in m.paper_affiliations if a and a.strip())
        )
        out = []
        floor = self.drop_below
        for i in set(names) | set(id_persons) | set(rule_hits):
            name = names.get(i)
            if (
                floor is not None
                and name is not None
                and not ids
                and not (self.org_rules and i in self.org_rules)
            ):
                # Quick estimate of the logit from cached pieces: a pair that would be a
                # plain name coincidence is dropped before any object is built.
                est = name[4] + self._aff_hit(i, own, paper, rors)[0].weight
                if funded:
                    est += W_FUNDING
                p = self.index.persons[i]
                in_window = (
                    m.conference_date is None
                    or not (p.start_date or p.end_date)
                    or self._window(m.conference_date, p.start_date, p.end_date) is None
                )
                if est < floor and in_window:
                    if est + W_COAUTHOR >= floor:
                        # Only a confirmed co-author could lift it: keep the inputs, score later.
                        key = (m.paper_id, i)
                        old = self.maybe.get(key)
                        if old is None or est > old[0]:
                            self.maybe[key] = (
                                est,
                                (m, i, name, ids, (), (), own, paper, rors, funded),
                            )
                    continue
            out.append(
                self._score(
                    m,
                    i,
                    name,
                    ids,
                    id_persons.get(i, ()),
                    rule_hits.get(i, ()),
                    own,
                    paper,
                    rors,
                    funded,
                )
            )
        return out

    def _score(
        self, m, i, name, ids, id_hits, rules, own, paper, rors, funded
    ) -> _Scored:
        p = self.index.persons[i]
        sc = _Scored(m, i)
        ev = sc.evidence
        for r in rules:
            label = _ID_LABEL.get(r.scheme or "", r.scheme)
            why = f" ({r.reason})" if r.reason else ""
            if r.kind == "id_is":
                ev.append(
                    Evidence(
                        "rule",
                        W_ID_AGREE,
                        f"staff rule: {label} {r.value} is this person{why}",
                    )
                )
                sc.forced = "confirmed"
            else:
                ev.append(
                    Evidence(
                        "rule",
                        W_ID_DISAGREE,
                        f"staff rule: {label} {r.value} is not this person{why}",
                    )
                )
                sc.forced = "rejected"
        for scheme, value in id_hits:
            ev.append(
                Evidence("id", W_ID_AGREE, f"{_ID_LABEL[scheme]} matches ({value})")
            )
            sc.id_agrees = True
        for scheme, theirs in ids:
            attr = _PERSON_ID_FIELD.get(scheme)
            ours = normalise_id(scheme, getattr(p, attr)) if attr else None
            if ours and ours != theirs:
                ev.append(
                    Evidence(
                        "id",
                        W_ID_DISAGREE,
                        f"{_ID_LABEL[scheme]} differs (paper {theirs}, roster {ours})",
                    )
                )
        if name is None:
            ev.append(
                Evidence(
                    "name",
                    0.0,
                    f"name differs ({m.name} vs {p.given_name or ''} {p.family_name})",
                )
            )
        else:
            level, _strength, name_ev, primary, _base = name
            sc.name_level = level
            ev.append(name_ev)
            if not primary:
                ev.append(_UNCERTAIN)
        rarity_ev, sc.common_name = self._rarity(i)
        if rarity_ev is not None:
            ev.append(rarity_ev)
        self._affiliation(i, own, paper, rors, sc)
        if funded:
            ev.append(
                Evidence(
                    "funding", W_FUNDING, "paper acknowledges the program's funding"
                )
            )
        day = m.conference_date
        if day is not None and (p.start_date or p.end_date):
            w = self._window(day, p.start_date, p.end_date)
            if w is not None:
                ev.append(w)
                sc.forced = "rejected"
        return sc

    def _rarity_weight(self, i: int) -> float:
        ev = self._rarity(i)[0]
        return ev.weight if ev is not None else 0.0

    def _rarity(self, i: int) -> tuple[Evidence | None, bool]:
        hit = self._rarity_cache.get(i)
        if hit is None:
            p = self.index.persons[i]
            if self.stats is not None and self.stats.total:
                rarity = self.stats.rarity(p.family_name)
                common = self.stats.is_common(p.family_name)
                share = self.stats.share(p.family_name)
                freq = (
                    f"1 in {round(1 / share):,} mentions"
                    if share
                    else "not seen elsewhere"
                )
                word = (
                    "common"
                    if common
                    else "fairly common"
                    if share >= self.stats.common_share / 5
                    else "rare"
                )
                hit = (
                    Evidence(
                        "name_rarity",
                        round(W_RARITY * rarity, 3),
                        f"{p.family_name} is a {word} family name ({freq})",
                    ),
                    common,
                )
            else:
                hit = (None, True)  # no statistics: every name counts as common
            self._rarity_cache[i] = hit
        return hit

    def _window(self, day, start, end) -> Evidence | None:
        key = (day, start, end)
        if key not in self._window_cache:
            w = None
            if start and day < start:
                w = Evidence(
                    "window",
                    W_WINDOW,
                    f"paper ({day}) is before membership start {start}",
                )
            elif end and day > end:
                w = Evidence(
                    "window", W_WINDOW, f"paper ({day}) is after membership end {end}"
                )
            self._window_cache[key] = w
        return self._window_cache[key]

    def _affiliation(
        self,
        i: int,
        own: tuple[str, ...],
        paper: tuple[str, ...],
        rors: tuple[str, ...],
        sc: _Scored,
    ) -> None:
        for r in self.org_rules.get(i, ()):
            if own and compare_orgs_cached((r.value,), own).kind in _AGREE:
                why = f" ({r.reason})" if r.reason else ""
                sc.evidence.append(
                    Evidence(
                        "rule", W_ID_DISAGREE, f"staff rule: never at {r.value}{why}"
                    )
                )
                sc.forced = "rejected"
        hit = self._aff_hit(i, own, paper, rors)
        sc.evidence.append(hit[0])
        sc.aff_support = hit[1]

    def _aff_hit(
        self,
        i: int,
        own: tuple[str, ...],
        paper: tuple[str, ...],
        rors: tuple[str, ...] = (),
    ) -> tuple[Evidence, bool]:
        person_affs = self.index.person_affs[i]
        key = (person_affs, own, paper, rors)
        hit = self._aff_cache.get(key)
        if hit is None:
            hit = self._affiliation_evidence(
                self.index.persons[i], person_affs, own, paper, rors
            )
            self._aff_cache[key] = hit
        return hit

    @staticmethod
    def _affiliation_evidence(
        p: Person, person_affs, own, paper, rors=()
    ) -> tuple[Evidence, bool]:
        if not person_affs:
            return _NO_ROSTER_AFF, False
        if own or rors:
            v = compare_orgs_cached(person_affs, own, rors)
            if v.kind in _AGREE:
                return Evidence("affiliation", W_AFF_MATCH, v.detail), True
            if v.kind == "related":
                return Evidence("affiliation", W_AFF_RELATED, v.detail), False
            return Evidence(
                "affiliation", W_AFF_MISMATCH, f"{v.detail} (roster: {p_aff(p)})"
            ), False
        if paper:
            v = compare_orgs_cached(person_affs, paper)
            if v.kind in _AGREE:
                return Evidence(
                    "affiliation", W_PAPER_AFF_MATCH, f"paper-level list: {v.detail}"
                ), True
            if v.kind == "related":
                return Evidence(
                    "affiliation", W_AFF_RELATED, f"paper-level list: {v.detail}"
                ), False
            return Evidence(
                "affiliation",
                W_PAPER_AFF_MISMATCH,
                f"paper's affiliations do not include {p_aff(p)}",
            ), False
        return _NO_AFF, False

    def _funded(self, m: Mention) -> bool:
        if (
            self.funders
            and m.funders
            and any(normalise_org(f) in self.funders for f in m.funders)
        ):
            return True
        return bool(self.grants) and any(_grant_key(a) in self.grants for a in m.awards)

    def decide(
        self, sc: _Scored, confirm_threshold: float, review_threshold: float
    ) -> Candidate:
        """Turn evidence into a score and a status (with the guards that keep it honest)."""
        score = _sigmoid(sc.logit)
        if sc.forced == "confirmed":
            status: Status = "confirmed"
            score = max(score, confirm_threshold)
        elif sc.forced == "rejected":
            status = "rejected"
            score = min(score, max(review_threshold - 0.01, 0.0))
        elif score >= confirm_threshold:
            status = "confirmed"
        elif score >= review_threshold:
            status = "needs_review"
        else:
            status = "rejected"
        evidence = sc.evidence
        if status == "confirmed" and sc.forced is None and not sc.id_agrees:
            reason = None
            if sc.name_level not in ("exact", "variant"):
                reason = (
                    "initials alone never confirm"
                    if sc.name_level == "initials"
                    else "only the family name agrees"
                )
            elif not sc.aff_support and (
                sc.common_name or not any(e.kind == "coauthor" for e in evidence)
            ):
                # Never confirm on a name alone: without an identifier or an affiliation,
                # only a rare name with a confirmed co-author from the project may confirm.
                reason = "no identifier or affiliation supports it"
            if reason:
                status = "needs_review"
                score = min(score, confirm_threshold - 0.01)
                evidence = [*evidence, Evidence("guard", 0.0, reason)]
        return Candidate(
            paper_id=sc.mention.paper_id,
            person_id=self.index.persons[sc.person].person_id,
            mention_key=sc.mention.key,
            score=round(score, 4),
            status=status,
            evidence=tuple(evidence),
            explanation=_explain(status, evidence),
        )


def p_aff(p: Person) -> str:
    """The roster affiliation as shown in explanations."""
    return p.affiliation or "the roster affiliation"


def _grant_key(text: str) -> str:
    return "".join(c for c in text.upper() if c.isalnum())


_STATUS_WORD = {
    "confirmed": "Confirmed",
    "needs_review": "Needs review",
    "rejected": "Rejected",
}


def _explain(status: Status, evidence: Sequence[Evidence]) -> str:
    """One line: the status, then the pieces that decided it, strongest first."""
    shown = sorted(
        (e for e in evidence if e.weight != 0.0 or e.kind in ("guard", "affiliation")),
        key=lambda e: -abs(e.weight),
    )
    return f"{_STATUS_WORD[status]}: " + "; ".join(e.detail for e in shown)


def match_all(
    mentions: Iterable[Mention],
    persons: Sequence[Person],
    *,
    confirm_threshold: float,
    review_threshold: float,
    context: MatchContext | None = None,
) -> list[Candidate]:
    """Match every mention against the roster.

    Returns at most one Candidate per (paper_id, person_id) -- the best-scoring mention --
    and only candidates worth keeping: confirmed, needs_review, and rejected ones that a
    rule, an identifier or the membership window decided or that scored at least
    `context.keep_rejected_from` (a plain name coincidence is not returned). Co-authorship
    evidence uses `context.confirmed_links` plus the links this pass confirms. Mentions are
    consumed once and not kept, so memory grows with the candidates, not the input.

    Args:
        mentions: author mentions as printed (any iterable; consumed once).
        persons: the roster.
        confirm_threshold: a score at or above it is `confirmed` (guards permitting).
        review_threshold: a score at or above it (and below confirm) is `needs_review`.
        context: name statistics, staff rules, confirmed links, program funding.
    Raises:
        ValueError: when the thresholds are not 0 <= review <= confirm <= 1.
    """
    if not 0.0 <= review_threshold <= confirm_threshold <= 1.0:
        raise ValueError(
            f"thresholds must satisfy 0 <= review ({review_threshold}) <= confirm ({confirm_threshold}) <= 1"
        )
    matcher = Matcher(persons, context)
    gc_was_enabled = gc.isenabled()
    gc.disable()  # millions of short-lived acyclic objects: the cyclic collector only costs time
    try:
        return _match(matcher, mentions, confirm_threshold, review_threshold)
    finally:
        if gc_was_enabled:
            gc.enable()


def _match(
    matcher: Matcher,
    mentions: Iterable[Mention],
    confirm_threshold: float,
    review_threshold: float,
) -> list[Candidate]:
    best: dict[tuple[str, int], tuple[float, str, _Scored]] = {}
    for m in mentions:
        for sc in matcher.score_mention(m):
            key = (m.paper_id, sc.person)
            logit = (
                sc.logit
                if sc.forced is None
                else (100.0 if sc.forced == "confirmed" else -100.0 + sc.logit)
            )
            old = best.get(key)
            if old is None or (logit, old[1]) > (old[0], m.key):
                best[key] = (logit, m.key, sc)
    # Co-authorship with other confirmed members of the same project: links confirmed by
    # staff or earlier passes (context) and the ones this pass confirms. Pairs below the
    # keep floor are decided only if a co-author could lift them.
    floor = matcher.drop_below
    decided: dict[tuple[str, int], Candidate] = {}
    pending: list[tuple[str, int]] = []
    for key, (logit, _, sc) in best.items():
        if floor is None or sc.forced is not None or logit >= floor or _has_id(sc):
            decided[key] = matcher.decide(sc, confirm_threshold, review_threshold)
        else:
            pending.append(key)
    persons_list = matcher.index.persons
    confirmed_by_paper: dict[str, set[int]] = defaultdict(set)
    for paper_id, person_id in matcher.context.confirmed_links:
        if person_id in matcher.pos:
            confirmed_by_paper[paper_id].add(matcher.pos[person_id])
    for (paper_id, i), cand in decided.items():
        if cand.status == "confirmed":
            confirmed_by_paper[paper_id].add(i)
    for key, (_, args) in matcher.maybe.items():
        if key not in best and key[0] in confirmed_by_paper:
            sc = matcher._score(*args)
            best[key] = (sc.logit, sc.mention.key, sc)
            pending.append(key)
    out = []
    for key in [*decided, *pending]:
        cand = decided.get(key)
        sc = best[key][2]
        if (
            (cand is None or cand.status != "confirmed")
            and sc.forced is None
            and sc.name_level
            and key[0] in confirmed_by_paper
        ):
            me = persons_list[sc.person]
            mates = [
                q
                for q in confirmed_by_paper[key[0]]
                if q != sc.person and persons_list[q].project_id == me.project_id
            ]
            if mates:
                names = ", ".join(sorted(_person_name(persons_list[q]) for q in mates))
                sc = _Scored(
                    sc.mention,
                    sc.person,
                    [
                        *sc.evidence,
                        Evidence(
                            "coauthor",
                            W_COAUTHOR,
                            f"co-author {names} is a confirmed member of the same project",
                        ),
                    ],
                    sc.forced,
                    sc.id_agrees,
                    sc.aff_support,
                    sc.common_name,
                    sc.name_level,
                )
                cand = matcher.decide(sc, confirm_threshold, review_threshold)
        if cand is None:
            continue  # below the floor and no co-author to lift it
        coincidence = (
            cand.status == "rejected" and floor is not None and sc.forced is None
        )
        if coincidence and not _has_id(sc) and sc.logit < floor:
            continue  # a name coincidence: not worth keeping (MatchContext.keep_rejected_from)
        out.append(cand)
    return out


def _has_id(sc: _Scored) -> bool:
    return any(e.kind in ("id", "rule") for e in sc.evidence)


def _person_name(p: Person) -> str:
    return f"{p.given_name or ''} {p.family_name}".strip()
