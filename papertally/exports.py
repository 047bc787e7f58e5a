"""Indicator exports for the program office: Excel, CSV and JSON in Japanese or English, and a chart.

Every export holds three things: the summary (theme, target, confirmed, pending, gap,
status), the evidence (every counted paper and how each of its links was decided), and
where the numbers come from (run date, data sources, target reading, counting rules).
Files are written to a temporary file beside the target and renamed over it, so a crash
never leaves a half-written export.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import importlib.util
import io
import json
import os
import re
import textwrap
import threading
from collections.abc import Callable
from pathlib import Path

import sqlite_utils

from db import runs as runs_db
from db.reconcile import reconcile
from harvesters import registry
from papertally.config import Settings
from papertally.errors import ExportWriteError, PapertallyError
from papertally.i18n import LANGS, section
from papertally.report import gap, theme_row, theme_status

FORMATS = ("xlsx", "csv", "json")

SUMMARY_KEYS = (
    "theme_id",
    "theme_name",
    "target",
    "confirmed",
    "pending",
    "gap",
    "status",
)
EVIDENCE_KEYS = (
    "theme_id",
    "paper_status",
    "venue",
    "year",
    "conference_date",
    "fiscal_year",
    "title",
    "doi",
    "url",
    "person_id",
    "member",
    "project_id",
    "link_status",
    "score",
    "how",
    "decided_by",
    "decided_at",
    "paper_id",
    "link_id",
    "attribution",
    "attribution_detail",
    "attribution_quote",
    "pdf_sha256",
)



def labels(lang: str) -> dict[str, str]:
    """The export's wording in `lang`: the "export." entries of papertally/locales, the
    catalogue the review page reads too."""
    return section(lang, "export.")


def counting_rule(lang: str, rule: str) -> str:
    """A counting rule of papertally.report (stored in English with the run) in `lang`;
    an unknown rule is shown as is."""
    key = {text: k for k, text in section("en", "counting_rule.").items()}.get(rule)
    return section(lang, "counting_rule.")[key] if key else rule


def reading_text(report: dict, settings: Settings, lang: str) -> str:
    """The target reading in words, e.g. "per fiscal year: ..."."""
    words = labels(lang)[report["target_reading"]]
    years = report.get("fiscal_years_counted") or [report["fiscal_year"]]
    return words.format(first=years[0], fy=report["fiscal_year"])


def _member_name(m: dict | None, lang: str) -> str:
    if not m:
        return ""
    latin = " ".join(p for p in (m.get("given_name"), m.get("family_name")) if p)
    if lang == "ja" and m.get("name_ja"):
        return f"{m['name_ja']} ({latin})"
    return latin


def _attribution_cells(attribution: dict, lab: dict) -> dict:
    """A paper's attribution (papertally.report.paper_attribution) as export cells."""
    quote = attribution["quote"]
    return {
        "attribution": lab[attribution["status"]],
        "attribution_detail": attribution["detail"],
        "attribution_quote": f'p.{attribution["page"]}: "{quote}"' if quote else "",
        "pdf_sha256": attribution["pdf_sha256"],
    }


