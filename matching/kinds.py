"""The evidence registry: one function per evidence kind, with its weights and best contribution.

The score of a (mention, person) pair is the logistic of PRIOR plus the weights of the
evidence that the kinds in `KINDS` write, in that order. The blocking pre-filter
(`Matcher.bound`) reads the same list: for each kind it adds the kind's exact weight when
the kind can tell it cheaply (`bound`), else its best possible contribution (`best`), and
a kind that decides the pair on its own (a staff rule, an identifier, the membership
window) keeps the pair whatever the bound. So a new kind cannot be forgotten by the
pre-filter: until it says otherwise, it is assumed to add its best.

Adding a kind: write `def _my_kind(mt, pair, sc)` appending Evidence to `sc.evidence`
(built with `matching.evidence.evidence(key, weight, **params)`, its sentence added to
`matching.evidence.SENTENCES`), and add `EvidenceKind("my_kind", {...weights...}, _my_kind)`
to `KINDS` at the place its evidence should appear.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from matching import enriched
from matching.context import Rule, normalise_id
from matching.enriched import (
    W_PDF_ACKNOWLEDGES,
    W_PDF_AFFILIATION,
    pdf_acknowledgement,
    pdf_affiliation,
)
from matching.evidence import evidence
from matching.model import Evidence, Mention, Person, Status
from matching.weights import W_AFF_MATCH, W_AFF_MISMATCH, W_AFF_RELATED, W_ID_AGREE, W_ID_DISAGREE

# Log-odds weights. The score is the logistic of their sum, so 0.85 needs a sum of 1.73
# and 0.45 a sum of -0.2 (the config defaults).
PRIOR = -2.0
W_NAME = {"exact": 2.0, "variant": 1.9, "initials": 0.6, "family_only": 0.2}
W_UNCERTAIN_ORDER = -0.2
W_RARITY = (
    1.0  # times NameStats.rarity: -1 (Wang: 1 in 30) .. +1 (1 in 10,000 or rarer)
)
W_PAPER_AFF_MATCH = 1.5
W_PAPER_AFF_MISMATCH = -1.0
W_COAUTHOR = 1.5
W_FUNDING = 0.5
W_WINDOW = -10.0


@dataclass(frozen=True)
class Rarity:
    """How common a member's name is: the evidence saying so, and whether it counts as common."""

    evidence: Evidence | None
    common: bool


@dataclass(frozen=True)
class AffHit:
    """A member's organisation against a mention's printed affiliations."""

    evidence: Evidence
    support: bool  # the affiliation agrees (guards: a name alone never confirms)


class Matcher(Protocol):
    """What the kinds read from `matching.match.Matcher` (its cached lookups)."""

    @property
    def persons(self) -> Sequence[Person]: ...

    @property
    def org_rules(self) -> Mapping[int, Sequence[Rule]]: ...

    def rarity(self, i: int) -> Rarity: ...

    def affiliation(self, i: int, own, paper, rors) -> AffHit: ...

    def window(self, day: dt.date, start, end) -> Evidence | None: ...

    @property
    def grants(self) -> frozenset[str] | set[str]: ...  # the program's grant numbers, as keys


@dataclass(frozen=True)
class NameHit:
    """The best agreement of a printed name with one of a member's roster names."""

    level: str  # exact | variant | initials | family_only
    strength: float  # 0..1 within the level
    evidence: Evidence
    primary: bool = True  # the printed name's most likely reading (else: unusual order)


@dataclass(frozen=True)
class Pair:
    """One (mention, person) pair and everything its evidence kinds read."""

    mention: Mention
    person: int  # index into the roster
    name: NameHit | None  # None: only an identifier or a rule brought the pair
    ids: tuple[tuple[str, str], ...] = ()  # the mention's (scheme, normalised id)
    id_hits: tuple[tuple[str, str], ...] = ()  # those the member has too
    rules: tuple[Rule, ...] = ()  # staff identifier rules about this mention
    own: tuple[str, ...] = ()  # the author's own printed affiliations
    paper: tuple[str, ...] = ()  # the paper-level list, when there are no own ones
    rors: tuple[str, ...] = ()
    funded: bool = False


@dataclass
class Scored:
    """One pair being scored: evidence so far and the flags the guards read."""

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


