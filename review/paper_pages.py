"""Links to a paper's own pages (OpenReview forum, CVF page, ACL Anthology page, IEEE Xplore
document, PDF), built from the ids and URLs its source records store."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

# OpenReview note ids are 10 characters of [A-Za-z0-9_-] (Paper Copilot's NeurIPS, ICLR and
# CoRL records use them as their own id).
_OPENREVIEW_ID = re.compile(r"^[A-Za-z0-9_-]{10}$")
_IEEE_DOCUMENT = re.compile(r"^\d{6,9}$")
_ANTHOLOGY_ID = re.compile(r"^(\d{4}\.[a-z0-9-]+\.\d+|[A-Z]\d{2}-\d{4})$")
# Venues whose Paper Copilot ids are IEEE Xplore document numbers.
_IEEE_VENUES = {"ICRA", "IROS", "RA-L", "CASE", "HUMANOIDS"}


@dataclass(frozen=True)
class PaperPage:
    kind: str  # openreview | cvf | anthology | ieee | pdf | openalex | source
    url: str
    label: str  # the source it came from, for "source" links


def _host(url: str) -> str:
    return urlsplit(url).netloc.lower()


def _pages_of(source: str, source_id: str, url: str | None, venue: str) -> list[PaperPage]:
    url = url if url and url.startswith(("https://", "http://")) else None
    host = _host(url) if url else ""
    out: list[PaperPage] = []
    if host.endswith("openreview.net"):
        note = (parse_qs(urlsplit(url).query).get("id") or [""])[0]
        if _OPENREVIEW_ID.match(note):
            source_id = note
    if host.endswith("openreview.net") or (
        source in ("paperlists", "openreview")
        and _OPENREVIEW_ID.match(source_id)
        and not source_id.isdigit()
    ):
        out.append(PaperPage("openreview", f"https://openreview.net/forum?id={source_id}", source))
        out.append(PaperPage("pdf", f"https://openreview.net/pdf?id={source_id}", source))
        return out
    if host == "openaccess.thecvf.com":
        out.append(PaperPage("cvf", url, source))
        if "/html/" in url and url.endswith(".html"):
            pdf = url.replace("/html/", "/papers/").removesuffix(".html") + ".pdf"
            out.append(PaperPage("pdf", pdf, source))
        return out
    if source == "acl-anthology" and _ANTHOLOGY_ID.match(source_id):
        out.append(PaperPage("anthology", f"https://aclanthology.org/{source_id}/", source))
        out.append(PaperPage("pdf", f"https://aclanthology.org/{source_id}.pdf", source))
        return out
    if host == "aclanthology.org":
        out.append(PaperPage("anthology", url, source))
        return out
    if host == "ieeexplore.ieee.org" or (
        _IEEE_DOCUMENT.match(source_id) and venue.upper() in _IEEE_VENUES
    ):
        number = re.search(r"/document/(\d+)", url or "")
        doc = number.group(1) if number else source_id
        out.append(PaperPage("ieee", f"https://ieeexplore.ieee.org/document/{doc}/", source))
        return out
    if url and url.lower().endswith(".pdf"):
        return [PaperPage("pdf", url, source)]
    if host.endswith("openalex.org"):
        return [PaperPage("openalex", url, source)]
    if url:
        return [PaperPage("source", url, source)]
    return []


def paper_pages(paper: dict, sources: list[dict]) -> list[PaperPage]:
    """The paper's own pages, best first (forum, proceedings page, PDF, other pages), each
    URL once. `paper` is a papers row, `sources` its source records (source, source_id,
    url)."""
    order = ("openreview", "cvf", "anthology", "ieee", "pdf", "openalex", "source")
    found: dict[str, PaperPage] = {}
    for s in sources:
        for page in _pages_of(s["source"], s["source_id"], s["url"], paper["venue"]):
            found.setdefault(page.url, page)
    return sorted(found.values(), key=lambda p: order.index(p.kind))
