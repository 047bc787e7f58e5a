"""Paths shared by the harvester tests: fixtures in the repo, real data beside it."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"
SHARED_DATA = REPO / ".." / "shared" / "data"


@pytest.fixture
def fixture_text():
    """Read a fixture file (path relative to tests/fixtures) as UTF-8 text."""

    def read(relative: str) -> str:
        return (FIXTURES / relative).read_text(encoding="utf-8")

    return read
