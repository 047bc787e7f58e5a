"""`papertally match` (link authors to members) and `papertally eval` (measure matching on a
labelled set)."""

from __future__ import annotations

from pathlib import Path

import click

from papertally.cli.common import Context, pass_ctx


@click.command()
@click.option("--full", is_flag=True, help="Re-score every paper, not only new or changed ones.")
@pass_ctx
def match(ctx: Context, full: bool) -> None:
    """Link paper authors to roster members; staff decisions are never changed.

    Only papers new or changed since the last pass, and those of added, changed or removed
    members, are re-scored (a new matcher version, new staff rules or decisions re-score
    everything); --full re-scores every paper.

    \b
    Example:
      papertally match
      papertally match --full
    """
    from papertally import pipeline

    c = pipeline.run_matching(ctx.database(create=True), ctx.settings, full=full)
    click.echo(
        f"links: {c.confirmed} newly confirmed, {c.needs_review} sent to review, "
        f"{c.rejected} rejected, {c.changed} re-scored, {c.dropped} no longer candidates; "
        f"{c.kept_decided} staff-decided kept ({c.second_look} flagged for a second look)"
    )
    click.echo(
        f"papers scored: {c.papers_scored} "
        + ("(full pass)" if c.full_pass else "(only new or changed papers and members)")
    )



@click.command("eval")
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
    from papertally.evaluation import evaluate

    folder = Path(data_dir) if data_dir else ctx.settings.base_dir.parent / "shared" / "data"
    click.echo(evaluate(labels, folder).format())
