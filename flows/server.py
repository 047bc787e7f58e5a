"""The Prefect API servers papertally starts itself: a temporary one for `papertally run`
and `prefect server start` for `papertally schedule`.

Each dies with the papertally process that started it, even one killed with SIGKILL (on
Linux the kernel sends it SIGTERM: PR_SET_PDEATHSIG), and leaves a pid file under
PREFECT_HOME/papertally-servers, so that a server whose papertally died anyway (another
system, a race at start) is stopped the next time papertally starts one. Without this,
Prefect's own temporary server outlives a killed run (about 200 MB, a loopback port).
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from db.runs import pid_alive
from papertally.errors import PapertallyError

PR_SET_PDEATHSIG = 1


def prefect_home() -> Path:
    """PREFECT_HOME as Prefect reads it (default ~/.prefect), without importing prefect."""
    return Path(os.environ.get("PREFECT_HOME") or Path.home() / ".prefect").expanduser()


def pid_dir() -> Path:
    return prefect_home() / "papertally-servers"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cmdline(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def _die_with_parent(parent: int):
    """A preexec_fn: the child gets SIGTERM when `parent` (the thread that started it, the
    main thread here) dies, however it dies. Linux only; elsewhere the pid file remains."""
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(None, use_errno=True)  # loaded before the fork, not in the child

    def preexec() -> None:
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return preexec


def _stop_group(pid: int, timeout: float) -> None:
    """SIGTERM the process group `pid` leads, SIGKILL it if still there after `timeout`."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not pid_alive(pid):
                return
            time.sleep(0.2)
        os.killpg(pid, signal.SIGKILL)


def reap_orphans(directory: Path | None = None, timeout: float = 10) -> list[int]:
    """Stop the servers of the pid files in `directory` whose papertally process is gone
    (only when the pid still runs the command the file recorded); remove their files.
    Returns the pids stopped."""
    directory = directory or pid_dir()
    stopped = []
    for path in sorted(directory.glob("*.json")):
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
            pid, parent, command = int(entry["pid"]), int(entry["parent"]), entry["command"]
        except (OSError, ValueError, KeyError, TypeError):
            path.unlink(missing_ok=True)  # unreadable: nothing safe to do with it
            continue
        if pid_alive(parent) and parent != os.getpid():
            continue  # its papertally still runs
        if pid_alive(pid) and _cmdline(pid) == command:
            _stop_group(pid, timeout)
            stopped.append(pid)
        path.unlink(missing_ok=True)
    return stopped


class PrefectServer:
    """One Prefect API server subprocess on 127.0.0.1:`port` (start, wait until healthy,
    stop), owned by this process."""

    def __init__(
        self,
        command: list[str],
        port: int,
        log_path: Path,
        *,
        env: dict[str, str] | None = None,
        startup_timeout: float = 180,
        what: str = "the local Prefect server",
    ):
        self.command = command
        self.port = port
        self.log_path = log_path
        self.env = env or {}
        self.startup_timeout = startup_timeout
        self.what = what
        self.proc: subprocess.Popen | None = None
        self.pid_file: Path | None = None

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def _port_in_use(self) -> bool:
        with socket.socket() as s:
            s.settimeout(1)
            return s.connect_ex(("127.0.0.1", self.port)) == 0

    def _healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.api_url}/health", timeout=2) as resp:
                return resp.status == 200
        except OSError:
            return False

    def start(self) -> None:
        """Stop orphaned servers of earlier runs, start this one, and wait until its API
        answers; raises PapertallyError if it cannot (port taken, server exited, too slow)."""
        reap_orphans()
        if self._port_in_use():
            raise PapertallyError(
                f"port {self.port} on 127.0.0.1 is already in use. If a Prefect server runs "
                f"there, use it: PREFECT_API_URL={self.api_url}; otherwise "
                "set another [schedule] server_port in the config"
            )
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                self.command,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**os.environ, **self.env},
                start_new_session=True,  # its own process group: stopped as a whole
                preexec_fn=_die_with_parent(os.getpid()),
            )
        self._write_pid_file()
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self._remove_pid_file()
                raise PapertallyError(
                    f"{self.what} exited with code {self.proc.returncode} while "
                    f"starting; see {self.log_path}"
                )
            if self._healthy():
                return
            time.sleep(0.2)
        self.stop()
        raise PapertallyError(
            f"{self.what} did not answer within {self.startup_timeout:.0f} s; "
            f"see {self.log_path}"
        )

    def _write_pid_file(self) -> None:
        directory = pid_dir()
        directory.mkdir(parents=True, exist_ok=True)
        self.pid_file = directory / f"{self.proc.pid}.json"
        entry = {
            "pid": self.proc.pid,
            "parent": os.getpid(),
            "port": self.port,
            "command": self.command,
        }
        self.pid_file.write_text(json.dumps(entry), encoding="utf-8")

    def _remove_pid_file(self) -> None:
        if self.pid_file is not None:
            self.pid_file.unlink(missing_ok=True)
            self.pid_file = None

    def stop(self, timeout: float = 30) -> int | None:
        """SIGTERM the server's process group, SIGKILL it after `timeout`; returns its exit code."""
        if self.proc is None:
            return None
        try:
            if self.proc.poll() is not None:
                return self.proc.returncode
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                return self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                return self.proc.wait(10)
            except ProcessLookupError:
                return self.proc.wait(10)
        finally:
            self._remove_pid_file()


def temporary_server(log_path: Path) -> PrefectServer:
    """The server Prefect itself would start for a flow run when no PREFECT_API_URL is set
    (the same uvicorn command and settings as its SubprocessASGIServer), on a free port,
    but owned by this process."""
    spec = importlib.util.find_spec("prefect")
    app_dir = str(Path(spec.origin).resolve().parent.parent)
    port = free_port()
    return PrefectServer(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--app-dir",
            app_dir,
            "--factory",
            "prefect.server.api.server:create_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "error",
            "--lifespan",
            "on",
        ],
        port,
        log_path,
        env={
            "PREFECT_UI_ENABLED": "0",
            "PREFECT__SERVER_EPHEMERAL": "1",
            "PREFECT__SERVER_FINAL": "1",
        },
        startup_timeout=float(
            os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS") or 120
        ),
        what="the temporary Prefect server",
    )


def scheduling_server(port: int, log_path: Path) -> PrefectServer:
    """`prefect server start` on 127.0.0.1:`port` (a temporary server cannot fire
    schedules); its UI shows every run."""
    return PrefectServer(
        [
            sys.executable,
            "-m",
            "prefect",
            "server",
            "start",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        port,
        log_path,
    )


@contextlib.contextmanager
def prefect_api() -> Iterator[str]:
    """The Prefect API for a flow run in this process: the configured one (PREFECT_API_URL,
    a profile, a test harness), else a temporary server of ours, stopped when this process
    exits (and killed with it however it ends). Yields its URL."""
    from prefect.settings import PREFECT_API_URL, get_current_settings, temporary_settings

    reap_orphans()
    configured = get_current_settings().api.url
    if configured:
        yield configured
        return
    server = temporary_server(pid_dir() / "temporary-server.log")
    server.start()
    # At exit, not on leaving the block: Prefect's log and event workers send their last
    # records while the interpreter shuts down (before atexit handlers run), and a server
    # already gone prints "Error logging to API". Prefect stops its own server so too.
    atexit.register(server.stop)
    with temporary_settings({PREFECT_API_URL: server.api_url}):
        yield server.api_url