@dataclass(frozen=True)
class EvidenceKind:
    """One kind of evidence: its weights, how it scores a pair, what the pre-filter assumes.

    name: the registry name.
    weights: every weight it can write (by outcome); `best` is the largest, or 0.
    score: appends the kind's evidence for a pair to the Scored (and sets its flags).
    bound: its exact contribution from cached pieces, for the pre-filter: a function of
        the pair, or a constant (0.0: writes nothing unless it decides the pair); None:
        the pre-filter assumes `best`.
    by_name: `bound` depends only on the printed name and the member (cached per name).
    decides: True when the kind alone decides this pair (it is then always scored).
    after_pass: known only once the whole pass has run (co-authorship with the members
        the pass confirms); the pre-filter keeps a pair its `best` could still lift.
    """

    name: str
    weights: Mapping[str, float]
    score: Callable[[Matcher, Pair, Scored], None]
    bound: Callable[[Matcher, Pair], float] | float | None = None
    by_name: bool = False
    decides: Callable[[Matcher, Pair], bool] | None = None
    after_pass: bool = False

    @property
    def best(self) -> float:
        """The most this kind can add to a pair's logit."""
        return max(0.0, *self.weights.values())


_ID_LABEL = {
    "orcid": "ORCID",
    "openalex": "OpenAlex author ID",
    "openreview": "OpenReview profile",
    "dblp": "dblp person ID",
    "ieee": "IEEE author ID",
}
_PERSON_ID_FIELD = {"orcid": "orcid", "openalex": "openalex_id"}
_UNCERTAIN = evidence("name.unusual_order", W_UNCERTAIN_ORDER)
_FUNDED = evidence("funding.acknowledged", W_FUNDING)


def _id_rule(mt: Matcher, pair: Pair, sc: Scored) -> None:
    """Staff rules on an identifier the mention carries: this person, or never them."""
    for r in pair.rules:
        params = {
            "scheme": r.scheme or "",
            "label": _ID_LABEL.get(r.scheme or "", r.scheme or ""),
            "value": r.value,
            "reason": r.reason,
        }
        if r.kind == "id_is":
            sc.evidence.append(evidence("rule.id_is", W_ID_AGREE, **params))
            sc.forced = "confirmed"
        else:
            sc.evidence.append(evidence("rule.id_is_not", W_ID_DISAGREE, **params))
            sc.forced = "rejected"


def _identifier(mt: Matcher, pair: Pair, sc: Scored) -> None:
    """Identifiers the member shares with the mention, and ones that differ."""
    for scheme, value in pair.id_hits:
        sc.evidence.append(
            evidence(
                "id.agree", W_ID_AGREE, scheme=scheme, label=_ID_LABEL[scheme], value=value
            )
        )
        sc.id_agrees = True
    p = mt.persons[pair.person]
    for scheme, theirs in pair.ids:
        attr = _PERSON_ID_FIELD.get(scheme)
        ours = normalise_id(scheme, getattr(p, attr)) if attr else None
        if ours and ours != theirs:
            sc.evidence.append(
                evidence(
                    "id.differs",
                    W_ID_DISAGREE,
                    scheme=scheme,
                    label=_ID_LABEL[scheme],
                    paper=theirs,
                    roster=ours,
                )
            )


def _name(mt: Matcher, pair: Pair, sc: Scored) -> None:
    """How the printed name agrees with the member's names (and whether its order is sure)."""
    name = pair.name
    if name is None:
        p = mt.persons[pair.person]
        sc.evidence.append(
            evidence(
                "name.differs",
                0.0,
                printed=pair.mention.name,
                roster=f"{p.given_name or ''} {p.family_name}",
            )
        )
        return
    sc.name_level = name.level
    sc.evidence.append(name.evidence)
    if not name.primary:
        sc.evidence.append(_UNCERTAIN)


def _name_bound(mt: Matcher, pair: Pair) -> float:
    name = pair.name
    if name is None:
        return 0.0
    return name.evidence.weight + (0.0 if name.primary else W_UNCERTAIN_ORDER)


def _name_rarity(mt: Matcher, pair: Pair, sc: Scored) -> None:
    """How common the member's name is among the harvested mentions."""
    rarity = mt.rarity(pair.person)
    sc.common_name = rarity.common
    if rarity.evidence is not None:
        sc.evidence.append(rarity.evidence)


