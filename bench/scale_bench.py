"""A whole night at catalogue scale, from local files: harvest, match, tally and export.

Run: python bench/scale_bench.py [--papers 150000] [--roster 500] [--workdir DIR]

Builds, in a scratch folder, one Paper Copilot-format list per edition of the venue
catalogue (papertally/data/venues.toml: 47 venue-years), with papers shared out in
proportion to each edition's published count (about 4 authors a paper, names and
organisations drawn as in bench/match_bench.py, so common names recur), a roster of
`--roster` members, and a config whose [[harvest]] jobs read those files as offline
samples. Then it runs three nights, each in a fresh process (its own peak memory):

  1. cold: empty database, everything harvested, matched, tallied and exported;
  2. unchanged: the same files and roster again;
  3. small change: one new venue-year file and 5 members with a changed affiliation.

Each night prints its wall time, peak RSS, the time per step, and the (mention, member)
pairs the matcher scored: an incremental matcher scores none on night 2 and only the new
papers and changed members on night 3. Goals (issue 13): night 1 <= 10 min and <= 1.5 GB;
night 2 <= a tenth of night 1.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import match_bench as names  # noqa: E402  (the name and organisation pools)

WORDS = (
    "learning robust efficient neural visual language robot policy diffusion scene graph "
    "grasping navigation transformer segmentation depth reasoning multimodal embodied "
    "planning control tactile manipulation video tracking retrieval alignment generative "
    "latent sparse geometric physical world model agent benchmark dataset"
).split()


def _title(rng: random.Random, key: str) -> str:
    return " ".join(w.capitalize() for w in rng.sample(WORDS, 6)) + f" ({key})"


def write_list(path: Path, key: str, n_papers: int, seed: int) -> int:
    """A Paper Copilot list of `n_papers` papers; returns the authorships written."""
    rng = random.Random(seed)
    entries, authorships = [], 0
    for i in range(n_papers):
        n_auth = rng.choice((2, 3, 3, 4, 4, 4, 5, 5, 6, 7))
        people = [names._pick_name(rng) for _ in range(n_auth)]
        orgs = [rng.choice(names.ORGS) for _ in people]
        entries.append(
            {
                "id": f"{key}-{i}",
                "title": _title(rng, f"{key}-{i}"),
                "track": "main",
                "status": "Poster",
                "author": ";".join(names._printed(rng, f, g) for f, g in people),
                "aff": ";".join(orgs),
            }
        )
        authorships += n_auth
    path.write_text(json.dumps(entries), encoding="utf-8")
    return authorships


def write_roster(path: Path, n: int, changed: int = 0) -> None:
    members = names.make_roster(n)
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(
            "theme_id,theme_name,project_id,person_id,family_name,given_name,name_ja,aliases,"
            "affiliation,affiliation_aliases,orcid,openalex_id,start_date,end_date".split(",")
        )
        for i, m in enumerate(members):
            aff = names.ORGS[-1] if i < changed else m.affiliation
            out.writerow(
                [m.theme_id, f"Theme {m.theme_id}", m.project_id, m.person_id, m.family_name,
                 m.given_name, "", "", aff, "", "", "", "", ""]
            )


def build(workdir: Path, papers: int, roster: int) -> dict:
    from papertally.catalogue import load_catalogue

    catalogue = load_catalogue()
    editions = [
        (v.key, year, e.conference.start, e.accepted.count or 300)
        for v in catalogue.venues.values()
        if "paperlists" in v.sources  # the bench writes Paper Copilot-format lists
        for year, e in sorted(v.editions.items())
    ]
    total = sum(n for *_, n in editions)
    (workdir / "lists").mkdir(parents=True, exist_ok=True)
    venues, jobs, made, authorships = {}, [], 0, 0
    for i, (venue, year, start, n) in enumerate(editions):
        share = max(1, round(papers * n / total))
        path = workdir / "lists" / f"{venue.lower()}{year}.json"
        authorships += write_list(path, f"{venue}{year}", share, seed=i)
        made += share
        venues.setdefault(venue, []).append(f'{year} = {{ conference_date = {start} }}')
        jobs.append(
            f'[[harvest]]\nsource = "paperlists"\nvenue = "{venue}"\nyear = {year}\n'
            f'offline_file = "{path}"\n'
        )
    # The night-3 newcomer: a venue-year the first two nights do not have.
    authorships_new = write_list(workdir / "lists" / "new2027.json", "NEW2027", 1500, seed=999)
    venue_toml = "\n".join(
        f'[venues.{v}]\nname = "{v}"\ntracks = ["main"]\n[venues.{v}.editions]\n'
        + "\n".join(eds) + "\n"
        for v, eds in venues.items()
    )
    venue_toml += '[venues.NEW]\nname = "New"\ntracks = ["main"]\n[venues.NEW.editions]\n2027 = { conference_date = 2027-06-01 }\n'
    write_roster(workdir / "roster.csv", roster)
    write_roster(workdir / "roster_changed.csv", roster, changed=5)
    base = f"""
