"""The `papertally` command: global options, error handling, and every command group,
registered here and only here (one module per group beside this file)."""

from __future__ import annotations

import os
import sys
import traceback

import click

from papertally.cli import harvest, matching, report, review, roster, runs
from papertally.cli.common import Context
from papertally.errors import PapertallyError


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--config",
    "config_path",
    envvar="PAPERTALLY_CONFIG",
    default="config.toml",
    show_default=True,
    help="Configuration file (env PAPERTALLY_CONFIG).",
)
@click.option(
    "--db",
    "db_path",
    envvar="PAPERTALLY_DB",
    default=None,
    help="SQLite database file (env PAPERTALLY_DB; default: [database] path in the config).",
)
@click.version_option(package_name="papertally")
@click.pass_context
def cli(ctx: click.Context, config_path: str, db_path: str | None) -> None:
    """papertally: how many of the program's papers were accepted at the top conferences,
    per theme and fiscal year, with the evidence behind every count.

    \b
    Example:
      papertally roster import examples/roster.csv
      papertally harvest --source paperlists --venue CVPR --year 2024 --from cvpr2024.json
      papertally match
      papertally report --fy 2024
    """
    ctx.obj = Context(config_path, db_path)



for command in (
    roster.roster,
    harvest.harvest,
    harvest.openalex_sources,
    matching.match,
    matching.evaluate_cmd,
    report.report,
    report.export,
    runs.run,
    runs.runs,
    runs.schedule,
    review.review,
    review.user,
):
    cli.add_command(command)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: run the CLI; a PapertallyError becomes one line and exit 1."""
    try:
        code = cli.main(args=argv, prog_name="papertally", standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except PapertallyError as exc:
        if os.environ.get("PAPERTALLY_DEBUG"):
            traceback.print_exc()
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - the one place that must never show a traceback
        if os.environ.get("PAPERTALLY_DEBUG"):
            traceback.print_exc()
        click.echo(
            f"error: unexpected {type(exc).__name__}: {exc} "
            "(set PAPERTALLY_DEBUG=1 to see the traceback, and please report it)",
            err=True,
        )
        sys.exit(1)