def build_export(
    db: sqlite_utils.Database,
    settings: Settings,
    report: dict,
    *,
    lang: str = "ja",
    run_id: int | None = None,
    now: dt.datetime | None = None,
    source_checks: list | None = None,
) -> dict:
    """Everything an export holds for one fiscal year, as plain rows.

    `report` is papertally.report.build_report(...); the rows repeat its numbers exactly.
    `run_id` names the nightly run the export belongs to (else the last finished run).
    `source_checks` is db.reconcile.reconcile(db), for a caller exporting several fiscal
    years from one database (read here when not given).
    Returns {"lang", "fiscal_year", "meta": [(label, value)], "summary": [dict],
    "evidence": [dict], "report", "run", "sources", "generated_at"}.
    """
    if lang not in LANGS:
        raise PapertallyError(f"unknown language {lang!r}; use ja or en")
    lab = labels(lang)
    fy = report["fiscal_year"]
    generated = (now or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds")
    run = runs_db.get_run(db, run_id) if run_id else runs_db.last_finished_run(db)
    # The sources of the venue-years this fiscal year counts (their last good harvest).
    counted = set(report["venue_years"])
    sources = [
        s for s in runs_db.data_sources(db) if f"{s['venue']} {s['year']}" in counted
    ]
    members = runs_db.member_names(db)

    summary = []
    for t in report["themes"]:
        row = theme_row(t)
        summary.append({**row, "status": lab[row["status"]], "status_code": row["status"]})
    total_status = theme_status(
        report["target_total"], report["papers_confirmed"], report["papers_pending"]
    )
    summary.append(
        {
            "theme_id": lab["total"],
            "theme_name": lab["total_name"],
            "target": report["target_total"],
            "confirmed": report["papers_confirmed"],
            "pending": report["papers_pending"],
            "gap": gap(report["target_total"], report["papers_confirmed"]),
            "status": lab[total_status],
            "status_code": total_status,
        }
    )

    evidence = []
    for t in report["themes"]:
        for p in t["papers"]:
            day = dt.date.fromisoformat(p["conference_date"])
            for link in p["links"]:
                evidence.append(
                    {
                        "theme_id": t["theme_id"],
                        "paper_status": lab[
                            "confirmed_paper"
                            if p["status"] == "confirmed"
                            else "pending_attribution_paper"
                            if p["status"] == "pending_attribution"
                            else "pending_paper"
                        ],
                        "venue": p["venue"],
                        "year": p["year"],
                        "conference_date": p["conference_date"],
                        "fiscal_year": settings.fiscal_year_of(day),
                        "title": p["title"],
                        "doi": p["doi"] or "",
                        "url": p["url"]
                        or (f"https://doi.org/{p['doi']}" if p["doi"] else ""),
                        "person_id": link["person_id"],
                        "member": _member_name(members.get(link["person_id"]), lang),
                        "project_id": link["project_id"],
                        "link_status": lab.get(
                            f"link_{link['status']}", link["status"]
                        ),
                        "score": link["score"],
                        "how": lab.get(link["how"].replace(" ", "_"), link["how"]),
                        "decided_by": link["decided_by"],
                        "decided_at": link["decided_at"] or "",
                        "paper_id": p["paper_id"],
                        "link_id": link["link_id"],
                        **_attribution_cells(p["attribution"], lab),
                    }
                )

    rules = [counting_rule(lang, r) for r in report["counting_rules"]]
    # Venue-years two sources list, side by side (a paper only one lists still counts).
    if source_checks is None:
        source_checks = reconcile(db)
    checks = [r for r in source_checks if f"{r.venue} {r.year}" in counted]
    run_text = lab["no_run"]
    if run:
        run_text = f"#{run['run_id']} {run['started_at']} → {run['finished_at'] or ''} ({run['status']})"
    reading = reading_text(report, settings, lang)
    meta: list[tuple[str, str]] = [
        (lab["k_program"], settings.program.name),
        (lab["k_fiscal_year"], f"FY{fy}"),
        (lab["k_reading"], reading),
        (lab["k_years"], ", ".join(f"FY{y}" for y in report["fiscal_years_counted"])),
        (lab["k_venue_years"], ", ".join(report["venue_years"])),
        *(
            [(lab["k_not_harvested"], ", ".join(report["venue_years_without_papers"]))]
            if report["venue_years_without_papers"]
            else []
        ),
        *((lab["k_rules"], r) for r in rules),
        *(
            [(lab["k_acceptance_unknown"], ", ".join(report["acceptance_date_unknown"]))]
            if report.get("acceptance_date_unknown")
            else []
        ),
        (lab["k_generated"], generated),
        (lab["k_run"], run_text),
        *(
            (
                lab["k_source"],
                (
                    f"{s['venue']} {s['year']} {s['source']}: {s['origin']} "
                    f"({s['n_seen']} papers, {s['finished_at']})"
                ),
            )
            for s in sources
        ),
        *((lab["k_sources_agree"], r.line(registry.titles())) for r in checks),
    ]
    return {
        "lang": lang,
        "fiscal_year": fy,
        "reading": reading,
        "title_summary": lab["title_summary"].format(fy=fy) + " — " + reading,
        "title_evidence": lab["title_evidence"].format(fy=fy) + " — " + reading,
        "meta": meta,
        "summary": summary,
        "evidence": evidence,
        "report": report,
        "run": {k: run[k] for k in ("run_id", "started_at", "finished_at", "status")}
        if run
        else None,
        "sources": sources,
        "source_checks": [r.as_dict() for r in checks],
        "generated_at": generated,
    }


# -- atomic writing -----------------------------------------------------------------------


def _pid_of_temp(name: str) -> int | None:
    m = re.search(r"\.(\d+)\.\d+\.tmp$", name)
    return int(m.group(1)) if m else None


def default_path(settings: Settings, fy: int, lang: str, ext: str) -> Path:
    """Where an export (or chart) of fiscal year `fy` goes unless told otherwise:
    [export] out_dir/papertally_FY<fy>_<lang>.<ext>, for the nightly and `papertally export`."""
    return settings.resolve(settings.export.out_dir) / f"papertally_FY{fy}_{lang}.{ext}"


def missing_folder(path: str | Path) -> Path | None:
    """The outermost missing folder above `path` (what writing it will create), or None."""
    folder, missing = Path(path).parent, None
    while not folder.exists():
        folder, missing = folder.parent, folder
    return missing


def check_fiscal_year(settings: Settings, report: dict) -> None:
    """Refuse to export a fiscal year in which no configured venue-year falls (a typo such
    as 2204, or a year the program does not cover): its export would be all zeros that look
    official. Raises PapertallyError naming the fiscal years the config does cover."""
    if report["venue_years"]:
        return
    covered = sorted(
        {
            settings.fiscal_year_of(settings.counting_date(name, year))
            for name, venue in settings.venues.items()
            for year in venue.editions
        }
    )
    known = ", ".join(f"FY{y}" for y in covered) or "none"
    raise PapertallyError(
        f"FY{report['fiscal_year']}: no configured venue-year falls in this fiscal year "
        f"(the config's editions are in {known}), so its export would be all zeros: check "
        "--fy, or add the editions under [venues.NAME.editions] in the config"
    )


def atomic_write(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Call `write(tmp)` on a temporary file beside `path`, then rename it over `path`.

    Missing folders above `path` are created. A read-only `path` is refused
    (PapertallyError), never replaced. A crash before the rename leaves `path` as it was
    (or absent); temporary files left by killed processes are removed on the next write
    of the same file.
    """
    path = Path(path)
    if path.exists() and (
        not os.access(path, os.W_OK) or not path.stat().st_mode & 0o222
    ):
        # Read-only is someone's way of saying "keep this file": never replace it silently
        # (the rename would, and root's writes ignore the mode).
        raise PapertallyError(
            f"{path}: the file is read-only, so it is not replaced; make it writable "
            "(chmod u+w) if it may be, or write to another file"
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportWriteError(path.parent, exc, "cannot create the export folder") from None
    for stale in path.parent.glob(f".{path.name}.*.tmp"):
        pid = _pid_of_temp(stale.name)
        if pid is not None and not runs_db.pid_alive(pid):
            stale.unlink(missing_ok=True)
    tmp = path.parent / f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp"
    try:
        write(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise ExportWriteError(path, exc) from exc
        raise
    with contextlib.suppress(OSError):
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    return path


# -- formats ------------------------------------------------------------------------------


def _cell(value: object) -> object:
    return "" if value is None else value


def render_csv(data: dict) -> str:
    """Three blocks separated by an empty row: sources and rules (label, value), the
    summary table, the evidence table. Each table starts with its header row."""
    lab = labels(data["lang"])
    out = io.StringIO()
    w = csv.writer(out)  # \r\n line ends, as Excel writes them
    w.writerow([data["title_summary"]])
    for key, value in data["meta"]:
        w.writerow([key, value])
    w.writerow([])
    w.writerow([lab[k] for k in SUMMARY_KEYS])
    for row in data["summary"]:
        w.writerow([_cell(row[k]) for k in SUMMARY_KEYS])
    w.writerow([])
    w.writerow([lab[k] for k in EVIDENCE_KEYS])
    for row in data["evidence"]:
        w.writerow([_cell(row[k]) for k in EVIDENCE_KEYS])
    return out.getvalue()


def render_json(data: dict) -> str:
    """The report's JSON (same shape as `papertally report --format json`) extended with
    an "export" object: language, time, run, sources, reading, summary and evidence rows."""
    body = {
        **data["report"],
        "export": {
            "lang": data["lang"],
            "generated_at": data["generated_at"],
            "run": data["run"],
            "data_sources": data["sources"],
            # Per venue-year two sources list: counts, both, and the titles only one lists.
            "source_checks": data.get("source_checks", []),
            "target_reading_text": data["reading"],
            "meta": [{"label": k, "value": v} for k, v in data["meta"]],
            "summary": data["summary"],
            "evidence": data["evidence"],
        },
    }
    return json.dumps(body, ensure_ascii=False, indent=2, default=str)


def _display_width(value: object) -> int:
    text = str(value)
    # East Asian characters take two columns in Excel's default fonts.
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _write_xlsx(data: dict, path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    lab = labels(data["lang"])
    bold = Font(bold=True)
    head_fill = PatternFill("solid", fgColor="DDEBF7")

    def table(
        ws, title: str, keys: tuple[str, ...], rows: list[dict], wrap: set[str]
    ) -> None:
        ws.append([title])
        ws["A1"].font = Font(bold=True, size=12)
        ws.append([lab[k] for k in keys])
        for cell in ws[2]:
            cell.font, cell.fill = bold, head_fill
        for row in rows:
            ws.append([row[k] for k in keys])
        ws.freeze_panes = "A3"  # title and header stay in view
        ws.auto_filter.ref = f"A2:{get_column_letter(len(keys))}{len(rows) + 2}"
        for i, key in enumerate(keys, start=1):
            widest = max(
                [_display_width(lab[key])]
                + [_display_width(r[key] or "") for r in rows]
            )
            cap = 60 if key in wrap else 40
            ws.column_dimensions[get_column_letter(i)].width = min(
                max(widest + 2, 8), cap
            )
            if key in wrap:
                for (cell,) in ws.iter_rows(min_row=3, min_col=i, max_col=i):
                    cell.alignment = Alignment(wrap_text=True, vertical="top")

    wb = Workbook()
    ws = wb.active
    ws.title = lab["sheet_summary"]
    table(ws, data["title_summary"], SUMMARY_KEYS, data["summary"], {"theme_name"})
    ws.cell(row=ws.max_row, column=1).font = bold
    table(
        wb.create_sheet(lab["sheet_evidence"]),
        data["title_evidence"],
        EVIDENCE_KEYS,
        data["evidence"],
        {"title"},
    )
    about = wb.create_sheet(lab["sheet_about"])
    for key, value in data["meta"]:
        about.append([key, value])
    for (cell,) in about.iter_rows(min_col=1, max_col=1):
        cell.font = bold
    about.column_dimensions["A"].width = (
        max(_display_width(k) for k, _ in data["meta"]) + 2
    )
    about.column_dimensions["B"].width = 100
    wb.save(path)


def write_export(data: dict, fmt: str, path: str | Path) -> Path:
    """Write `data` (from build_export) as xlsx, csv (UTF-8 with BOM) or json, atomically."""
    if fmt == "xlsx":
        return atomic_write(path, lambda tmp: _write_xlsx(data, tmp))
    if fmt == "csv":
        # utf-8-sig: the BOM tells Excel the file is UTF-8, so Japanese shows correctly.
        return atomic_write(
            path, lambda tmp: tmp.write_bytes(render_csv(data).encode("utf-8-sig"))
        )
    if fmt == "json":
        return atomic_write(
            path, lambda tmp: tmp.write_text(render_json(data) + "\n", encoding="utf-8")
        )
    raise PapertallyError(
        f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}"
    )


# -- chart -----------------------------------------------------------------------------------

# IPAexGothic, shipped by the matplotlib-fontja package (a dependency of papertally).
BUNDLED_FONT_PACKAGE = "matplotlib_fontja"
BUNDLED_FONT_FILE = "ipaexg.ttf"
CJK_FAMILIES = (
    "Noto Sans CJK JP",
    "Noto Sans JP",
    "IPAexGothic",
    "IPAGothic",
    "IPAPGothic",
    "TakaoGothic",
    "VL Gothic",
    "Source Han Sans JP",
    "Hiragino Sans",
    "Yu Gothic",
    "Meiryo",
)


def _wrap_label(text: str, lines: int = 3) -> list[str]:
    # Japanese has no spaces and each character is twice as wide: wrap it by characters.
    if _needs_cjk([text]):
        parts = [text[i : i + 6] for i in range(0, len(text), 6)]
    else:
        parts = textwrap.wrap(text, 20)
    if len(parts) > lines:
        parts = [*parts[: lines - 1], parts[lines - 1] + "…"]
    return parts


def _needs_cjk(texts: list[str]) -> bool:
    return any(ord(ch) > 0x2E80 for t in texts for ch in t)


def bundled_font() -> Path | None:
    """The Japanese font file of the matplotlib-fontja package, or None if it is missing.

    Found without importing the package: its import sets matplotlib's global font family.
    """
    spec = importlib.util.find_spec(BUNDLED_FONT_PACKAGE)
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / "fonts" / BUNDLED_FONT_FILE
        if path.is_file():
            return path
    return None


def cjk_font(settings: Settings | None = None):
    """A matplotlib FontProperties with Japanese glyphs, or None if there is none.

    [export] font_file wins; then IPAexGothic as the matplotlib-fontja package ships it
    (a dependency, so charts need no font from the system and look the same everywhere),
    registered by path so that matplotlib's font cache never decides; then the installed
    families in CJK_FAMILIES.
    """
    from matplotlib import font_manager

    if settings and settings.export.font_file:
        path = settings.resolve(settings.export.font_file)
        if not path.is_file():
            raise PapertallyError(
                f"[export] font_file {path} does not exist; fix the path or leave it empty"
            )
        font_manager.fontManager.addfont(str(path))
        return font_manager.FontProperties(fname=str(path))
    bundled = bundled_font()
    if bundled is not None:
        font_manager.fontManager.addfont(str(bundled))
        return font_manager.FontProperties(fname=str(bundled))
    for family in CJK_FAMILIES:
        faces = [f for f in font_manager.fontManager.ttflist if f.name == family]
        if faces:
            # The regular face, not whichever weight happens to be listed first.
            face = min(
                faces, key=lambda f: (f.style != "normal", abs(_weight(f.weight) - 400))
            )
            return font_manager.FontProperties(fname=face.fname)
    return None


def _weight(weight: int | str) -> int:
    named = {
        "light": 300,
        "normal": 400,
        "regular": 400,
        "medium": 500,
        "bold": 700,
        "black": 900,
    }
    return weight if isinstance(weight, int) else named.get(str(weight).lower(), 400)


def write_chart(
    data: dict, path: str | Path, *, settings: Settings | None = None
) -> Path:
    """Per-theme confirmed and pending papers (stacked) against the target, as PNG or SVG.

    Raises PapertallyError when the labels need Japanese glyphs and no CJK font exists.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in ("png", "svg"):
        raise PapertallyError(f"{path}: a chart is written as .png or .svg")
    lab = labels(data["lang"])
    themes = data["report"]["themes"]
    fy = data["fiscal_year"]
    names = [
        f"{t['theme_id']}\n" + "\n".join(_wrap_label(t["theme_name"])) for t in themes
    ]
    # Venue-years counted but with no paper stored: their zeros are not counts (a committee
    # reading the chart alone must see that, as the feed's meta says it).
    missing = data["report"].get("venue_years_without_papers") or []
    unharvested = f"{lab['k_not_harvested']}: {', '.join(missing)}" if missing else ""
    texts = [
        lab["chart_title"],
        lab["confirmed"],
        lab["pending"],
        lab["chart_target"],
        lab["chart_y"],
        data["reading"],
        unharvested,
        *names,
    ]
    font = cjk_font(settings)
    if font is None and _needs_cjk(texts):
        raise PapertallyError(
            "no font with Japanese glyphs, so the chart would show empty boxes: the "
            "matplotlib-fontja package that papertally installs is missing (reinstall: "
            "pip install -e .), or set [export] font_file to a .ttf/.otf with Japanese glyphs"
        )
    fp = {"fontproperties": font} if font is not None else {}

    confirmed = [t["confirmed"] for t in themes]
    pending = [t["pending"] for t in themes]
    x = list(range(len(themes)))
    fig, ax = plt.subplots(figsize=(max(6.0, 1.6 * len(themes) + 2), 4.8), dpi=120)
    try:
        ax.bar(x, confirmed, color="#1f6fb2", label=lab["confirmed"])
        ax.bar(
            x,
            pending,
            bottom=confirmed,
            color="#9ecae1",
            hatch="//",
            edgecolor="#1f6fb2",
            label=lab["pending"],
        )
        shown_target = False
        for i, t in enumerate(themes):
            if t["target"] is not None:
                ax.hlines(
                    t["target"],
                    i - 0.42,
                    i + 0.42,
                    colors="#d62728",
                    linestyles="--",
                    linewidth=2,
                    label=None if shown_target else lab["chart_target"],
                )
                shown_target = True
            total = t["confirmed"] + t["pending"]
            ax.text(
                i,
                total + 0.05,
                f"{t['confirmed']}+{t['pending']}",
                ha="center",
                va="bottom",
                **fp,
            )
        ax.set_xticks(x)
        ax.set_xticklabels(names, **fp)
        ax.set_ylabel(lab["chart_y"], **fp)
        ax.set_title(lab["chart_title"].format(fy=fy), **fp)
        top = max(
            [c + p for c, p in zip(confirmed, pending)]
            + [t["target"] or 0 for t in themes]
            + [1]
        )
        ax.set_ylim(0, top * 1.2 + 0.5)
        ax.yaxis.get_major_locator().set_params(integer=True)
        legend = ax.legend(loc="upper right", prop=font)
        legend.get_frame().set_alpha(0.9)
        fig.text(0.01, 0.01, data["reading"], fontsize=8, color="#555555", **fp)
        if unharvested:
            fig.text(0.01, 0.045, unharvested, fontsize=8, color="#b22222", wrap=True, **fp)
        fig.tight_layout(rect=(0, 0.08 if unharvested else 0.04, 1, 1))
        return atomic_write(path, lambda tmp: fig.savefig(tmp, format=fmt))
    finally:
        plt.close(fig)
