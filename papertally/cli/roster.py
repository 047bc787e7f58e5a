"""`papertally roster ...`: load and show the roster of funded members."""

from __future__ import annotations


import click

from papertally.cli.common import Context, echo_json, format_option, pass_ctx


@click.group()
def roster() -> None:
    """Themes, projects and members of the funded program.

    \b
    Example:
      papertally roster import roster.csv
      papertally roster list
    """


@roster.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "--allow-shrink",
    is_flag=True,
    help="Import even if it deactivates more than [roster] max_deactivate_share of the members.",
)
@pass_ctx
def roster_import(ctx: Context, file: str, allow_shrink: bool) -> None:
    """Load the roster CSV (UTF-8, with or without BOM) and update members in place.

    Columns, exactly: theme_id, theme_name, project_id, person_id, family_name, given_name,
    name_ja, aliases, affiliation, affiliation_aliases, orcid, openalex_id, start_date,
    end_date. A file with any bad row is rejected whole, every problem listed. Dates may be
    YYYY-MM-DD or YYYY/M/D; a semicolon or tab separator is detected and said. A file that
    would deactivate more than [roster] max_deactivate_share of the active members (default
    20%) is refused unless --allow-shrink.

    \b
    Example:
      papertally roster import examples/roster.csv
      papertally roster import roster-2027.csv --allow-shrink
    """
    from papertally.pipeline import import_roster_file

    click.echo(
        import_roster_file(
            ctx.database(create=True), ctx.settings, file, allow_shrink=allow_shrink
        ).summary()
    )


@roster.command("list")
@format_option("table", "json")
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
        echo_json(members)
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

