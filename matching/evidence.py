"""Evidence sentences: one stable key per kind of sentence, its English template, its parameters.

Every Evidence the matcher writes carries `key` (e.g. "affiliation.different") and `params`
(display-ready strings, e.g. {"theirs": "KAIST", "ours": "AIST", "roster": "AIST"}); its
English `detail` is `SENTENCES[key]` filled with `params`. A reader in another language
translates the key and fills the same parameters. Two optional parameters are appended in
brackets rather than written into every template: `via` (which roster name agreed: "alias",
"roster kana reading") and `reason` (a staff rule's reason).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TypeVar

from matching.model import Evidence

# Sentences about two organisations (matching.orgs.OrgVerdict.key -> template).
ORG_SENTENCES = {
    "same": "affiliation {org} matches ({printed})",
    "part_of": "affiliation matches: {inner} is part of {outer} ({printed})",
    "fuzzy_same": "affiliation {org} matches ({printed})",
    "related": "{theirs} is related to but not the same as {ours} ({printed})",
    "different": "printed affiliation {theirs} is not {ours}",
    "no_match": "printed affiliation ({printed}) does not match",
}

SENTENCES: dict[str, str] = {
    "rule.id_is": "staff rule: {label} {value} is this person",
    "rule.id_is_not": "staff rule: {label} {value} is not this person",
    "rule.never_at": "staff rule: never at {org}",
    "id.agree": "{label} matches ({value})",
    "id.differs": "{label} differs (paper {paper}, roster {roster})",
    "name.same": "name matches ({printed})",
    "name.exact": "name matches ({printed} = {roster})",
    "name.variant": "name matches as a romanization variant ({printed} = {roster})",
    "name.initials": "name matches by initials only ({printed} ~ {roster})",
    "name.family_only": "only the family name matches ({printed} ~ {roster})",
    "name.ja": "name matches the roster's Japanese name ({printed})",
    "name.differs": "name differs ({printed} vs {roster})",
    "name.unusual_order": "name read in an unusual order",
    **{
        f"name_rarity.{key}{group}": template.format(word=word)
        for key, word in (
            ("common", "common"),
            ("fairly_common", "fairly common"),
            ("rare", "rare"),
        )
        for group, template in (
            ("", "{{name}} is a {word} name here (about 1 in {{one_in}} full names; {{family}}: 1 in {{family_one_in}} mentions)"),
            ("_ja", "{{name}} is a {word} name among the Japanese names here (about 1 in {{one_in}}; {{family}}: 1 in {{family_one_in}})"),
            (
                "_ja_ranking",
                "{{name}} is a {word} name among the Japanese names here (about 1 in {{one_in}}; {{family}}: 1 in {{family_one_in}} people in Japan)",
            ),
            # The family name's rating was the lower one and set the weight: say so, so a
            # rare full name with a common family name does not read "a common name".
            ("_by_family", "{{family}} is a {word} family name here (1 in {{family_one_in}} mentions; the full name {{name}}: about 1 in {{one_in}})"),
            ("_ja_by_family", "{{family}} is a {word} family name among the Japanese names here (1 in {{family_one_in}}; the full name {{name}}: about 1 in {{one_in}})"),
            (
                "_ja_ranking_by_family",
                "{{family}} is a {word} family name (1 in {{family_one_in}} people in Japan; the full name {{name}}: about 1 in {{one_in}} Japanese names here)",
            ),
        )
    },
    **{f"affiliation.{k}": v for k, v in ORG_SENTENCES.items() if k not in ("different", "no_match")},
    "affiliation.different": ORG_SENTENCES["different"] + " (roster: {roster})",
    "affiliation.no_match": ORG_SENTENCES["no_match"] + " (roster: {roster})",
    **{
        f"affiliation.paper_{k}": "paper-level list: " + v
        for k, v in ORG_SENTENCES.items()
        if k not in ("different", "no_match")
    },
    "affiliation.paper_missing": "paper's affiliations do not include {roster}",
    "affiliation.none_printed": "no affiliation printed",
    "affiliation.no_roster": "the roster gives no affiliation",
    "funding.acknowledged": "paper acknowledges the program's funding",
    "window.before": "paper ({day}) is before membership start {start}",
    "window.after": "paper ({day}) is after membership end {end}",
    "coauthor.confirmed": "co-author {names} is a confirmed member of the same project",
    "cap.initials": "capped at {score}: initials alone never confirm",
    "cap.family_only": "capped at {score}: only the family name agrees",
    "cap.no_support": "capped at {score}: no identifier or affiliation supports it",
}

# Parameters appended in brackets after the sentence when present.
APPENDED = ("via", "reason")


def sentence(key: str, params: Mapping[str, str]) -> str:
    """The English sentence of `key` filled with `params`.

    Raises:
        KeyError: `key` has no sentence, or the template needs a parameter not given.
    """
    text = SENTENCES[key].format_map(params)
    for name in APPENDED:
        if params.get(name):
            text += f" ({params[name]})"
    return text


def evidence(key: str, weight: float, **params: str) -> Evidence:
    """An Evidence of kind `key`'s prefix ("name" for "name.variant"), its sentence built."""
    return Evidence(key.split(".", 1)[0], weight, sentence(key, params), key, params)


E = TypeVar("E")

# Named in the explanation line even at weight 0 (a missing affiliation is worth saying).
ALWAYS_EXPLAINED = ("affiliation",)
CAP_KIND = "cap"


def _kind_weight(e) -> tuple[str, float]:
    return e.kind, e.weight


def explained(
    evidence: Iterable[E], kind_weight: Callable[[E], tuple[str, float]] = _kind_weight
) -> tuple[list[E], E | None]:
    """Which evidence the one-line explanation names: (the pieces that decided it, strongest
    first; the cap that held the score, or None). The matcher writes the line from its
    Evidence; the review page rewords it from the stored evidence (dicts) by passing
    `kind_weight`, so both pick the same pieces.

    Args:
        evidence: a link's evidence, its cap (kind "cap") among it or not.
        kind_weight: an item's (kind, weight); Evidence's attributes by default.
    """
    items = [(e, *kind_weight(e)) for e in evidence]
    shown = sorted(
        (x for x in items if x[2] != 0.0 or x[1] in ALWAYS_EXPLAINED), key=lambda x: -abs(x[2])
    )
    cap = next((e for e, kind, _ in items if kind == CAP_KIND), None)
    return [e for e, _, _ in shown], cap
