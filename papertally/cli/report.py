"""`papertally report` (the tally of a fiscal year on the terminal) and `papertally export`
(the indicator files: xlsx, csv, json, and a chart)."""

from __future__ import annotations

from pathlib import Path

import click

from papertally.cli.common import Context, format_option, fy_option, pass_ctx


@click.command()
@fy_option
@format_option("table", "json", "csv")
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
    for warning in data["warnings"]:
        click.echo(f"warning: {warning}", err=True)


@click.command()
@fy_option
@format_option("xlsx", "csv", "json")
@click.option(
    "--lang",
    type=click.Choice(["ja", "en"]),
    default=None,
    help="Language of labels (default: [export] lang).",
)
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False),
    default=None,
    help="File to write (default: [export] out_dir/papertally_FY<fy>_<lang>.<format>).",
)
@click.option(
    "--chart",
    type=click.Path(dir_okay=False),
    default=None,
    help="Also draw per-theme confirmed + pending vs target to FILE.png or FILE.svg.",
)
@pass_ctx
def export(
    ctx: Context,
    fy: int,
    fmt: str,
    lang: str | None,
    out: str | None,
    chart: str | None,
) -> None:
    """Write the indicator for a fiscal year: summary per theme (target, confirmed,
    pending, gap, status), the evidence behind every counted paper, and the run date,
    data sources, target reading and counting rules. Excel (frozen headers), CSV (UTF-8
    with BOM, for Excel) or JSON; Japanese or English. Files are replaced atomically;
    a read-only file is never replaced (an error says so); missing folders in --out are
    created and named. A fiscal year with no configured venue-year is refused.

    \b
    Example:
      papertally export --fy 2024 --format xlsx --lang ja --out FY2024.xlsx --chart FY2024.png
      papertally export --fy 2026 --format csv --lang en --out fy2026.csv
    """
    from papertally import exports
    from papertally.report import build_report

    settings = ctx.settings
    lang = lang or settings.export.lang
    path = Path(out) if out else exports.default_path(settings, fy, lang, fmt)
    report = build_report(ctx.db, settings, fy)
    exports.check_fiscal_year(settings, report)
    data = exports.build_export(ctx.db, settings, report, lang=lang)
    created = exports.missing_folder(path)
    exports.write_export(data, fmt, path)
    if created:
        click.echo(f"created folder {created} (it did not exist)")
    click.echo(
        f"wrote {path}: {len(data['summary']) - 1} theme(s), {len(data['evidence'])} evidence row(s); "
        f"{data['reading']}"
    )
    if chart:
        created = exports.missing_folder(chart)
        exports.write_chart(data, chart, settings=settings)
        if created:
            click.echo(f"created folder {created} (it did not exist)")
        click.echo(f"wrote {chart}")