def _rarity_bound(mt: Matcher, pair: Pair) -> float:
    ev = mt.rarity(pair.person).evidence
    return ev.weight if ev is not None else 0.0


def _org_rule(mt: Matcher, pair: Pair, sc: Scored) -> None:
    """Staff rules that the member was never at the organisation printed."""
    from matching.orgs import AGREE, compare_orgs_cached

    for r in mt.org_rules.get(pair.person, ()):
        if pair.own and compare_orgs_cached((r.value,), pair.own).kind in AGREE:
            sc.evidence.append(
                evidence("rule.never_at", W_ID_DISAGREE, org=r.value, reason=r.reason)
            )
            sc.forced = "rejected"


def _affiliation(mt: Matcher, pair: Pair, sc: Scored) -> None:
    """The printed affiliation against the member's organisation."""
    hit = mt.affiliation(pair.person, pair.own, pair.paper, pair.rors)
    facts = _pdf_author(pair)
    if hit.evidence.key == "affiliation.none_printed" and facts and facts.affiliations:
        return  # page 1 prints it (pdf_affiliation weighs it): "none printed" would mislead
    sc.evidence.append(hit.evidence)
    sc.aff_support = hit.support


def _affiliation_bound(mt: Matcher, pair: Pair) -> float:
    return mt.affiliation(pair.person, pair.own, pair.paper, pair.rors).evidence.weight


def _funding(mt: Matcher, pair: Pair, sc: Scored) -> None:
    """The paper acknowledges the program's funding (funder name or grant number)."""
    if pair.funded:
        sc.evidence.append(_FUNDED)


def _pdf_author(pair: Pair):
    """Page 1's author block entry for the pair's mention (enrichment), or None."""
    return getattr(pair.mention.enrichment, "pdf_author", None)


def _pdf_affiliation_evidence(mt: Matcher, pair: Pair) -> Evidence | None:
    facts = _pdf_author(pair)
    if not facts:
        return None
    return pdf_affiliation(mt.persons[pair.person], facts, printed_elsewhere=bool(pair.own))


def _pdf_affiliation(mt: Matcher, pair: Pair, sc: Scored) -> None:
    """The PDF's first page prints this author with the member's organisation (or, when no
    source printed the author's own, with another one or a sister entity)."""
    found = _pdf_affiliation_evidence(mt, pair)
    if found is not None:
        sc.evidence.append(found)
        if found.key == "pdf.affiliation":
            sc.aff_support = True  # a printed affiliation that agrees, like a source's own


def _pdf_acknowledgement_evidence(pair: Pair) -> Evidence | None:
    facts = getattr(pair.mention.enrichment, "acknowledgement", None)
    # A source's own funding record already counted it (`funding`): not twice.
    return pdf_acknowledgement(facts) if facts and not pair.funded else None


def _pdf_acknowledgement(mt: Matcher, pair: Pair, sc: Scored) -> None:
    """The paper's full text acknowledges one of the program's grant numbers."""
    found = _pdf_acknowledgement_evidence(pair)
    if found is not None:
        sc.evidence.append(found)


def _window(mt: Matcher, pair: Pair, sc: Scored) -> None:
    """A paper outside the member's membership window is never theirs."""
    w = _outside_window(mt, pair)
    if w is not None:
        sc.evidence.append(w)
        sc.forced = "rejected"


def _outside_window(mt: Matcher, pair: Pair) -> Evidence | None:
    day = pair.mention.conference_date
    p = mt.persons[pair.person]
    if day is None or not (p.start_date or p.end_date):
        return None
    return mt.window(day, p.start_date, p.end_date)


def _add(sc: Scored, found: Sequence[Evidence]) -> None:
    """Append enrichment evidence, raising the flags the guards read (an agreeing
    identifier; an affiliation that supports the pair)."""
    for e in found:
        sc.evidence.append(e)
        if e.weight > 0 and e.kind == "id":
            sc.id_agrees = True
        if e.weight > 0 and e.kind == "affiliation":
            sc.aff_support = True


def _profile_found(mt: Matcher, pair: Pair) -> list[Evidence]:
    """The author's OpenReview profile: a history entry at the member's organisation in
    the paper's year (else a confirmed e-mail at its domain), and its ORCID against the
    roster's."""
    facts = getattr(pair.mention.enrichment, "profile", None)
    if facts is None:
        return []
    p = mt.persons[pair.person]
    day = pair.mention.conference_date
    places = enriched.profile_history(p, facts, day.year) if day else None
    found = [
        places,
        # the e-mail only when the history does not already place the member that year
        None if places else enriched.profile_email(p, facts),
        enriched.profile_ids(p, facts),
    ]
    return [e for e in found if e is not None]


