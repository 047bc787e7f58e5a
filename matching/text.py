"""Text normalisation shared by dedupe and matching: titles, DOIs, identifiers."""

from __future__ import annotations

import html
import re
import unicodedata

_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_DOI = re.compile(r"10\.\d{4,9}/\S+", re.IGNORECASE)
_ORCID = re.compile(r"(\d{4}-\d{4}-\d{4}-\d{3}[\dX])", re.IGNORECASE)


def fold(text: str) -> str:
    """Lower case, HTML entities resolved, diacritics removed, width unified (NFKC/NFKD)."""
    if text.isascii() and "&" not in text:
        return text.lower()  # the same result, without the per-character work
    text = html.unescape(text)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return text.casefold()


def normalise_title(title: str) -> str:
    """A title reduced for comparison: folded, punctuation and spacing removed.

    "Reproducibility Study of X" and "Reproducibility study of X" give the same key;
    dedupe therefore also looks at the source and the authors (see db.papers).
    """
    return _NON_ALNUM.sub(" ", fold(title)).strip()


def normalise_doi(value: str | None) -> str | None:
    """Bare lower-case DOI from a DOI, a doi.org URL or None."""
    if not value:
        return None
    m = _DOI.search(value.strip())
    return m.group(0).rstrip(".").lower() if m else None


def normalise_orcid(value: str | None) -> str | None:
    """Bare ORCID (0000-0002-1825-0097) from an ORCID or an orcid.org URL."""
    if not value:
        return None
    m = _ORCID.search(value)
    return m.group(1).upper() if m else None


_DBLP_PID = re.compile(r"^(?:https?://dblp[^/]*/pid/)?(\d+/\d+(?:-\d+)?|[a-z]/[\w-]+)(?:\.html)?/?$")


def normalise_dblp_pid(value: str | None) -> str | None:
    """Bare dblp person id (`129/2382`) from a pid or a `dblp.org/pid/...` URL.

    Paper Copilot writes both `129/2382` and `https://dblp.uni-trier.de/pid/67/4241`;
    OpenReview profiles hold the URL. Old `dblp.org/pers/hd/...` URLs name no pid: None.
    """
    if not value:
        return None
    m = _DBLP_PID.match(value.strip())
    return m.group(1) if m else None


def grant_key(text: str) -> str:
    """A grant number reduced for comparison: upper case, letters and digits only."""
    return "".join(c for c in text.upper() if c.isalnum())


def bare_openalex_id(value: str | None) -> str | None:
    """`A5023888391` from `https://openalex.org/A5023888391` (or the bare id)."""
    if not value:
        return None
    return value.rstrip("/").rsplit("/", 1)[-1].upper() or None
