"""The speed bench runs end to end on a tiny input (the real run is bench/match_bench.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_bench_runs_and_reports_every_figure():
    out = subprocess.run(
        [
            sys.executable,
            str(REPO / "bench" / "match_bench.py"),
            "--mentions",
            "3000",
            "--roster",
            "300",
            "--baseline-sample",
            "5",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    ).stdout
    for needle in (
        "authorships",
        "peak RSS",
        "candidates:",
        "all-pairs rapidfuzz baseline",
        "ratio",
        "goals",
    ):
        assert needle in out, out


def test_synthetic_shards_partition_the_input():
    sys.path.insert(0, str(REPO / "bench"))
    import match_bench

    whole = [m.key for m in match_bench.mentions(2000, 0, 1)]
    parts = [m.key for s in range(3) for m in match_bench.mentions(2000, s, 3)]
    assert sorted(whole) == sorted(parts) and len(whole) == 2000
