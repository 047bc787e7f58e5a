"""Same MATCHER_VERSION, same scores: every link of the labelled sets against its snapshot."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from matching.match import MATCHER_VERSION

REPO = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location(
    "match_scores", REPO / "bench" / "match_scores.py"
)
match_scores = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(match_scores)


@pytest.mark.realdata
def test_every_link_scores_as_in_the_snapshot_of_this_matcher_version(shared_data):
    old = json.loads(match_scores.SNAPSHOT.read_text(encoding="utf-8"))
    # A deliberate scoring change bumps MATCHER_VERSION and rewrites the snapshot
    # (python bench/match_scores.py --write); anything else must leave every score alone.
    assert old["matcher_version"] == MATCHER_VERSION, (
        f"{match_scores.SNAPSHOT} is for matcher {old['matcher_version']}, the code is "
        f"{MATCHER_VERSION}: rewrite it with python bench/match_scores.py --write"
    )
    new = match_scores.snapshot(shared_data)
    assert match_scores.diff(old, new) == []
    assert sum(len(s) for s in new["sets"].values()) > 300


def test_diff_names_a_changed_score():
    old = {"sets": {"main": {"P1 p1": [0.9, "confirmed", [["name", 2.0]]]}}}
    new = {"sets": {"main": {"P1 p1": [0.9001, "confirmed", [["name", 2.0]]]}}}
    assert match_scores.diff(old, new) == [
        "main P1 p1: [0.9, 'confirmed', [['name', 2.0]]] -> [0.9001, 'confirmed', [['name', 2.0]]]"
    ]
    assert match_scores.diff(old, old) == []
