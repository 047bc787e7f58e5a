"""Evidence from enrichment: a member's OpenReview profile and OpenAlex's record of the paper.

Pure: the enrichment step (papertally's use-case layer) fetches profiles and works, turns
them into the values below and hands them to the matcher on each mention. Each function
returns the Evidence of one kind with its own sentence, or None when it has nothing to say.

- `profile_history`: the profile's history places the author at the member's organisation
  in the paper's year: strong, like a printed affiliation that matches.
- `profile_ids`: an ORCID on the profile agrees with (or differs from) the roster's.
- `openalex_ids`: OpenAlex's author id or ORCID for this byline position agrees or differs.
- `openalex_institution`: OpenAlex's institution (ROR) for this author is the member's.
- `openalex_awards`: OpenAlex lists one of the program's grant numbers for the paper
  (acknowledgement evidence: it says the paper is the program's, not who the author is).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from matching.model import Evidence, Mention, Person
from matching.names import token_keys
from matching.orgs import AGREE, compare_orgs_cached
from matching.text import bare_openalex_id, grant_key, normalise_orcid
from matching.weights import W_AFF_MISMATCH, W_AFF_RELATED, W_ID_AGREE, W_ID_DISAGREE

# Log-odds weights, on the scale of matching.match's (affiliation match 3.0, id 6.0).
W_PROFILE_PLACES = 3.0
W_PROFILE_EMAIL = 1.0  # a confirmed e-mail at the organisation's domain (today, not that year)
W_INSTITUTION = 3.0
W_AWARD = 0.5
# A member printed on page 1 with the roster's organisation: as strong as a source's
# per-author affiliation (the issue: "strong evidence"); another organisation, or a sister
# entity, weighs as a source's would (only when no source printed this author's own).
W_PDF_AFFILIATION = 3.0
# The paper's full text acknowledges the program's grant number: says the paper is the
# program's (a member is likely among its authors), not which author is the member.
W_PDF_ACKNOWLEDGES = 0.5

# One sentence per evidence key (templates filled with the params of each Evidence).
SENTENCES = {
    "openreview.places": "OpenReview {profile}: {position} at {org} {years}, covering {year}",
    "openreview.email": "OpenReview {profile}: confirmed e-mail at {domain}, the domain of {org}",
    "openreview.orcid_agree": "ORCID on OpenReview {profile} matches ({orcid})",
    "openreview.orcid_differs": "ORCID on OpenReview {profile} differs ({orcid}; roster {roster})",
    "openalex.author_agree": "OpenAlex {work}: {label} of this author matches ({value})",
    "openalex.author_differs": "OpenAlex {work}: {label} of this author differs ({value}; roster {roster})",
    "openalex.institution": "OpenAlex {work}: institution {org}{ror} matches",
    "openalex.award": "OpenAlex {work} lists award {award}, the program's grant number",
    "pdf.affiliation": "{line} (organisation matches)",
    "pdf.affiliation_related": "{line} ({theirs} is related to but not the same as {ours})",
    "pdf.affiliation_different": "{line} (printed affiliation {theirs} is not {ours})",
    "pdf.affiliation_no_match": "{line} (printed affiliation does not match; roster: {roster})",
    "pdf.acknowledges": "{line}",
}


@dataclass(frozen=True)
class Stint:
    """One entry of a profile's history."""

    org: str
    start: int | None = None
    end: int | None = None
    position: str | None = None
    domain: str | None = None

    def covers(self, year: int) -> bool:
        return (self.start is None or self.start <= year) and (self.end is None or self.end >= year)

    def years(self) -> str:
        if self.start is None and self.end is None:
            return "(no years given)"
        return f"{self.start or '?'}–{self.end or 'present'}"


@dataclass(frozen=True)
class ProfileFacts:
    """What an OpenReview profile says about an author."""

    profile_id: str
    stints: tuple[Stint, ...] = ()
    email_domains: tuple[str, ...] = ()
    orcid: str | None = None
    dblp_pid: str | None = None


@dataclass(frozen=True)
class Institution:
    name: str
    ror: str | None = None
    country: str | None = None


