"""Matching author mentions to roster members: blocking, evidence, score and status."""

from __future__ import annotations

import math
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
    is_japanese_like,
    letters,
    name_splits,
    romaji_key,
)
from matching.orgs import compare_orgs_cached, normalise_org

__all__ = ["MATCHER_VERSION", "MatchContext", "NameStats", "Rule", "match_all", "PersonIndex"]

# Bump whenever scoring or decisions change: stored with every machine decision.
MATCHER_VERSION = "1.0.0"

# Log-odds weights. The score is the logistic of their sum, so 0.85 needs a sum of 1.73
# and 0.45 a sum of -0.2 (the config defaults).
PRIOR = -2.0
W_NAME = {"exact": 2.0, "variant": 1.9, "initials": 0.6, "family_only": 0.2}
W_UNCERTAIN_ORDER = -0.2
W_RARITY = 1.0  # times NameStats.rarity: -1 (Wang: 1 in 30) .. +1 (1 in 10,000 or rarer)
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
        self.by_block: dict[tuple[str, str], list[_NameEntry]] = defaultdict(list)
        self.by_id: dict[tuple[str, str], list[int]] = defaultdict(list)
        self.person_affs: list[tuple[str, ...]] = []
        self.japanese: list[bool] = []
        for i, p in enumerate(self.persons):
            self._add_names(i, p)
            for scheme, value in (("orcid", p.orcid), ("openalex", p.openalex_id)):
                norm = normalise_id(scheme, value)
                if norm:
                    self.by_id[(scheme, norm)].append(i)
            self.person_affs.append(
                tuple(dict.fromkeys(a.strip() for a in (p.affiliation, *p.affiliation_aliases) if a and a.strip()))
            )
            self.japanese.append(
                bool(p.name_ja) or is_japanese_like(f"{p.family_name}{p.given_name or ''}")
            )

    def _add_names(self, i: int, p: Person) -> None:
        seen = set()
        variants: list[tuple[NameSplit, str]] = []
        for s in name_splits("", p.given_name or "", p.family_name):
            variants.append((s, "roster name"))
        for alias in p.aliases:
            for s in name_splits(alias):
                variants.append((s, "alias"))
        for s, label in variants:
            key = (s.family_key, _initial(s.given_parts))
            if (key, s.given_parts) in seen:
                continue
            seen.add((key, s.given_parts))
            self.by_block[key].append(
                _NameEntry(i, s.family, s.given, s.family_letters, s.given_parts, label)
            )
            if s.given_parts:
                # A mention printed with initials only is found under the same initial;
                # a mention with no given name at all is found under "".
                self.by_block[(s.family_key, "")].append(
                    _NameEntry(i, s.family, s.given, s.family_letters, s.given_parts, label)
                )


@dataclass
class _Scored:
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
        return PRIOR + sum(e.weight for e in self.evidence)


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _name_candidates(index: PersonIndex, m: Mention) -> dict[int, tuple[str, float, str, bool]]:
    """person -> (level, strength, detail, certain reading) for the best name agreement."""
    found: dict[int, tuple[str, float, str, bool]] = {}
    splits = name_splits(m.name, m.given, m.family)
    for rank, s in enumerate(splits):
        key = (s.family_key, _initial(s.given_parts))
        for entry in index.by_block.get(key, ()):
            japanese = index.japanese[entry.person]
            if entry.family_letters != s.family_letters and not japanese:
                continue  # romaji-only family agreement counts for Japanese names only
            agreement = compare_given(entry.given_parts, s.given_parts, japanese)
            if agreement is None:
                continue
            level, strength = agreement
            if level == "exact" and entry.family_letters != s.family_letters:
                level, strength = "variant", min(strength, 0.95)
            primary = rank == 0 or s.certain
            person_name = f"{entry.given} {entry.family}".strip()
            detail = describe(person_name, m.name, level)
            if entry.label == "alias":
                detail += " (roster alias)"
            old = found.get(entry.person)
            value = (level, strength, detail, primary)
            if old is None or (strength, primary) > (old[1], old[3]):
                found[entry.person] = value
    return found


def _mention_ids(m: Mention) -> list[tuple[str, str]]:
    out = []
    for scheme, value in (
        ("orcid", m.orcid),
        ("openalex", m.openalex_id),
        ("openreview", m.openreview_id),
        ("dblp", m.dblp_pid),
    ):
        norm = normalise_id(scheme, value)
        if norm:
            out.append((scheme, norm))
    return out


_ID_LABEL = {"orcid": "ORCID", "openalex": "OpenAlex author ID", "openreview": "OpenReview profile", "dblp": "dblp person ID"}


