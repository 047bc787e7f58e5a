"""Measuring matching against a labelled set: precision, recall, review share, queue.

Pure: the files of a labelled set are read by papertally/evaluation.py."""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field

from matching.context import MatchContext, NameStats
from matching.match import MATCHER_VERSION, match_all
from matching.model import Candidate, Mention, Person


@dataclass
class VenueFigures:
    """Counts for one venue (or overall) and the ratios the goals are stated in."""

    true_links: int = 0
    confirmed: int = 0
    confirmed_true: int = 0
    review: int = 0  # the review queue: every needs_review candidate, true or not
    review_true: int = 0
    found_true: int = 0  # true links confirmed or sent to review
    dropped_by_blocking: int = 0  # true links with no candidate at all

    @property
    def precision(self) -> float | None:
        """Share of confirmed links that are true (None when nothing was confirmed)."""
        return self.confirmed_true / self.confirmed if self.confirmed else None

    @property
    def recall(self) -> float | None:
        """Share of true links confirmed or sent to review."""
        return self.found_true / self.true_links if self.true_links else None

    @property
    def review_share(self) -> float | None:
        """Share of true links left to review."""
        return self.review_true / self.true_links if self.true_links else None


@dataclass
class Report:
    """What `evaluate` measured, per venue and overall, with the errors listed."""

    matcher_version: str
    persons: int
    themes: int
    mentions: int
    venues: dict[str, VenueFigures]
    overall: VenueFigures
    false_confirmed: list[Candidate] = field(default_factory=list)
    missed: list[tuple[str, str, Candidate | None]] = field(
        default_factory=list
    )  # (paper, person, candidate)
    true_in_review: list[Candidate] = field(default_factory=list)
    seconds: float = 0.0

    def goals(self) -> dict[str, bool]:
        """The issue's goals: precision 1.00, recall >= 0.99, <= 10% to review, queue <= half."""
        o = self.overall
        return {
            "precision == 1.00": o.precision is None or o.precision == 1.0,
            "recall >= 0.99": (o.recall or 0.0) >= 0.99,
            "review share <= 10%": (o.review_share or 0.0) <= 0.10,
            "queue <= half the true links": o.review <= o.true_links / 2,
        }

    def format(self) -> str:
        """The report as printed by `bench/match_eval.py` and `papertally eval`."""
        lines = [
            (
                f"matcher {self.matcher_version}: {self.persons} roster members over {self.themes} themes, "
                f"{self.mentions:,} mentions, {self.seconds:.1f} s"
            ),
            f"{'venue':<8} {'true':>5} {'conf':>5} {'prec':>6} {'recall':>7} {'review%':>8} {'queue':>6} {'half':>5} {'dropped':>8}",
        ]
        for name, v in [*sorted(self.venues.items()), ("overall", self.overall)]:
            lines.append(
                f"{name:<8} {v.true_links:>5} {v.confirmed:>5} {_pct(v.precision):>6} {_pct(v.recall):>7} "
                f"{_pct(v.review_share):>8} {v.review:>6} {v.true_links / 2:>5.1f} {v.dropped_by_blocking:>8}"
            )
        lines.append(
            "goals: "
            + ", ".join(
                f"{k}: {'met' if ok else 'NOT MET'}" for k, ok in self.goals().items()
            )
        )
        for c in self.false_confirmed:
            lines.append(f"FALSE CONFIRMED {c.paper_id} {c.person_id}: {c.explanation}")
        for paper, person, c in self.missed:
            why = c.explanation if c else "no candidate (dropped by blocking)"
            lines.append(f"MISSED {paper} {person}: {why}")
        for c in self.true_in_review:
            lines.append(f"TRUE IN REVIEW {c.paper_id} {c.person_id}: {c.explanation}")
        return "\n".join(lines)


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}" if x >= 0.995 or x == 0 else f"{x:.3f}"


def score_labelled_set(
    persons: list[Person],
    mentions: list[Mention],
    truth: set[tuple[str, str]],
    *,
    confirm_threshold: float = 0.85,
    review_threshold: float = 0.45,
) -> Report:
    """Match `mentions` against `persons` and measure the result against the true links.

    Args:
        persons: the labelled set's roster.
        mentions: every author mention of the set's papers.
        truth: the true (paper_id, person_id) links.
        confirm_threshold, review_threshold: the matching thresholds to measure.
    Returns:
        A Report (print it with `.format()`).
    """
    started = time.perf_counter()
    stats = NameStats.from_names(m.name for m in mentions)
    candidates = match_all(
        mentions,
        persons,
        confirm_threshold=confirm_threshold,
        review_threshold=review_threshold,
        # Every rejection is kept here so that "dropped" counts only what blocking lost.
        context=MatchContext(name_stats=stats, keep_rejected_from=0.0),
    )
    seconds = time.perf_counter() - started
    return _measure(persons, mentions, truth, candidates, seconds)


def _venue(paper_id: str) -> str:
    return paper_id.split(":", 1)[0].rstrip("0123456789")


def _measure(persons, mentions, truth, candidates, seconds) -> Report:
    venues: dict[str, VenueFigures] = defaultdict(VenueFigures)
    overall = VenueFigures()
    by_pair = {(c.paper_id, c.person_id): c for c in candidates}
    report = Report(
        MATCHER_VERSION,
        len(persons),
        len({p.theme_id for p in persons}),
        len(mentions),
        venues,
        overall,
        seconds=seconds,
    )
    for pair in sorted(truth):
        for v in (venues[_venue(pair[0])], overall):
            v.true_links += 1
        c = by_pair.get(pair)
        if c is None:
            for v in (venues[_venue(pair[0])], overall):
                v.dropped_by_blocking += 1
            report.missed.append((pair[0], pair[1], None))
        elif c.status == "rejected":
            report.missed.append((pair[0], pair[1], c))
    for c in candidates:
        is_true = (c.paper_id, c.person_id) in truth
        for v in (venues[_venue(c.paper_id)], overall):
            if c.status == "confirmed":
                v.confirmed += 1
                v.confirmed_true += is_true
            elif c.status == "needs_review":
                v.review += 1
                v.review_true += is_true
            if is_true and c.status != "rejected":
                v.found_true += 1
        if c.status == "confirmed" and not is_true:
            report.false_confirmed.append(c)
        if c.status == "needs_review" and is_true:
            report.true_in_review.append(c)
    return report
