"""What the core says (evidence kinds and sentences, the explanation line, errors) in the
viewer's language, through papertally/locales. A sentence the catalogue does not know yet
is shown as the core wrote it."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from matching.evidence import explained
from papertally.i18n import messages, translate


def evidence_kind(lang: str, e: dict) -> str:
    key = f"evidence.kind.{e.get('kind')}"
    return translate(lang, key) if key in messages("en") else str(e.get("kind"))


# Parameters matching appends in brackets after a sentence (matching.evidence.APPENDED).
_APPENDED = ("via", "reason")


def evidence_text(lang: str, e: dict) -> str:
    """One evidence sentence: the catalogue's wording of its machine key and parameters
    (`key`, `params`) when `lang` has one, else the core's own English sentence (`detail`,
    which is what the English page shows: matching/evidence.py holds those templates)."""
    params = e.get("params") or {}
    text = messages(lang).get(f"evidence.{e.get('key')}")
    try:
        worded = text.format(**params) if text is not None else None
    except (KeyError, IndexError, ValueError):
        worded = None  # parameters the wording does not expect: the core's sentence is right
    if worded is None:
        return str(e.get("detail") or "")
    for name in _APPENDED:
        value = str(params.get(name) or "")
        if value:
            value = messages(lang).get(f"evidence.{name}.{value.replace(' ', '_')}", value)
            worded += f"（{value}）" if lang == "ja" else f" ({value})"
    return worded


def _worded(lang: str, key: str, params: dict) -> str | None:
    """The catalogue's text of `key` filled with `params`, or None when the catalogue has no
    such key or the parameters do not fit its wording."""
    text = messages(lang).get(key) or messages("en").get(key)
    if text is None:
        return None
    try:
        return text.format(**params)
    except (KeyError, IndexError, ValueError):
        return None


def explanation(lang: str, status: str, evidence: list[dict]) -> str:
    """The one-line explanation (the status and a cap that held the score, then what
    decided it, strongest first), in `lang`: the line matching.match writes, rebuilt from
    the stored evidence with matching's own choice of pieces (matching.evidence.explained)."""
    shown, cap = explained(
        evidence, lambda e: (e.get("kind"), float(e.get("weight") or 0.0))
    )
    head = translate(lang, f"explain.{status}")
    if cap is not None:
        text = evidence_text(lang, cap)
        head += f"（{text}）" if lang == "ja" else f" ({text})"
    return f"{head}: " + "; ".join(evidence_text(lang, e) for e in shown)


def error_text(lang: str, exc: Exception, fallback: str, zone: str = "UTC") -> str:
    """An error's message in `lang` when it carries a catalogue key, else `fallback`
    (a time in it is shown in `zone`)."""
    params = dict(getattr(exc, "params", None) or {})
    if "when" in params:
        params["when"] = local_time(params["when"], zone)
    worded = _worded(lang, str(getattr(exc, "key", None)), params)
    return worded if worded is not None else fallback


def local_time(value: str | dt.datetime | None, zone: str, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored UTC time (ISO text or an aware datetime) in the time zone `zone`; text that
    is not a time is returned as is."""
    if value in (None, ""):
        return ""
    moment = value
    if isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)  # stored times are UTC
    return moment.astimezone(ZoneInfo(zone)).strftime(fmt)
