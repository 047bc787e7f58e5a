"""The `papertally schedule`, `papertally export` and `papertally runs` commands."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import click

from papertally.cli import Context, pass_ctx
from papertally.errors import PapertallyError

# -- export -----------------------------------------------------------------------------


@click.command()
@click.option(
    "--fy", type=int, required=True, help="Fiscal year (FY N starts in April of N)."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["xlsx", "csv", "json"]),
    default="xlsx",
    show_default=True,
)
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
    with BOM, for Excel) or JSON; Japanese or English. Files are replaced atomically.

    \b
    Example:
      papertally export --fy 2024 --format xlsx --lang ja --out FY2024.xlsx --chart FY2024.png
      papertally export --fy 2026 --format csv --lang en --out fy2026.csv
    """
    from papertally import exports
    from papertally.report import build_report

    settings = ctx.settings
    lang = lang or settings.export.lang
    path = (
        Path(out)
        if out
        else settings.resolve(settings.export.out_dir)
        / f"papertally_FY{fy}_{lang}.{fmt}"
    )
    data = exports.build_export(
        ctx.db, settings, build_report(ctx.db, settings, fy), lang=lang
    )
    exports.write_export(data, fmt, path)
    click.echo(
        f"wrote {path}: {len(data['summary']) - 1} theme(s), {len(data['evidence'])} evidence row(s); "
        f"{data['reading']}"
    )
    if chart:
        exports.write_chart(data, chart, settings=settings)
        click.echo(f"wrote {chart}")


# -- runs -------------------------------------------------------------------------------


@click.command()
@click.option(
    "--show", "show", type=int, default=None, help="Print one run's full summary."
)
@click.option(
    "--limit",
    type=int,
    default=10,
    show_default=True,
    help="How many recent runs to list.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
)
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
    from papertally.nightly import render_summary

    if show is not None:
        run = runs_db.get_run(ctx.db, show)
        if run is None:
            raise NotFoundError(
                f"run {show} does not exist; `papertally runs` lists them"
            )
        if fmt == "json":
            click.echo(json.dumps(run, ensure_ascii=False, indent=2))
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
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
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


class LocalPrefectServer:
    """A `prefect server start` subprocess on 127.0.0.1, stopped with its process group."""

    def __init__(self, port: int, log_path: Path, startup_timeout: float = 180):
        self.port = port
        self.log_path = log_path
        self.startup_timeout = startup_timeout
        self.proc: subprocess.Popen | None = None

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def _port_in_use(self) -> bool:
        with socket.socket() as s:
            s.settimeout(1)
            return s.connect_ex(("127.0.0.1", self.port)) == 0

    def _healthy(self) -> bool:
        import urllib.request

        try:
            with urllib.request.urlopen(f"{self.api_url}/health", timeout=2) as resp:
                return resp.status == 200
        except OSError:
            return False

    def start(self) -> None:
        """Start the server and wait until its API answers; raises PapertallyError if it
        cannot (port taken, server exited, too slow)."""
        if self._port_in_use():
            raise PapertallyError(
                f"port {self.port} on 127.0.0.1 is already in use. If a Prefect server runs "
                f"there, use it: PREFECT_API_URL={self.api_url} papertally schedule; otherwise "
                "set another [schedule] server_port in the config"
            )
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "prefect",
                    "server",
                    "start",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own process group: stopped as a whole
            )
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise PapertallyError(
                    f"the local Prefect server exited with code {self.proc.returncode} while "
                    f"starting; see {self.log_path}"
                )
            if self._healthy():
                return
            time.sleep(0.5)
        self.stop()
        raise PapertallyError(
            f"the local Prefect server did not answer within {self.startup_timeout:.0f} s; "
            f"see {self.log_path}"
        )

    def stop(self, timeout: float = 30) -> int | None:
        """SIGTERM the server's process group, SIGKILL it after `timeout`; returns its exit code."""
        if self.proc is None or self.proc.poll() is not None:
            return None if self.proc is None else self.proc.returncode
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            return self.proc.wait(10)
        except ProcessLookupError:
            return self.proc.wait(10)


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
            server = LocalPrefectServer(sched.server_port, log_path)
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


commands = [export, runs, schedule]
