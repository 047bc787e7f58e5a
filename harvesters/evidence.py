"""What parsed records say about their own venue-year (URLs, ids, venue ids, publication
years), so that a file loaded under the wrong --venue/--year is refused before it is stored."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from harvesters.records import PaperRecord

# Each pattern finds (venue, year) in a URL, an id or a venue id; venue None = year only.
_PATTERNS: tuple[tuple[re.Pattern, str], ...] = (
    # CVF Open Access: /content/CVPR2023/html/..., keys ..._CVPR_2023_paper
    (re.compile(r"/content/([A-Za-z]+)(\d{4})(?=[/_])"), "cvf"),
    (re.compile(r"_([A-Z]{3,6})_(\d{4})_paper\b"), "cvf"),
    # virtual conference sites: cvpr.thecvf.com/virtual/2023/..., neurips.cc/virtual/2023/...
    (re.compile(r"\b([a-z]+)\.(?:thecvf\.com|cc)/virtual/(\d{4})/"), "site"),
    # OpenReview venue ids: NeurIPS.cc/2023/Conference, ICLR.cc/2024/Conference
    (re.compile(r"\b([A-Za-z]+)\.cc/(\d{4})/"), "openreview"),
    # NeurIPS proceedings: papers.nips.cc/paper_files/paper/2023/hash/...
    (re.compile(r"(nips)\.cc/paper_files/paper/(\d{4})/"), "neurips"),
    # Robotics: Science and Systems proceedings: roboticsproceedings.org/rss20/ is 2024
    (re.compile(r"roboticsproceedings\.org/(rss)(\d{2})/"), "rss"),
    # ACL Anthology ids, URLs and DOIs: 2023.acl-long.1, 10.18653/v1/2023.acl-long.1
    (re.compile(r"(?<![\d.])(\d{4})\.[a-z]+(?:-[a-z]+)?\.\d+\b"), "anthology"),
)
_ALIASES = {"nips": "neurips"}


@dataclass(frozen=True)
class Contradiction:
    """A listing most of whose evidence names another venue-year than the one asked."""

    named: str  # "CVPR 2023", or "2023" when the evidence gives the year only
    against: int  # records whose evidence contradicts the asked venue-year
    with_evidence: int  # records that carry any evidence
    example: str  # one piece of evidence, as found

    def message(self, asked: str) -> str:
        return (
            f"the file's content names {self.named}, not {asked} ({self.against} of "
            f"{self.with_evidence} papers with a venue-year in their URLs, ids, venue ids or "
            f"publication years; e.g. {self.example})"
        )


def _venue(name: str) -> str:
    return _ALIASES.get(name.lower(), name.lower())


def claims(record: PaperRecord) -> list[tuple[str | None, int, str, bool]]:
    """(venue as printed or None, year, evidence, approximate) found in a record. A
    publication year is approximate: proceedings often appear the year after the
    conference."""
    texts = [record.url or "", record.doi or "", record.source_id]  # a URL reads best
    texts += [v for v in record.extra.values() if isinstance(v, str)]
    found = []
    for text in texts:
        for pattern, kind in _PATTERNS:
            for match in pattern.finditer(text):
                if kind == "anthology":
                    found.append((None, int(match.group(1)), text, False))
                elif kind == "rss":  # RSS 1 was 2005
                    found.append(("RSS", 2004 + int(match.group(2)), text, False))
                else:
                    found.append((match.group(1), int(match.group(2)), text, False))
    year = record.extra.get("publication_year")
    if isinstance(year, int):
        found.append((None, year, f"publication_year {year}", True))
    return found


def _agrees(claim: tuple, venue: str, year: int) -> bool:
    named, when, _, approximate = claim
    if named is not None and _venue(named) != _venue(venue):
        return False
    return abs(when - year) <= 1 if approximate else when == year


def contradiction(records: list[PaperRecord], venue: str, year: int) -> Contradiction | None:
    """The venue-year most of the records' evidence names instead of `venue` `year`, or
    None when the evidence agrees (or there is none). A record contradicts when it carries
    evidence and none of it agrees; the listing does when more than half of the records
    with evidence contradict (a stray link to another year is not enough)."""
    with_evidence = 0
    against: Counter[str] = Counter()
    examples: dict[str, str] = {}
    for rec in records:
        found = claims(rec)
        if not found:
            continue
        with_evidence += 1
        if any(_agrees(c, venue, year) for c in found):
            continue
        named, when, text, _ = found[0]
        same_venue = named is None or _venue(named) == _venue(venue)
        label = f"{venue if same_venue else named} {when}"
        against[label] += 1
        examples.setdefault(label, text)
    total = sum(against.values())
    if not total or total * 2 <= with_evidence:
        return None
    label, _ = against.most_common(1)[0]
    return Contradiction(label, total, with_evidence, examples[label])