@dataclass(frozen=True)
class OpenAlexAuthorFacts:
    """What OpenAlex's record of the paper says about the author at one byline position."""

    work_id: str
    openalex_id: str | None = None
    orcid: str | None = None
    institutions: tuple[Institution, ...] = ()


def _evidence(kind: str, key: str, weight: float, **params: str) -> Evidence:
    """Evidence of `kind` (what the guards read: "id", "affiliation", "funding") with its
    own sentence `key` (SENTENCES) and the params that fill it."""
    return Evidence(kind, weight, SENTENCES[key].format(**params), key, params)


def _orgs(person: Person) -> tuple[str, ...]:
    return tuple(a for a in (person.affiliation, *person.affiliation_aliases) if a.strip())


def profile_history(person: Person, profile: ProfileFacts, year: int) -> Evidence | None:
    """The first history entry covering `year` at the member's organisation, as evidence."""
    orgs = _orgs(person)
    if not orgs:
        return None
    for stint in profile.stints:
        if not stint.covers(year):
            continue
        verdict = compare_orgs_cached(orgs, (stint.org,))
        if verdict.kind in AGREE:
            return _evidence(
                "affiliation", "openreview.places", W_PROFILE_PLACES,
                profile=profile.profile_id,
                position=stint.position or "member",
                org=stint.org, years=stint.years(), year=str(year),
            )
    return None


def profile_email(person: Person, profile: ProfileFacts) -> Evidence | None:
    """A confirmed e-mail at the domain of the member's organisation (the domain the profile
    itself gives that organisation in its history). E-mails are confirmed now, not in the
    paper's year: weaker than a history entry, and it never confirms a link on its own."""
    orgs = _orgs(person)
    if not orgs or not profile.email_domains:
        return None
    for stint in profile.stints:
        if not stint.domain or compare_orgs_cached(orgs, (stint.org,)).kind not in AGREE:
            continue
        for domain in profile.email_domains:
            if domain == stint.domain or domain.endswith("." + stint.domain):
                return _evidence(
                    "email", "openreview.email", W_PROFILE_EMAIL,
                    profile=profile.profile_id, domain=domain, org=stint.org,
                )
    return None


def profile_ids(person: Person, profile: ProfileFacts) -> Evidence | None:
    """The profile's ORCID against the roster's (nothing when either is missing)."""
    ours, theirs = normalise_orcid(person.orcid), normalise_orcid(profile.orcid)
    if not ours or not theirs:
        return None
    if ours == theirs:
        return _evidence(
            "id", "openreview.orcid_agree", W_ID_AGREE, profile=profile.profile_id, orcid=theirs
        )
    return _evidence(
        "id", "openreview.orcid_differs", W_ID_DISAGREE,
        profile=profile.profile_id, orcid=theirs, roster=ours,
    )


def openalex_ids(person: Person, author: OpenAlexAuthorFacts) -> list[Evidence]:
    """OpenAlex's ORCID and author id for this author against the roster's."""
    found = []
    for label, theirs, ours in (
        ("ORCID", normalise_orcid(author.orcid), normalise_orcid(person.orcid)),
        (
            "OpenAlex author ID",
            bare_openalex_id(author.openalex_id),
            bare_openalex_id(person.openalex_id),
        ),
    ):
        if not theirs or not ours:
            continue
        if theirs == ours:
            found.append(
                _evidence(
                    "id", "openalex.author_agree", W_ID_AGREE,
                    work=author.work_id, label=label, value=theirs,
                )
            )
        else:
            found.append(
                _evidence(
                    "id", "openalex.author_differs", W_ID_DISAGREE,
                    work=author.work_id, label=label, value=theirs, roster=ours,
                )
            )
    return found


def openalex_institution(person: Person, author: OpenAlexAuthorFacts) -> Evidence | None:
    """An institution OpenAlex resolved for this author that is the member's organisation
    (by ROR through the organisation table, else by name)."""
    orgs = _orgs(person)
    for inst in author.institutions:
        verdict = compare_orgs_cached(
            orgs, (inst.name,) if inst.name else (), (inst.ror,) if inst.ror else ()
        )
        if orgs and verdict.kind in AGREE:
            return _evidence(
                "affiliation", "openalex.institution", W_INSTITUTION,
                work=author.work_id, org=inst.name or "?",
                ror=f" (ROR {inst.ror})" if inst.ror else "",
            )
    return None


