"""The per-theme tally for a fiscal year against the targets, applying the counting rules."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import sqlite_utils

from db import enrichment as enrichment_db
from db import papers as papers_db
from db import roster as roster_db
from db import tally
from matching.attribution import best_stored_mention
from papertally.config import Settings

COUNTING_RULES = (
    "distinct papers; a paper counts once per theme and once in the total",
    "a paper belongs to the fiscal year of its venue-year's conference date",
    "only the tracks/volumes configured for each venue count",
    "a link counts only if the conference date is within the member's membership window",
    "confirmed = papers with at least one confirmed link; "
    "pending = papers whose only links are needs_review",
)
# The two rules [program] fy_date = "acceptance" states instead of the conference-date ones.
ACCEPTANCE_RULES = {
    COUNTING_RULES[1]: "a paper belongs to the fiscal year of its venue-year's acceptance "
    "notification date (its conference date where that is not known)",
    COUNTING_RULES[3]: "a link counts only if the acceptance notification date (else the "
    "conference date) is within the member's membership window",
}


def counting_rules(settings: Settings) -> list[str]:
    """The counting rules in force, stated in every report and export."""
    if settings.program.fy_date == "acceptance":
        return [ACCEPTANCE_RULES.get(rule, rule) for rule in COUNTING_RULES]
    return list(COUNTING_RULES)


# The attribution rule in force ([program] attribution), stated in every report and export.
ATTRIBUTION_RULES = {
    "authorship": (
        "attribution by authorship: a paper counts once a member's link is confirmed; "
        "whether its full text acknowledges the program is shown, not required"
    ),
    "acknowledgement": (
        "attribution by acknowledgement: a paper counts as confirmed only when a member's "
        "link is confirmed and its full text acknowledges one of the program's grant "
        "numbers, or staff confirmed the attribution with a reason; otherwise it is "
        "pending attribution"
    ),
}
# Attribution status of a paper, as every report and export shows it.
ACKNOWLEDGED = "acknowledged"
NOT_ACKNOWLEDGED = "not_acknowledged"
NO_FULL_TEXT = "no_full_text"
CONFIRMED_BY_STAFF = "confirmed_by_staff"


def paper_attribution(row, decision: dict | None) -> dict:
    """A paper's attribution from its cached full text (a db.enrichment row, or None) and
    the latest staff attribution decision: status, a one-line detail, and the quote.

    status: acknowledged | not_acknowledged | no_full_text | confirmed_by_staff.
    """
    out = {"status": NO_FULL_TEXT, "detail": "not enriched yet", "quote": "", "page": None,
           "pdf_sha256": "", "pdf_url": ""}
    if row is not None:
        out["pdf_url"] = row.data.get("url", "")
        out["pdf_sha256"] = row.content_hash or ""
        ack = row.data.get("acknowledgement")
        if row.status == "ok" and ack:
            out["status"] = ACKNOWLEDGED if ack["status"] == "acknowledged" else NOT_ACKNOWLEDGED
            out["detail"] = row.data.get("ack_line", "")
            best = best_stored_mention(ack.get("mentions", []))
            if best:
                out["quote"], out["page"] = best["sentence"], best["page"]
        else:
            out["detail"] = row.reason or "no full text"
    if decision and decision["action"] == "confirm" and out["status"] != ACKNOWLEDGED:
        out["status"] = CONFIRMED_BY_STAFF
        out["detail"] = (
            f"confirmed by {decision['decided_by']} on {decision['decided_at'][:10]}: "
            f"{decision['reason']} (full text: {out['detail']})"
        )
    return out


def fiscal_years_counted(settings: Settings, fy: int) -> list[int]:
    """The fiscal years whose papers count towards `fy` under the configured reading."""
    if settings.program.target_reading == "cumulative":
        first = settings.program.first_fiscal_year or fy
        return list(range(min(first, fy), fy + 1))
    return [fy]


def editions_in(settings: Settings, fiscal_years: list[int]) -> dict[tuple[str, int], dt.date]:
    """(venue, year) -> counting date ([program] fy_date: conference, or acceptance), for
    the editions that date puts in the given fiscal years."""
    dates = {
        (venue, year): settings.counting_date(venue, year)
        for venue, v in settings.venues.items()
        for year in v.editions
    }
    return {vy: day for vy, day in dates.items() if settings.fiscal_year_of(day) in fiscal_years}


def theme_windows(db: sqlite_utils.Database, settings: Settings) -> dict[str, dict]:
    """theme_id -> {"theme_name", "start", "end", "from"}: when each theme is active.

    From [roster] themes_file where it lists the theme ("from": "themes file"), else
    derived from its active members' windows ("from": "members": the earliest start and
    the latest end, open when any member's is). Themes only the file lists (no members
    yet) are included: a theme added for a later call shows as not active yet.
    """
    from papertally.roster import read_themes

    out: dict[str, dict] = {}
    members: dict[str, list] = {}
    for person in roster_db.load_persons(db):
        members.setdefault(person.theme_id, []).append(person)
    for t in roster_db.themes(db):
        ps = members.get(t["theme_id"], [])
        starts = [p.start_date for p in ps]
        ends = [p.end_date for p in ps]
        out[t["theme_id"]] = {
            "theme_name": t["theme_name"],
            "start": None if not starts or None in starts else min(starts),
            "end": None if not ends or None in ends else max(ends),
            "from": "members",
        }
    if settings.roster.themes_file:
        for w in read_themes(settings.resolve(settings.roster.themes_file)):
            name = out.get(w.theme_id, {}).get("theme_name") or w.theme_name
            out[w.theme_id] = {
                "theme_name": name, "start": w.start_date, "end": w.end_date, "from": "themes file",
            }
    return dict(sorted(out.items()))


def _active(window: dict, first: dt.date, last: dt.date) -> str:
    """"active", "not_active_yet" or "ended" for the fiscal years first..last."""
    if window["start"] and window["start"] > last:
        return "not_active_yet"
    if window["end"] and window["end"] < first:
        return "ended"
    return "active"


def _in_window(day: dt.date, start: str | None, end: str | None) -> bool:
    return (not start or dt.date.fromisoformat(start) <= day) and (
        not end or day <= dt.date.fromisoformat(end)
    )


def build_report(db: sqlite_utils.Database, settings: Settings, fy: int) -> dict:
    """The report for fiscal year `fy` (shape documented in the README; extend, never break).

    Per theme: `confirmed` counts distinct papers with a confirmed link to a member of the
    theme; `pending` counts papers whose links to the theme are all needs_review, and, under
    the "acknowledgement" rule, papers with a confirmed link whose attribution is not shown
    (`pending_attribution` counts those). Every paper carries its `attribution`
    (paper_attribution).
    """
    years = fiscal_years_counted(settings, fy)
    editions = editions_in(settings, years)
    target = settings.targets.get(fy)
    per_theme_target = target.per_theme if target else None

    # theme -> paper -> {"status", "person_ids", paper fields}
    by_theme: dict[str, dict[str, dict]] = {}
    for row in tally.countable_links(db):
        day = editions.get((row["venue"], row["year"]))
        if day is None:
            continue
        if row["track"] not in settings.venues[row["venue"]].tracks:
            continue
        if not _in_window(day, row["start_date"], row["end_date"]):
            continue
        papers = by_theme.setdefault(row["theme_id"], {})
        entry = papers.setdefault(
            row["paper_id"],
            {
                "paper_id": row["paper_id"],
                "title": row["title"],
                "venue": row["venue"],
                "year": row["year"],
                "doi": row["doi"],
                "url": row["url"],
                "conference_date": settings.venues[row["venue"]]
                .editions[row["year"]]
                .conference_date.isoformat(),
                "counting_date": day.isoformat(),
                "status": "needs_review",
                "person_ids": [],
                "links": [],
            },
        )
        if row["status"] == "confirmed":
            entry["status"] = "confirmed"
        if row["person_id"] not in entry["person_ids"]:
            entry["person_ids"].append(row["person_id"])
        entry["links"].append(
            {
                "link_id": row["link_id"],
                "person_id": row["person_id"],
                "project_id": row["project_id"],
                "status": row["status"],
                "score": row["score"],
                "decided_by": row["decided_by"] or "matcher " + row["matcher_version"],
                "decided_at": row["decided_at"],
                "how": (
                    f"staff {row['decision_action']}" if row["decision_id"] else "automatic"
                ),
            }
        )

    rule = settings.program.attribution
    paper_ids = sorted({pid for papers in by_theme.values() for pid in papers})
    fulltext = enrichment_db.load(db, paper_ids, "fulltext")
    decisions = enrichment_db.attribution_decisions(db)
    for papers in by_theme.values():
        for pid, entry in papers.items():
            entry["attribution"] = paper_attribution(
                fulltext.get((pid, "fulltext")), decisions.get(pid)
            )
            if (
                rule == "acknowledgement"
                and entry["status"] == "confirmed"
                and entry["attribution"]["status"] not in (ACKNOWLEDGED, CONFIRMED_BY_STAFF)
            ):
                entry["status"] = "pending_attribution"

    themes = []
    all_confirmed: set[str] = set()
    all_pending: set[str] = set()
    all_attribution: set[str] = set()
    first, last = settings.fiscal_year_bounds(min(years))[0], settings.fiscal_year_bounds(fy)[1]
    windows = theme_windows(db, settings)
    for theme_id, w in windows.items():
        t = {"theme_id": theme_id, "theme_name": w["theme_name"]}
        activity = _active(w, first, last)
        papers = sorted(
            by_theme.get(t["theme_id"], {}).values(), key=lambda p: (p["venue"], p["year"], p["title"])
        )
        confirmed = [p for p in papers if p["status"] == "confirmed"]
        pending = [p for p in papers if p["status"] != "confirmed"]
        all_confirmed.update(p["paper_id"] for p in confirmed)
        all_pending.update(p["paper_id"] for p in pending)
        waiting = [p for p in papers if p["status"] == "pending_attribution"]
        all_attribution.update(p["paper_id"] for p in waiting)
        themes.append(
            {
                "theme_id": t["theme_id"],
                "theme_name": t["theme_name"],
                # A theme counts toward the target only while active in the fiscal year.
                "target": per_theme_target if activity == "active" else None,
                "activity": activity,
                "active_from": w["start"].isoformat() if w["start"] else None,
                "active_to": w["end"].isoformat() if w["end"] else None,
                "window_from": w["from"],
                "confirmed": len(confirmed),
                "pending": len(pending),
                "pending_attribution": len(waiting),
                "papers": papers,
            }
        )
    active = sum(1 for t in themes if t["activity"] == "active")
    configured_total = target.total if target else None
    # With theme windows declared (themes_file), the total is per_theme x the themes active
    # in this fiscal year; otherwise the configured total, as before.
    total = (
        per_theme_target * active
        if settings.roster.themes_file and per_theme_target is not None
        else configured_total
    )
    return {
        "fiscal_year": fy,
        "target_total": total,
        "target_total_configured": configured_total,
        "themes_active": active,
        "target_per_theme": per_theme_target,
        "target_reading": settings.program.target_reading,
        "fiscal_years_counted": years,
        "venue_years": sorted(f"{v} {y}" for v, y in editions),
        # Counted venue-years with no paper stored yet: their zero means "not harvested",
        # not "no papers" (an edition not yet held, or whose lists are not published).
        "venue_years_without_papers": sorted(
            f"{v} {y}" for v, y in editions if not papers_db.paper_count(db, v, y)
        ),
        "counting_rules": [*counting_rules(settings), ATTRIBUTION_RULES[rule]],
        "attribution_rule": rule,
        "fy_date": settings.program.fy_date,
        # fy_date = "acceptance": counted editions whose notification date is not known,
        # so their conference date decided the fiscal year.
        "acceptance_date_unknown": sorted(
            set(settings.acceptance_unknown()) & {f"{v} {y}" for v, y in editions}
        ),
        "papers_confirmed": len(all_confirmed),
        "papers_pending": len(all_pending - all_confirmed),
        "papers_pending_attribution": len(all_attribution - all_confirmed),
        "themes": themes,
        "warnings": target_warnings(db, settings, fy),
    }


def target_warnings(db: sqlite_utils.Database, settings: Settings, fy: int) -> list[str]:
    """A warning when the themes with an active member in fiscal year `fy`, times the
    per-theme target, disagree with the year's total target (a theme added or ended without
    the targets following, or a typo in either); empty when they agree or are not both set."""
    target = settings.targets.get(fy)
    if target is None or target.total is None or target.per_theme is None:
        return []
    first, last = settings.fiscal_year_bounds(fy)
    themes = {
        m["theme_id"]
        for m in roster_db.list_members(db)
        if (not m["start_date"] or dt.date.fromisoformat(m["start_date"]) <= last)
        and (not m["end_date"] or dt.date.fromisoformat(m["end_date"]) >= first)
    }
    if not themes or len(themes) * target.per_theme == target.total:
        return []
    return [
        f"FY{fy}: {len(themes)} themes have members in the fiscal year x {target.per_theme} "
        f"per theme = {len(themes) * target.per_theme}, but the total target is "
        f"{target.total}: check [targets.{fy}] in the config, or the roster's themes"
    ]


def gap(target: int | None, confirmed: int) -> int | None:
    """How many confirmed papers are still missing to reach the target (0 when met)."""
    return None if target is None else max(target - confirmed, 0)


def theme_status(
    target: int | None, confirmed: int, pending: int, activity: str = "active"
) -> str:
    """met | met_with_pending | below | no_target | not_active_yet | ended."""
    if activity != "active":
        return activity
    if target is None:
        return "no_target"
    if confirmed >= target:
        return "met"
    if confirmed + pending >= target:
        return "met_with_pending"
    return "below"


def theme_row(theme: dict) -> dict:
    """One theme of a report as the run summary and the exports show it: counts, the gap
    to the target and the status code (met, met_with_pending, below, no_target)."""
    return {
        "theme_id": theme["theme_id"],
        "theme_name": theme["theme_name"],
        "target": theme["target"],
        "confirmed": theme["confirmed"],
        "pending": theme["pending"],
        "gap": gap(theme["target"], theme["confirmed"]),
        "status": theme_status(
            theme["target"], theme["confirmed"], theme["pending"], theme.get("activity", "active")
        ),
    }


def render_table(report: dict) -> str:
    """A plain-text table for terminals."""
    reading = report["target_reading"].replace("_", " ")
    empty = set(report["venue_years_without_papers"])
    venue_years = [f"{vy} (no papers harvested yet)" if vy in empty else vy
                   for vy in report["venue_years"]]
    lines = [
        f"FY{report['fiscal_year']} ({reading}; venue-years: "
        f"{', '.join(venue_years) or 'none configured in this FY'})",
        f"{'theme':<8} {'name':<40} {'target':>6} {'confirmed':>9} {'pending':>7} {'gap':>4}",
    ]
    for t in report["themes"]:
        target = "-" if t["target"] is None else str(t["target"])
        missing = gap(t["target"], t["confirmed"])
        activity = t.get("activity", "active")
        name = t["theme_name"] if activity == "active" else (
            f"{t['theme_name']} ({activity.replace('_', ' ')})"
        )
        lines.append(
            f"{t['theme_id']:<8} {name[:40]:<40} {target:>6} {t['confirmed']:>9} "
            f"{t['pending']:>7} {'-' if missing is None else missing:>4}"
        )
    total_target = report["target_total"]
    rule = report.get("attribution_rule", "authorship")
    waiting = report.get("papers_pending_attribution", 0)
    lines.insert(1, f"attribution rule: {rule}" + (
        f" ({waiting} confirmed paper(s) pending attribution, counted as pending)"
        if rule == "acknowledgement" else ""))
    lines.append(
        f"{'total':<8} {'(distinct papers)':<40} {'-' if total_target is None else total_target:>6} "
        f"{report['papers_confirmed']:>9} {report['papers_pending']:>7} "
        f"{'-' if total_target is None else gap(total_target, report['papers_confirmed']):>4}"
    )
    lines.append(f"fiscal year by: {_year_rule(report)}")
    return "\n".join(lines)


def _year_rule(report: dict) -> str:
    """The fy_date rule in force, in words, for the table's last line."""
    if report.get("fy_date") != "acceptance":
        return "each edition's conference date"
    text = "each edition's acceptance notification date"
    unknown = report.get("acceptance_date_unknown") or []
    if unknown:
        text += f" (conference date for {', '.join(unknown)}: notification date not known)"
    return text


def render_csv(report: dict) -> str:
    """One row per theme, then a total row."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["fiscal_year", "theme_id", "theme_name", "target", "confirmed", "pending", "gap"])
    for t in report["themes"]:
        w.writerow(
            [report["fiscal_year"], t["theme_id"], t["theme_name"], t["target"], t["confirmed"],
             t["pending"], gap(t["target"], t["confirmed"])]
        )
    w.writerow(
        [report["fiscal_year"], "TOTAL", "", report["target_total"], report["papers_confirmed"],
         report["papers_pending"], gap(report["target_total"], report["papers_confirmed"])]
    )
    return out.getvalue()


def render_json(report: dict) -> str:
    return json.dumps(report, ensure_ascii=False, indent=2)
