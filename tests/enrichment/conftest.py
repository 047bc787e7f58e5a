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
