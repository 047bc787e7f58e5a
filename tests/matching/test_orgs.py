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