def _openreview_profile(mt: Matcher, pair: Pair, sc: Scored) -> None:
    _add(sc, _profile_found(mt, pair))


def _openalex_found(mt: Matcher, pair: Pair) -> list[Evidence]:
    """OpenAlex's author at this byline place: ids against the roster's, and an
    institution (by ROR or name) that is the member's organisation."""
    facts = getattr(pair.mention.enrichment, "openalex", None)
    if facts is None:
        return []
    p = mt.persons[pair.person]
    inst = enriched.openalex_institution(p, facts)
    return [*enriched.openalex_ids(p, facts), *([inst] if inst else [])]


def _openalex_author(mt: Matcher, pair: Pair, sc: Scored) -> None:
    _add(sc, _openalex_found(mt, pair))


def _award_found(mt: Matcher, pair: Pair) -> list[Evidence]:
    """OpenAlex lists one of the program's grant numbers for the paper (unless the
    paper's own sources already said so: that is the `funding` kind)."""
    e = pair.mention.enrichment
    if e is None or pair.funded or not e.openalex_awards:
        return []
    found = enriched.openalex_awards(e.openalex_work or "", e.openalex_awards, mt.grants)
    return [found] if found else []


def _openalex_award(mt: Matcher, pair: Pair, sc: Scored) -> None:
    _add(sc, _award_found(mt, pair))


def _weight(find: Callable[[Matcher, Pair], list[Evidence]]) -> Callable[[Matcher, Pair], float]:
    """A kind's exact pre-filter bound: the weights it would write (only enriched
    mentions have any, so this is cheap)."""
    return lambda mt, pair: sum(e.weight for e in find(mt, pair)) if pair.mention.enrichment else 0.0


def _speaks_by_id(find: Callable[[Matcher, Pair], list[Evidence]]) -> Callable[[Matcher, Pair], bool]:
    """An identifier from enrichment speaks for or against the pair, like the mention's
    own (`identifier`): the pair is always scored and kept."""
    return lambda mt, pair: bool(pair.mention.enrichment) and any(
        e.kind == "id" for e in find(mt, pair)
    )


def _coauthor(mt: Matcher, pair: Pair, sc: Scored) -> None:
    """Written by `matching.match._match` once the pass knows the confirmed co-authors."""


def coauthor_evidence(names: str) -> Evidence:
    """Co-authorship with confirmed members of the same project (names joined)."""
    return evidence("coauthor.confirmed", W_COAUTHOR, names=names)


