"""What every command group shares: the lazily loaded settings and database (Context), and
the option decorators that several commands repeat (--format, --fy, --limit, --venue, --year), and the check of a
`--by NAME` recorded in an audit log."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import click

from papertally.errors import PapertallyError


class Context:
    """Lazily loaded settings and database, shared by every subcommand."""

    def __init__(self, config_path: str, db_path: str | None):
        self.config_path = config_path
        self.db_path_option = db_path
        self._settings = None
        self._db = None

    @property
    def settings(self):
        if self._settings is None:
            from papertally.config import load_settings

            self._settings = load_settings(self.config_path)
        return self._settings

    @property
    def db_path(self) -> Path:
        if self.db_path_option:
            return Path(self.db_path_option)
        return self.settings.resolve(self.settings.database.path)

    @property
    def db(self):
        """The existing database (commands that read): "no database at PATH" when there is
        none, never a new empty one whose zeros would read as a result."""
        return self.database(create=False)

    def database(self, *, create: bool):
        """The database, created first when `create` (commands that write: harvest, roster
        import, match, run, user add)."""
        if self._db is None:
            from db.schema import open_db

            self._db = open_db(self.db_path, create=create)
        return self._db


pass_ctx = click.make_pass_decorator(Context)


def format_option(*choices: str, default: str | None = None):
    """--format FMT (into the parameter `fmt`), one of `choices`, default the first."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(list(choices)),
        default=default or choices[0],
        show_default=True,
    )


def fy_option(fn=None, *, required: bool = True):
    """--fy N: a fiscal year (FY N starts in the configured month of year N)."""
    option = click.option(
        "--fy", type=int, required=required, help="Fiscal year (FY N starts in April of N)."
    )
    return option(fn) if fn is not None else option


def limit_option(default: int | None, help: str, maximum: int = 100_000):
    """--limit N: at most N rows (1 to `maximum`)."""
    return click.option(
        "--limit",
        type=click.IntRange(1, maximum),
        default=default,
        show_default=default is not None,
        help=help,
    )


def venue_option(required: bool = False, help: str = "Venue key from config.toml, e.g. CVPR."):
    return click.option("--venue", required=required, help=help)


def year_option(required: bool = False, help: str = "Conference year."):
    return click.option("--year", type=int, required=required, help=help)


def echo_json(data) -> None:
    """Print `data` as indented JSON, non-ASCII (Japanese names) as is."""
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def no_control_characters(option: str, value: str | None) -> None:
    """Refuse newlines, escape codes and other control characters: in an append-only
    audit log they could forge what looks like another entry, for good."""
    if value and any(unicodedata.category(ch).startswith("C") for ch in value):
        raise PapertallyError(
            f"{option} {value!r} holds control characters (a newline, an escape code, ...); "
            "write it on one line in plain text"
        )


def require_staff(ctx: Context, by: str) -> None:
    """`--by NAME` goes into an append-only audit log: it must be a staff account, on one line."""
    from db.accounts import get_user

    no_control_characters("--by", by)
    if get_user(ctx.db, by) is None:
        raise PapertallyError(
            f"--by {by!r} is not a staff account: name yourself as in `papertally user list` "
            "(or create the account with `papertally user add NAME`)"
        )