class Matcher:
    """Scores mentions against a prepared roster; `match_all` is the one-call form."""

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
        self.funders = {normalise_org(f) for f in self.context.funder_names if f.strip()}
        self.grants = {_grant_key(g) for g in self.context.grant_numbers if _grant_key(g)}

    def score_mention(self, m: Mention) -> list[_Scored]:
        """Every person this mention could be, with evidence (pure non-matches omitted)."""
        names = _name_candidates(self.index, m)
        ids = _mention_ids(m)
        id_persons: dict[int, list[tuple[str, str]]] = defaultdict(list)
        for key in ids:
            for i in self.index.by_id.get(key, ()):
                id_persons[i].append(key)
        rule_hits: dict[int, list[Rule]] = defaultdict(list)
        for key in ids:
            for r in self.rules_by_id.get(key, ()):
                if r.person_id in self.pos:
                    rule_hits[self.pos[r.person_id]].append(r)
        out = []
        for i in set(names) | set(id_persons) | set(rule_hits):
            out.append(self._score(m, i, names.get(i), id_persons.get(i, []), rule_hits.get(i, [])))
        return out

    def _score(
        self,
        m: Mention,
        i: int,
        name: tuple[str, float, str, bool] | None,
        id_hits: list[tuple[str, str]],
        rules: list[Rule],
    ) -> _Scored:
        p = self.index.persons[i]
        sc = _Scored(m, i)
        ev = sc.evidence
        for r in rules:
            label = _ID_LABEL.get(r.scheme or "", r.scheme)
            why = f" ({r.reason})" if r.reason else ""
            if r.kind == "id_is":
                ev.append(Evidence("rule", W_ID_AGREE, f"staff rule: {label} {r.value} is this person{why}"))
                sc.forced = "confirmed"
            else:
                ev.append(Evidence("rule", W_ID_DISAGREE, f"staff rule: {label} {r.value} is not this person{why}"))
                sc.forced = "rejected"
        # Identifiers.
        for scheme, value in id_hits:
            ev.append(Evidence("id", W_ID_AGREE, f"{_ID_LABEL[scheme]} matches ({value})"))
            sc.id_agrees = True
        for scheme, theirs in _mention_ids(m):
            ours = normalise_id(scheme, getattr(p, "orcid" if scheme == "orcid" else "openalex_id", None)) if scheme in ("orcid", "openalex") else None
            if ours and ours != theirs:
                ev.append(Evidence("id", W_ID_DISAGREE, f"{_ID_LABEL[scheme]} differs (paper {theirs}, roster {ours})"))
        # Name.
        if name is None:
            ev.append(Evidence("name", 0.0, f"name differs ({m.name} vs {p.given_name or ''} {p.family_name})"))
        else:
            level, strength, detail, primary = name
            sc.name_level = level
            ev.append(Evidence("name", W_NAME[level] * (strength if level in ("exact", "variant") else 1.0), detail))
            if not primary:
                ev.append(Evidence("name", W_UNCERTAIN_ORDER, "name read in an unusual order"))
        # How common the family name is.
        if self.stats is not None and self.stats.total:
            rarity = self.stats.rarity(p.family_name)
            sc.common_name = self.stats.is_common(p.family_name)
            share = self.stats.share(p.family_name)
            freq = f"1 in {round(1 / share):,} mentions" if share else "not seen elsewhere"
            word = "common" if sc.common_name else "rare"
            ev.append(Evidence("name_rarity", round(W_RARITY * rarity, 3), f"{p.family_name} is a {word} family name ({freq})"))
        else:
            sc.common_name = True
        # Affiliation.
        self._affiliation(m, i, sc)
        # Funding acknowledgement.
        if self._funded(m):
            ev.append(Evidence("funding", W_FUNDING, "paper acknowledges the program's funding"))
        # Membership window.
        if m.conference_date is not None:
            if p.start_date and m.conference_date < p.start_date:
                ev.append(Evidence("window", W_WINDOW, f"paper ({m.conference_date}) is before membership start {p.start_date}"))
                sc.forced = "rejected"
            elif p.end_date and m.conference_date > p.end_date:
                ev.append(Evidence("window", W_WINDOW, f"paper ({m.conference_date}) is after membership end {p.end_date}"))
                sc.forced = "rejected"
        return sc

    def _affiliation(self, m: Mention, i: int, sc: _Scored) -> None:
        p = self.index.persons[i]
        person_affs = self.index.person_affs[i]
        own = tuple(a for a in m.affiliations if a and a.strip())
        for r in self.org_rules.get(i, ()):
            if own and compare_orgs_cached((r.value,), own).kind in _AGREE:
                why = f" ({r.reason})" if r.reason else ""
                sc.evidence.append(Evidence("rule", W_ID_DISAGREE, f"staff rule: never at {r.value}{why}"))
                sc.forced = "rejected"
        if not person_affs:
            sc.evidence.append(Evidence("affiliation", 0.0, "the roster gives no affiliation"))
            return
        if own:
            v = compare_orgs_cached(person_affs, own)
            if v.kind in _AGREE:
                sc.evidence.append(Evidence("affiliation", W_AFF_MATCH, v.detail))
                sc.aff_support = True
            elif v.kind == "related":
                sc.evidence.append(Evidence("affiliation", W_AFF_RELATED, v.detail))
            else:
                sc.evidence.append(Evidence("affiliation", W_AFF_MISMATCH, f"{v.detail} (roster: {p_aff(p)})"))
            return
        paper = tuple(a for a in m.paper_affiliations if a and a.strip())
        if paper:
            v = compare_orgs_cached(person_affs, paper)
            if v.kind in _AGREE:
                sc.evidence.append(Evidence("affiliation", W_PAPER_AFF_MATCH, f"paper-level list: {v.detail}"))
                sc.aff_support = True
            elif v.kind == "related":
                sc.evidence.append(Evidence("affiliation", W_AFF_RELATED, f"paper-level list: {v.detail}"))
            else:
                sc.evidence.append(Evidence("affiliation", W_PAPER_AFF_MISMATCH, f"paper's affiliations do not include {p_aff(p)}"))
            return
        sc.evidence.append(Evidence("affiliation", 0.0, "no affiliation printed"))

    def _funded(self, m: Mention) -> bool:
        if self.funders and any(normalise_org(f) in self.funders for f in m.funders):
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
        if status == "confirmed" and sc.forced is None and not sc.id_agrees:
            coauthor = any(e.kind == "coauthor" for e in sc.evidence)
            reason = None
            if sc.name_level not in ("exact", "variant"):
                reason = "initials alone never confirm" if sc.name_level == "initials" else "only the family name agrees"
            elif not sc.aff_support and (sc.common_name or not coauthor):
                # Never confirm on a name alone: without an identifier or an affiliation,
                # only a rare name with a confirmed co-author from the project may confirm.
                reason = "no identifier or affiliation supports it"
            if reason:
                status = "needs_review"
                score = min(score, confirm_threshold - 0.01)
                sc.evidence.append(Evidence("guard", 0.0, reason))
        p = self.index.persons[sc.person]
        return Candidate(
            paper_id=sc.mention.paper_id,
            person_id=p.person_id,
            mention_key=sc.mention.key,
            score=round(score, 4),
            status=status,
            evidence=tuple(sc.evidence),
            explanation=_explain(status, sc.evidence),
        )


