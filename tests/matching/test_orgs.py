"""Organisations: resolution of English, Japanese and abbreviated names; look-alikes."""

from __future__ import annotations

import pytest

from matching.orgs import compare_orgs, org_table, segments


@pytest.mark.parametrize(
    "printed, org_id",
    [
        ("東京大学", "utokyo"),
        ("The University of Tokyo", "utokyo"),
        ("Univ. of Tokyo", "utokyo"),
        ("UTokyo", "utokyo"),
        (
            "Graduate School of Information Science and Technology, The University of Tokyo, Japan",
            "utokyo",
        ),
        ("東京大学大学院情報理工学系研究科", "utokyo"),
        ("産業技術総合研究所", "aist"),
        ("AIST", "aist"),
        ("National Inst. of AIST", "aist"),
        (
            "National Institute of Advanced Industrial Science and Technology (AIST), Tsukuba",
            "aist",
        ),
        ("KAIST", "kaist"),
        ("Korea Advanced Institute of Science and Technology", "kaist"),
        ("Toyota Technological Institute, Nagoya, Japan", "toyota-ti"),
        ("Toyota Technological Institute at Chicago", "ttic"),
        ("TTIC", "ttic"),
        ("Toyota Research Institute (TRI), Los Altos, CA", "tri"),
        ("NEC Corporation", "nec"),
        ("NEC Laboratories America, Inc.", "nec-la"),
        ("NEC Labs Europe", "nec-le"),
        ("Mitsubishi Electric Corporation", "melco"),
        ("Mitsubishi Electric Research Laboratories (MERL), Cambridge, MA", "merl"),
        ("Honda Research Institute Japan Co., Ltd, Wako, Japan", "hri-jp"),
        ("Honda Research Institute USA, Inc.", "hri-us"),
        ("Honda Research Institute, San Jose, CA, USA", "hri-us"),
        ("Sony Group Corporation", "sony"),
        ("Sony AI", "sony-ai"),
        ("RIKEN AIP", "riken-aip"),
        ("RIKEN Center for Advanced Intelligence Project", "riken-aip"),
        ("OMRON SINIC X Corporation, Tokyo, Japan", "omron-sinicx"),
        ("Preferred Networks, Inc.", "pfn"),
        ("LINE Corporation", "line"),
        ("LY Corporation", "line"),
        ("CyberAgent, Inc.", "cyberagent"),
        ("Tokyo Institute of Technology", "isct"),
        ("Institute of Science Tokyo", "isct"),
        ("The University of Osaka", "osaka-u"),
        ("Osaka University", "osaka-u"),
        ("Kyoto University of Advanced Science", "kuas"),
        ("Waseda University", "waseda"),
        ("Nara Institute of Science and Technology", "naist"),
    ],
)
def test_affiliation_resolves_to_one_organisation(printed, org_id):
    assert org_table().resolve_all((printed,)) == {org_id}


def test_tokyo_university_of_science_is_not_the_university_of_tokyo():
    assert "utokyo" not in org_table().resolve("Tokyo University of Science")


def test_multiple_affiliations_are_split():
    assert org_table().resolve("Tohoku University / RIKEN") == {"tohoku-u", "riken"}
    assert {"tohoku-u", "riken-aip"} <= org_table().resolve_all(
        ("RIKEN AIP & Tohoku University",)
    )


def test_segments_split_departments_and_institutions():
    segs = segments("Dept. of Computer Science, The University of Tokyo, Japan")
    assert "university of tokyo" in segs


@pytest.mark.parametrize(
    "roster, printed",
    [
        ("東京大学", "The University of Tokyo"),
        ("The University of Tokyo", "Univ. of Tokyo"),
        ("UTokyo", "Graduate School of Engineering, University of Tokyo"),
        ("産業技術総合研究所", "AIST"),
        ("AIST", "National Institute of Advanced Industrial Science and Technology"),
        ("Tohoku University", "Tohoku University / RIKEN"),
        ("RIKEN", "RIKEN Center for Advanced Intelligence Project"),
        ("Institute of Science Tokyo", "Tokyo Institute of Technology"),
        (
            "Some Small Lab",
            "Some Small Lab., Kyoto",
        ),  # unknown organisations: strict fuzzy
    ],
)
def test_same_organisation_agrees(roster, printed):
    assert compare_orgs((roster,), (printed,)).kind in ("same", "part_of", "fuzzy_same")


@pytest.mark.parametrize(
    "roster, printed",
    [
        ("AIST", "KAIST"),
        (
            "産業技術総合研究所",
            "Korea Advanced Institute of Science and Technology (KAIST)",
        ),
        ("Toyota Technological Institute", "Toyota Technological Institute at Chicago"),
        ("Toyota Technological Institute", "Toyota Research Institute"),
        ("Toyota Technological Institute at Chicago", "Toyota Research Institute"),
        ("NEC Corporation", "NEC Laboratories America"),
        ("NEC Corporation", "NEC Laboratories Europe"),
        (
            "Mitsubishi Electric Corporation",
            "Mitsubishi Electric Research Laboratories",
        ),
        ("Honda Research Institute Japan", "Honda Research Institute USA"),
        (
            "Honda Research Institute Japan",
            "Honda Research Institute, San Jose, CA, USA",
        ),
        ("Kyoto University", "Kyoto University of Advanced Science"),
        ("The University of Tokyo", "Tokyo University of Science"),
        ("Osaka University", "Kyoto University"),
    ],
)
def test_look_alikes_do_not_agree(roster, printed):
    assert compare_orgs((roster,), (printed,)).kind == "different"


