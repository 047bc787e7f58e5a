"""Reading and checking the roster CSV (themes, projects, members) as Excel saves it."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from pathlib import Path

from matching.text import bare_openalex_id, normalise_orcid
from db.roster import RosterRow
from papertally.errors import RosterError

__all__ = ["COLUMNS", "REQUIRED", "RosterRow", "ThemeWindow", "read_roster", "read_roster_file", "read_themes"]

COLUMNS = (
    "theme_id",
    "theme_name",
    "project_id",
    "person_id",
    "family_name",
    "given_name",
    "name_ja",
    "aliases",
    "affiliation",
    "affiliation_aliases",
    "orcid",
    "openalex_id",
    "start_date",
    "end_date",
)
REQUIRED = ("theme_id", "project_id", "person_id", "family_name", "affiliation")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
_ORCID = re.compile(r"^(https?://orcid\.org/)?\d{4}-\d{4}-\d{4}-\d{3}[\dX]$", re.IGNORECASE)
_OPENALEX = re.compile(r"^(https?://openalex\.org/)?A\d+$", re.IGNORECASE)


_SLASH_DATE = re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$")
# Separators Excel writes: "," (CSV), ";" (CSV where the list separator is ";"), tab (text).
_SEPARATORS = {",": "comma", ";": "semicolon", "\t": "tab"}


def _date(value: str) -> dt.date:
    """An ISO date, or the YYYY/M/D and YYYY/MM/DD that Excel on a Japanese desktop shows and
    saves ISO dates as; raises ValueError otherwise."""
    slash = _SLASH_DATE.match(value)
    if slash:
        return dt.date(*(int(g) for g in slash.groups()))
    return dt.date.fromisoformat(value)


def _separator(text: str) -> str:
    """The separator whose split of the header line names the most roster columns."""
    first = text.split("\n", 1)[0]
    return max(
        _SEPARATORS,
        key=lambda sep: (len({h.strip() for h in first.split(sep)} & set(COLUMNS)), sep == ","),
    )


def _split(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split(";") if v.strip())


def _decode(path: Path) -> str:
    raw = path.read_bytes()
    try:
        # utf-8-sig strips the BOM Excel writes with "CSV UTF-8", and reads plain UTF-8 too.
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        try:
            raw.decode("cp932")
            which = "; it looks like Shift_JIS, which Excel's plain 'CSV (Comma delimited)' writes"
        except UnicodeDecodeError:
            which = ""
        raise RosterError(
            str(path),
            [
                f"line {line}: not UTF-8 (byte {raw[exc.start]:#x}){which}; in Excel use "
                "'Save As' > 'CSV UTF-8 (Comma delimited)'"
            ],
        ) from None


def read_roster(path: str | Path, known_themes: set[str] | None = None) -> list[RosterRow]:
    """Read and check the whole roster; return its rows or raise RosterError listing every
    problem (line, column, reason). Nothing is returned unless every row is good.

    `known_themes`, when given, limits theme_id to those themes.
    """
    return read_roster_file(path, known_themes)[0]


def read_roster_file(
    path: str | Path, known_themes: set[str] | None = None
) -> tuple[list[RosterRow], list[str]]:
    """As read_roster, and the notes on how the file was read (e.g. "read as
    semicolon-separated"), for the import message.

    Accepts what Excel writes: a BOM, dates as YYYY/M/D, a trailing empty column, and a
    semicolon or tab separator (detected from the header, and said in the notes).
    """
    path = Path(path)
    notes: list[str] = []
    try:
        text = _decode(path)
    except FileNotFoundError:
        raise RosterError(str(path), ["file not found"]) from None
    except OSError as exc:
        raise RosterError(str(path), [f"cannot read: {exc}"]) from None
    sep = _separator(text)
    if sep != ",":
        notes.append(f"read as {_SEPARATORS[sep]}-separated, detected from the header")
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=sep)
    header = [h.strip() for h in (reader.fieldnames or [])]
    while header and not header[-1] and len(header) > len(COLUMNS):
        header.pop()  # Excel's trailing empty column: its values must be empty too (below)
    if not header:
        raise RosterError(str(path), ["line 1: the file is empty; expected a header row"])
    missing = [c for c in COLUMNS if c not in header]
    extra = [c for c in header if c not in COLUMNS]
    if missing or extra or len(header) != len(set(header)):
        parts = []
        if missing:
            parts.append(f"missing column(s) {', '.join(missing)}")
        if extra:
            parts.append(f"unknown column(s) {', '.join(extra)}")
        if len(header) != len(set(header)):
            parts.append("a column appears twice")
        raise RosterError(
            str(path), [f"line 1: header: {'; '.join(parts)}; expected exactly: {', '.join(COLUMNS)}"]
        )
    reader.fieldnames = header

    problems: list[str] = []
    rows: list[RosterRow] = []
    seen_person: dict[str, int] = {}
    project_theme: dict[str, tuple[str, int]] = {}
    theme_names: dict[str, tuple[str, int]] = {}
    for rec in reader:
        line = reader.line_num
        if any((v or "").strip() for v in rec.pop(None, [])):
            problems.append(f"line {line}: more fields than the {len(COLUMNS)} columns")
            continue
        if all(not (v or "").strip() for v in rec.values()):
            continue  # blank line, as Excel leaves at the end
        vals = {k: (rec.get(k) or "").strip() for k in COLUMNS}
        bad = len(problems)
        for col in REQUIRED:
            if not vals[col]:
                problems.append(f"line {line}: column {col}: required but empty")
        for col in ("theme_id", "project_id", "person_id"):
            if vals[col] and not _ID.match(vals[col]):
                problems.append(
                    f"line {line}: column {col}: {vals[col]!r} is not a valid ID "
                    "(letters, digits, '_', '-', '.')"
                )
        if known_themes is not None and vals["theme_id"] and vals["theme_id"] not in known_themes:
            problems.append(f"line {line}: column theme_id: {vals['theme_id']!r} is not defined")
        if vals["orcid"] and not _ORCID.match(vals["orcid"]):
            problems.append(
                f"line {line}: column orcid: {vals['orcid']!r} is not an ORCID "
                "(0000-0000-0000-000X)"
            )
        if vals["openalex_id"] and not _OPENALEX.match(vals["openalex_id"]):
            problems.append(
                f"line {line}: column openalex_id: {vals['openalex_id']!r} is not an OpenAlex "
                "author ID (A123...)"
            )
        dates: dict[str, dt.date | None] = {}
        for col in ("start_date", "end_date"):
            dates[col] = None
            if vals[col]:
                try:
                    dates[col] = _date(vals[col])
                except ValueError:
                    problems.append(
                        f"line {line}: column {col}: {vals[col]!r} is not a date "
                        "(YYYY-MM-DD, or YYYY/M/D as Excel shows it)"
                    )
        if dates["start_date"] and dates["end_date"] and dates["end_date"] < dates["start_date"]:
            problems.append(f"line {line}: column end_date: {vals['end_date']} is before start_date")
        pid = vals["person_id"]
        if pid in seen_person:
            problems.append(
                f"line {line}: column person_id: {pid!r} already used on line {seen_person[pid]}"
            )
        elif pid:
            seen_person[pid] = line
        proj = vals["project_id"]
        if proj and vals["theme_id"]:
            if proj in project_theme and project_theme[proj][0] != vals["theme_id"]:
                other_theme, other_line = project_theme[proj]
                problems.append(
                    f"line {line}: column theme_id: project {proj!r} is in theme "
                    f"{other_theme!r} on line {other_line}; a project belongs to one theme"
                )
            project_theme.setdefault(proj, (vals["theme_id"], line))
        if vals["theme_id"] and vals["theme_name"]:
            tid = vals["theme_id"]
            if tid in theme_names and theme_names[tid][0] != vals["theme_name"]:
                problems.append(
                    f"line {line}: column theme_name: {vals['theme_name']!r} differs from "
                    f"{theme_names[tid][0]!r} on line {theme_names[tid][1]} for theme {tid!r}"
                )
            theme_names.setdefault(tid, (vals["theme_name"], line))
        if len(problems) > bad:
            continue
        rows.append(
            RosterRow(
                line=line,
                theme_id=vals["theme_id"],
                theme_name=vals["theme_name"],
                project_id=proj,
                person_id=pid,
                family_name=vals["family_name"],
                given_name=vals["given_name"] or None,
                name_ja=vals["name_ja"] or None,
                aliases=_split(vals["aliases"]),
                affiliation=vals["affiliation"],
                affiliation_aliases=_split(vals["affiliation_aliases"]),
                orcid=normalise_orcid(vals["orcid"]),
                openalex_id=bare_openalex_id(vals["openalex_id"]),
                start_date=dates["start_date"],
                end_date=dates["end_date"],
            )
        )
    if problems:
        raise RosterError(str(path), problems)
    if not rows:
        raise RosterError(str(path), ["no member rows after the header"])
    return rows, notes


THEME_COLUMNS = ("theme_id", "theme_name", "start_date", "end_date")


@dataclass(frozen=True)
class ThemeWindow:
    """When a theme is active (None = open on that side)."""

    theme_id: str
    theme_name: str
    start_date: dt.date | None = None
    end_date: dt.date | None = None


def read_themes(path: str | Path) -> list[ThemeWindow]:
    """Read the themes file ([roster] themes_file); raise RosterError listing every problem
    (line, column, reason) so that nothing half-read is used."""
    path = Path(path)
    try:
        text = _decode(path)
    except FileNotFoundError:
        raise RosterError(str(path), ["file not found"]) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    if sorted(header) != sorted(THEME_COLUMNS):
        raise RosterError(
            str(path), [f"line 1: header {header}; expected exactly: {', '.join(THEME_COLUMNS)}"]
        )
    reader.fieldnames = header
    problems: list[str] = []
    out: list[ThemeWindow] = []
    seen: set[str] = set()
    for rec in reader:
        line = reader.line_num
        vals = {k: (rec.get(k) or "").strip() for k in THEME_COLUMNS}
        if not any(vals.values()):
            continue
        if not _ID.match(vals["theme_id"]):
            problems.append(f"line {line}: column theme_id: {vals['theme_id']!r} is not a valid ID")
            continue
        if vals["theme_id"] in seen:
            problems.append(f"line {line}: column theme_id: {vals['theme_id']!r} appears twice")
        seen.add(vals["theme_id"])
        dates: dict[str, dt.date | None] = {}
        for col in ("start_date", "end_date"):
            try:
                dates[col] = dt.date.fromisoformat(vals[col]) if vals[col] else None
            except ValueError:
                problems.append(
                    f"line {line}: column {col}: {vals[col]!r} is not an ISO date (YYYY-MM-DD)"
                )
                dates[col] = None
        if dates["start_date"] and dates["end_date"] and dates["end_date"] < dates["start_date"]:
            problems.append(f"line {line}: column end_date: {vals['end_date']} is before start_date")
        out.append(ThemeWindow(vals["theme_id"], vals["theme_name"] or vals["theme_id"], **dates))
    if problems:
        raise RosterError(str(path), problems)
    return out