def openalex_awards(
    work_id: str, awards: Iterable[str], grant_numbers: Iterable[str]
) -> Evidence | None:
    """The first of OpenAlex's awards for the paper that is one of the program's numbers."""
    program = {grant_key(g): g for g in grant_numbers if grant_key(g)}
    for award in awards:
        if grant_key(award) in program:
            return _evidence(
                "funding", "openalex.award", W_AWARD, work=work_id, award=program[grant_key(award)]
            )
    return None


def align_authors(byline: list[str], other: list[str]) -> dict[int, int]:
    """Which author of another source's byline (OpenAlex's) is which printed author.

    Returns {index in `byline`: index in `other`}. The same position is taken when the
    names share a token (romanization-insensitive: "Ohta" = "Ota"); otherwise the one
    author in `other` sharing a token with it, if exactly one does. An author with no
    partner is left out: evidence is never given to the wrong person.
    """
    keys = [token_keys(n) for n in other]
    aligned: dict[int, int] = {}
    taken: set[int] = set()
    for i, name in enumerate(byline):
        mine = token_keys(name)
        if i < len(other) and mine & keys[i]:
            aligned[i] = i
            taken.add(i)
    for i, name in enumerate(byline):
        if i in aligned:
            continue
        mine = token_keys(name)
        partners = [j for j, k in enumerate(keys) if j not in taken and mine & k]
        if len(partners) == 1:
            aligned[i] = partners[0]
            taken.add(partners[0])
    return aligned


def profile_facts_from(data: dict) -> ProfileFacts:
    """A ProfileFacts from its JSON-ready dict (dataclasses.asdict), as the cache keeps it."""
    return ProfileFacts(
        profile_id=data["profile_id"],
        stints=tuple(Stint(**s) for s in data.get("stints", ())),
        email_domains=tuple(data.get("email_domains", ())),
        orcid=data.get("orcid"),
        dblp_pid=data.get("dblp_pid"),
    )


def author_facts_from(data: dict) -> OpenAlexAuthorFacts:
    """An OpenAlexAuthorFacts from its JSON-ready dict (other keys ignored)."""
    return OpenAlexAuthorFacts(
        work_id=data["work_id"],
        openalex_id=data.get("openalex_id"),
        orcid=data.get("orcid"),
        institutions=tuple(Institution(**i) for i in data.get("institutions", ())),
    )


@dataclass(frozen=True)
class PdfAuthorFacts:
    """What the PDF's first page prints next to one author (matching.authorblock)."""

    affiliations: tuple[str, ...]
    email_domains: tuple[str, ...]
    line: str  # PrintedAuthor.explain(): 'PDF p.1: "Kazuki Sato¹ ... ¹Univ. of X (x.ac.jp)"'


@dataclass(frozen=True)
class AcknowledgementFacts:
    """The paper's acknowledgement verdict (matching.attribution)."""

    status: str  # acknowledged | funder_only | not_acknowledged
    numbers: tuple[str, ...]
    line: str  # Acknowledgement.explain(): 'acknowledges JPNP20006 (p.9: "...")'


def pdf_affiliation(
    person: Person, facts: PdfAuthorFacts, *, printed_elsewhere: bool = False
) -> Evidence | None:
    """The affiliation printed next to the author on page 1 against the member's
    organisation: the same one (strong), a sister entity, or another one. With
    `printed_elsewhere` (a source printed this author's own affiliation, already weighed)
    only agreement is added."""
    orgs = _orgs(person)
    if not orgs or not facts.affiliations:
        return None
    verdict = compare_orgs_cached(orgs, facts.affiliations)
    if verdict.kind in AGREE:
        return _evidence("affiliation", "pdf.affiliation", W_PDF_AFFILIATION, line=facts.line)
    if printed_elsewhere or verdict.kind not in ("related", "different"):
        return None
    params = {k: str(v) for k, v in verdict.params.items() if k != "printed"}
    return _evidence(
        "affiliation",
        f"pdf.affiliation_{verdict.key}",
        W_AFF_RELATED if verdict.kind == "related" else W_AFF_MISMATCH,
        line=facts.line,
        roster="; ".join(orgs),
        **params,
    )


