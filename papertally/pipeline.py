"""Plain steps the CLI and the nightly flow share: roster import, matching, fiscal years."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

from db import links as links_db
from db import roster as roster_db
from papertally.config import Settings
from papertally.errors import RosterError


def conference_dates(settings: Settings) -> dict[tuple[str, int], dt.date]:
    return {
        (venue, year): ed.conference_date
        for venue, v in settings.venues.items()
        for year, ed in v.editions.items()
    }


def rules_for_matching(db: sqlite_utils.Database) -> list:
    """Staff rules (identifier always/never this member, member never at an organisation)
    that every matching pass applies first."""
    from db.rules import load_rules

    return load_rules(db)


def enriched_mentions(db: sqlite_utils.Database, mentions) -> list:
    """The mentions with what the enrichment step learnt of their papers (the answered
    OpenReview-profile, OpenAlex and full-text rows of db.enrichment), for the matcher's
    evidence."""
    from db import enrichment as enrichment_db
    from matching.enriched import attach

    cached: dict[str, dict[str, dict]] = {}
    for (paper_id, kind), row in enrichment_db.load(db).items():
        if row.status == enrichment_db.OK and kind in ("openreview", "openalex", "fulltext"):
            cached.setdefault(paper_id, {})[kind] = row.data
    return attach(mentions, cached)


def run_matching(
    db: sqlite_utils.Database, settings: Settings, *, full: bool = False
) -> links_db.MatchCounts:
    """Match the stored mentions against the active roster and store the links, leaving
    every staff decision as it is.

    Incremental: only papers that are new or changed since the last pass (a source record's
    content, its venue-year's date, the enrichment of the paper), and the papers of members
    added, changed or removed, are re-scored, each against every member; nothing changed,
    nothing scored. A full pass runs when `full`, before any pass, and whenever the matcher
    version, the thresholds, the staff rules or decisions, or the program's funders change.
    How common a family name is comes from all mentions at the time a paper is scored.
    """
    from db import match_state
    from matching import match as matcher
    from matching.context import MatchContext, NameStats

    persons = roster_db.load_persons(db)
    rules = tuple(rules_for_matching(db))
    confirmed = frozenset(links_db.staff_confirmed_pairs(db))
    dates = conference_dates(settings)
    state = {
        "context": {"all": match_state.fingerprint([
            matcher.MATCHER_VERSION, settings.matching.confirm_threshold,
            settings.matching.review_threshold, [repr(r) for r in rules], sorted(confirmed),
            settings.program.funder_names, settings.program.grant_numbers,
        ])},
        "person": {p.person_id: match_state.fingerprint(repr(p)) for p in persons},
        "paper": _paper_fingerprints(db, dates),
    }
    before = match_state.load(db)
    scope: set[str] | None = None
    if not full and before.get("context") == state["context"] and before.get("paper"):
        old_people, old_papers = before.get("person", {}), before["paper"]
        changed = {p for p, fp in state["person"].items() if old_people.get(p) != fp}
        changed |= old_people.keys() - state["person"].keys()
        scope = {p for p, fp in state["paper"].items() if old_papers.get(p) != fp}
        if changed:
            scope |= match_state.papers_linked_to(db, changed)
            probe = [p for p in persons if p.person_id in changed]
            if probe:  # papers where a changed member is now a candidate
                scope |= {c.paper_id for c in matcher.match_all(
                    links_db.load_mentions(db, dates), probe,
                    confirm_threshold=settings.matching.confirm_threshold,
                    review_threshold=0.0,
                    context=MatchContext(name_stats=NameStats.from_names(())),
                )}
        if not scope:
            match_state.save(db, state, before)
            return links_db.MatchCounts(full_pass=False)
    mentions = enriched_mentions(db, links_db.load_mentions(db, dates, scope))
    context = MatchContext(
        name_stats=NameStats.from_names(
            (m.name for m in mentions) if scope is None else match_state.all_names(db)
        ),
        rules=rules,
        confirmed_links=confirmed,
        funder_names=settings.program.funder_names,
        grant_numbers=settings.program.grant_numbers,
    )
    candidates = matcher.match_all(
        mentions,
        persons,
        confirm_threshold=settings.matching.confirm_threshold,
        review_threshold=settings.matching.review_threshold,
        context=context,
    )
    counts = links_db.store_candidates(db, candidates, matcher.MATCHER_VERSION, scope)
    counts.papers_scored = len({m.paper_id for m in mentions})
    counts.full_pass = scope is None
    match_state.save(db, state, before)
    return counts


def _paper_fingerprints(db: sqlite_utils.Database, dates: dict) -> dict[str, str]:
    """Per paper: its records' content, its venue-year's date and what enrichment learnt."""
    from db import enrichment as enrichment_db
    from db import match_state

    records = match_state.paper_fingerprints(db)
    venue_year = {
        pid: (v, y) for pid, v, y in db.execute("SELECT paper_id, venue, year FROM papers")
    }
    enriched: dict[str, list] = {}
    for (paper_id, kind), row in enrichment_db.load(db).items():
        enriched.setdefault(paper_id, []).append((kind, row.status, match_state.fingerprint(row.data)))
    import hashlib

    out = {}
    for pid, parts in records.items():
        extra = enriched.get(pid)
        text = f"{parts}#{dates.get(venue_year.get(pid, ('', 0)))}#{sorted(extra) if extra else ''}"
        out[pid] = hashlib.blake2b(text.encode("utf-8"), digest_size=12).hexdigest()
    return out


def current_fiscal_year(settings: Settings, today: dt.date | None = None) -> int:
    return settings.fiscal_year_of(today or dt.date.today())


@dataclass(frozen=True)
class RosterImport:
    """What importing a roster file did: the members in the file, the changes, and notes
    on how it was read (a detected separator)."""

    path: str
    members: int
    change: roster_db.RosterChange
    notes: tuple[str, ...] = ()

    def summary(self) -> str:
        c = self.change
        notes = "".join(f" ({n})" for n in self.notes)
        return (
            f"{self.path}{notes}: {self.members} members: {c.added} added, {c.updated} updated, "
            f"{c.unchanged} unchanged, {c.deactivated} no longer listed (kept, inactive)"
        )


def import_roster_file(
    db: sqlite_utils.Database,
    settings: Settings,
    path: str | Path,
    *,
    allow_shrink: bool = False,
) -> RosterImport:
    """Check and import a roster CSV (all or nothing).

    Raises:
        RosterError: a bad row (every one listed), or the file would deactivate more than
            [roster] max_deactivate_share of the active members (a cut-off or wrong file)
            and `allow_shrink` is False. Nothing is imported then.
    """
    from papertally.roster import read_roster_file

    rows, notes = read_roster_file(path)
    active = {m["person_id"] for m in roster_db.list_members(db)}
    leaving = active - {r.person_id for r in rows}
    share = settings.roster.max_deactivate_share
    if active and len(leaving) > share * len(active) and not allow_shrink:
        raise RosterError(
            str(path),
            [
                f"it would deactivate {len(leaving)} of the {len(active)} active members "
                f"({len(leaving) / len(active):.0%}; [roster] max_deactivate_share is "
                f"{share:.0%}). A cut-off or wrong file? If they really left: papertally "
                f"roster import {path} --allow-shrink"
            ],
        )
    change = roster_db.import_roster(db, rows)
    return RosterImport(str(path), len(rows), change, tuple(notes))


def fiscal_years_to_report(settings: Settings, today: dt.date | None = None) -> list[int]:
    """The current fiscal year and those of the harvested editions, oldest first."""
    years = {current_fiscal_year(settings, today)}
    for job in settings.harvest:
        if settings.edition(job.venue, job.year):
            years.add(settings.fiscal_year_of(settings.counting_date(job.venue, job.year)))
    return sorted(years)
