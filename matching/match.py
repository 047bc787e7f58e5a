"""Matching author mentions to roster members: blocking, evidence, score and status."""

from __future__ import annotations

import dataclasses
import gc
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from matching.context import MatchContext, NameStats, Rule, normalise_id
from matching.evidence import evidence, explained
from matching.kinds import (
    KINDS,
    W_AFF_MATCH,
    W_AFF_MISMATCH,
    W_AFF_RELATED,
    W_NAME,
    W_PAPER_AFF_MATCH,
    W_PAPER_AFF_MISMATCH,
    W_RARITY,
    W_WINDOW,
    EvidenceKind,
    NameHit,
    Pair,
    AffHit,
    PreFilter,
    Rarity,
    Scored,
    coauthor_evidence,
)
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
from matching.orgs import AGREE, compare_orgs_cached, normalise_org
from matching.text import grant_key

__all__ = [
    "KINDS",
    "MATCHER_VERSION",
    "EvidenceKind",
    "MatchContext",
    "NameStats",
    "PersonIndex",
    "Rule",
    "match_all",
]

# Bump whenever scoring or decisions change: stored with every machine decision.
MATCHER_VERSION = "1.5.0"
# A name rated at most this rare (log10(5): a fifth of "common") is "fairly common".
FAIRLY_COMMON = math.log10(5)


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


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _name_candidates(
    index: PersonIndex, m: Mention, cache: dict
) -> dict[int, NameHit]:
    """person -> the best name agreement of this mention with one of their names."""
    found: dict[int, NameHit] = {}
    if index.by_ja and has_cjk(m.name):
        for i in index.by_ja.get(ja_key(m.name), ()):
            found[i] = NameHit(
                "exact", 1.0, evidence("name.ja", W_NAME["exact"], printed=m.name)
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
                old = found.get(entry.person)
                if old is None or (hit.strength, primary) > (old.strength, old.primary):
                    found[entry.person] = (
                        hit if primary else dataclasses.replace(hit, primary=False)
                    )
    return found


def _agree(
    index: PersonIndex, entry: _NameEntry, s: NameSplit, printed: str
) -> NameHit | None:
    """How one reading of a printed name agrees with one roster name (primary reading)."""
    japanese = index.japanese[entry.person]
    if entry.family_letters != s.family_letters and not japanese:
        return None  # romaji-only family agreement counts for Japanese names only
    agreement = compare_given(entry.given_parts, s.given_parts, japanese)
    if agreement is None:
        return None
    level, strength = agreement
    if level == "exact" and entry.family_letters != s.family_letters:
        level, strength = "variant", min(strength, 0.95)
    key, params = describe(f"{entry.given} {entry.family}".strip(), printed, level)
    if entry.label != "roster name":
        params["via"] = entry.label
    weight = W_NAME[level] * (strength if level in ("exact", "variant") else 1.0)
    return NameHit(level, strength, evidence(key, weight, **params))


def _mention_ids(m: Mention) -> list[tuple[str, str]]:
    out = []
    for scheme, value in (
        ("orcid", m.orcid),
        ("openalex", m.openalex_id),
        ("openreview", m.openreview_id),
        ("dblp", m.dblp_pid),
        ("ieee", m.ieee_id),
    ):
        if value:
            norm = normalise_id(scheme, value)
            if norm:
                out.append((scheme, norm))
    return out


_NO_AFF = evidence("affiliation.none_printed", 0.0)
_NO_ROSTER_AFF = evidence("affiliation.no_roster", 0.0)


class Matcher:
    """Scores mentions against a prepared roster; `match_all` is the one-call form.

    Evidence objects are immutable and shared: the same affiliation comparison, name
    agreement or name-rarity note is built once and reused across mentions. The evidence
    comes from `kinds` (the registry in matching/kinds.py), which the pre-filter also reads.
    """

    def __init__(
        self,
        persons: Sequence[Person],
        context: MatchContext | None = None,
        kinds: Sequence[EvidenceKind] = KINDS,
    ):
        self.index = PersonIndex(persons)
        self.persons = self.index.persons
        self.context = context or MatchContext()
        self.stats = self.context.name_stats
        self.kinds = tuple(kinds)
        self.before_pass = tuple(k for k in self.kinds if not k.after_pass)
        self.prefilter = PreFilter.of(self.kinds)
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
            grant_key(g) for g in self.context.grant_numbers if grant_key(g)
        }
        self._name_cache: dict = {}
        self._aff_cache: dict = {}
        self._rarity_cache: dict[int, Rarity] = {}
        self._window_cache: dict = {}
        self._names_by_printed: dict = {}
        self._name_bounds: dict = {}
        # (paper_id, person) -> (bound, pair) for pairs below the keep floor that a kind
        # known only after the pass (a confirmed co-author from the project) could lift.
        self.maybe: dict[tuple[str, int], tuple[float, Pair]] = {}
        # Logit below which a plain rejected name coincidence is not kept (None: keep all).
        keep = self.context.keep_rejected_from
        self.drop_below: float | None = (
            math.log(keep / (1 - keep)) if 0.0 < keep < 1.0 else None
        )

    def score_mention(self, m: Mention) -> list[Scored]:
        """Every person this mention could be, with evidence (pure non-matches omitted)."""
        nkey = (m.name, m.given, m.family)
        names = self._names_by_printed.get(nkey)
        if names is None:
            names = _name_candidates(self.index, m, self._name_cache)
            if len(self._names_by_printed) < 2_000_000:
                self._names_by_printed[nkey] = names
        # The pre-filter's name-only part per member, for this printed name (cached).
        name_bounds = self._name_bounds.get(nkey) if names else None
        ids = (
            _mention_ids(m)
            if (m.orcid or m.openalex_id or m.openreview_id or m.dblp_pid or m.ieee_id)
            else ()
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
        pf = self.prefilter
        for i in set(names) | set(id_persons) | set(rule_hits):
            pair = Pair(
                m,
                i,
                names.get(i),
                ids,
                tuple(id_persons.get(i, ())),
                tuple(rule_hits.get(i, ())),
                own,
                paper,
                rors,
                funded,
            )
            if floor is not None:
                # The optimistic logit from the registry: a pair that would be a plain
                # name coincidence is dropped before any evidence is built.
                if name_bounds is None:
                    name_bounds = {}
                    if len(self._name_bounds) < 2_000_000:
                        self._name_bounds[nkey] = name_bounds
                nb = name_bounds.get(i)
                if nb is None:
                    nb = name_bounds[i] = pf.by_name_total(self, pair)
                est = pf.estimate(self, pair, nb)
                if est < floor and not pf.decided(self, pair):
                    if est + pf.after_pass >= floor:
                        # Only a confirmed co-author could lift it: keep it, score later.
                        key = (m.paper_id, i)
                        old = self.maybe.get(key)
                        if old is None or est > old[0]:
                            self.maybe[key] = (est, pair)
                    continue
            out.append(self.score(pair))
        return out

    def score(self, pair: Pair) -> Scored:
        """The evidence of every kind for one pair (the co-author kind adds its own later)."""
        sc = Scored(pair.mention, pair.person)
        for k in self.before_pass:
            k.score(self, pair, sc)
        return sc

    def rarity(self, i: int) -> Rarity:
        """How common member i's full name is among the harvested mentions (cached)."""
        hit = self._rarity_cache.get(i)
        if hit is None:
            p = self.index.persons[i]
            freq = (
                self.stats.full_name(p.family_name, p.given_name or "")
                if self.stats is not None
                else None
            )
            if freq is None:
                hit = Rarity(None, True)  # no statistics: every name counts as common
            else:
                word = (
                    "common"
                    if freq.common
                    else "fairly_common"
                    if freq.rarity <= FAIRLY_COMMON
                    else "rare"
                )
                group = "_ja_ranking" if freq.by_ranking else "_ja" if freq.japanese else ""
                group += "_by_family" if freq.family_sets else ""
                ev = evidence(
                    f"name_rarity.{word}{group}",
                    round(W_RARITY * freq.rarity, 3),
                    name=f"{p.given_name or ''} {p.family_name}".strip(),
                    family=p.family_name,
                    one_in=f"{round(1 / (freq.family_share * freq.given_share)):,}",
                    family_one_in=f"{round(1 / freq.family_share):,}",
                )
                hit = Rarity(ev, freq.common)
            self._rarity_cache[i] = hit
        return hit

    def window(self, day, start, end) -> Evidence | None:
        """Evidence that a paper of `day` is outside a membership window (None: inside)."""
        key = (day, start, end)
        if key not in self._window_cache:
            w = None
            if start and day < start:
                w = evidence(
                    "window.before", W_WINDOW, day=str(day), start=str(start)
                )
            elif end and day > end:
                w = evidence("window.after", W_WINDOW, day=str(day), end=str(end))
            self._window_cache[key] = w
        return self._window_cache[key]

    def affiliation(
        self,
        i: int,
        own: tuple[str, ...],
        paper: tuple[str, ...],
        rors: tuple[str, ...] = (),
    ) -> AffHit:
        """Member i's organisation against printed affiliations (cached)."""
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
    def _affiliation_evidence(p: Person, person_affs, own, paper, rors=()) -> AffHit:
        if not person_affs:
            return AffHit(_NO_ROSTER_AFF, False)
        if own or rors:
            v = compare_orgs_cached(person_affs, own, rors)
            if v.kind in AGREE:
                return AffHit(
                    evidence(f"affiliation.{v.key}", W_AFF_MATCH, **v.params), True
                )
            if v.kind == "related":
                return AffHit(
                    evidence("affiliation.related", W_AFF_RELATED, **v.params), False
                )
            return AffHit(
                evidence(
                    f"affiliation.{v.key}", W_AFF_MISMATCH, **v.params, roster=p_aff(p)
                ),
                False,
            )
        if paper:
            v = compare_orgs_cached(person_affs, paper)
            if v.kind in AGREE:
                return AffHit(
                    evidence(
                        f"affiliation.paper_{v.key}", W_PAPER_AFF_MATCH, **v.params
                    ),
                    True,
                )
            if v.kind == "related":
                return AffHit(
                    evidence("affiliation.paper_related", W_AFF_RELATED, **v.params),
                    False,
                )
            return AffHit(
                evidence(
                    "affiliation.paper_missing", W_PAPER_AFF_MISMATCH, roster=p_aff(p)
                ),
                False,
            )
        return AffHit(_NO_AFF, False)

    def _funded(self, m: Mention) -> bool:
        if (
            self.funders
            and m.funders
            and any(normalise_org(f) in self.funders for f in m.funders)
        ):
            return True
        return bool(self.grants) and any(grant_key(a) in self.grants for a in m.awards)

    def decide(
        self, sc: Scored, confirm_threshold: float, review_threshold: float
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
        cap = None
        if status == "confirmed" and sc.forced is None and not sc.id_agrees:
            reason = None
            if sc.name_level not in ("exact", "variant"):
                reason = (
                    "cap.initials" if sc.name_level == "initials" else "cap.family_only"
                )
            elif not sc.aff_support and (
                sc.common_name or not any(e.kind == "coauthor" for e in sc.evidence)
            ):
                # Never confirm on a name alone: without an identifier or an affiliation,
                # only a rare name with a confirmed co-author from the project may confirm.
                reason = "cap.no_support"
            if reason:
                # A cap, shown as one: the evidence summed higher, the score stops below
                # the confirm threshold.
                status = "needs_review"
                score = min(score, confirm_threshold - 0.01)
                cap = evidence(reason, 0.0, score=f"{score:.2f}")
        return Candidate(
            paper_id=sc.mention.paper_id,
            person_id=self.index.persons[sc.person].person_id,
            mention_key=sc.mention.key,
            score=round(score, 4),
            status=status,
            evidence=(*sc.evidence, cap) if cap else tuple(sc.evidence),
            explanation=_explain(status, sc.evidence, cap),
        )


def p_aff(p: Person) -> str:
    """The roster affiliation as shown in explanations."""
    return p.affiliation or "the roster affiliation"


_STATUS_WORD = {
    "confirmed": "Confirmed",
    "needs_review": "Needs review",
    "rejected": "Rejected",
}


def _explain(
    status: Status, evidence: Sequence[Evidence], cap: Evidence | None = None
) -> str:
    """One line: the status (and a cap, if one held the score), then the pieces that
    decided it, strongest first."""
    shown, cap = explained((*evidence, cap) if cap is not None else evidence)
    head = _STATUS_WORD[status] + (f" ({cap.detail})" if cap is not None else "")
    return f"{head}: " + "; ".join(e.detail for e in shown)


def match_all(
    mentions: Iterable[Mention],
    persons: Sequence[Person],
    *,
    confirm_threshold: float,
    review_threshold: float,
    context: MatchContext | None = None,
    kinds: Sequence[EvidenceKind] = KINDS,
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
        kinds: the evidence registry (matching/kinds.py); tests add kinds to it.
    Raises:
        ValueError: when the thresholds are not 0 <= review <= confirm <= 1.
    """
    if not 0.0 <= review_threshold <= confirm_threshold <= 1.0:
        raise ValueError(
            f"thresholds must satisfy 0 <= review ({review_threshold}) <= confirm ({confirm_threshold}) <= 1"
        )
    matcher = Matcher(persons, context, kinds)
    gc_was_enabled = gc.isenabled()
    gc.disable()  # millions of short-lived acyclic objects: the cyclic collector only costs time
    try:
        return _match(matcher, mentions, confirm_threshold, review_threshold)
    finally:
        if gc_was_enabled:
            gc.enable()


@dataclass(frozen=True)
class _Best:
    """The best-scoring mention of a (paper, person) pair so far."""

    logit: float  # forced decisions sort first (confirmed) or last (rejected)
    mention_key: str
    scored: Scored


def _match(
    matcher: Matcher,
    mentions: Iterable[Mention],
    confirm_threshold: float,
    review_threshold: float,
) -> list[Candidate]:
    best: dict[tuple[str, int], _Best] = {}
    for m in mentions:
        for sc in matcher.score_mention(m):
            key = (m.paper_id, sc.person)
            logit = (
                sc.logit
                if sc.forced is None
                else (100.0 if sc.forced == "confirmed" else -100.0 + sc.logit)
            )
            old = best.get(key)
            if old is None or (logit, old.mention_key) > (old.logit, m.key):
                best[key] = _Best(logit, m.key, sc)
    # Co-authorship with other confirmed members of the same project: links confirmed by
    # staff or earlier passes (context) and the ones this pass confirms. Pairs below the
    # keep floor are decided only if a co-author could lift them.
    floor = matcher.drop_below
    decided: dict[tuple[str, int], Candidate] = {}
    pending: list[tuple[str, int]] = []
    for key, b in best.items():
        sc = b.scored
        if floor is None or sc.forced is not None or b.logit >= floor or _has_id(sc):
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
    for key, (_, pair) in matcher.maybe.items():
        if key not in best and key[0] in confirmed_by_paper:
            sc = matcher.score(pair)
            best[key] = _Best(sc.logit, sc.mention.key, sc)
            pending.append(key)
    out = []
    for key in [*decided, *pending]:
        cand = decided.get(key)
        sc = best[key].scored
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
                sc = dataclasses.replace(
                    sc, evidence=[*sc.evidence, coauthor_evidence(names)]
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


def _has_id(sc: Scored) -> bool:
    return any(e.kind in ("id", "rule") for e in sc.evidence)


def _person_name(p: Person) -> str:
    return f"{p.given_name or ''} {p.family_name}".strip()
