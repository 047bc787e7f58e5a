"""Measure matching on a labelled set: python bench/match_eval.py --labels bench/labels/links.csv"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from papertally.evaluation import evaluate


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--labels",
        default=str(ROOT / "bench" / "labels" / "links.csv"),
        help="links.csv of a labelled set",
    )
    parser.add_argument(
        "--data",
        default=str(ROOT / ".." / "shared" / "data"),
        help="shared data directory",
    )
    args = parser.parse_args()
    report = evaluate(args.labels, args.data)
    print(report.format())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