@pytest.mark.parametrize(
    "roster, printed",
    [
        ("Sony Group Corporation", "Sony AI"),
        ("Sony AI", "Sony Group Corporation"),
        ("RIKEN AIP", "RIKEN Center for Brain Science"),
        ("Honda Research Institute Japan", "Honda Research Institute"),
    ],
)
def test_sister_entities_are_related_for_review(roster, printed):
    assert compare_orgs((roster,), (printed,)).kind == "related"


def test_shipped_table_is_small_and_has_sources_note():
    from matching.orgs import _DATA

    total = sum(f.stat().st_size for f in _DATA.iterdir())
    assert total < 400_000
    assert (_DATA / "SOURCES.md").exists()


# Real affiliation strings of the robotics venues (../shared/data/paperlists: IROS 2023's
# IEEE addresses, CoRL 2025 and RSS 2024/2025 double affiliations), as the matcher sees them.
@pytest.mark.parametrize(
    "printed, expected",
    [
        # Full postal addresses: the organisation, never a place of the address.
        (
            "Dept. of Mechano-Informatics, Univ. of Tokyo, 7-3-1 Hongo, Bunkyo-ku, Tokyo 113-8656, Japan",
            {"utokyo"},
        ),
        (
            "Department of Mechano- Informatics, Graduate School of Information Science and Technology, The University of Tokyo, Tokyo, Japan",
            {"utokyo"},
        ),
        (
            "Institute of In-dustrial Science, The University of Tokyo, Meguro-ku, Tokyo, Japan",
            {"utokyo"},  # not "Science University of Tokyo" read across the comma
        ),
        (
            "Aichi Institute of Technology Graduate School of Business Administration and Computer Science, Toyota, Japan",
            {"ror:02qsepw74"},  # Toyota is the city here, not Toyota Motor
        ),
        (" Frontier Research Center, Toyota Motor Corporation, Aichi, Japan", {"toyota"}),
        (" Toyota Central R&D Labs., Inc., Aichi, Japan", {"tcrdl"}),
        (" OMRON SINIC X Corporation (OSX), Tokyo, Japan", {"omron-sinicx"}),
        (
            "Department of Mechanical Engineering and Science, Graduate School of Engineering, Kyoto Univer-sity, Kyoto, Japan",
            {"kyoto-u"},  # a word broken across a line of the PDF
        ),
        (
            "Graduate School of Advanced Science and Technology, Japan Advanced Institute of Science and Technol-ogy, Ishikawa, Japan",
            {"jaist"},
        ),
        ("Graduate School of Informatics, University of Kyoto, Kyoto, Japan", {"kyoto-u"}),
        ("JRL (Joint Robotics Laboratory), IRL, CNRS-AIST, Tsukuba, Japon", {"aist"}),
        (" Faculty of Informatics, Kansai University, Takatsuki, Osaka, Japan", {"kansai-u"}),
        ("Mujin Inc, Tokyo, Japan", {"mujin"}),
        (
            "National Institute of Informatics/The Graduate University for Advanced Studies, SOKENDAI, Tokyo, Japan",
            {"nii", "sokendai"},
        ),
        # A+B double affiliations.
        ("MIT CSAIL+Toyota Research Institute", {"tri"}),
        (" Google DeepMind+Stanford University", set()),  # neither in the Japan table
        ("The University of Tokyo+Sony AI", {"utokyo", "sony-ai"}),
        ("Keio University, Tokyo Institute of Technology", {"keio", "isct"}),
        # Empty per-author fields resolve to nothing (the matcher says "no affiliation").
        ("", set()),
        ("   ", set()),
    ],
)
def test_robotics_venue_affiliations_resolve(printed, expected):
    assert set(org_table().resolve(printed)) == expected


# The roster in katakana, the paper in English: the same organisation.
@pytest.mark.parametrize(
    "roster, printed",
    [
        ("ソニー", "Sony"),
        ("ソニーグループ株式会社", "Sony Group Corporation, Tokyo, Japan"),
        ("トヨタ自動車", "Frontier Research Center, Toyota Motor Corporation, Aichi, Japan"),
        ("オムロン", "OMRON Corporation"),
        ("オムロン サイニックエックス", "OMRON SINIC X Corporation (OSX), Tokyo, Japan"),
        ("プリファード・ネットワークス", "Preferred Networks, Inc."),
        ("プリファードネットワークス", "PFN"),
        ("ファナック", "FANUC Corporation, Yamanashi, Japan"),
        ("安川電機", "Yaskawa Electric Corporation"),
        ("川崎重工業", "Kawasaki Heavy Industries, Ltd."),
        ("デンソー", "DENSO Corporation"),
        ("デンソーウェーブ", "DENSO WAVE Inc."),
        ("ホンダ", "Honda R&D Co. Ltd."),
        ("パナソニック", "R&D Division, Panasonic Holdings Corporation, Osaka, Japan"),
        ("セイコーエプソン", "Seiko Epson Corporation"),
        ("ムジン", "Mujin Inc, Tokyo, Japan"),
        ("テレイグジスタンス", "Telexistence Inc."),
        ("サイバーエージェント", "CyberAgent AI Lab"),
        ("千葉工業大学", "Future Robotics Technology Center, Chiba Institute of Technology"),
        ("ＮＴＴ", "NTT Communication Science Laboratories"),  # full-width letters
    ],
)
def test_katakana_roster_names_agree_with_english_ones(roster, printed):
    assert compare_orgs((roster,), (printed,)).kind in ("same", "part_of")


@pytest.mark.parametrize(
    "roster, printed",
    [
        ("トヨタ", "Toyota Research Institute"),  # TRI is its own organisation
        ("ファナック", "Yaskawa Electric Corporation"),
        ("デンソー", "DENSO IT Laboratory"),
    ],
)
def test_katakana_look_alikes_do_not_agree(roster, printed):
    assert compare_orgs((roster,), (printed,)).kind in ("different", "related")
