"""The values matching works on: a roster person, an author mention, evidence, a candidate link.

The matcher is pure: db/links.py loads Persons and Mentions from SQLite, calls
`matching.match.match_all(...)`, and stores the Candidates it returns.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

Status = Literal["confirmed", "needs_review", "rejected"]


@dataclass(frozen=True)
class Person:
    """A roster member (one row of the roster CSV)."""

    person_id: str
    project_id: str
    theme_id: str
    family_name: str
    given_name: str | None = None
    name_ja: str | None = None
    aliases: tuple[str, ...] = ()
    affiliation: str = ""
    affiliation_aliases: tuple[str, ...] = ()
    orcid: str | None = None
    openalex_id: str | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None


@dataclass(frozen=True)
class Mention:
    """One author as printed on one paper by one source (never rewritten to fit)."""

    key: str  # "<source>:<source_id>#<position>"
    paper_id: str
    name: str
    given: str | None = None
    family: str | None = None
    affiliations: tuple[str, ...] = ()  # this author's own, as printed
    paper_affiliations: tuple[str, ...] = ()  # paper-level list when the source has no per-author ones
    orcid: str | None = None
    openalex_id: str | None = None
    openreview_id: str | None = None
    dblp_pid: str | None = None
    ieee_id: str | None = None  # IEEE Xplore author id (ICRA, IROS)
    rors: tuple[str, ...] = ()
    conference_date: dt.date | None = None
    funders: tuple[str, ...] = ()
    awards: tuple[str, ...] = ()
    coauthors: tuple[str, ...] = ()  # the other printed names on the paper
    # What enrichment learnt (matching.enriched.MentionEnrichment): OpenReview profile,
    # OpenAlex's author and awards. None when the paper is not enriched.
    enrichment: object | None = field(default=None, compare=False, hash=False)


@dataclass(frozen=True)
class Evidence:
    """One explainable piece of evidence and its contribution to the score.

    `key` and `params` say the same as `detail` for a reader in another language: the
    sentence's stable key ("affiliation.different") and the strings that fill it (see
    matching/evidence.py, which holds every key's English template).
    """

    kind: str  # id, name, affiliation, funding, window, coauthor, name_rarity, rule, ...
    weight: float  # signed contribution
    detail: str  # one short readable sentence (English)
    key: str = ""
    params: Mapping[str, str] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class Candidate:
    """A proposed link between a paper and a roster person, with why."""

    paper_id: str
    person_id: str
    mention_key: str
    score: float  # 0..1
    status: Status
    evidence: tuple[Evidence, ...] = field(default=())
    explanation: str = ""  # one line a staff member can read
