"""The enrichers the nightly runs, in order: the one place an enricher is registered."""

from __future__ import annotations

from papertally.author_enrichers import OpenAlexEnricher, OpenReviewEnricher
from papertally.config import Settings
from papertally.enrichment import Enricher, FullTextEnricher


def default_enrichers(settings: Settings) -> list[Enricher]:
    """The enrichers for this config (none when [enrichment] enabled = false)."""
    if not settings.enrichment.enabled:
        return []
    found: list[Enricher] = [FullTextEnricher(settings)]
    if settings.enrichment.openreview_profiles:
        found.append(OpenReviewEnricher(settings))
    if settings.enrichment.openalex_max_calls:
        found.append(OpenAlexEnricher(settings))
    return found