def pdf_acknowledgement(facts: AcknowledgementFacts) -> Evidence | None:
    """The full text names one of the program's grant numbers."""
    if facts.status != "acknowledged":
        return None
    return _evidence("funding", "pdf.acknowledges", W_PDF_ACKNOWLEDGES, line=facts.line)


@dataclass(frozen=True)
class MentionEnrichment:
    """What enrichment learnt about one mention's author (and paper)."""

    profile: ProfileFacts | None = None  # the OpenReview profile of the id printed
    openalex: OpenAlexAuthorFacts | None = None  # OpenAlex's author at this byline place
    openalex_work: str | None = None  # the paper's OpenAlex W id
    openalex_awards: tuple[str, ...] = ()  # the paper's award numbers in OpenAlex
    pdf_author: PdfAuthorFacts | None = None  # page 1's author block for this author
    acknowledgement: AcknowledgementFacts | None = None  # the paper's full text


def attach(mentions: Iterable[Mention], cached: Mapping[str, Mapping[str, dict]]) -> list[Mention]:
    """The mentions with `enrichment` set from the cache, where it has something on them.

    Args:
        mentions: as loaded for matching.
        cached: paper_id -> enricher kind -> the cached `data` of an answered row
            ("openreview": {"profiles": {~id: ProfileFacts dict}}, "openalex": {"work":
            {...}, "authors": {position: {...facts, "name": printed}}}, "fulltext":
            {"acknowledgement": {...}, "ack_line": str, "authors": [{position, name,
            affiliations, email_domains, line}]}).

    OpenAlex's author is given to a mention at the same byline position only when the
    printed names share a token (a source with another author order gets nothing).
    """
    out = []
    for m in mentions:
        data = cached.get(m.paper_id)
        if not data:
            out.append(m)
            continue
        profile = None
        profiles = (data.get("openreview") or {}).get("profiles") or {}
        if m.openreview_id and m.openreview_id in profiles:
            profile = profile_facts_from(profiles[m.openreview_id])
        oa = data.get("openalex") or {}
        author = None
        position = m.key.rsplit("#", 1)[-1]
        entry = (oa.get("authors") or {}).get(position)
        if entry and token_keys(m.name) & token_keys(entry.get("name") or ""):
            author = author_facts_from(entry)
        work = oa.get("work") or {}
        pdf_author, ack = _fulltext_facts(data.get("fulltext") or {}, m, position)
        found = MentionEnrichment(
            profile=profile,
            openalex=author,
            openalex_work=work.get("work_id"),
            openalex_awards=tuple(work.get("awards") or ()),
            pdf_author=pdf_author,
            acknowledgement=ack,
        )
        out.append(replace(m, enrichment=found) if found != MentionEnrichment() else m)
    return out


def _fulltext_facts(
    data: dict, m: Mention, position: str
) -> tuple[PdfAuthorFacts | None, AcknowledgementFacts | None]:
    """Page 1's line for this mention (same byline position and a shared name token) and
    the paper's acknowledgement, from the full-text enricher's cached data."""
    if not data:
        return None, None
    ack = data.get("acknowledgement") or {}
    facts = (
        AcknowledgementFacts(ack["status"], tuple(ack.get("numbers", ())), data.get("ack_line", ""))
        if ack.get("status")
        else None
    )
    a = page_one_author(data.get("authors", ()), m.name, position)
    printed = (
        PdfAuthorFacts(
            tuple(a.get("affiliations", ())), tuple(a.get("email_domains", ())), a.get("line", "")
        )
        if a is not None
        else None
    )
    return printed, facts


def page_one_author(authors: Iterable[dict], name: str, position: int | str) -> dict | None:
    """The author page 1 of the full text prints at this byline `position` (the full-text
    enricher's cached `authors`), when the names there share a token; None otherwise."""
    for a in authors:
        if str(a.get("position")) == str(position) and token_keys(name) & token_keys(
            a.get("name") or ""
        ):
            return a
    return None
