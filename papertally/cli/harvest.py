"""`papertally harvest` (accepted papers into the database) and `papertally openalex-sources`
(find the OpenAlex source IDs of a venue-year)."""

from __future__ import annotations

import json

import click

from harvesters import registry
from papertally.cli.common import Context, pass_ctx, require_staff, venue_option, year_option
from papertally.errors import PapertallyError


@click.group(invoke_without_command=True)
@click.option("--source", help="Source, one of: " + registry.help_text() + ".")
@venue_option()
@year_option()
@click.option("--from", "from_path", type=click.Path(dir_okay=False), help="A downloaded file to load instead of the network.")
@click.option("--partial", is_flag=True, help="With --from: the file is a part of the listing (a sample): not checked against the expected size, and nothing it lacks is flagged as no longer listed.")
@click.option("--offline", is_flag=True, help="Use each configured job's offline_file; no network.")
@click.option("--status", "show_status", is_flag=True, help="Show the last harvest runs per source and venue-year, then exit.")
@click.option("--runs", "n_runs", type=click.IntRange(1, 100), default=3, show_default=True, help="With --status: runs shown per source and venue-year.")
@click.option("--progress/--no-progress", default=None, help="Progress on stderr (default: only when stderr is a terminal).")
@pass_ctx
def harvest(ctx: Context, source, venue, year, from_path, partial, offline, show_status, n_runs, progress) -> None:
    """Harvest accepted papers into the database.

    With --source/--venue/--year/--from, load one downloaded file (every source reads its
    saved response the same way). With no options, run every [[harvest]] job of the config
    (live, falling back to its offline file); --source/--venue/--year narrow the jobs, and
    name a venue-year to harvest live even when no job is configured for it.
    Re-running never duplicates a paper; papers a source no longer lists are flagged, kept.
    A file whose content names another venue-year, or that lists no paper (or far fewer
    than expected, unless --partial), is refused; `harvest forget --run ID` takes a run back.

    \b
    Examples:
      papertally harvest --source paperlists --venue CVPR --year 2024 --from cvpr2024.json
      papertally harvest --source acl-anthology --venue ACL --year 2023 --from 2023.acl.xml
      papertally harvest --source dblp --venue ICRA --year 2024      # live, one venue-year
      papertally harvest            # every configured job
      papertally harvest --status   # last runs per source: requests, bytes, counts, errors
      papertally harvest forget --run 12   # what taking run 12 back would remove
    """
    from papertally import harvesting as pipeline

    if click.get_current_context().invoked_subcommand:
        return
    from db.runs import mark_interrupted

    if show_status:
        _print_harvest_status(ctx, n_runs)
        return
    settings = ctx.settings
    # Harvests a killed papertally left 'running' are closed as 'interrupted' first.
    mark_interrupted(ctx.database(create=True))
    if from_path:
        if not (source and venue and year):
            raise click.UsageError("--from needs --source, --venue and --year")
        outcome = pipeline.harvest_file(
            ctx.database(create=True), settings, source, venue, year, from_path,
            complete=not partial,
        )
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
                ctx.database(create=True), settings, job, offline=offline, client=client, progress=reporter
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
    from db.runs import owner_gone

    rows = status_rows(ctx.db, n_runs)
    if not rows:
        click.echo("No harvest has run yet: papertally harvest")
        return

    def size(n: int) -> str:
        return f"{n / 1e6:.1f}M" if n >= 100_000 else f"{n / 1e3:.1f}k"

    click.echo(
        f"{'run':>5} {'source':<14} {'venue':<8} {'year':<5} {'started (UTC)':<20} {'status':<11} "
        f"{'papers':>6} {'new':>5} {'upd':>4} {'same':>5} {'gone':>4} {'req':>4} "
        f"{'bytes':>7} {'304':>3}  note"
    )
    for r in rows:
        errors = json.loads(r["errors"] or "[]")
        status = r["status"]
        if status == "running" and owner_gone(r["host"], r["pid"]):
            # Its process was killed; the next harvest or run stores it as interrupted.
            status, errors = "interrupted", ["interrupted: the process was stopped mid-harvest"]
        kind = "complete" if r["complete"] else ("sample" if r["complete"] is not None else "")
        note = errors[0] if (status in ("failed", "interrupted") and errors) else (
            kind if not r["origin"] else f"{kind} {r['origin']}".strip())
        click.echo(
            f"{r['run_id']:>5} {r['source']:<14} {r['venue']:<8} {r['year']:<5} "
            f"{(r['started_at'] or '')[:19]:<20} {status:<11} {r['n_seen']:>6} {r['n_new']:>5} {r['n_updated']:>4} "
            f"{r['n_unchanged']:>5} {r['n_missing']:>4} {r['requests']:>4} {size(r['bytes']):>7} "
            f"{r['not_modified'] or 0:>3}  {note[:160]}"
        )
    _print_source_checks(ctx)
    _print_enrichment_calls(ctx, n_runs)


def _print_enrichment_calls(ctx: Context, n_runs: int) -> None:
    """The enrichment calls of the last nights (OpenAlex's by price class, with the cost)."""
    from db.runs import recent_runs
    from papertally.author_enrichers import night_cost_lines

    lines = night_cost_lines(recent_runs(ctx.db, n_runs))
    if lines:
        click.echo("\nenrichment calls, newest night first:")
        for line in lines:
            click.echo(f"  {line}")


