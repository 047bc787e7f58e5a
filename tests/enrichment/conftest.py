"""The generated PDF corpus, built once per test session (fpdf2, IPAexGothic)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # pdfkit

import pdfkit  # noqa: E402


@pytest.fixture(scope="session")
def corpus() -> list[pdfkit.Case]:
    return pdfkit.corpus()


@pytest.fixture(scope="session")
def terms():
    from matching.attribution import terms_from

    return terms_from([pdfkit.GRANT], pdfkit.FUNDERS, pdfkit.PROGRAM_NAMES)


@pytest.fixture
def night_settings(settings, tmp_path):
    """Settings for a whole night on mocked HTTP, with `program` keys changed: responses
    cached under tmp_path, no backoff waits, no coverage floor and no expected paper counts
    (the mocked lists are cut down)."""

    def make(**program):
        return settings.model_copy(update={
            "program": settings.program.model_copy(update=program),
            "http": settings.http.model_copy(update={"cache_dir": str(tmp_path / "cache"),
                                                     "backoff_seconds": 0.0}),
            "coverage": settings.coverage.model_copy(update={"min_ratio": 0.0}),
            "venues": {k: v.model_copy(update={"editions": {
                y: e.model_copy(update={"expected_papers": None})
                for y, e in v.editions.items()}})
                for k, v in settings.venues.items()},
        })

    return make
