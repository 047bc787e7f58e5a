"""The nightly job's steps as plain functions; flows/nightly.py wires them into a Prefect flow.

Every step takes the config and database paths (not open handles) so that it can run in a
Prefect task on any thread or machine, opens its own connection and closes it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

import sqlite_utils

from db import runs as runs_db
from db.reconcile import reconcile
from harvesters.registry import titles
from papertally.config import HarvestJob, Settings, load_settings
from papertally.errors import PapertallyError


def database_path(settings: Settings, db_path: str | None) -> Path:
    return Path(db_path) if db_path else settings.resolve(settings.database.path)


@contextlib.contextmanager
def store(
    config_path: str,
    db_path: str | None,
    *,
    create: bool = False,
    database: dict | None = None,
) -> Iterator[tuple[Settings, sqlite_utils.Database]]:
    """Settings and an open database for one step; the connection is closed after it.
    Only the first step creates the database (`create`): a later step finding none fails
    ("no database at PATH") instead of going on with a new empty file. With `database`
    (the identity begin_step recorded), DatabaseReplaced is raised when the file was
    removed or replaced since."""
    from db.connection import NoDatabase
    from db.schema import check_same_database, open_db

    settings = load_settings(config_path)
    # open_db's transactions take the write lock at BEGIN, so parallel harvest tasks
    # wait for each other instead of failing with "database is locked".
    try:
        db = open_db(database_path(settings, db_path), create=create)
    except NoDatabase:
        if database is not None:
            check_same_database(database)  # raises: "removed during this run"
        raise
    try:
        if database is not None:
            # After opening: the connection reads the file that passes the check.
            check_same_database(database)
    except BaseException:
        db.close()
        raise
    try:
        yield settings, db
    finally:
        db.close()


def failure(step: str, what: str, reason: object) -> dict:
    """One failure entry of a run summary."""
    return {"step": step, "what": what, "reason": str(reason) or type(reason).__name__}


def find_job(settings: Settings, source: str, venue: str, year: int) -> HarvestJob:
    for job in settings.harvest:
        if (job.source, job.venue, job.year) == (source, venue, year):
            return job
    raise PapertallyError(f"no [[harvest]] job {source} {venue} {year} in the config")


def begin_step(
    config_path: str, db_path: str | None, trigger: str, flow_run_id: str | None
) -> dict:
    """Open the run summary, close runs a killed process left open, re-import the roster.

    Returns {"run_id", "started_at", "database", "interrupted_runs", "roster", "failures"};
    "database" identifies the database file (db.schema.database_identity), so that the
    later steps can tell it was removed or replaced during the run.
    """
    from db.schema import database_identity
    from papertally.pipeline import import_roster_file

    with store(config_path, db_path, create=True) as (settings, db):
        interrupted = runs_db.mark_interrupted(db)
        run_id = runs_db.start_run(db, trigger, flow_run_id)
        started = runs_db.get_run(db, run_id)["started_at"]
        begun = {
            "run_id": run_id,
            "started_at": started,
            "database": database_identity(db, database_path(settings, db_path)),
            "interrupted_runs": interrupted,
            "roster": "",
            "failures": [],
        }
        if settings.roster.file:
            path = settings.resolve(settings.roster.file)
            try:
                change = import_roster_file(db, settings, path).change
                begun["roster"] = (
                    f"roster {path}: {change.added} added, {change.updated} updated, "
                    f"{change.unchanged} unchanged, {change.deactivated} deactivated"
                )
            except PapertallyError as exc:
                begun["failures"].append(
                    failure(
                        "roster",
                        str(path),
                        f"not re-imported, stored roster kept: {exc}",
                    )
                )
        return begun


def harvest_step(
    config_path: str,
    db_path: str | None,
    source: str,
    venue: str,
    year: int,
    offline: bool,
) -> dict:
    """Harvest one configured venue-year (live, or its offline file); raises on failure."""
    from papertally.harvesting import harvest_job

    with store(config_path, db_path) as (settings, db):
        start = time.monotonic()
        outcome = harvest_job(
            db, settings, find_job(settings, source, venue, year), offline=offline
        )
        return {**outcome.as_dict(), "seconds": round(time.monotonic() - start, 2)}


def match_step(config_path: str, db_path: str | None) -> dict:
    """Match every stored mention against the roster; counts of what changed and the
    review queue before and after."""
    from papertally.pipeline import run_matching

    with store(config_path, db_path) as (settings, db):
        before = runs_db.review_queue_size(db)
        start = time.monotonic()
        counts = run_matching(db, settings)
        return {
            **asdict(counts),
            "review_queue_before": before,
            "review_queue": runs_db.review_queue_size(db),
            "seconds": round(time.monotonic() - start, 2),
        }


def enrich_step(config_path: str, db_path: str | None, offline: bool = False) -> dict:
    """Enrich the candidate papers that need it (papertally.enrichment); per enricher what
    it asked, found and cost, and one line for the summary. Offline: nothing is fetched and
    the candidates stay "not fetched: offline" for the next night."""
    from harvesters.http import make_client
    from papertally.enrichers import default_enrichers
    from papertally.enrichment import run_enrichers, summary_line

    with store(config_path, db_path) as (settings, db):
        start = time.monotonic()
        enrichers = default_enrichers(settings)
        client = None if offline else make_client(settings)
        kinds = run_enrichers(
            db, enrichers, client, offline_reason="offline run" if offline else None,
            ask_again_after_days=settings.enrichment.ask_again_after_days,
        )
        rematched = None
        if any(k.ok for k in kinds.values()):
            # New evidence tonight (a printed affiliation, a profile, an OpenAlex author):
            # match again so that it counts tonight rather than tomorrow.
            from papertally.pipeline import run_matching

            rematched = asdict(run_matching(db, settings))
        return {
            "kinds": {k: asdict(v) for k, v in kinds.items()},
            "rematched": rematched,
            "line": summary_line(kinds),
            "seconds": round(time.monotonic() - start, 2),
        }


def tally_rows(report: dict) -> dict:
    """The per-theme counts against target that a run summary keeps for one fiscal year."""
    from papertally.report import theme_row

    themes = [theme_row(t) for t in report["themes"]]
    return {
        "fiscal_year": report["fiscal_year"],
        "target_reading": report["target_reading"],
        "target_total": report["target_total"],
        "papers_confirmed": report["papers_confirmed"],
        "papers_pending": report["papers_pending"],
        "venue_years_without_papers": report["venue_years_without_papers"],
        "themes": themes,
    }


def tally_export_step(
    config_path: str,
    db_path: str | None,
    run_id: int | None = None,
    database: dict | None = None,
) -> dict:
    """Tally every fiscal year to report and write the configured exports and charts.

    `database` is the identity begin_step recorded: when the file is no longer that
    database (removed, replaced), DatabaseReplaced is raised before anything is written,
    so that a good export is never overwritten with the counts of another (empty) file.
    Returns {"tally": [...], "exports": [paths], "failures": [...], "warnings": [...]}.
    A data file (xlsx, csv, json) that cannot be written is a failure entry; a chart that
    cannot be drawn is only a warning (a decoration never fails the night); either way the
    other files are still written.
    """
    from papertally import exports
    from papertally.pipeline import fiscal_years_to_report
    from papertally.report import build_report

    out: dict = {"tally": [], "exports": [], "failures": [], "warnings": []}
    with store(config_path, db_path, database=database) as (settings, db):
        lang = settings.export.lang
        source_checks = reconcile(db)  # the same for every fiscal year's export
        for fy in fiscal_years_to_report(settings):
            report = build_report(db, settings, fy)
            out["tally"].append(tally_rows(report))
            out["warnings"].extend(
                failure("targets", f"FY{fy}", w.removeprefix(f"FY{fy}: "))
                for w in report["warnings"]
            )
            data = exports.build_export(
                db, settings, report, lang=lang, run_id=run_id, source_checks=source_checks
            )
            targets = [
                (fmt, exports.default_path(settings, fy, lang, fmt))
                for fmt in settings.export.formats
            ]
            if settings.export.chart:
                chart = settings.export.chart
                targets.append(("chart", exports.default_path(settings, fy, lang, chart)))
            for fmt, path in targets:
                try:
                    if fmt == "chart":
                        exports.write_chart(data, path, settings=settings)
                    else:
                        exports.write_export(data, fmt, path)
                    out["exports"].append(str(path))
                except (PapertallyError, OSError) as exc:
                    kind = "warnings" if fmt == "chart" else "failures"
                    out[kind].append(failure("chart" if fmt == "chart" else "export", str(path), exc))
    return out


def finish_step(
    config_path: str,
    db_path: str | None,
    begun: dict,
    *,
    trigger: str,
    offline: bool,
    flow_run_id: str | None,
    harvests: list[dict],
    matching: dict | None,
    tallied: dict | None,
    failures: list[dict],
    enrichment: dict | None = None,
) -> dict:
    """Assemble the run summary, notify if configured, store it; returns the summary.
    When the database is gone or was replaced during the run, the summary says so, the
    notification still goes out, and nothing is stored (in the wrong file)."""
    from db.connection import DatabaseFault
    from papertally import notify

    offline_night, failures = classify_unreachable(harvests, failures)
    lost, db = [], None
    with contextlib.ExitStack() as stack:
        try:
            settings, db = stack.enter_context(
                store(config_path, db_path, database=begun.get("database"))
            )
        except DatabaseFault as exc:
            settings = load_settings(config_path)  # still notify, without the database
            lost.append(failure("summary", "database", f"run summary not stored: {exc}"))
        summary = {
            "run_id": begun["run_id"],
            "trigger": trigger,
            "flow_run_id": flow_run_id,
            "offline": offline,
            # No live source answered (every one failed with no DNS/route/connection): the
            # stored data and the offline samples stand, and the night is not a failure.
            "offline_night": offline_night,
            "started_at": begun["started_at"],
            "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "database": begun.get("database"),
            "interrupted_runs": begun["interrupted_runs"],
            "roster": begun["roster"],
            "harvests": [harvest_row(h) for h in harvests],
            "matching": matching,
            "enrichment": enrichment,
            "review_queue": runs_db.review_queue_size(db) if db else None,
            "tally": (tallied or {}).get("tally", []),
            "exports": (tallied or {}).get("exports", []),
            "failures": [
                *begun["failures"],
                *failures,
                *(tallied or {}).get("failures", []),
                *lost,
            ],
            "warnings": (tallied or {}).get("warnings", []),
            # Venue-years two sources list, side by side (the one-sided titles are in the
            # exports' JSON and `papertally harvest --status`).
            "source_checks": [
                {"line": r.line(titles()), "venue": r.venue, "year": r.year, "sources": [r.a, r.b],
                 "both": r.both, "only": {r.a: len(r.only_a), r.b: len(r.only_b)},
                 "track_disagreements": len(r.tracks)}
                for r in (reconcile(db) if db is not None else [])
            ],
            "notifications": [],
        }
        summary["notifications"] = notify.notify(settings, summary)
        if db is not None:
            runs_db.finish_run(db, begun["run_id"], summary)
        return summary


def classify_unreachable(harvests: list[dict], failures: list[dict]) -> tuple[str, list[dict]]:
    """Decide what live sources that could not be reached mean for the night.

    Every live source unreachable (an offline machine): not a failure; returns a note for
    the summary ("offline: ...") and the failures unchanged. Some answered and some did
    not: each unreachable one becomes a harvest failure (exit 1 and an alert). Nothing
    unreachable: ("", failures).
    """
    unreachable = [h for h in harvests if h.get("live_unreachable")]
    if not unreachable:
        return "", failures
    answered = [
        h for h in harvests
        if h.get("status") == "ok" and not h.get("live_unreachable")
        and str(h.get("origin", "")).startswith(("http://", "https://"))
    ]
    if answered:
        return "", [
            *failures,
            *(
                failure(
                    "harvest",
                    f"{h['source']} {h['venue']} {h['year']}",
                    f"live source not reachable while {len(answered)} other(s) answered: "
                    f"{h.get('message', '')}",
                )
                for h in unreachable
            ),
        ]
    samples = sum(1 for h in unreachable if h.get("status") == "ok")
    return (
        f"offline: no live source could be reached ({len(unreachable)} venue-year(s)); "
        f"stored data kept, offline samples used for {samples}"
    ), failures


def harvest_row(outcome: dict) -> dict:
    """The run-summary line of one harvest outcome (HarvestOutcome.as_dict())."""
    c = outcome.get("counts", {})
    return {
        "source": outcome["source"],
        "venue": outcome["venue"],
        "year": outcome["year"],
        "status": outcome.get("status", "ok"),
        "origin": outcome.get("origin"),
        "seen": c.get("seen", 0),
        "new": c.get("new", 0),
        "updated": c.get("updated", 0),
        "unchanged": c.get("unchanged", 0),
        "missing": c.get("missing", 0),
        "skipped": c.get("skipped", 0),
        "message": outcome.get("message", ""),
        # Entries the parser kept once because the source listed them twice, by name.
        "listed_twice": [w for w in outcome.get("warnings", []) if "listed twice" in w],
        "live_unreachable": outcome.get("live_unreachable", False),
        "seconds": outcome.get("seconds"),
    }


def _short(reason: object, limit: int = 200) -> str:
    text = " ".join(str(reason).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _plural(n: int, noun: str) -> str:
    return f"{noun}s" if n != 1 else noun


def failure_message(summary: dict) -> str:
    """One line for the flow run's Failed state: what failed (each with its reason) and how
    the other steps ended, e.g. "1 of 5 harvests failed: paperlists ICRA 2024 (...);
    matching ok; 8 exports written". Empty when nothing failed."""
    failures = summary["failures"]
    if not failures:
        return ""

    def of(step: str) -> list[dict]:
        return [f for f in failures if f["step"] == step]

    def failed(f: dict, label: str) -> str:
        reason = _short(f["reason"])
        return f"{label} ({reason})" if reason else label

    parts = [failed(f, f"roster {f['what']} failed") for f in of("roster")]
    harvests = of("harvest")
    total = len(summary["harvests"]) + len(harvests)
    if harvests:
        parts.append(
            f"{len(harvests)} of {total} {_plural(total, 'harvest')} failed: "
            + ", ".join(failed(f, f["what"]) for f in harvests)
        )
    else:
        parts.append(f"{total} {_plural(total, 'harvest')} ok")
    match = of("match")
    parts.append(failed(match[0], "matching failed") if match else "matching ok")
    tally, exported = of("tally"), of("export")
    written = len(summary["exports"])
    if tally:
        parts.append(failed(tally[0], "tally and export failed"))
    elif exported:
        total = written + len(exported)
        parts.append(
            f"{len(exported)} of {total} {_plural(total, 'export')} failed: "
            + ", ".join(failed(f, f["what"]) for f in exported)
        )
    else:
        parts.append(
            f"{written} {_plural(written, 'export')} written"
            if written
            else "no exports"
        )
    known = {"roster", "harvest", "match", "tally", "export"}  # "enrich" is listed below
    parts.extend(
        failed(f, f"{f['step']} {f['what']} failed")
        for f in failures
        if f["step"] not in known
    )
    return "; ".join(parts)


