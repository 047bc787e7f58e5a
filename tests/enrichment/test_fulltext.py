"""harvesters.fulltext: pages of text from a PDF, or "no full text (reason)", never a crash."""

from __future__ import annotations

import hashlib

import pdfkit
import pytest

from harvesters.fulltext import extract_text


def test_text_pages_and_hash_of_a_generated_paper():
    data = pdfkit.paper(ack="Supported by NEDO JPNP20006.", pages=2)
    ft = extract_text(data)
    assert ft.ok, ft.problem
    assert ft.sha256 == hashlib.sha256(data).hexdigest()
    assert ft.page_count == len(ft.pages) == 3
    assert "Grounded Manipulation" in ft.pages[0]
    assert "JPNP20006" in ft.pages[-1]
    assert ft.describe() == "3 pages of text"


@pytest.mark.parametrize(
    "name, problem",
    [
        ("scanned_page", "no text layer"),
        ("encrypted", "encrypted"),
        ("broken_encoding", "broken encoding"),
        ("truncated_file", "truncated or damaged"),
    ],
)
def test_bad_pdfs_are_no_full_text_with_the_reason(corpus, name, problem):
    case = next(c for c in corpus if c.name == name)
    ft = extract_text(case.pdf)
    assert not ft.ok
    assert problem in ft.problem
    assert ft.pages == ()
    assert ft.describe().startswith("no full text (")


@pytest.mark.parametrize(
    "body, problem",
    [
        (b"<!DOCTYPE html><html><body>Sign in to read this article</body></html>", "HTML page"),
        (b"", "empty answer"),
        (b"\x89PNG\r\n\x1a\n....", "does not start with %PDF-"),
        (b"%PDF-1.7\n garbage garbage", "truncated or damaged"),
    ],
)
def test_answers_that_are_not_pdfs(body, problem):
    ft = extract_text(body)
    assert problem in ft.problem


def test_caps_on_size_and_pages():
    data = pdfkit.many_pages(5)
    assert extract_text(data, max_pages=5).ok
    over = extract_text(data, max_pages=4)
    assert over.problem == "too many pages: 5, over the cap of 4"
    assert over.page_count == 5
    big = extract_text(data, max_bytes=len(data) - 1)
    assert big.problem.startswith("too big")


def test_every_truncation_of_a_pdf_is_text_or_a_reason_never_an_exception():
    data = pdfkit.paper(ack="Supported by NEDO JPNP20006.", pages=1)
    for cut in range(0, len(data), max(1, len(data) // 40)):
        ft = extract_text(data[:cut])
        assert ft.ok or ft.problem, cut


def test_superscript_markers_and_grid_columns_are_marked_on_page_one():
    data = pdfkit.paper(
        authors=["Kazuki Sato^{1,2}, Hanako Suzuki^{2}"],
        affiliations=["^{1}The University of Tokyo  ^{2}RIKEN AIP"],
    )
    lines = extract_text(data).first_page.split("\n")
    assert "Kazuki Sato^{1,2}, Hanako Suzuki^{2}" in lines
    assert any(line.startswith("^{1}") and "^{2}" in line for line in lines)
    grid = pdfkit.paper(grid=[["Kazuki Sato", "Kyoto University"], ["Taro Yamada", "RIKEN"]])
    assert "Kazuki Sato\tTaro Yamada" in extract_text(grid).first_page.split("\n")
