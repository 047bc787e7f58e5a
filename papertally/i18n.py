"""Japanese and English text of the review page and the exports (papertally/locales/*.json):
per-user choice, else the browser's Accept-Language."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

LANGS = ("ja", "en")
DEFAULT_LANG = "ja"  # most staff read Japanese first
_LOCALES = Path(__file__).resolve().parent / "locales"


@cache
def messages(lang: str) -> dict[str, str]:
    """The message catalogue of `lang` (papertally/locales/<lang>.json)."""
    return json.loads((_LOCALES / f"{lang}.json").read_text(encoding="utf-8"))


def translate(lang: str, key: str, **values: object) -> str:
    """The text for `key` in `lang` (falling back to English, then the key), formatted."""
    text = messages(lang).get(key) or messages("en").get(key) or key
    return text.format(**values) if values else text


def section(lang: str, prefix: str) -> dict[str, str]:
    """The messages of `lang` whose key starts with `prefix`, keyed without it
    (section("ja", "export.")["title"] is the text of "export.title")."""
    return {k[len(prefix) :]: v for k, v in messages(lang).items() if k.startswith(prefix)}


def from_accept_language(header: str | None) -> str:
    """The best supported language in an Accept-Language header (q-values honoured)."""
    best, best_q = None, -1.0
    for i, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        lang = tag.strip().lower().split("-")[0]
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if lang in LANGS and q > best_q:
            best, best_q = lang, q
    return best or DEFAULT_LANG