def render_summary(summary: dict) -> str:
    """The run summary as the plain text `papertally run` prints and the flow logs."""
    lines = [
        f"run {summary['run_id']} ({summary['trigger']}) {summary['started_at']} -> "
        f"{summary['finished_at']}: "
        + (
            f"{len(summary['failures'])} failure(s)"
            if summary["failures"]
            else "all steps ok"
        )
        + (f", {len(summary['warnings'])} warning(s)" if summary.get("warnings") else "")
    ]
    if summary.get("interrupted_runs"):
        lines.append(
            f"earlier run(s) {summary['interrupted_runs']} had been interrupted; closed"
        )
    if summary.get("roster"):
        lines.append(summary["roster"])
    if summary.get("offline_night"):
        lines.append(summary["offline_night"])
    lines.append("harvest (per venue-year and source):")
    for h in summary["harvests"]:
        lines.append(
            f"  {h['venue']} {h['year']} {h['source']}: {h['seen']} papers, {h['new']} new, "
            f"{h['updated']} updated, {h['unchanged']} unchanged"
            + (f", {h['missing']} no longer listed" if h["missing"] else "")
            + (f" ({h['message']})" if h.get("message") else "")
        )
        if h.get("listed_twice"):
            lines.append(
                f"    listed twice by {h['source']}, kept once: " + "; ".join(h["listed_twice"])
            )
    if not summary["harvests"]:
        lines.append("  (no harvest completed)")
    if summary.get("source_checks"):
        lines.append("sources compared (a paper only one source lists still counts):")
        lines.extend(f"  {c['line']}" for c in summary["source_checks"])
    m = summary.get("matching")
    if m:
        lines.append(
            f"links: {m['confirmed']} newly confirmed, {m['needs_review']} sent to review, "
            f"{m['rejected']} rejected; {m['kept_decided']} staff decisions kept"
            + (
                f", {m['second_look']} flagged for a second look"
                if m.get("second_look")
                else ""
            )
        )
    if summary.get("enrichment"):
        lines.append(summary["enrichment"]["line"])
    lines.append(f"review queue: {summary['review_queue']} link(s) waiting for staff")
    for t in summary["tally"]:
        reading = t["target_reading"].replace("_", " ")
        total = "-" if t["target_total"] is None else t["target_total"]
        lines.append(
            f"FY{t['fiscal_year']} ({reading}): {t['papers_confirmed']} confirmed, "
            f"{t['papers_pending']} pending, target {total}"
            + (
                f"; no papers harvested yet for {', '.join(t['venue_years_without_papers'])}"
                if t.get("venue_years_without_papers")
                else ""
            )
        )
        for th in t["themes"]:
            target = "-" if th["target"] is None else th["target"]
            lines.append(
                f"  {th['theme_id']}: {th['confirmed']} confirmed + {th['pending']} pending "
                f"/ target {target} ({th['status'].replace('_', ' ')})"
            )
    for path in summary["exports"]:
        lines.append(f"wrote {path}")
    for n in summary.get("notifications", []):
        lines.append(f"notification: {n}")
    for w in summary.get("warnings", []):
        lines.append(f"warning: {w['step']} {w['what']}: {w['reason']}")
    for f in summary["failures"]:
        lines.append(f"FAILED {f['step']} {f['what']}: {f['reason']}")
    return "\n".join(lines)
