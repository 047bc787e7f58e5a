"""`papertally run` (the nightly flow once), `papertally runs` (past run summaries) and
`papertally schedule` (the nightly flow on its cron)."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import click

from papertally.cli.common import Context, echo_json, format_option, limit_option, pass_ctx
from papertally.errors import PapertallyError


@click.command()
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
    from db.connection import DatabaseFault
    from db.schema import check_same_database, check_writable

    # A bad config, or a read-only or locked database, fails here, before Prefect starts.
    settings = ctx.settings
    check_writable(ctx.database(create=True))
    from flows import prefect_defaults, quiet_console_tracebacks

    prefect_defaults()
    from flows.nightly import run_nightly
    from flows.server import prefect_api

    quiet_console_tracebacks()
    from papertally import steps
    from papertally import report as rep

    # Prefect's own temporary server would outlive this process if it were killed (-9).
    with prefect_api():
        summary, _state = run_nightly(
            config_path=str(Path(ctx.config_path).resolve()),
            db_path=str(ctx.db_path.resolve()),
            offline=offline,
            trigger="cli",
        )
    click.echo(steps.render_summary(summary))
    try:
        check_same_database(summary["database"])
    except (DatabaseFault, KeyError, TypeError):
        fiscal_years = []  # the failure is in the summary; no report from another file
    else:
        fiscal_years = sorted({t["fiscal_year"] for t in summary["tally"]})
    for fy in fiscal_years:
        click.echo("")
        click.echo(rep.render_table(rep.build_report(ctx.db, settings, fy)))
    if summary["failures"]:
        raise PapertallyError(
            f"{len(summary['failures'])} step(s) failed (listed above); the rest completed"
        )


# -- runs -------------------------------------------------------------------------------


@click.command()
@click.option(
    "--show", "show", type=int, default=None, help="Print one run's full summary."
)
@limit_option(10, "How many recent runs to list.")
@format_option("table", "json")
@pass_ctx
def runs(ctx: Context, show: int | None, limit: int, fmt: str) -> None:
    """Past nightly runs: when, how they ended, failures, review queue; or one run's summary.

    \b
    Example:
      papertally runs
      papertally runs --show 12
    """
    from db import runs as runs_db
    from papertally.errors import NotFoundError
    from papertally.steps import render_summary

    if show is not None:
        run = runs_db.get_run(ctx.db, show)
        if run is None:
            raise NotFoundError(
                f"run {show} does not exist; `papertally runs` lists them"
            )
        if fmt == "json":
            echo_json(run)
        elif run["summary"]:
            click.echo(render_summary(run["summary"]))
        else:
            click.echo(
                f"run {show}: {run['status']} (started {run['started_at']}; no summary stored)"
            )
        return
    rows = runs_db.recent_runs(ctx.db, limit)
    if fmt == "json":
        for r in rows:
            r["summary"] = json.loads(r["summary"])
        echo_json(rows)
        return
    if not rows:
        click.echo("No nightly run yet: papertally run")
        return
    click.echo(
        f"{'run':>5} {'status':<11} {'trigger':<9} {'started':<26} {'failures':>8} {'queue':>6}"
    )
    for r in rows:
        queue = "-" if r["review_queue"] is None else r["review_queue"]
        click.echo(
            f"{r['run_id']:>5} {r['status']:<11} {r['trigger']:<9} {r['started_at']:<26} "
            f"{r['n_failures']:>8} {queue:>6}"
        )


# -- schedule ---------------------------------------------------------------------------


def _raise_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


@click.command()
@click.option(
    "--offline", is_flag=True, help="Scheduled runs use the offline files only."
)
@pass_ctx
def schedule(ctx: Context, offline: bool) -> None:
    """Keep running the nightly flow on the [schedule] cron and time zone of the config
    (default 02:00 Asia/Tokyo) until stopped with Ctrl-C or SIGTERM.

    Uses the Prefect API in PREFECT_API_URL if set; otherwise starts a local
    `prefect server start` on 127.0.0.1:[schedule] server_port (its UI shows every run)
    and stops it on exit. A temporary Prefect server cannot fire schedules, hence this.

    \b
    Example:
      papertally schedule
      PREFECT_API_URL=http://prefect.internal:4200/api papertally schedule
    """
    from flows import prefect_defaults
    from flows.server import scheduling_server

    settings = ctx.settings
    sched = settings.schedule
    config_path = str(Path(ctx.config_path).resolve())
    db_path = str(ctx.db_path.resolve())
    prefect_defaults()
    previous = signal.signal(
        signal.SIGTERM, _raise_interrupt
    )  # until Prefect installs its own
    server = None
    try:
        if not os.environ.get("PREFECT_API_URL"):
            log_path = settings.resolve(settings.export.out_dir) / "prefect-server.log"
            server = scheduling_server(sched.server_port, log_path)
            click.echo(
                f"starting a local Prefect server on {server.api_url} (log: {log_path}) ...",
                err=True,
            )
            server.start()
            os.environ["PREFECT_API_URL"] = server.api_url
            click.echo(f"Prefect UI: http://127.0.0.1:{sched.server_port}", err=True)
        from prefect.schedules import Cron

        from flows import quiet_console_tracebacks
        from flows.nightly import nightly

        quiet_console_tracebacks()
        click.echo(
            f"serving papertally-nightly on cron {sched.cron!r} ({sched.timezone}) against "
            f"{os.environ['PREFECT_API_URL']}; stop with Ctrl-C",
            err=True,
        )
        nightly.serve(
            name="papertally-nightly",
            schedules=[Cron(sched.cron, timezone=sched.timezone)],
            parameters={
                "config_path": config_path,
                "db_path": db_path,
                "offline": offline,
                "trigger": "schedule",
            },
            limit=1,  # never two nightly runs at once
            print_starting_message=False,
        )
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        if server is not None:
            click.echo("stopping the local Prefect server ...", err=True)
            code = server.stop()
            click.echo(f"local Prefect server stopped (exit code {code})", err=True)

