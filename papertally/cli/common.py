"""What every command group shares: the lazily loaded settings and database (Context), and
the option decorators that several commands repeat (--format, --fy, --limit, --venue, --year)."""

from __future__ import annotations

import json
from pathlib import Path

import click


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