def _print_source_checks(ctx: Context) -> None:
    """Venue-years two sources list: counts, both, only one (and up to 5 titles each)."""
    from db.reconcile import reconcile

    from harvesters.registry import titles

    checks = reconcile(ctx.db)
    if not checks:
        return
    names = titles()
    click.echo("\nSources compared (by DOI or normalised title; a paper only one lists still counts):")
    for r in checks:
        click.echo(f"  {r.line(names)}")
        for source, only in ((r.a, r.only_a), (r.b, r.only_b)):
            for _, title in only[:5]:
                click.echo(f"    only {names.get(source, source)}: {title}")
            if len(only) > 5:
                click.echo(f"    only {names.get(source, source)}: ... {len(only) - 5} more (papertally export --format json)")

@harvest.command("forget")
@click.option("--run", "run_id", type=int, required=True, help="The harvest run to take back (the run column of harvest --status).")
@click.option("--yes", is_flag=True, help="Do it (without it, only say what would be removed).")
@click.option("--by", "by", help="Who takes the run back: a staff account (recorded; needed with --yes).")
@pass_ctx
def forget(ctx: Context, run_id: int, yes: bool, by: str | None) -> None:
    """Take back a mistaken harvest run: the source records it stored and every paper no
    other source holds. Records it only saw again stay. Staff decisions are never removed:
    a link staff decided (or made a rule from) stays in the audit log with its paper, and
    is rejected by a new recorded decision so that it no longer counts. Dry run unless
    --yes.

    \b
    Examples:
      papertally harvest forget --run 12                       # what would go
      papertally harvest forget --run 12 --yes --by "Sato Hanako"
    """
    from db import forget as forget_db

    if not yes:
        found = forget_db.plan(ctx.db, run_id)
        click.echo(f"would forget {found.summary()}")
        for paper in found.papers[:10]:
            click.echo(f"  {paper['paper_id']} {paper['venue']} {paper['year']} {paper['title'][:70]}")
        if len(found.papers) > 10:
            click.echo(f"  ... {len(found.papers) - 10} more")
        click.echo("Nothing changed; add --yes --by NAME to do it.")
        return
    if not by:
        raise click.UsageError("--yes needs --by NAME (who takes the run back is recorded)")
    require_staff(ctx, by)
    done = forget_db.forget(ctx.db, run_id, by)
    click.echo(f"forgot {done.summary()}")


@click.command("openalex-sources")
@venue_option(required=True)
@year_option(required=True)
@click.option(
    "--name",
    help="Text to search for (default: the venue's [venues] name, with the year).",
)
@click.option(
    "--candidates",
    type=click.IntRange(1, 25),
    default=10,
    show_default=True,
    help="Candidates whose works of the year are counted (one priced call each).",
)
@pass_ctx
def openalex_sources(
    ctx: Context, venue: str, year: int, name: str | None, candidates: int
) -> None:
    """Find the OpenAlex source IDs of a venue-year's proceedings for config.toml.

    Searches OpenAlex's /sources for the venue's name and the year, counts each
    candidate's works of that year, and prints the line to paste under
    [sources.openalex.venue_ids] (check the names first: OpenAlex keeps one source per
    edition). Costs 1 + --candidates calls against the API key in [sources.openalex]
    api_key_env.

    \b
    Example:
      papertally openalex-sources --venue CVPR --year 2026
    """
    from harvesters import openalex as oa
    from harvesters.live import shared_client

    settings = ctx.settings
    key = settings.venue_key(venue)
    source = settings.sources.get("openalex")
    if source is None:
        raise PapertallyError("no [sources.openalex] in the config")
    text = name or settings.venues[key].name or key
    found = oa.find_sources(
        shared_client(settings),
        source.base_url,
        venue=key,
        year=year,
        name=text,
        api_key=oa.api_key_from_env(source.api_key_env),
        limit=candidates,
    )
    if not found:
        click.echo(
            f'OpenAlex found no source for "{year} {text}"; try --name with another '
            "wording (e.g. the proceedings' title)"
        )
        return
    click.echo(f'OpenAlex sources for "{year} {text}" ({key} {year}):')
    click.echo(f"{'id':<12} {f'works {year}':>10} {'works':>7}  {'type':<11} name")
    for c in found:
        in_year = "?" if c.works_in_year is None else c.works_in_year
        total = "?" if c.works_count is None else c.works_count
        click.echo(
            f"{c.source_id:<12} {in_year:>10} {total:>7}  {c.type or '-':<11} {c.display_name}"
        )
    chosen = [c.source_id for c in found if c.works_in_year and c.names(key, year)]
    if chosen:
        ids = ", ".join(f'"{s}"' for s in chosen)
        click.echo(
            "\nFor config.toml, under [sources.openalex.venue_ids] (check the names above "
            f'first):\n"{key} {year}" = [{ids}]'
        )
    else:
        click.echo(
            f"\nNo candidate naming {key} or {year} has works of {year}: the proceedings "
            "may not be indexed yet, or try --name with the proceedings' title."
        )

