"""`papertally review serve` as staff start it: a subprocess on a local port."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import time

import requests


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_starts_creates_a_private_key_and_requires_login(review_config, tmp_path):
    from db.schema import open_db

    open_db(tmp_path / "serve.db").close()
    port = free_port()
    env = {
        **os.environ,
        "PAPERTALLY_CONFIG": str(review_config),
        "PAPERTALLY_DB": str(tmp_path / "serve.db"),
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from papertally.cli import main; main()",
            "review",
            "serve",
            "--port",
            str(port),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(url + "/healthz", timeout=1).text == "ok":
                    break
            except requests.ConnectionError:
                pass
            assert proc.poll() is None, proc.communicate()[1]
            assert time.monotonic() < deadline, (
                "review serve did not answer within 30 s"
            )
            time.sleep(0.2)
        r = requests.get(url + "/queue", allow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login")
        key = tmp_path / "review-secret.key"
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)  # also closes the pipes
    assert "papertally review on http://127.0.0.1:" in err
