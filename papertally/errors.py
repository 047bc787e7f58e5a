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
