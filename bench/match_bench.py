"""Speed of matching: 1,000,000 synthetic authorships against a 10,000-member roster.

Run: python bench/match_bench.py [--mentions N] [--roster N] [--workers 2] [--baseline-sample 200]

Names are drawn with Zipf-like weights from pools of real family and given names
(Chinese, Japanese, Korean, Western), so common surnames (Wang, Li, Sato, Kim) are shared
by many roster members and many authors; printed forms vary (initials, family-first in
capitals, romanization variants, diacritics). Papers are sharded by paper across worker
processes, each streaming its shard into `match_all` (that is how the nightly job can
parallelise too). The all-pairs baseline scores a sample of mentions against every roster
member with rapidfuzz in Python and is extrapolated to the full input in the same run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import itertools
import multiprocessing as mp
import random
import resource
import sys
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rapidfuzz import fuzz

from matching.context import MatchContext, NameStats
from matching.match import match_all
from matching.model import Mention, Person

CN_FAMILY = [
    "Wang",
    "Li",
    "Zhang",
    "Liu",
    "Chen",
    "Yang",
    "Huang",
    "Zhao",
    "Wu",
    "Zhou",
    "Xu",
    "Sun",
    "Ma",
    "Zhu",
    "Hu",
    "Guo",
    "He",
    "Lin",
    "Gao",
    "Luo",
    "Zheng",
    "Liang",
    "Xie",
    "Song",
    "Tang",
    "Han",
    "Feng",
    "Deng",
    "Cao",
    "Peng",
    "Zeng",
    "Xiao",
    "Tian",
    "Dong",
    "Pan",
    "Yuan",
    "Cai",
    "Jiang",
    "Yu",
    "Du",
    "Ye",
    "Cheng",
    "Wei",
    "Su",
    "Lu",
    "Ding",
    "Ren",
    "Shen",
    "Yao",
]
CN_SYLLABLES = [
    "wei",
    "jing",
    "lei",
    "jun",
    "yang",
    "hao",
    "yu",
    "xin",
    "yan",
    "jie",
    "tao",
    "ming",
    "chao",
    "lin",
    "bo",
    "hui",
    "qiang",
    "fang",
    "xiao",
    "zhi",
    "yuan",
    "ran",
    "xuan",
    "zi",
    "jia",
    "shuo",
    "tian",
    "kai",
    "rui",
    "xiang",
    "peng",
    "long",
    "dong",
    "bin",
    "han",
    "cheng",
    "yue",
    "qi",
    "heng",
    "lu",
    "zhen",
    "feng",
    "si",
    "yi",
    "meng",
    "jin",
    "hong",
    "ling",
    "li",
    "na",
    "ying",
    "qing",
    "wen",
    "hua",
    "guang",
    "zhong",
    "jian",
    "ping",
    "an",
    "hai",
    "xue",
    "chun",
    "lan",
    "mei",
    "fei",
    "song",
    "ze",
    "hang",
    "ji",
    "shan",
]
CN_GIVEN = [a.capitalize() for a in CN_SYLLABLES] + [
    (a + b).capitalize() for a in CN_SYLLABLES for b in CN_SYLLABLES[::3]
]
JP_FAMILY = [
    "Sato",
    "Suzuki",
    "Takahashi",
    "Tanaka",
    "Watanabe",
    "Ito",
    "Yamamoto",
    "Nakamura",
    "Kobayashi",
    "Kato",
    "Yoshida",
    "Yamada",
    "Sasaki",
    "Yamaguchi",
    "Matsumoto",
    "Inoue",
    "Kimura",
    "Hayashi",
    "Shimizu",
    "Yamazaki",
    "Mori",
    "Abe",
    "Ikeda",
    "Hashimoto",
    "Yamashita",
    "Ishikawa",
    "Nakajima",
    "Maeda",
    "Fujita",
    "Ogawa",
    "Goto",
    "Okada",
    "Hasegawa",
    "Murakami",
    "Kondo",
    "Ishii",
    "Saito",
    "Sakamoto",
    "Endo",
    "Aoki",
    "Fujii",
    "Nishimura",
    "Fukuda",
    "Ota",
    "Miura",
    "Fujiwara",
    "Okamoto",
    "Matsuda",
    "Nakagawa",
    "Harada",
    "Ono",
    "Tamura",
    "Takeuchi",
    "Kaneko",
    "Wada",
    "Nakano",
    "Harada",
    "Kurohashi",
    "Nishino",
    "Nobuhara",
    "Kiyomaru",
    "Yanaka",
    "Homma",
    "Tsuchiya",
]
JP_GIVEN = [
    "Hiroki",
    "Hiroyuki",
    "Hideo",
    "Kazuya",
    "Kazuhiro",
    "Masato",
    "Masaki",
    "Masahiro",
    "Nobuo",
    "Norihiro",
    "Osamu",
    "Ryota",
    "Ryosuke",
    "Shota",
    "Shohei",
    "Shinya",
    "Shingo",
    "Sota",
    "Takeshi",
    "Takahiro",
    "Takumi",
    "Tetsuya",
    "Toshiyuki",
    "Tsuyoshi",
    "Yasuhiro",
    "Yoshihiro",
    "Yosuke",
    "Yuichi",
    "Yuji",
    "Yuma",
    "Yusuke",
    "Akihiro",
    "Atsushi",
    "Daiki",
    "Eiji",
    "Go",
    "Goro",
    "Haruki",
    "Hayato",
    "Hikaru",
    "Hiroaki",
    "Ikuo",
    "Isao",
    "Jiro",
    "Kaito",
    "Kazuma",
    "Keita",
    "Kosuke",
    "Kyohei",
    "Minoru",
    "Mitsuru",
    "Naoya",
    "Noboru",
    "Riku",
    "Ryuji",
    "Saburo",
    "Seiji",
    "Shuhei",
    "Sora",
    "Susumu",
    "Tadashi",
    "Takayuki",
    "Tomohiro",
    "Toru",
    "Yoichi",
    "Yoshiki",
    "Yuki",
    "Asuka",
    "Ayaka",
    "Chihiro",
    "Emi",
    "Hana",
    "Hinata",
    "Kaori",
    "Kumiko",
    "Mai",
    "Mao",
    "Megumi",
    "Miho",
    "Nanami",
    "Natsuki",
    "Rie",
    "Rin",
    "Sakura",
    "Sayaka",
    "Tomoko",
    "Yoko",
    "Yuko",
    "Hiroshi",
    "Takashi",
    "Kenji",
    "Yuki",
    "Yuta",
    "Kohei",
    "Shunichi",
    "Tatsuya",
    "Daisuke",
    "Kazuki",
    "Takuya",
    "Naoki",
    "Ryo",
    "Sho",
    "Kenta",
    "Haruka",
    "Yui",
    "Aoi",
    "Misaki",
    "Satoshi",
    "Makoto",
    "Yusuke",
    "Shinji",
    "Koji",
    "Masashi",
    "Tomoya",
    "Hideki",
    "Akira",
    "Jun",
    "Kei",
    "Taro",
    "Ichiro",
    "Shigeru",
    "Chiaki",
    "Fujio",
    "Junichi",
    "Keisuke",
    "Kentaro",
    "Hitomi",
    "Sadao",
    "Kota",
    "Naoto",
    "Mayu",
    "Hajime",
    "Fumio",
]
KR_FAMILY = [
    "Kim",
    "Lee",
    "Park",
    "Choi",
    "Jung",
    "Kang",
    "Cho",
    "Yoon",
    "Jang",
    "Lim",
    "Han",
    "Oh",
    "Seo",
    "Shin",
    "Kwon",
    "Hwang",
    "Ahn",
    "Song",
    "Yoo",
    "Hong",
]
KR_SYLLABLES = [
    "min",
    "jun",
    "jin",
    "woo",
    "seung",
    "ji",
    "won",
    "hyun",
    "sung",
    "dong",
    "jae",
    "su",
    "seo",
    "ye",
    "hoon",
    "tae",
    "young",
    "hyeon",
    "sang",
    "doo",
    "eun",
    "ho",
    "kyung",
    "joon",
    "yeon",
    "chan",
    "hee",
    "soo",
    "bin",
]
KR_GIVEN = [(a + b).capitalize() for a in KR_SYLLABLES for b in KR_SYLLABLES]
W_FAMILY = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Miller",
    "Davis",
    "Garcia",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Thompson",
    "White",
    "Harris",
    "Clark",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Dubois",
    "Bernard",
    "Rossi",
    "Russo",
    "Ferrari",
    "Learned-Miller",
    "van",
    "der",
    "Maaten",
    "de",
    "la",
    "Torre",
]
W_GIVEN = [
    "Alexander",
    "Benjamin",
    "Christopher",
    "Daniel",
    "Edward",
    "Francis",
    "George",
    "Henry",
    "Isaac",
    "Jacob",
    "Jonathan",
    "Kenneth",
    "Lawrence",
    "Matthew",
    "Nicholas",
    "Oliver",
    "Patrick",
    "Quentin",
    "Raymond",
    "Samuel",
    "Timothy",
    "Victor",
    "Walter",
    "Adam",
    "Brian",
    "Carl",
    "Dennis",
    "Eric",
    "Frank",
    "Gregory",
    "Harold",
    "Ian",
    "Jack",
    "Keith",
    "Larry",
    "Mark",
    "Nathan",
    "Oscar",
    "Paul",
    "Roger",
    "Scott",
    "Tyler",
    "Vincent",
    "Amy",
    "Betty",
    "Carol",
    "Diana",
    "Emily",
    "Fiona",
    "Grace",
    "Helen",
    "Irene",
    "Julia",
    "Kate",
    "Lisa",
    "Monica",
    "Nancy",
    "Olivia",
    "Paula",
    "Rachel",
    "Sophie",
    "Tina",
    "Ursula",
    "Vera",
    "Wendy",
    "James",
    "John",
    "Robert",
    "Michael",
    "William",
    "David",
    "Richard",
    "Joseph",
    "Thomas",
    "Charles",
    "Mary",
    "Patricia",
    "Jennifer",
    "Linda",
    "Elizabeth",
    "Barbara",
    "Susan",
    "Jessica",
    "Sarah",
    "Karen",
    "Kevin",
    "Andrew",
    "Peter",
    "Laura",
    "Anna",
    "Marco",
    "Luca",
    "Pierre",
    "Jean-Pierre",
    "Hans",
    "Stefan",
    "Erik",
    "Laurens",
    "Fernando",
]
CULTURES = [
    (CN_FAMILY, CN_GIVEN, 0.42),
    (JP_FAMILY, JP_GIVEN, 0.18),
    (KR_FAMILY, KR_GIVEN, 0.10),
    (W_FAMILY, W_GIVEN, 0.30),
]
ORGS = [
    "The University of Tokyo",
    "Kyoto University",
    "Osaka University",
    "Tohoku University",
    "Hokkaido University",
    "Nagoya University",
    "Kyushu University",
    "Tokyo Institute of Technology",
    "Keio University",
    "Waseda University",
    "University of Tsukuba",
    "Nara Institute of Science and Technology",
    "RIKEN AIP",
    "AIST",
    "KAIST",
    "National Institute of Informatics",
    "Sony Group Corporation",
    "Sony AI",
    "NEC Corporation",
    "NEC Laboratories America",
    "Mitsubishi Electric Corporation",
    "Mitsubishi Electric Research Laboratories",
    "Toyota Technological Institute",
    "Toyota Technological Institute at Chicago",
    "Toyota Research Institute",
    "Honda Research Institute Japan",
    "Honda Research Institute USA",
    "Preferred Networks",
    "LY Corporation",
    "CyberAgent",
    "Fujitsu",
    "Hitachi",
    "Panasonic",
    "NTT Corporation",
    "OMRON SINIC X",
    "Rakuten Group",
    "Tsinghua University",
    "Peking University",
    "Zhejiang University",
    "Shanghai Jiao Tong University",
    "Fudan University",
    "Nanjing University",
    "University of Science and Technology of China",
    "Microsoft Research Asia",
    "Alibaba Group",
    "Tencent",
    "ByteDance",
    "Huawei Noah's Ark Lab",
    "Seoul National University",
    "Yonsei University",
    "NAVER AI Lab",
    "Samsung Research",
    "Stanford University",
    "Carnegie Mellon University",
    "MIT",
    "UC Berkeley",
    "Google DeepMind",
    "Meta AI",
    "University of Oxford",
    "ETH Zurich",
    "Max Planck Institute for Informatics",
    "Technical University of Munich",
    "University of Toronto",
    "Mila",
    "National University of Singapore",
    "Nanyang Technological University",
    "The Chinese University of Hong Kong",
    "University of Hong Kong",
]
ROMAJI_VARIANTS = {
    "Ota": ["Ohta", "Oota", "Ōta"],
    "Ito": ["Itoh", "Itou"],
    "Kato": ["Katoh", "Katou"],
    "Goto": ["Gotoh", "Gotou"],
    "Saito": ["Saitoh", "Saitou"],
    "Sato": ["Satoh", "Satou", "Satō"],
    "Ono": ["Ohno", "Oono"],
    "Homma": ["Honma"],
    "Tsuchiya": ["Tutiya"],
    "Kohei": ["Kouhei", "Kōhei"],
    "Yuta": ["Yuuta", "Yūta"],
    "Shunichi": ["Shun'ichi", "Shun-ichi"],
}


def _cum_zipf(n: int, s: float) -> list[float]:
    return list(itertools.accumulate(1.0 / (i + 1) ** s for i in range(n)))


# Zipf weights, cumulated once: family names s=0.8 (Wang, Smith, Sato dominate), given s=0.3.
_TABLES = [
    (fam, _cum_zipf(len(fam), 0.8), giv, _cum_zipf(len(giv), 0.3))
    for fam, giv, _ in CULTURES
]
_CULTURE_CUM = list(itertools.accumulate(c[2] for c in CULTURES))


def _pick_name(rng: random.Random) -> tuple[str, str]:
    fam, fam_cum, giv, giv_cum = rng.choices(_TABLES, cum_weights=_CULTURE_CUM)[0]
    return rng.choices(fam, cum_weights=fam_cum)[0], rng.choices(
        giv, cum_weights=giv_cum
    )[0]


def make_roster(n: int, seed: int = 7) -> list[Person]:
    """n synthetic members: mostly Japanese and Chinese names at Japanese organisations."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        family, given = _pick_name(rng)
        start = dt.date(2023, 4, 1) if rng.random() < 0.1 else None
        out.append(
            Person(
                person_id=f"m{i:05d}",
                project_id=f"P{i % 300:03d}",
                theme_id=f"T{i % 10:02d}",
                family_name=family,
                given_name=given,
                affiliation=rng.choice(ORGS[:36]),
                affiliation_aliases=(rng.choice(ORGS),) if rng.random() < 0.1 else (),
                start_date=start,
            )
        )
    return out


