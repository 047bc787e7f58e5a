"""Every link's score on the labelled sets, to prove a refactoring changed no score.

    python bench/match_scores.py            # compare with bench/labels/scores.json
    python bench/match_scores.py --write    # rewrite it (after a deliberate scoring change)

The file holds, per labelled set, every candidate the matcher returns (rejections kept) as
"paper_id person_id" -> [score, status, [[evidence kind, weight], ...]], under the
MATCHER_VERSION that produced it. tests/matching/test_scores_unchanged.py holds the rule:
the same MATCHER_VERSION must give exactly the same map.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from matching.context import MatchContext, NameStats  # noqa: E402
from matching.match import MATCHER_VERSION, match_all  # noqa: E402

SETS = {
    "main": ROOT / "bench" / "labels",
    "holdout": ROOT / "bench" / "labels" / "holdout",
    "robotics": ROOT / "bench" / "labels" / "robotics",
}
SNAPSHOT = ROOT / "bench" / "labels" / "scores.json"
DATA = ROOT.parent / "shared" / "data"


def scores(folder: Path, data_dir: Path = DATA, keep_rejected_from: float = 0.0) -> dict[str, list]:
    """Every candidate of one labelled set, scored as `papertally eval` scores it.

    keep_rejected_from 0.0 is the evaluation's setting (every rejection kept); the nightly's
    default (0.2) also runs the blocking pre-filter, which drops name coincidences.
    """
    from papertally.evaluation import read_labelled_set  # read as `papertally eval` reads it

    persons, mentions, thresholds = read_labelled_set(folder, data_dir)
    candidates = match_all(
        mentions,
        persons,
        **thresholds,
        context=MatchContext(
            name_stats=NameStats.from_names(m.name for m in mentions),
            keep_rejected_from=keep_rejected_from,
        ),
    )
    return {
        f"{c.paper_id} {c.person_id}": [
            c.score,
            c.status,
            [[e.kind, e.weight] for e in c.evidence],
        ]
        for c in sorted(candidates, key=lambda c: (c.paper_id, c.person_id))
    }


def snapshot(data_dir: Path = DATA) -> dict:
    """The whole file's content for the current code."""
    return {
        "matcher_version": MATCHER_VERSION,
        "sets": {
            **{name: scores(folder, data_dir) for name, folder in SETS.items()},
            # The same sets as the nightly keeps them: what the pre-filter lets through.
            **{
                f"{name} (nightly)": scores(folder, data_dir, MatchContext().keep_rejected_from)
                for name, folder in SETS.items()
            },
        },
    }


def dumps(snap: dict) -> str:
    """The snapshot as JSON with one link per line (readable diffs)."""
    lines = ["{", f'"matcher_version": {json.dumps(snap["matcher_version"])},', '"sets": {']
    names = sorted(snap["sets"])
    for n, name in enumerate(names):
        links = snap["sets"][name]
        lines.append(f"{json.dumps(name)}: {{")
        keys = sorted(links)
        for k, key in enumerate(keys):
            comma = "," if k < len(keys) - 1 else ""
            lines.append(f"{json.dumps(key)}: {json.dumps(links[key])}{comma}")
        lines.append("}" + ("," if n < len(names) - 1 else ""))
    lines += ["}", "}"]
    return "\n".join(lines) + "\n"


def diff(old: dict, new: dict, limit: int = 20) -> list[str]:
    """Readable differences between two snapshots (empty when identical)."""
    out = []
    for name in sorted(set(old["sets"]) | set(new["sets"])):
        a, b = old["sets"].get(name, {}), new["sets"].get(name, {})
        for key in sorted(set(a) | set(b)):
            if a.get(key) != b.get(key):
                out.append(f"{name} {key}: {a.get(key)} -> {b.get(key)}")
    return out[:limit] + ([f"... {len(out) - limit} more"] if len(out) > limit else [])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", action="store_true", help=f"rewrite {SNAPSHOT.name}")
    parser.add_argument("--data", default=str(DATA), help="shared data directory")
    args = parser.parse_args()
    new = snapshot(Path(args.data))
    if args.write:
        SNAPSHOT.write_text(dumps(new), encoding="utf-8")
        n = sum(len(s) for s in new["sets"].values())
        print(f"wrote {SNAPSHOT}: {n} links under matcher {MATCHER_VERSION}")
        return 0
    old = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    lines = diff(old, new)
    n = sum(len(s) for s in new["sets"].values())
    print(
        f"matcher {old['matcher_version']} -> {MATCHER_VERSION}: {n} links, "
        f"{len(lines) and len(diff(old, new, 10**9))} differ"
    )
    print("\n".join(lines))
    return 1 if lines and old["matcher_version"] == MATCHER_VERSION else 0


if __name__ == "__main__":
    raise SystemExit(main())
