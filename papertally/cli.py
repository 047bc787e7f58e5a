"""The `papertally` command: global options, error handling, and the core subcommands.

Other packages add their own command groups (review, user, export, schedule, ...) by
being listed in COMMAND_MODULES; each module exposes a `commands` list of click commands.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import traceback
from pathlib import Path

import click

from papertally.errors import PapertallyError

# "module" -> its `commands` (a list of click commands/groups) are added to the CLI.
COMMAND_MODULES: list[str] = ["flows.cli", "review.cli", "harvesters.cli"]


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
        if self._db is None:
            from db.schema import open_db

            self._db = open_db(self.db_path)
        return self._db


pass_ctx = click.make_pass_decorator(Context)


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


# -- roster --------------------------------------------------------------------------


@cli.group()
def roster() -> None:
    """Themes, projects and members of the funded program.

    \b
    Example:
      papertally roster import roster.csv
      papertally roster list
    """


@roster.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@pass_ctx
def roster_import(ctx: Context, file: str) -> None:
    """Load the roster CSV (UTF-8, with or without BOM) and update members in place.

    Columns, exactly: theme_id, theme_name, project_id, person_id, family_name, given_name,
    name_ja, aliases, affiliation, affiliation_aliases, orcid, openalex_id, start_date,
    end_date. A file with any bad row is rejected whole, every problem listed.

    \b
    Example:
      papertally roster import examples/roster.csv
    """
    from db.roster import import_roster
    from papertally.roster import read_roster

    rows = read_roster(file)
    change = import_roster(ctx.db, rows)
    click.echo(
        f"{file}: {len(rows)} members: {change.added} added, {change.updated} updated, "
        f"{change.unchanged} unchanged, {change.deactivated} no longer listed (kept, inactive)"
    )


@roster.command("list")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--all", "include_inactive", is_flag=True, help="Include members no longer listed.")
@pass_ctx
def roster_list(ctx: Context, fmt: str, include_inactive: bool) -> None:
    """Show the loaded themes, projects and members.

    \b
    Example:
      papertally roster list --format json
    """
    from db.roster import list_members

    members = list_members(ctx.db, include_inactive=include_inactive)
    if fmt == "json":
        click.echo(json.dumps(members, ensure_ascii=False, indent=2))
        return
    if not members:
        click.echo("No roster loaded yet: papertally roster import FILE.csv")
        return
    click.echo(f"{'theme':<6} {'project':<8} {'person':<8} {'name':<28} {'name_ja':<10} affiliation")
    for m in members:
        name = f"{m['family_name']}, {m['given_name'] or ''}".strip(", ")
        flag = "" if m["active"] else "  (inactive)"
        click.echo(
            f"{m['theme_id']:<6} {m['project_id']:<8} {m['person_id']:<8} {name[:28]:<28} "
            f"{(m['name_ja'] or '')[:10]:<10} {m['affiliation']}{flag}"
        )


# -- harvest -------------------------------------------------------------------------


@cli.command()
@click.option("--source", help="Source: paperlists, acl-anthology, openalex, cvf, neurips, openreview, dblp.")
@click.option("--venue", help="Venue key from config.toml, e.g. CVPR.")
@click.option("--year", type=int, help="Conference year.")
@click.option("--from", "from_path", type=click.Path(dir_okay=False), help="A downloaded file to load instead of the network.")
@click.option("--offline", is_flag=True, help="Use each configured job's offline_file; no network.")
@click.option("--status", "show_status", is_flag=True, help="Show the last harvest runs per source and venue-year, then exit.")
@click.option("--runs", "n_runs", type=click.IntRange(1, 100), default=3, show_default=True, help="With --status: runs shown per source and venue-year.")
@click.option("--progress/--no-progress", default=None, help="Progress on stderr (default: only when stderr is a terminal).")
@pass_ctx
def harvest(ctx: Context, source, venue, year, from_path, offline, show_status, n_runs, progress) -> None:
    """Harvest accepted papers into the database.

    With --source/--venue/--year/--from, load one downloaded file (every source reads its
    saved response the same way). With no options, run every [[harvest]] job of the config
    (live, falling back to its offline file); --source/--venue/--year narrow the jobs, and
    name a venue-year to harvest live even when no job is configured for it.
    Re-running never duplicates a paper; papers a source no longer lists are flagged, kept.

    \b
    Examples:
      papertally harvest --source paperlists --venue CVPR --year 2024 --from cvpr2024.json
      papertally harvest --source acl-anthology --venue ACL --year 2023 --from 2023.acl.xml
      papertally harvest --source dblp --venue ICRA --year 2024      # live, one venue-year
      papertally harvest            # every configured job
      papertally harvest --status   # last runs per source: requests, bytes, counts, errors
    """
    from papertally import harvesting as pipeline

    if show_status:
        _print_harvest_status(ctx, n_runs)
        return
    settings = ctx.settings
    if from_path:
        if not (source and venue and year):
            raise click.UsageError("--from needs --source, --venue and --year")
        outcome = pipeline.harvest_file(ctx.db, settings, source, venue, year, from_path)
        click.echo(outcome.summary())
        for w in outcome.warnings[:10]:
            click.echo(f"  warning: {w}", err=True)
        if len(outcome.warnings) > 10:
            click.echo(f"  ... {len(outcome.warnings) - 10} more warnings", err=True)
        return
    jobs = [
        j
        for j in settings.harvest
        if (not source or j.source == source)
        and (not venue or j.venue.lower() == venue.lower())
        and (not year or j.year == year)
    ]
    if not jobs and source and venue and year:
        from papertally.config import HarvestJob

        key = settings.venue_key(venue)
        if settings.edition(key, year) is None:
            raise PapertallyError(
                f"{key} {year} is not configured: add it under [venues.{key}.editions] in "
                f"{settings.base_dir / 'config.toml'}"
            )
        jobs = [HarvestJob(source=source, venue=key, year=year)]
    if not jobs:
        raise PapertallyError("no [[harvest]] job in the config matches these options")
    from harvesters.live import shared_client

    reporter = pipeline.Progress(force=progress)  # None: only when stderr is a terminal
    client = None if offline else shared_client(settings)
    failed = 0
    for job in jobs:
        try:
            outcome = pipeline.harvest_job(
                ctx.db, settings, job, offline=offline, client=client, progress=reporter
            )
            click.echo(outcome.summary())
        except PapertallyError as exc:
            failed += 1
            click.echo(f"{job.source} {job.venue} {job.year}: failed: {exc}", err=True)
    if failed:
        raise PapertallyError(f"{failed} of {len(jobs)} harvest job(s) failed (see above)")


def _print_harvest_status(ctx: Context, n_runs: int) -> None:
    """The last runs per source and venue-year, newest first."""
    from db.harvest_state import status_rows

    rows = status_rows(ctx.db, n_runs)
    if not rows:
        click.echo("No harvest has run yet: papertally harvest")
        return

    def size(n: int) -> str:
        return f"{n / 1e6:.1f}M" if n >= 100_000 else f"{n / 1e3:.1f}k"

    click.echo(
        f"{'source':<14} {'venue':<8} {'year':<5} {'started (UTC)':<20} {'status':<7} "
        f"{'papers':>6} {'new':>5} {'upd':>4} {'same':>5} {'gone':>4} {'req':>4} "
        f"{'bytes':>7} {'304':>3}  note"
    )
    for r in rows:
        errors = json.loads(r["errors"] or "[]")
        kind = "complete" if r["complete"] else ("sample" if r["complete"] is not None else "")
        note = errors[0] if (r["status"] == "failed" and errors) else (kind if not r["origin"] else
                                                                       f"{kind} {r['origin']}".strip())
        click.echo(
            f"{r['source']:<14} {r['venue']:<8} {r['year']:<5} {(r['started_at'] or '')[:19]:<20} "
            f"{r['status']:<7} {r['n_seen']:>6} {r['n_new']:>5} {r['n_updated']:>4} "
            f"{r['n_unchanged']:>5} {r['n_missing']:>4} {r['requests']:>4} {size(r['bytes']):>7} "
            f"{r['not_modified'] or 0:>3}  {note[:160]}"
        )


# -- match ---------------------------------------------------------------------------


@cli.command()
@pass_ctx
def match(ctx: Context) -> None:
    """Link paper authors to roster members; staff decisions are never changed.

    \b
    Example:
      papertally match
    """
    from papertally import pipeline

    c = pipeline.run_matching(ctx.db, ctx.settings)
    click.echo(
        f"links: {c.confirmed} newly confirmed, {c.needs_review} sent to review, "
        f"{c.rejected} rejected, {c.changed} re-scored, {c.dropped} no longer candidates; "
        f"{c.kept_decided} staff-decided kept ({c.second_look} flagged for a second look)"
    )


# -- report --------------------------------------------------------------------------


@cli.command()
@click.option("--fy", type=int, required=True, help="Fiscal year (FY N starts in April of N).")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
@pass_ctx
def report(ctx: Context, fy: int, fmt: str) -> None:
    """Per-theme confirmed and pending papers for a fiscal year, against the targets.

    \b
    Example:
      papertally report --fy 2024 --format json
    """
    from papertally import report as rep

    data = rep.build_report(ctx.db, ctx.settings, fy)
    render = {"table": rep.render_table, "json": rep.render_json, "csv": rep.render_csv}[fmt]
    click.echo(render(data))


@cli.command("eval")
@click.option("--labels", required=True, type=click.Path(dir_okay=False), help="links.csv of a labelled set.")
@click.option(
    "--data",
    "data_dir",
    default=None,
    type=click.Path(file_okay=False),
    help="Folder the labelled set's source files are relative to (default: ../shared/data beside the config).",
)
@pass_ctx
def evaluate_cmd(ctx: Context, labels: str, data_dir: str | None) -> None:
    """Measure matching on a labelled set: precision of confirmed, recall of confirmed +
    needs_review, share of true links left to review, per venue and overall.

    \b
    Example:
      papertally eval --labels bench/labels/links.csv
      papertally eval --labels bench/labels/holdout/links.csv --data ../shared/data
    """
    from matching.evaluate import evaluate

    folder = Path(data_dir) if data_dir else ctx.settings.base_dir.parent / "shared" / "data"
    click.echo(evaluate(labels, folder).format())


@cli.command()
@click.option("--offline", is_flag=True, help="Do not try the live sources; use the offline files.")
@pass_ctx
def run(ctx: Context, offline: bool) -> None:
    """The main job, once, as the nightly Prefect flow: re-import the roster, harvest every
    configured venue-year (falling back to the offline samples when a source cannot be
    reached), match, tally, write the exports of [export], store and print the run summary
    and the report of each fiscal year. Uses the Prefect API in PREFECT_API_URL if set,
    otherwise a temporary local one (about 15 s to start). Exits 1 if any step failed.

    \b
    Example:
      papertally run
      papertally run --offline
      papertally --db /srv/papertally/papertally.db run
    """
    from flows import prefect_defaults, quiet_console_tracebacks

    prefect_defaults()
    from flows.nightly import run_nightly

    quiet_console_tracebacks()
    from papertally import nightly as steps
    from papertally import report as rep

    settings = ctx.settings  # a bad config fails here, before Prefect starts
    summary, _state = run_nightly(
        config_path=str(Path(ctx.config_path).resolve()),
        db_path=str(ctx.db_path.resolve()),
        offline=offline,
        trigger="cli",
    )
    click.echo(steps.render_summary(summary))
    for fy in sorted({t["fiscal_year"] for t in summary["tally"]}):
        click.echo("")
        click.echo(rep.render_table(rep.build_report(ctx.db, settings, fy)))
    if summary["failures"]:
        raise PapertallyError(
            f"{len(summary['failures'])} step(s) failed (listed above); the rest completed"
        )


# -- wiring ----------------------------------------------------------------------------


def _add_module_commands() -> None:
    for name in COMMAND_MODULES:
        module = importlib.import_module(name)
        for command in module.commands:
            cli.add_command(command)


_add_module_commands()


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
