"""Rebuild matching/data/ror_jp.csv from the ROR Japan extract in ../shared/data/ror/.

Keeps active records of type education, facility, government or funder, and companies
whose names say they do research; one row per organisation with its English name,
Japanese labels, aliases and acronyms. Run: python bench/build_org_table.py [ROR_CSV]
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / ".." / "shared" / "data" / "ror" / "ror_jp_names_flat.csv"
OUT = ROOT / "matching" / "data" / "ror_jp.csv"
KEEP = {"education", "facility", "government", "funder"}
RESEARCHY = re.compile(r"research|laborator|institute|R&D|研究|技術", re.IGNORECASE)
# Transliterations into kana are no use for matching printed affiliations.
KANA_ONLY = re.compile(r"^[\u3040-\u30ff\s・ー]+$")


def main(src: Path) -> None:
    rows = list(csv.DictReader(src.open(encoding="utf-8")))
    out = []
    for r in rows:
        if r["status"] != "active":
            continue
        types = set(r["types"].split("|"))
        if not (
            types & KEEP
            or (
                "company" in types
                and RESEARCHY.search(r["display_name"] + r["ja_labels"])
            )
        ):
            continue
        name = re.sub(r"\s*\((?:Japan|Japan\))\)$", "", r["display_name"]).strip()
        aliases = [a for a in r["aliases"].split("|") if a and not KANA_ONLY.match(a)]
        others = [
            re.sub(r"\s*\[[^\]]*\]$", "", a) for a in r["other_labels"].split("|") if a
        ]
        out.append(
            {
                "ror": r["ror_id"].rsplit("/", 1)[-1],
                "name": name,
                "ja": r["ja_labels"],
                "aliases": "|".join(
                    dict.fromkeys(a for a in aliases + others if a and a != name)
                ),
                "acronyms": r["acronyms"],
            }
        )
    with OUT.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["ror", "name", "ja", "aliases", "acronyms"])
        w.writeheader()
        w.writerows(sorted(out, key=lambda x: x["ror"]))
    print(f"{len(out)} of {len(rows)} ROR records -> {OUT}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT)