def p_aff(p: Person) -> str:
    return p.affiliation or "the roster affiliation"


def _grant_key(text: str) -> str:
    return "".join(c for c in text.upper() if c.isalnum())


_AGREE = ("same", "part_of", "fuzzy_same")
_STATUS_WORD = {"confirmed": "Confirmed", "needs_review": "Needs review", "rejected": "Rejected"}


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
    and only candidates with some agreement (name, identifier or staff rule). Co-authorship
    evidence uses `context.confirmed_links` plus the links this pass confirms.

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
    best: dict[tuple[str, str], tuple[_Scored, Candidate]] = {}
    for m in mentions:
        for sc in matcher.score_mention(m):
            cand = matcher.decide(_copy(sc), confirm_threshold, review_threshold)
            key = (cand.paper_id, cand.person_id)
            old = best.get(key)
            if old is None or (cand.score, old[1].mention_key) > (old[1].score, cand.mention_key):
                best[key] = (sc, cand)
    # Second pass: co-authorship with other confirmed members of the same project.
    confirmed = set(matcher.context.confirmed_links)
    confirmed.update(k for k, (_, c) in best.items() if c.status == "confirmed")
    by_paper: dict[str, set[str]] = defaultdict(set)
    for paper_id, person_id in confirmed:
        if person_id in matcher.pos:
            by_paper[paper_id].add(person_id)
    persons_list = matcher.index.persons
    for key, (sc, cand) in list(best.items()):
        if cand.status == "confirmed" or sc.forced is not None or not sc.name_level:
            continue
        me = persons_list[sc.person]
        mates = [
            q for q in by_paper.get(cand.paper_id, ())
            if q != me.person_id and persons_list[matcher.pos[q]].project_id == me.project_id
        ]
        if mates:
            sc2 = _copy(sc)
            names = ", ".join(sorted(_person_name(persons_list[matcher.pos[q]]) for q in mates))
            sc2.evidence.append(Evidence("coauthor", W_COAUTHOR, f"co-author {names} is a confirmed member of the same project"))
            best[key] = (sc2, matcher.decide(sc2, confirm_threshold, review_threshold))
    return [c for _, c in best.values()]


def _person_name(p: Person) -> str:
    return f"{p.given_name or ''} {p.family_name}".strip()


def _copy(sc: _Scored) -> _Scored:
    return _Scored(
        sc.mention, sc.person, list(sc.evidence), sc.forced, sc.id_agrees, sc.aff_support,
        sc.common_name, sc.name_level,
    )
