"""bench/enrich_bench.py runs and prints its ratios (a small smoke run, no timing asserted)."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_bench_prints_extraction_and_cost_ratios(capsys):
    sys.path.insert(0, str(REPO / "bench"))
    import enrich_bench

    assert enrich_bench.main(["--repeat", "1", "--pages", "2", "--cost", "2"]) == 0
    out = capsys.readouterr().out
    assert "generated two-column paper:" in out and "extract_text" in out
    assert "  raw      2 calls," in out
    assert "per candidate 1.00 calls, x1.00 of raw bytes" in out
    assert "  again    0 calls, 0 bytes" in out
    openalex = out.split("OpenAlex per paper for 2 candidates")[1]
    assert "enrich   2 calls {'single work': 2}" in openalex
    assert "per candidate 1.00 calls, x1.00 of raw bytes" in openalex
    assert "again    0 calls, 0 bytes (2 cached)" in openalex
