"""OpenReview API v2 as a source: accepted notes with their authors' profiles (notes), and
the profiles themselves as records for enrichment (profiles), side by side."""

from __future__ import annotations

from harvesters.openreview.notes import (
    SOURCE,
    SPEC,
    fetch_openreview,
    parse_openreview,
    plan,
    profile_affiliations,
)
from harvesters.openreview.profiles import (
    PROFILE_BATCH,
    Position,
    Profile,
    ProfilesResult,
    fetch_profiles,
    get_profiles,
    parse_profile,
    parse_profiles,
    profile_ids,
)

__all__ = [
    "PROFILE_BATCH",
    "SOURCE",
    "SPEC",
    "Position",
    "Profile",
    "ProfilesResult",
    "fetch_openreview",
    "fetch_profiles",
    "get_profiles",
    "parse_openreview",
    "parse_profile",
    "parse_profiles",
    "plan",
    "profile_affiliations",
    "profile_ids",
]
