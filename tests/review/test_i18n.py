"""Page language: the two catalogues stay complete, Accept-Language is read with its q-values."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from db.links import AUTHOR_ID_SCHEMES
from db.links import QUEUE_STATUSES as STATUS_CHOICES
from db.rules import RULE_KINDS
from papertally.i18n import from_accept_language, messages, translate

TEMPLATES = Path(__file__).resolve().parents[2] / "review" / "templates"


def _sentences() -> dict[str, str]:
    """Every evidence sentence the matcher writes: key -> English template."""
    from matching import enriched, evidence

    return {**evidence.SENTENCES, **enriched.SENTENCES}


def test_japanese_and_english_have_the_same_keys():
    # except the evidence sentences: English is the matcher's own (matching/evidence.py)
    sentences = {f"evidence.{k}" for k in _sentences()}
    assert set(messages("ja")) - sentences == set(messages("en"))


def test_every_evidence_sentence_of_the_matcher_is_worded_in_japanese():
    import string

    def fields(text: str) -> set[str]:
        return {f for _, f, _, _ in string.Formatter().parse(text) if f}

    for key, english in _sentences().items():
        japanese = messages("ja").get(f"evidence.{key}")
        assert japanese is not None, f"evidence.{key} has no Japanese wording"
        assert fields(japanese) == fields(english), key


def test_every_key_used_in_a_template_exists():
    used = set()
    for path in TEMPLATES.glob("*.html"):
        used |= set(
            re.findall(
                r"""t\(["']([a-z0-9_.]+)["']""", path.read_text(encoding="utf-8")
            )
        )
    assert used, "no translated text found in the templates"
    families = {k for k in used if k.endswith(".")}  # t("status." ~ s) and the like
    # every value those families take
    used = (used - families) | {
        *(f"status.{s}" for s in STATUS_CHOICES),
        *(f"action.{a}" for a in ("accept", "reject", "unsure", "undo")),
        *(f"error.{c}" for c in (400, 401, 403, 404, 405, 409, 422, 429, 503)),
        *(f"rules.kind.{k}" for k in RULE_KINDS),
        *(f"summary.reading.{r}" for r in ("per_fiscal_year", "cumulative")),
        *(f"bulk.{g}" for g in ("id", "org", "name_org")),
        *(f"page.{k}" for k in ("openreview", "cvf", "anthology", "ieee", "pdf", "openalex", "source")),
        *(f"scheme.{s}" for s in AUTHOR_ID_SCHEMES),
    }
    assert families == {
        "status.",
        "action.",
        "error.",
        "rules.kind.",
        "summary.reading.",
        "bulk.",
        "scheme.",
        "page.",
    }
    assert used <= set(messages("en")), used - set(messages("en"))


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        ("ja,en-US;q=0.9", "ja"),
        ("en-US,en;q=0.9,ja;q=0.8", "en"),
        ("fr-FR,en;q=0.5,ja;q=0.7", "ja"),
        ("de", "ja"),  # unsupported: the staff's default
        ("", "ja"),
        (None, "ja"),
        ("en;q=abc, ja;q=0.1", "ja"),  # a broken q-value counts as 0
    ],
)
def test_accept_language(header, lang):
    assert from_accept_language(header) == lang


def test_every_key_used_in_the_app_code_exists():
    code = "\n".join(
        path.read_text(encoding="utf-8")
        for path in (*TEMPLATES.parent.glob("*.py"), *TEMPLATES.parent.glob("views/*.py"))
    )
    used = set(re.findall(r"""translate\(\s*[a-z_.]+,\s*f?["']([a-z0-9_.{}]+)["']""", code))
    pages = set(re.findall(r"""PageError\(\s*\d+,\s*["']([a-z0-9_.]+)["']""", code))
    assert {"error.bulk_action", "error.csrf"} <= pages
    assert pages <= set(messages("en")) & set(messages("ja")), pages - set(messages("ja"))
    assert {"login.failed", "queue.no_such_page", "login.locked_{lock.scope}"} <= used
    keys = {k for k in used if "{" not in k} | {
        f"login.locked_{scope}" for scope in ("name", "client")
    }
    assert keys <= set(messages("en")) & set(messages("ja")), keys - set(messages("ja"))


def test_translate_formats_and_falls_back():
    assert translate("ja", "queue.count", n=3) == "3 件"
    assert translate("en", "queue.count", n=3) == "3 items"
    assert translate("ja", "no.such.key") == "no.such.key"
