"""Harvesting a configured job from its live source (network), through the file parsers."""

from __future__ import annotations

import requests
import sqlite_utils

from db import papers as papers_db
from harvesters.registry import FILE_PARSERS
from papertally.config import HarvestJob, Settings
from papertally.errors import HarvestError, PapertallyError


def live_url(settings: Settings, job: HarvestJob) -> str:
    """The URL of the whole venue-year listing for sources that publish one file."""
    source = settings.sources.get(job.source)
    if source is None:
        raise HarvestError(
            f"no [sources.{job.source}] section in the config, so its base URL is unknown",
            source=job.source,
        )
    base = source.base_url.rstrip("/")
    if job.source == "paperlists":
        folder = {"NeurIPS": "nips"}.get(job.venue, job.venue.lower())
        return f"{base}/{folder}/{folder}{job.year}.json"
    if job.source == "acl-anthology":
        return f"{base}/{job.year}.{job.venue.lower()}.xml"
    raise HarvestError(
        f"live harvesting from {job.source!r} is not available; use --from PATH", source=job.source
    )


def harvest_live(db: sqlite_utils.Database, settings: Settings, job: HarvestJob):
    """Download the venue-year listing and store it like a file harvest.

    Raises HarvestError naming the source and URL when the source cannot be reached.
    """
    from papertally.harvesting import HarvestOutcome, store_parsed

    url = live_url(settings, job)
    headers = {"User-Agent": f"papertally/0.1 (mailto:{settings.http.contact_email})"}
    try:
        resp = requests.get(url, headers=headers, timeout=settings.http.timeout_seconds)
        resp.raise_for_status()
    except requests.RequestException as exc:
        raise HarvestError(
            f"cannot download {job.venue} {job.year}: {type(exc).__name__}",
            source=job.source,
            url=url,
        ) from None
    outcome = HarvestOutcome(job.source, job.venue, job.year, origin=url)
    outcome.run_id = papers_db.start_run(db, job.source, job.venue, job.year, url)
    try:
        result = FILE_PARSERS[job.source](resp.text, job.venue, job.year)
        store_parsed(db, settings, result, outcome, complete=True)
    except PapertallyError as exc:
        papers_db.finish_run(db, outcome.run_id, status="failed", errors=[f"{url}: {exc}"])
        raise HarvestError(str(exc), source=job.source, url=url) from None
    papers_db.finish_run(
        db, outcome.run_id, status="ok", counts=outcome.counts, errors=outcome.warnings,
        message=outcome.summary(), requests=1, bytes_=len(resp.content),
    )
    return outcome