# The evidence kinds, in the order their evidence is listed.
KINDS: tuple[EvidenceKind, ...] = (
    EvidenceKind(
        "id_rule",
        {"id_is": W_ID_AGREE, "id_is_not": W_ID_DISAGREE},
        _id_rule,
        bound=0.0,
        decides=lambda mt, pair: bool(pair.rules),
    ),
    EvidenceKind(
        "identifier",
        {"agree": W_ID_AGREE, "differs": W_ID_DISAGREE},
        _identifier,
        bound=0.0,
        # An identifier speaks for or against the pair: never dropped as a coincidence.
        decides=lambda mt, pair: bool(pair.ids),
    ),
    EvidenceKind(
        "name",
        {**W_NAME, "unusual_order": W_UNCERTAIN_ORDER},
        _name,
        bound=_name_bound,
        by_name=True,
    ),
    EvidenceKind(
        "name_rarity",
        {"rarest": W_RARITY, "commonest": -W_RARITY},
        _name_rarity,
        bound=_rarity_bound,
        by_name=True,
    ),
    EvidenceKind(
        "org_rule",
        {"never_at": W_ID_DISAGREE},
        _org_rule,
        bound=0.0,
        decides=lambda mt, pair: pair.person in mt.org_rules,
    ),
    EvidenceKind(
        "affiliation",
        {
            "match": W_AFF_MATCH,
            "mismatch": W_AFF_MISMATCH,
            "related": W_AFF_RELATED,
            "paper_match": W_PAPER_AFF_MATCH,
            "paper_mismatch": W_PAPER_AFF_MISMATCH,
        },
        _affiliation,
        bound=_affiliation_bound,
    ),
    EvidenceKind(
        "funding",
        {"acknowledged": W_FUNDING},
        _funding,
        bound=lambda mt, pair: W_FUNDING if pair.funded else 0.0,
    ),
    EvidenceKind(
        "pdf_affiliation",
        {"match": W_PDF_AFFILIATION, "related": W_AFF_RELATED, "differs": W_AFF_MISMATCH},
        _pdf_affiliation,
        bound=lambda mt, pair: (e.weight if (e := _pdf_affiliation_evidence(mt, pair)) else 0.0),
    ),
    EvidenceKind(
        "pdf_acknowledgement",
        {"acknowledged": W_PDF_ACKNOWLEDGES},
        _pdf_acknowledgement,
        bound=lambda mt, pair: (e.weight if (e := _pdf_acknowledgement_evidence(pair)) else 0.0),
    ),
    EvidenceKind(
        "openreview_profile",
        {
            "places": enriched.W_PROFILE_PLACES,
            "email": enriched.W_PROFILE_EMAIL,
            "orcid_agree": W_ID_AGREE,
            "orcid_differs": W_ID_DISAGREE,
        },
        _openreview_profile,
        bound=_weight(_profile_found),
        decides=_speaks_by_id(_profile_found),
    ),
    EvidenceKind(
        "openalex_author",
        {
            "id_agree": W_ID_AGREE,
            "id_differs": W_ID_DISAGREE,
            "institution": enriched.W_INSTITUTION,
        },
        _openalex_author,
        bound=_weight(_openalex_found),
        decides=_speaks_by_id(_openalex_found),
    ),
    EvidenceKind(
        "openalex_award",
        {"award": enriched.W_AWARD},
        _openalex_award,
        bound=_weight(_award_found),
    ),
    EvidenceKind(
        "window",
        {"outside": W_WINDOW},
        _window,
        bound=0.0,
        decides=lambda mt, pair: _outside_window(mt, pair) is not None,
    ),
    EvidenceKind("coauthor", {"confirmed": W_COAUTHOR}, _coauthor, after_pass=True),
)


@dataclass(frozen=True)
class PreFilter:
    """The registry compiled for the blocking pre-filter (see `Matcher.score_mention`).

    A pair's optimistic logit before the pass ends is `by_name_total` (PRIOR, the kinds
    assumed at their best or constant, and the kinds that depend on the name only) plus
    each `by_pair` bound; a pair below the floor is still kept when a `decides` says so,
    and set aside when `after_pass` (the best of the kinds known after the pass) could
    lift it.
    """

    fixed: float
    by_name: tuple[Callable[[Matcher, Pair], float], ...]
    by_pair: tuple[Callable[[Matcher, Pair], float], ...]
    deciders: tuple[Callable[[Matcher, Pair], bool], ...]
    after_pass: float

    @classmethod
    def of(cls, kinds: tuple[EvidenceKind, ...]) -> PreFilter:
        """Compile `kinds`: every kind lands in exactly one of the bound's parts."""
        fixed = PRIOR
        by_name, by_pair, deciders, after = [], [], [], 0.0
        for k in kinds:
            if k.after_pass:
                after += k.best
                continue
            if k.decides is not None:
                deciders.append(k.decides)
            if k.bound is None:
                fixed += k.best
            elif callable(k.bound):
                (by_name if k.by_name else by_pair).append(k.bound)
            else:
                fixed += k.bound
        return cls(fixed, tuple(by_name), tuple(by_pair), tuple(deciders), after)

    def by_name_total(self, mt: Matcher, pair: Pair) -> float:
        """The part of the bound that depends only on the printed name and the member."""
        total = self.fixed
        for f in self.by_name:
            total += f(mt, pair)
        return total

    def estimate(self, mt: Matcher, pair: Pair, by_name_total: float) -> float:
        """The optimistic logit of `pair` before the pass ends."""
        total = by_name_total
        for f in self.by_pair:
            total += f(mt, pair)
        return total

    def decided(self, mt: Matcher, pair: Pair) -> bool:
        """True when some kind decides the pair on its own (always scored and kept)."""
        for d in self.deciders:
            if d(mt, pair):
                return True
        return False
