"""`papertally schedule` for real: it starts its own Prefect server, the cron fires a run,
and SIGTERM stops the runner and the server cleanly (about 60-100 s)."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time

from nightlykit import REPO, write_config


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_schedule_fires_on_cron_and_stops_its_server_on_sigterm(tmp_path):
    from db import runs as runs_db
    from db.schema import open_db

    port = free_port()
    config = write_config(tmp_path, broken_job=False, formats='["json"]', chart="")
    text = config.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^cron = .*$", 'cron = "* * * * *"', text)
    text = re.sub(r"(?m)^server_port = .*$", f"server_port = {port}", text)
    config.write_text(text, encoding="utf-8")
    db_path = tmp_path / "s.db"
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update(
        PREFECT_HOME=str(tmp_path / "prefect-home"),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        DO_NOT_TRACK="1",
    )
    stderr_path = tmp_path / "schedule.err"
    with stderr_path.open("w") as err:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import sys; from papertally.cli import main; main(sys.argv[1:])",
                "--config",
                str(config),
                "--db",
                str(db_path),
                "schedule",
                "--offline",
            ],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
            stdin=subprocess.DEVNULL,
        )
    try:
        deadline = time.monotonic() + 240
        run = None
        while time.monotonic() < deadline and proc.poll() is None:
            time.sleep(2)
            if db_path.exists():
                db = open_db(db_path)
                row = db.execute(
                    "SELECT run_id FROM run_summaries WHERE trigger = 'schedule' AND status = 'ok'"
                ).fetchone()
                run = runs_db.get_run(db, row[0]) if row else None
                db.close()
                if run:
                    break
        assert run is not None, stderr_path.read_text()[-3000:]
        assert run["summary"]["flow_run_id"]
        assert len(run["summary"]["harvests"]) == 4
        assert port_open(port)  # the local Prefect server (its UI shows the run)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(90)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    log = stderr_path.read_text()
    assert code == 0, log[-3000:]
    assert f"starting a local Prefect server on http://127.0.0.1:{port}/api" in log
    assert "local Prefect server stopped" in log
    time.sleep(1)
    assert not port_open(port)


def test_schedule_stops_on_ctrl_c_and_takes_its_server_down(tmp_path):
    port = free_port()
    config = write_config(tmp_path, broken_job=False, formats='["json"]', chart="")
    text = re.sub(
        r"(?m)^server_port = .*$",
        f"server_port = {port}",
        config.read_text(encoding="utf-8"),
    )
    config.write_text(text, encoding="utf-8")  # cron stays 02:00 Tokyo: nothing fires
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update(
        PREFECT_HOME=str(tmp_path / "prefect-home"),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        DO_NOT_TRACK="1",
    )
    stderr_path = tmp_path / "schedule.err"
    with stderr_path.open("w") as err:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import sys; from papertally.cli import main; main(sys.argv[1:])",
                "--config",
                str(config),
                "--db",
                str(tmp_path / "s.db"),
                "schedule",
            ],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
            stdin=subprocess.DEVNULL,
        )
    try:
        deadline = time.monotonic() + 180
        while (
            time.monotonic() < deadline
            and "serving papertally-nightly" not in stderr_path.read_text()
        ):
            assert proc.poll() is None, stderr_path.read_text()[-3000:]
            time.sleep(0.5)
        time.sleep(3)  # the runner is up and polling
        assert port_open(port)
    finally:
        proc.send_signal(signal.SIGINT)  # what Ctrl-C sends
        try:
            code = proc.wait(90)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    log = stderr_path.read_text()
    assert code == 0, log[-3000:]
    assert "local Prefect server stopped" in log
    time.sleep(1)
    assert not port_open(port)
