"""Shared fixtures: the repository's config, a fresh database per test, the real data folder."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture
def repo_root() -> Path:
    return REPO


@pytest.fixture
def shared_data() -> Path:
    """The real data beside the repository (../shared/data); skips the test when absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data not found at {SHARED_DATA} (it sits beside the repository)")
    return SHARED_DATA


@pytest.fixture
def settings():
    from papertally.config import load_settings

    return load_settings(REPO / "config.toml")


@pytest.fixture
def db(tmp_path):
    from db.schema import open_db

    database = open_db(tmp_path / "papertally.db")
    yield database
    database.close()
