"""Sources that check each other: for a venue-year two sources list, which papers both list,
which only one (joined as the store joins them: same DOI, or same normalised title), and
where they disagree on the track."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from itertools import combinations

import sqlite_utils


@dataclass(frozen=True)
class Reconciliation:
    """Two sources' lists of one venue-year, side by side.

    `only_a`/`only_b` hold (paper_id, title) of the papers one source lists and the other
    does not; `tracks` the papers both list under different tracks ({source: track}). A
    paper only one source lists still counts: this is a check, not a filter.
    """

    venue: str
    year: int
    a: str
    b: str
    count_a: int
    count_b: int
    both: int
    only_a: tuple[tuple[str, str], ...] = ()
    only_b: tuple[tuple[str, str], ...] = ()
    tracks: tuple[tuple[str, str, dict], ...] = field(default=(), compare=False)

    def line(self, names: dict[str, str] | None = None) -> str:
        """'CVPR 2024: CVF 2,714; Paper Copilot 2,716; both 2,712; only CVF 2; only Paper
        Copilot 4' (with the display names in `names`, else the source keys)."""
        names = names or {}
        a, b = names.get(self.a, self.a), names.get(self.b, self.b)
        text = (
            f"{self.venue} {self.year}: {a} {self.count_a:,}; {b} {self.count_b:,}; "
            f"both {self.both:,}; only {a} {len(self.only_a):,}; only {b} {len(self.only_b):,}"
        )
        if self.tracks:
            text += f"; track disagrees on {len(self.tracks):,}"
        return text

    def as_dict(self) -> dict:
        """JSON form, with the one-sided titles listed."""
        return {
            "venue": self.venue,
            "year": self.year,
            "sources": [self.a, self.b],
            "counts": {self.a: self.count_a, self.b: self.count_b},
            "both": self.both,
            "only": {
                self.a: [{"paper_id": p, "title": t} for p, t in self.only_a],
                self.b: [{"paper_id": p, "title": t} for p, t in self.only_b],
            },
            "track_disagreements": [
                {"paper_id": p, "title": t, "tracks": tracks} for p, t, tracks in self.tracks
            ],
        }


def reconcile(
    db: sqlite_utils.Database, venue: str | None = None, year: int | None = None
) -> list[Reconciliation]:
    """Every pair of sources that list the same venue-year (records still listed only).

    Args:
        venue, year: limit to one venue and/or year (default: all).

    Returns:
        One Reconciliation per (venue, year, source pair), sorted; none for a venue-year
        only one source lists.
    """
    # Only venue-years two or more sources list (a cheap grouped count first: most nights
    # most venue-years have one source, and nothing to compare).
    shared = db.execute(
        """SELECT venue, year FROM source_records WHERE missing_since IS NULL
           GROUP BY venue, year HAVING COUNT(DISTINCT source) > 1"""
    ).fetchall()
    shared = [(v, y) for v, y in shared if venue in (None, v) and year in (None, y)]
    if not shared:
        return []
    where, params = ["sr.missing_since IS NULL"], []
    where.append(
        "(" + " OR ".join("(sr.venue = ? AND sr.year = ?)" for _ in shared) + ")"
    )
    params.extend(x for vy in shared for x in vy)
    if venue is not None:
        where.append("sr.venue = ?")
        params.append(venue)
    if year is not None:
        where.append("sr.year = ?")
        params.append(year)
    rows = db.execute(
        f"""SELECT sr.venue, sr.year, sr.source, sr.paper_id, sr.track, p.title
            FROM source_records sr JOIN papers p ON p.paper_id = sr.paper_id
            WHERE {' AND '.join(where)}""",
        params,
    ).fetchall()
    # (venue, year) -> source -> paper_id -> track; titles by paper_id
    listed: dict[tuple[str, int], dict[str, dict[str, str]]] = defaultdict(lambda: defaultdict(dict))
    titles: dict[str, str] = {}
    for v, y, source, paper_id, track, title in rows:
        listed[(v, y)][source][paper_id] = track
        titles[paper_id] = title
    out = []
    for (v, y), by_source in sorted(listed.items()):
        for a, b in combinations(sorted(by_source), 2):
            pa, pb = by_source[a], by_source[b]
            both = pa.keys() & pb.keys()
            out.append(
                Reconciliation(
                    venue=v,
                    year=y,
                    a=a,
                    b=b,
                    count_a=len(pa),
                    count_b=len(pb),
                    both=len(both),
                    only_a=_titled(pa.keys() - pb.keys(), titles),
                    only_b=_titled(pb.keys() - pa.keys(), titles),
                    tracks=tuple(
                        (p, titles[p], {a: pa[p], b: pb[p]})
                        for p in sorted(both, key=lambda p: titles[p])
                        if pa[p] != pb[p]
                    ),
                )
            )
    return out


def _titled(paper_ids: set[str], titles: dict[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(((p, titles[p]) for p in paper_ids), key=lambda pt: (pt[1], pt[0])))
