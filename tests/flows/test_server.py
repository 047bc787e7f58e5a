"""The Prefect servers papertally starts die with it: a `papertally run` killed with SIGKILL
leaves no temporary Prefect server behind, and a server whose papertally died anyway is
stopped at the next start (issue 11.7)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from nightlykit import REPO, write_config

from flows import server as srv


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by its parent) counts as gone.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def wait_until(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def sleeper() -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(120)", "pretend-prefect-server"],
        start_new_session=True,
    )


def dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    return int(done.stdout)


def record(directory: Path, proc: subprocess.Popen, parent: int, command=None) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{proc.pid}.json"
    path.write_text(json.dumps({"pid": proc.pid, "parent": parent, "port": 1,
                                "command": command or proc.args}))
    return path


def test_a_server_whose_papertally_died_is_stopped_at_the_next_start(tmp_path):
    orphan, owned, reused = sleeper(), sleeper(), sleeper()
    try:
        orphan_file = record(tmp_path, orphan, dead_pid())
        owned_file = record(tmp_path, owned, os.getppid())  # its papertally still runs
        # The pid now runs something else than the file says: never killed, file dropped.
        reused_file = record(tmp_path, reused, dead_pid(), command=["something", "else"])

        assert srv.reap_orphans(tmp_path) == [orphan.pid]

        assert orphan.wait(10) == -signal.SIGTERM
        assert not orphan_file.exists()
        assert owned.poll() is None and owned_file.exists()
        assert reused.poll() is None and not reused_file.exists()
    finally:
        for proc in (orphan, owned, reused):
            proc.kill()
            proc.wait()


def test_papertally_run_killed_with_sigkill_leaves_no_prefect_server(tmp_path):
    if not sys.platform.startswith("linux"):
        pytest.skip("dying with the parent (PR_SET_PDEATHSIG) is Linux only")
    config = write_config(tmp_path, broken_job=False, formats='["json"]', chart="")
    home = tmp_path / "prefect-home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    env.update(PREFECT_HOME=str(home), PREFECT_SERVER_ANALYTICS_ENABLED="false", DO_NOT_TRACK="1")
    run = subprocess.Popen(
        [sys.executable, "-m", "papertally", "--config", str(config),
         "--db", str(tmp_path / "r.db"), "run", "--offline"],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    server_pid = None
    try:
        pid_file = wait_until(
            lambda: next(iter((home / "papertally-servers").glob("*.json")), None),
            120, "the temporary server's pid file",
        )
        entry = json.loads(pid_file.read_text())
        server_pid = entry["pid"]
        assert entry["parent"] == run.pid

        def answers() -> bool:
            try:
                url = f"http://127.0.0.1:{entry['port']}/api/health"
                with urllib.request.urlopen(url, timeout=2) as resp:
                    return resp.status == 200
            except OSError:
                return run.poll() is not None  # stop waiting if the run ended on its own

        wait_until(answers, 180, "the temporary Prefect server to answer")
        assert run.poll() is None, run.stderr.read()
        os.kill(run.pid, signal.SIGKILL)
        run.wait(30)

        wait_until(lambda: not alive(server_pid), 30, f"server {server_pid} to die with its parent")
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
        if server_pid and alive(server_pid):
            os.killpg(server_pid, signal.SIGKILL)
        run.stderr.close()
