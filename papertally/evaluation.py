"""Reading a labelled set (links.csv, roster.csv, manifest.toml and the source files it
names) and measuring matching on it with matching.evaluate: `papertally eval`."""

from __future__ import annotations

import csv
import tomllib
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from db import links as links_db
from db.papers import store_records
from db.schema import open_db
from harvesters.registry import parse_file
from matching.evaluate import Report, score_labelled_set
from matching.model import Mention, Person
from db.roster import person_of
from papertally import roster
from papertally.errors import PapertallyError


def read_roster(path: Path) -> list[Person]:
    """Persons from a roster CSV in the roster import format, checked as `papertally roster
    import` checks it.

    Raises:
        RosterError: a bad header or row (the message names the file, line and column).
    """
    return [person_of(row) for row in roster.read_roster(path)]


def read_labels(path: Path) -> set[tuple[str, str]]:
    """The true (paper_id, person_id) links of a labels CSV (columns paper_id, person_id, is_link)."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        return {
            (r["paper_id"], r["person_id"])
            for r in csv.DictReader(f)
            if r["is_link"].strip() == "1"
        }


def load_mentions(manifest: dict, data_dir: Path) -> Iterator[Mention]:
    """Mentions from the manifest's source files, parsed by the project's harvesters and
    read back as the nightly reads them (stored in an in-memory database, then
    db.links.load_mentions), so that the evaluation scores what the nightly scores.

    paper_id is "<VENUE><YEAR>:<source id>", as in the labels.
    """
    db = open_db(":memory:")
    try:
        dates, label_keys = {}, {}
        for spec in manifest["file"]:
            path = data_dir / spec["path"]
            if not path.exists():
                raise PapertallyError(
                    f"{path}: source file of the labelled set not found (data dir {data_dir})"
                )
            venue, year = spec["venue"], int(spec["year"])
            dates[(venue, year)] = spec["conference_date"]
            records = parse_file(spec["source"], path, venue, year).records
            store_records(db, records, None)
            label_keys.update(
                {(r.source, r.source_id): f"{r.venue}{r.year}:{r.source_id}" for r in records}
            )
        for m in links_db.load_mentions(db, dates):
            source, rest = m.key.split(":", 1)
            yield replace(m, paper_id=label_keys[(source, rest.rsplit("#", 1)[0])])
    finally:
        db.close()


def read_labelled_set(folder: Path, data_dir: Path) -> tuple[list[Person], list[Mention], dict]:
    """A labelled set's roster, its mentions and the thresholds to match them with
    (manifest.toml's [matching], else the config defaults), as keyword arguments
    (confirm_threshold, review_threshold) for matching."""
    manifest = tomllib.loads((folder / "manifest.toml").read_text(encoding="utf-8"))
    thresholds = manifest.get("matching", {})
    return (
        read_roster(folder / "roster.csv"),
        list(load_mentions(manifest, data_dir)),
        {
            "confirm_threshold": float(thresholds.get("confirm_threshold", 0.85)),
            "review_threshold": float(thresholds.get("review_threshold", 0.45)),
        },
    )


def evaluate(labels_path: Path | str, data_dir: Path | str) -> Report:
    """Run matching over the labelled set and measure it.

    Args:
        labels_path: links.csv of a labelled set (or its folder); roster.csv and
            manifest.toml are read from the same folder.
        data_dir: the shared data directory the manifest's paths are relative to.
    Returns:
        A Report (print it with `.format()`).
    Raises:
        PapertallyError: a file of the set or a source file is missing or malformed.
    """
    labels_path = Path(labels_path)
    folder = labels_path if labels_path.is_dir() else labels_path.parent
    links_file = folder / "links.csv" if labels_path.is_dir() else labels_path
    for needed in (links_file, folder / "roster.csv", folder / "manifest.toml"):
        if not needed.exists():
            raise PapertallyError(
                f"{needed}: missing; a labelled set needs links.csv, roster.csv and manifest.toml"
            )
    persons, mentions, thresholds = read_labelled_set(folder, Path(data_dir))
    return score_labelled_set(persons, mentions, read_labels(links_file), **thresholds)
