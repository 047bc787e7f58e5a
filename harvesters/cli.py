"""The `papertally openalex-sources` command: find the OpenAlex source IDs of a venue-year."""

from __future__ import annotations

import click

from papertally.cli import Context, pass_ctx
from papertally.errors import PapertallyError


@click.command("openalex-sources")
@click.option("--venue", required=True, help="Venue key from config.toml, e.g. CVPR.")
@click.option("--year", type=int, required=True, help="Conference year.")
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


commands = [openalex_sources]
