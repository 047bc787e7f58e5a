"""The plain records every harvester returns: a paper and its author mentions as printed."""

from __future__ import annotations

from dataclasses import dataclass, field

# Canonical track names. A parser maps each source's own label onto one of these;
# config.toml says which of them count for each venue.
TRACKS = (
    "main",  # CVPR / NeurIPS / ICRA main conference
    "datasets_benchmarks",  # NeurIPS Datasets & Benchmarks
    "long",
    "short",
    "findings",
    "demo",
    "srw",
    "industry",
    "tutorial",
    "workshop",
)


@dataclass(frozen=True)
class AuthorRecord:
    """One author *mention*: the name exactly as the source printed it, never rewritten.

    `given`/`family` are filled only when the source itself splits the name (ACL XML);
    otherwise the matcher parses `name`. IDs are bare (no URL prefix).
    """

    name: str
    position: int  # 1-based byline position
    affiliations: tuple[str, ...] = ()  # as printed, one string per affiliation
    given: str | None = None
    family: str | None = None
    orcid: str | None = None
    openalex_id: str | None = None
    openreview_id: str | None = None
    dblp_pid: str | None = None
    ieee_id: str | None = None
    anthology_id: str | None = None
    rors: tuple[str, ...] = ()  # institutions the source resolved, as bare ROR ids


@dataclass(frozen=True)
class PaperRecord:
    """One accepted paper as one source saw it."""

    source: str  # harvester name: paperlists, acl-anthology, openalex, cvf, ...
    source_id: str  # the source's own stable ID for this paper
    venue: str  # config venue key: CVPR, NeurIPS, ACL, ICRA
    year: int
    title: str  # plain text (markup and HTML entities resolved)
    authors: tuple[AuthorRecord, ...]
    track: str = "main"
    doi: str | None = None  # bare, lower case: 10.18653/v1/2023.acl-long.1
    url: str | None = None  # the source's page for the paper
    paper_affiliations: tuple[str, ...] = ()  # paper-level list when not per author (CVPR)
    funders: tuple[str, ...] = ()  # funder names/ids the source lists
    awards: tuple[str, ...] = ()  # grant numbers, split and stripped
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        if self.track not in TRACKS:
            raise ValueError(f"unknown track {self.track!r}; expected one of {TRACKS}")
