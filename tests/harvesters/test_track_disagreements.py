"""Sources that disagree about a paper's track (issue 11.13): flagged, counted by the rule in
db.papers.RULE_TRACKS (a stated track beats main), listed in the run's notes."""

from __future__ import annotations

import json

from db.papers import RULE_TRACKS, settle_tracks
from papertally.harvesting import harvest_file

TITLES = [
    "Sparse Attention for Long Videos",
    "A Benchmark of Robot Grasping Datasets",
    "Graph Priors for Protein Design",
]


def openalex_file(tmp_path):
    """A proceedings listing that does not tell tracks apart: every work is main."""
    works = [
        {
            "id": f"https://openalex.org/W{i + 1}",
            "title": title,
            "publication_year": 2023,
            "authorships": [{"author": {"display_name": "Ken Sato"}}],
        }
        for i, title in enumerate(TITLES)
    ]
    path = tmp_path / "openalex.json"
    path.write_text(json.dumps({"results": works}), encoding="utf-8")
    return path


def paperlists_file(tmp_path):
    """Paper Copilot's list, which marks the second paper Datasets & Benchmarks."""
    entries = [
        {"id": f"or{i}", "title": title, "author": "Ken Sato", "status": "Poster",
         "track": "Datasets and Benchmarks" if i == 1 else "main"}
        for i, title in enumerate(TITLES)
    ]
    path = tmp_path / "nips2023.json"
    path.write_text(json.dumps(entries), encoding="utf-8")
    return path


def tracks(db):
    return dict(db.execute("SELECT title, track FROM papers WHERE venue = 'NeurIPS'"))


def test_a_stated_track_beats_main_and_the_disagreement_is_listed(db, settings, tmp_path):
    # NeurIPS counts main only (config.toml): the D&B paper must stop counting as main.
    harvest_file(db, settings, "openalex", "NeurIPS", 2023, openalex_file(tmp_path), complete=False)
    assert set(tracks(db).values()) == {"main"}
    outcome = harvest_file(db, settings, "paperlists", "NeurIPS", 2023, paperlists_file(tmp_path), complete=False)
    assert tracks(db) == {
        TITLES[0]: "main",
        TITLES[1]: "datasets_benchmarks",
        TITLES[2]: "main",
    }
    assert outcome.track_disagreements == 1
    assert f"1 paper(s) whose sources disagree about the track, counted by the rule ({RULE_TRACKS}" in (
        outcome.summary()
    )
    [line] = [w for w in outcome.warnings if "track disagreement" in w]
    assert TITLES[1] in line
    assert "sources say openalex main, paperlists datasets_benchmarks" in line
    assert line.endswith("counted as datasets_benchmarks: track disagreement")
    stored = json.loads(
        db.execute("SELECT errors FROM harvest_runs ORDER BY run_id DESC").fetchone()[0]
    )
    assert line in stored  # the run's notes keep the list
    # the next run of the listing keeps the rule (its main does not win back)
    listing = openalex_file(tmp_path)
    listing.write_text(listing.read_text() + "\n")  # new bytes: read again, not skipped
    again = harvest_file(db, settings, "openalex", "NeurIPS", 2023, listing, complete=False)
    assert again.track_disagreements == 1 and tracks(db)[TITLES[1]] == "datasets_benchmarks"


def test_two_stated_tracks_keep_the_papers_own(db, settings, tmp_path):
    harvest_file(db, settings, "paperlists", "NeurIPS", 2023, paperlists_file(tmp_path), complete=False)
    pid = db.execute("SELECT paper_id FROM papers WHERE title = ?", [TITLES[0]]).fetchone()[0]
    db.execute(
        "INSERT INTO source_records (source, source_id, paper_id, venue, year, track, title, "
        "content_hash, first_seen, last_seen) VALUES ('dblp', 'x', ?, 'NeurIPS', 2023, "
        "'datasets_benchmarks', 't', 'h', 'now', 'now')",
        [pid],
    )
    db.execute("UPDATE papers SET track = 'demo' WHERE paper_id = ?", [pid])
    db.execute("UPDATE source_records SET track = 'demo' WHERE source = 'paperlists' AND paper_id = ?", [pid])
    [row] = settle_tracks(db, "NeurIPS", 2023)
    assert row["counted_as"] == "demo" and row["tracks"] == {
        "dblp": "datasets_benchmarks", "paperlists": "demo"
    }