def _printed(rng: random.Random, family: str, given: str) -> str:
    family = (
        rng.choice(ROMAJI_VARIANTS[family])
        if family in ROMAJI_VARIANTS and rng.random() < 0.3
        else family
    )
    given = (
        rng.choice(ROMAJI_VARIANTS[given])
        if given in ROMAJI_VARIANTS and rng.random() < 0.3
        else given
    )
    r = rng.random()
    if r < 0.08:
        return f"{given[0]}. {family}"
    if r < 0.12:
        return f"{family.upper()} {given}"
    return f"{given} {family}"


def mentions(total: int, shard: int, shards: int, seed: int = 11) -> Iterator[Mention]:
    """The shard-th of `shards` slices (by paper) of `total` synthetic authorships."""
    day = dt.date(2024, 6, 17)
    paper = 0
    made = 0
    while made < total:
        # Authors per paper (2..9) from a cheap hash, so a worker seeds a generator only
        # for its own papers.
        n_auth = min(2 + ((paper * 2_654_435_761 + seed) >> 7) % 8, total - made)
        if paper % shards == shard:
            rng = random.Random(seed * 1_000_003 + paper)
            names = [_printed(rng, *_pick_name(rng)) for _ in range(n_auth)]
            paper_id = f"paper{paper}"
            for pos, name in enumerate(names, 1):
                org = rng.choice(ORGS)
                aff = (
                    (f"Dept. of Computer Science, {org}, Japan",)
                    if rng.random() < 0.7
                    else ()
                )
                yield Mention(
                    key=f"bench:{paper}#{pos}",
                    paper_id=paper_id,
                    name=name,
                    affiliations=aff,
                    paper_affiliations=() if aff else (org,),
                    conference_date=day,
                    coauthors=tuple(x for x in names if x != name),
                )
        made += n_auth
        paper += 1


