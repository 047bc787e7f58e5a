"""How common a name is: full names, romanization-folded, with Japan's surname ranking."""

from __future__ import annotations

import itertools

from matching.context import MatchContext, NameStats, ja_family_shares
from matching.match import match_all
from matching.model import Mention, Person

JA_FAMILY = ["Sato", "Suzuki", "Takahashi", "Watanabe", "Kobayashi", "Yamamoto", "Nakamura", "Yoshida"]
JA_GIVEN = ["Taro", "Yuki", "Kenta", "Haruka", "Daisuke", "Naoki", "Sakura", "Shota", "Ayumi", "Ryota"]
WESTERN_FAMILY = ["Smith", "Miller", "Brown", "Garcia", "Schmidt", "Dubois", "Taylor", "Novak", "Jensen"]
WESTERN_GIVEN = ["John", "Anna", "Peter", "Maria", "Lukas", "Sofia", "David", "Emma", "Oliver"]


def corpus(ja_names: list[str]) -> NameStats:
    """46,655 mentions like the real 2023-2024 lists: about 2% of them Japanese names."""
    western = [f"{g} {f}" for f, g in itertools.product(WESTERN_FAMILY, WESTERN_GIVEN)]
    ja = [f"{g} {f}" for f, g in itertools.product(JA_FAMILY, JA_GIVEN)] * 12 + ja_names
    rest = 46_655 - len(ja)
    return NameStats.from_names([*ja, *(western * (rest // len(western) + 1))[:rest]])


# Tanaka printed 6 times in 46,655 mentions: "1 in 7,777", which the family-name rating
# turned into +0.89 although Tanaka is the fourth family name of Japan (1 in 95 people).
TANAKA_CORPUS = corpus(["Hiroshi Tanaka", "Kenji Tanaka", "Mai Tanaka", "Yu Tanaka", "Emi Tanaka", "Jun Tanaka"])


def rarity_evidence(person: Person, stats: NameStats):
    (c,) = match_all(
        [Mention("s:1#1", "P1", f"{person.given_name} {person.family_name}")],
        [person],
        confirm_threshold=0.85,
        review_threshold=0.45,
        context=MatchContext(name_stats=stats, keep_rejected_from=0.0),
    )
    (ev,) = [e for e in c.evidence if e.kind == "name_rarity"]
    return ev


def member(family: str, given: str) -> Person:
    return Person("p1", "P1", "T01", family, given, affiliation="Kyoto University")


def test_the_ranking_folds_romanizations_and_sums_kanji_that_read_alike():
    shares = ja_family_shares()
    assert 0.0104 < shares["tanaka"] < 0.0106  # 1.34 million of 127.69 million
    # 斉藤 and 斎藤 are both Saitō; Ōta is keyed as ota.
    assert shares["saito"] > shares["tanaka"] * 0.78
    assert "ota" in shares and "ōta" not in shares


def test_tanaka_is_not_rated_a_rare_name_where_japanese_names_are_rare():
    assert TANAKA_CORPUS.count("Tanaka") == 6 and TANAKA_CORPUS.total == 46_655
    ev = rarity_evidence(member("Tanaka", "Hiroshi"), TANAKA_CORPUS)
    assert ev.weight < 0.75  # the family-name rating gave +0.89
    # The family name set the rating, and the sentence says so.
    assert ev.key == "name_rarity.fairly_common_ja_ranking_by_family"
    assert ev.params["family_one_in"] == "95"
    assert ev.detail.startswith("Tanaka is a fairly common family name (1 in 95 people in Japan;")
    assert "rare family name" not in ev.detail


def test_a_rare_full_name_with_a_commoner_family_name_does_not_read_as_a_common_name():
    # "Peter Stone is a fairly common name here (about 1 in 2,309,842 full names...)" read
    # as nonsense: the family name's rating set the weight, so the sentence is about it.
    stats = corpus(["Anna Stone"] * 10)
    ev = rarity_evidence(member("Stone", "Zebulon"), stats)
    assert ev.key == "name_rarity.fairly_common_by_family", ev.detail
    assert ev.detail.startswith("Stone is a fairly common family name here (1 in ")
    assert "the full name Zebulon Stone: about 1 in " in ev.detail
    # A name whose full-name rating is the lower keeps the full-name sentence.
    # (a family name printed nowhere else, with the corpus's commonest given name)
    full = rarity_evidence(member("Zebulonov", "John"), stats)
    assert full.key == "name_rarity.fairly_common", full.detail
    assert full.detail.startswith("John Zebulonov is a fairly common name here (about 1 in ")


def test_the_given_name_counts_a_common_given_name_makes_the_name_commoner():
    stats = corpus(["Tetsuya Ogata", "Kenta Ogata"])
    rare_given = rarity_evidence(member("Ogata", "Tetsuya"), stats)
    common_given = rarity_evidence(member("Ogata", "Kenta"), stats)  # 96 Kentas
    assert common_given.weight < rare_given.weight
    assert rare_given.weight - common_given.weight > 0.1


def test_romanization_variants_count_as_one_full_name():
    stats = corpus(["Yūichi Ōta", "Yuuichi Ohta", "Yuichi Oota"])
    freq = stats.full_name("Ota", "Yuichi")
    assert freq.japanese
    assert round(freq.given_share * stats.ja_total) == 3
    assert stats.full_name("Ohta", "Yuuichi") == freq


def test_a_common_chinese_family_name_stays_common_whatever_the_given_name():
    stats = NameStats.from_names(["Wei Wang"] * 1500 + ["Yifei Huang"] + ["Anna Smith"] * 45_000)
    assert stats.full_name("Wang", "Yifei").rarity == -1.0
    assert stats.full_name("Wang", "Yifei").common


def test_chinese_names_that_spell_japanese_syllables_are_not_rated_as_japanese():
    stats = corpus(["Kai Chen"] * 40 + ["Tao Gui"] * 20)
    assert stats.ja_total == len(JA_FAMILY) * len(JA_GIVEN) * 12
    assert not stats.full_name("Chen", "Kai").japanese
