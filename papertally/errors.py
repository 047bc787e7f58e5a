"""The errors papertally raises on bad input; the CLI prints each as one line."""

from __future__ import annotations


class PapertallyError(Exception):
    """Base class: a problem the user can fix, with a message saying where and how.

    `key` and `params`, when given, name the same message in papertally/locales (the
    review page shows it in the viewer's language; the CLI prints the English message).
    """

    def __init__(self, *args: object, key: str | None = None, params: dict | None = None):
        super().__init__(*args)
        self.key = key
        self.params = params or {}


class ConfigError(PapertallyError):
    """config.toml is missing, malformed, or holds an unknown key or impossible value."""


class RosterError(PapertallyError):
    """The roster CSV is malformed; `problems` lists every bad row (line, column, reason)."""

    def __init__(self, path: str, problems: list[str]):
        self.path = path
        self.problems = problems
        shown = "; ".join(problems[:20])
        more = f" (and {len(problems) - 20} more)" if len(problems) > 20 else ""
        super().__init__(
            f"{path}: roster rejected, nothing imported: {len(problems)} problem(s): {shown}{more}"
        )


class ParseError(PapertallyError):
    """A source file or response does not have the shape its parser expects."""


class HarvestError(PapertallyError):
    """Fetching or storing one source's venue-year failed."""

    def __init__(self, message: str, *, source: str | None = None, url: str | None = None):
        self.source = source
        self.url = url
        where = ", ".join(p for p in (f"source {source}" if source else "", url or "") if p)
        super().__init__(f"{message} ({where})" if where else message)


class NotFoundError(PapertallyError):
    """A named thing (link, user, fiscal year) does not exist."""


class ExportWriteError(PapertallyError):
    """An export file (or its folder) cannot be written: `path`, the OS's reason, and what
    to do about it."""

    _ADVICE = {
        "ENOSPC": "the disk is full: free space there, or choose another --out / [export] out_dir",
        "EDQUOT": "the disk quota is used up: free space, or choose another --out / [export] out_dir",
        "EACCES": "this user may not write there: fix the permissions, or choose another --out / [export] out_dir",
        "EPERM": "this user may not write there: fix the permissions, or choose another --out / [export] out_dir",
        "EROFS": "that filesystem is read-only: choose another --out / [export] out_dir",
        "EISDIR": "a folder has that name: give a file name with --out, or move the folder",
        "EEXIST": "a file stands where the folder should be: move it, or choose another --out / [export] out_dir",
        "ENOTDIR": "part of the path is a file, not a folder: choose another --out / [export] out_dir",
    }

    def __init__(self, path, exc: OSError, what: str = "cannot write the export"):
        import errno

        self.path = str(path)
        name = errno.errorcode.get(exc.errno or 0, "")
        advice = self._ADVICE.get(
            name, "check the path and the disk, or choose another --out / [export] out_dir"
        )
        super().__init__(f"{path}: {what} ({exc.strerror or exc}): {advice}")

