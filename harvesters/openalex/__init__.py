"""OpenAlex /works as a source: the parser (parse), the API calls (api), the gap lookup
(lookup) and the live plan with its snapshot cache (live), side by side."""

from __future__ import annotations

from harvesters.openalex.api import (
    MAX_PER_PAGE,
    PYALEX_HOST,
    SELECT,
    Query,
    SourceCandidate,
    api_key_from_env,
    auth_headers,
    count_works,
    fetch_openalex,
    find_sources,
    on_host,
    snapshot_fresh,
    snapshot_key,
    sources_url,
)
from harvesters.openalex.live import OpenAlexOptions, plan
from harvesters.openalex.lookup import (
    DEFAULT_RAW_SOURCE_NAMES,
    DOI_BATCH,
    LOOKUP_SELECT,
    TITLE_PER_PAGE,
    GapLookup,
    KnownPaper,
    VenueCheck,
    doi_lookup_url,
    lookup_url,
    title_lookup_url,
    work_keys,
)
from harvesters.openalex.parse import SOURCE, parse_openalex, track_for_doi
from harvesters.source import SourceSpec

SPEC = SourceSpec(
    name=SOURCE,
    title="OpenAlex",
    summary="OpenAlex works by the venue-year's source IDs, with a gap lookup",
    parse=parse_openalex,
    plan=plan,
    options=OpenAlexOptions,
    needs_ids=True,
)

__all__ = [
    "DEFAULT_RAW_SOURCE_NAMES",
    "DOI_BATCH",
    "LOOKUP_SELECT",
    "MAX_PER_PAGE",
    "PYALEX_HOST",
    "SELECT",
    "SOURCE",
    "SPEC",
    "TITLE_PER_PAGE",
    "GapLookup",
    "KnownPaper",
    "OpenAlexOptions",
    "Query",
    "SourceCandidate",
    "VenueCheck",
    "api_key_from_env",
    "auth_headers",
    "count_works",
    "doi_lookup_url",
    "fetch_openalex",
    "find_sources",
    "lookup_url",
    "on_host",
    "parse_openalex",
    "plan",
    "snapshot_fresh",
    "snapshot_key",
    "sources_url",
    "title_lookup_url",
    "track_for_doi",
    "work_keys",
]