[program]
name = "scale bench"
first_fiscal_year = 2026
[database]
path = "{workdir / 'bench.db'}"
[roster]
file = "ROSTER"
[targets.2026]
total = 30
per_theme = 3
[http]
cache_dir = ""
[export]
out_dir = "{workdir / 'out'}"
formats = ["json"]
chart = ""
[sources.paperlists]
base_url = "http://127.0.0.1:9/"
{venue_toml}
"""
    (workdir / "night1.toml").write_text(
        base.replace("ROSTER", str(workdir / "roster.csv")) + "\n".join(jobs), encoding="utf-8"
    )
    new_job = (
        f'[[harvest]]\nsource = "paperlists"\nvenue = "NEW"\nyear = 2027\n'
        f'offline_file = "{workdir / "lists" / "new2027.json"}"\n'
    )
    (workdir / "night3.toml").write_text(
        base.replace("ROSTER", str(workdir / "roster_changed.csv")) + "\n".join(jobs) + new_job,
        encoding="utf-8",
    )
    return {"venue_years": len(editions), "papers": made, "authorships": authorships,
            "new_papers": 1500, "new_authorships": authorships_new}


def night(config: str) -> dict:
    """One night without Prefect: the steps the nightly flow runs, in order (child process)."""
    import matching.match as matcher
    from papertally import steps
    from papertally.config import load_settings

    # Count the (mention, member) pairs the matcher scores: the proof of incrementality.
    scored = {"mentions": 0, "pairs": 0}
    score_mention, score_pair = matcher.Matcher.score_mention, matcher.Matcher.score

    def counting_mention(self, *args, **kwargs):
        scored["mentions"] += 1
        return score_mention(self, *args, **kwargs)

    def counting_pair(self, *args, **kwargs):
        scored["pairs"] += 1
        return score_pair(self, *args, **kwargs)

    matcher.Matcher.score_mention = counting_mention
    matcher.Matcher.score = counting_pair
    settings = load_settings(config)
    times = {}
    start = time.monotonic()
    t = time.monotonic()
    _roster(config)
    times["roster"] = time.monotonic() - t
    t = time.monotonic()
    for job in settings.harvest:
        steps.harvest_step(config, None, job.source, job.venue, job.year, True)
    times["harvest"] = time.monotonic() - t
    t = time.monotonic()
    matched = steps.match_step(config, None)
    times["match"] = time.monotonic() - t
    t = time.monotonic()
    steps.tally_export_step(config, None)
    times["tally_export"] = time.monotonic() - t
    return {
        "seconds": time.monotonic() - start,
        "steps": {k: round(v, 1) for k, v in times.items()},
        "scored": scored,
        "match": {k: v for k, v in matched.items() if k != "seconds"},
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _roster(config: str) -> None:
    from db.schema import open_db
    from papertally.config import load_settings
    from papertally.pipeline import import_roster_file

    settings = load_settings(config)
    db = open_db(settings.resolve(settings.database.path))
    import_roster_file(db, settings, settings.roster.file)
    db.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--papers", type=int, default=150_000)
    ap.add_argument("--roster", type=int, default=500)
    ap.add_argument("--workdir", default="/tmp/papertally-scale-bench")
    ap.add_argument("--night", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.night:
        print(json.dumps(night(args.night)))
        return 0
    workdir = Path(args.workdir)
    if workdir.exists():
        import shutil

        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    t = time.monotonic()
    made = build(workdir, args.papers, args.roster)
    print(f"built {made} in {time.monotonic() - t:.0f} s", flush=True)
    results = []
    for label, config in (
        ("1 cold", "night1.toml"),
        ("2 unchanged", "night1.toml"),
        ("3 new venue-year + 5 changed members", "night3.toml"),
    ):
        proc = subprocess.run(
            [sys.executable, __file__, "--night", str(workdir / config)],
            capture_output=True, text=True, check=False,
        )
        if proc.returncode:
            print(proc.stderr[-3000:])
            return 1
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        results.append(r)
        print(
            f"night {label}: {r['seconds']:.0f} s, peak {r['peak_rss_mb']:.0f} MB, steps "
            f"{r['steps']}, scored {r['scored']['mentions']:,} mentions and "
            f"{r['scored']['pairs']:,} (mention, member) pairs, match {r['match']}",
            flush=True,
        )
    first, second = results[0]["seconds"], results[1]["seconds"]
    print(
        f"goals: night 1 {first:.0f} s (<= 600) and {results[0]['peak_rss_mb']:.0f} MB "
        f"(<= 1536); unchanged night {second / first:.2f}x night 1 (<= 0.10)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
