"""The harvest bench runs end to end on a slice of CVPR 2024 (the real run has all 2,716)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DATA = REPO.parent / "shared" / "data"


@pytest.mark.skipif(
    not (DATA / "paperlists" / "cvpr2024.json").is_file(),
    reason="needs ../shared/data/paperlists/cvpr2024.json beside the repository",
)
def test_bench_harvests_a_slice_and_reports_every_figure():
    out = subprocess.run(
        [sys.executable, str(REPO / "bench" / "harvest_bench.py"), "--latency", "0",
         "--limit", "150", "--data", str(DATA)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    ).stdout
    figures = json.loads(out[out.index("{") : out.rindex("}") + 1])
    # Both sources stored every served paper (new source records).
    assert figures["papers"] == ["openalex: 150 (150 new)", "cvf: 150 (150 new)"]
    # Nothing changed: the count call and a 304 for the listing, no page downloaded again.
    assert (figures["repeat_requests"], figures["harvest_requests"]) == (2, 4)
    assert figures["repeat_bytes"] < 1000 < figures["harvest_bytes"]
    assert figures["repeat_papers"] == ["openalex: 150 unchanged", "cvf: 150 unchanged"]
    for key in ("harvest_vs_raw", "harvest_as_nightly_vs_raw", "write_floor_vs_raw",
                "harvest_vs_raw_plus_floor", "schema_floor_s",
                "harvest_vs_raw_plus_schema_floor"):
        assert figures[key] > 0
    assert "goal (no latency): harvest <= 2x (raw + write floor)" in out and "write floor" in out