_SHARED: tuple[list[Person], NameStats] | None = None


def _worker(args: tuple) -> tuple[int, int, int, int, float, float]:
    total, shard, shards, _roster_n = args
    roster, stats = _SHARED  # built once in the parent, inherited through fork
    gc.disable()  # generating a million objects with the cyclic collector on is quadratic-ish
    t = time.perf_counter()
    shard_mentions = list(
        mentions(total, shard, shards)
    )  # generated before the clock starts
    gen = time.perf_counter() - t
    t = time.perf_counter()
    cands = match_all(
        shard_mentions,
        roster,
        confirm_threshold=0.85,
        review_threshold=0.45,
        context=MatchContext(name_stats=stats),
    )
    took = time.perf_counter() - t
    by = {"confirmed": 0, "needs_review": 0, "rejected": 0}
    for c in cands:
        by[c.status] += 1
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return by["confirmed"], by["needs_review"], by["rejected"], rss, took, gen


def _stats(total: int) -> NameStats:
    # Family-name frequencies from a 200,000-mention sample of the same distribution.
    return NameStats.from_names(
        m.name for m in mentions(min(total, 200_000), 0, 1, seed=99)
    )


def baseline(total: int, roster: list[Person], sample: int) -> float:
    """Seconds all-pairs rapidfuzz scoring in Python would take on `total` mentions."""
    names = [f"{p.given_name} {p.family_name}" for p in roster]
    affs = [p.affiliation for p in roster]
    ms = list(mentions(sample, 0, 1, seed=5))
    t = time.perf_counter()
    kept = 0
    for m in ms:
        aff = m.affiliations[0] if m.affiliations else m.paper_affiliations[0]
        for name, org in zip(names, affs):
            s = fuzz.token_sort_ratio(m.name, name)
            if s >= 80:
                s += fuzz.token_set_ratio(aff, org)
                kept += 1
    took = time.perf_counter() - t
    return took / len(ms) * total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mentions", type=int, default=1_000_000)
    parser.add_argument("--roster", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--baseline-sample", type=int, default=200)
    args = parser.parse_args()

    global _SHARED
    t0 = time.perf_counter()
    _SHARED = (make_roster(args.roster), _stats(args.mentions))
    with mp.get_context("fork").Pool(args.workers) as pool:
        results = pool.map(
            _worker,
            [
                (args.mentions, s, args.workers, args.roster)
                for s in range(args.workers)
            ],
        )
    whole = time.perf_counter() - t0
    # The matching itself: workers run in parallel, so the slowest one is the wall time.
    wall = max(r[4] for r in results)
    conf = sum(r[0] for r in results)
    rev = sum(r[1] for r in results)
    rej = sum(r[2] for r in results)
    peak_mb = max(r[3] for r in results) / 1024
    total_rss_mb = (
        sum(r[3] for r in results) + resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    ) / 1024
    print(
        f"{args.mentions:,} authorships x {args.roster:,} members on {args.workers} workers: "
        f"matching {wall:.1f} s wall (per worker {', '.join(f'{r[4]:.1f}' for r in results)} s); "
        f"whole run {whole:.1f} s including roster/statistics set-up and generating the synthetic "
        f"input ({', '.join(f'{r[5]:.1f}' for r in results)} s per worker)"
    )
    print(
        f"peak RSS per worker {peak_mb:.0f} MB, all processes together <= {total_rss_mb:.0f} MB"
    )
    print(f"candidates: {conf:,} confirmed, {rev:,} needs_review, {rej:,} rejected")
    base = baseline(args.mentions, make_roster(args.roster), args.baseline_sample)
    print(
        f"all-pairs rapidfuzz baseline (sample of {args.baseline_sample}, extrapolated): {base:,.0f} s "
        f"= {base / 3600:.1f} h single process; ratio {base / wall:,.0f}x wall "
        f"({base / args.workers / wall:,.0f}x if the baseline also used {args.workers} cores)"
    )
    ok = wall <= 20 and total_rss_mb <= 2048 and base / args.workers / wall >= 50
    data = ROOT / ".." / "shared" / "data"
    if (data / "paperlists").exists():
        from papertally.evaluation import evaluate

        for labels in (
            ROOT / "bench" / "labels" / "links.csv",
            ROOT / "bench" / "labels" / "holdout" / "links.csv",
        ):
            o = evaluate(labels, data).overall
            print(
                f"blocking on {labels.relative_to(ROOT)}: {o.dropped_by_blocking} of {o.true_links} true links dropped"
            )
    else:
        print("blocking recall: ../shared/data not present, labelled sets not run")
    print("goals (<= 20 s, <= 2 GB, >= 50x):", "met" if ok else "NOT MET")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
