"""[program] attribution: "authorship" counts a confirmed member's paper; "acknowledgement"
also needs the program's grant number in the full text, or a staff attribution decision."""

from __future__ import annotations

from dataclasses import asdict

import pytest

from db.enrichment import NONE, OK, Enrichment, attribution_decisions, store
from db.links import store_candidates
from db.papers import store_records
from db.roster import import_roster
from harvesters.records import AuthorRecord, PaperRecord
from matching.attribution import find_acknowledgement, terms_from
from matching.model import Candidate, Evidence
from papertally.enrichment import decide_attribution
from papertally.errors import PapertallyError
from papertally.exports import build_export
from papertally.report import ATTRIBUTION_RULES, build_report, render_table
from papertally.roster import RosterRow

TERMS = terms_from(["JPNP20006"], ["NEDO"])
TEXTS = {
    "A": "This work is based on results obtained from a project, JPNP20006, commissioned by NEDO.",
    "B": "We thank NEDO for its support.",
}


def _ok(pid: str, text: str) -> Enrichment:
    ack = find_acknowledgement(["Body.", text], TERMS)
    return Enrichment(pid, "fulltext", "v1:x", OK, "", {
        "url": f"http://x/{pid}.pdf", "acknowledgement": asdict(ack), "ack_line": ack.explain(),
    }, "ab" * 32, 1, 1000)


@pytest.fixture
def world(db, settings):
    """Four FY2024 CVPR papers, each with a confirmed link to member p1 of theme T1:
    A acknowledges the number, B names only NEDO, C has no full text (staff confirm it),
    D is not enriched yet."""
    import_roster(db, [RosterRow(0, "T1", "Robots", "P1", "p1", "Sato", "Kazuki", None, (),
                                 "The University of Tokyo", (), None, None, None, None)])
    store_records(db, [
        PaperRecord("cvf", k, "CVPR", 2024, f"Paper {k}", (AuthorRecord("Kazuki Sato", 1),))
        for k in "ABCD"
    ], None)
    ids = {r[1][-1]: r[0] for r in db.execute("SELECT paper_id, title FROM papers").fetchall()}
    store_candidates(db, [
        Candidate(ids[k], "p1", f"cvf:{k}#1", 0.97, "confirmed", (Evidence("name", 1, "x"),), "x")
        for k in "ABCD"
    ], "v1")
    store(db, [
        _ok(ids["A"], TEXTS["A"]),
        _ok(ids["B"], TEXTS["B"]),
        Enrichment(ids["C"], "fulltext", "v1:y", NONE, "no full text (encrypted (a password is needed to open it))"),
    ])
    decide_attribution(db, ids["C"], by="ann", reason="camera-ready acknowledges JPNP20006, p.9")
    return db, ids


def _with_rule(settings, rule):
    program = settings.program.model_copy(update={"attribution": rule, "grant_numbers": ("JPNP20006",)})
    return settings.model_copy(update={"program": program})


def _papers(report):
    return {p["title"][-1]: p for t in report["themes"] for p in t["papers"]}


def test_authorship_rule_counts_every_confirmed_paper_and_shows_attribution(world, settings):
    db, ids = world
    report = build_report(db, _with_rule(settings, "authorship"), 2024)
    t1 = next(t for t in report["themes"] if t["theme_id"] == "T1")
    assert (t1["confirmed"], t1["pending"], t1["pending_attribution"]) == (4, 0, 0)
    assert report["attribution_rule"] == "authorship"
    assert ATTRIBUTION_RULES["authorship"] in report["counting_rules"]
    papers = _papers(report)
    assert {k: p["attribution"]["status"] for k, p in papers.items()} == {
        "A": "acknowledged", "B": "not_acknowledged", "C": "confirmed_by_staff", "D": "no_full_text",
    }
    assert papers["A"]["attribution"]["quote"] == TEXTS["A"] and papers["A"]["attribution"]["page"] == 2
    assert papers["B"]["attribution"]["quote"] == TEXTS["B"]  # shown, though it does not count
    assert "without the program's grant number" in papers["B"]["attribution"]["detail"]
    assert papers["C"]["attribution"]["detail"].startswith("confirmed by ann on ")
    assert "encrypted" in papers["C"]["attribution"]["detail"]
    assert papers["D"]["attribution"]["detail"] == "not enriched yet"


def test_acknowledgement_rule_counts_only_acknowledged_or_staff_confirmed(world, settings):
    db, ids = world
    report = build_report(db, _with_rule(settings, "acknowledgement"), 2024)
    t1 = next(t for t in report["themes"] if t["theme_id"] == "T1")
    assert (t1["confirmed"], t1["pending"], t1["pending_attribution"]) == (2, 2, 2)
    assert (report["papers_confirmed"], report["papers_pending_attribution"]) == (2, 2)
    assert {k: p["status"] for k, p in _papers(report).items()} == {
        "A": "confirmed", "B": "pending_attribution", "C": "confirmed", "D": "pending_attribution",
    }
    assert ATTRIBUTION_RULES["acknowledgement"] in report["counting_rules"]
    assert "attribution rule: acknowledgement (2 confirmed paper(s) pending attribution" in render_table(report)

    # A withdrawal (append-only) puts C back to pending attribution.
    decide_attribution(db, ids["C"], by="bob", reason="the camera-ready names another project",
                       withdraw=True)
    again = build_report(db, _with_rule(settings, "acknowledgement"), 2024)
    assert again["papers_confirmed"] == 1
    assert attribution_decisions(db)[ids["C"]]["action"] == "withdraw"


@pytest.mark.parametrize("lang, label, rule_words", [
    ("en", "pending attribution", "attribution by acknowledgement"),
    ("ja", "保留（帰属確認待ち）", "帰属は謝辞で判定"),
])
def test_exports_state_the_rule_and_carry_attribution_per_paper(world, settings, lang, label, rule_words):
    db, ids = world
    s = _with_rule(settings, "acknowledgement")
    data = build_export(db, s, build_report(db, s, 2024), lang=lang)
    assert any(rule_words in str(v) for _k, v in data["meta"])
    rows = {r["paper_id"]: r for r in data["evidence"]}
    assert rows[ids["B"]]["paper_status"] == label
    assert rows[ids["A"]]["attribution_quote"] == f'p.2: "{TEXTS["A"]}"'
    assert rows[ids["A"]]["pdf_sha256"] == "ab" * 32
    assert rows[ids["D"]]["attribution_quote"] == ""


def test_staff_attribution_needs_a_known_paper_a_name_and_a_reason(world):
    db, ids = world
    with pytest.raises(PapertallyError, match="not in the database"):
        decide_attribution(db, "Pnope", by="ann", reason="x")
    with pytest.raises(PapertallyError, match="--reason"):
        decide_attribution(db, ids["B"], by="ann", reason="  ")
    d = decide_attribution(db, ids["B"], by="ann", reason="checked the publisher's PDF")
    assert d["evidence_seen"].startswith("full text: names NEDO without the program's grant number")
    with pytest.raises(Exception, match="append-only"):
        db.execute("DELETE FROM attribution_decisions")


def test_review_attribute_from_the_command_line(tmp_path, capsys, repo_root):
    from db.schema import open_db
    from papertally.cli import main

    db_path = tmp_path / "cli.db"
    db = open_db(db_path)
    store_records(db, [PaperRecord("cvf", "A", "CVPR", 2024, "Paper A", (AuthorRecord("K S", 1),))], None)
    pid = db.execute("SELECT paper_id FROM papers").fetchone()[0]
    db.close()

    def run(*args):
        try:
            main(["--config", str(repo_root / "config.toml"), "--db", str(db_path), *args])
            code = 0
        except SystemExit as exc:
            code = exc.code or 0
        return (code, *capsys.readouterr())

    code, out, _ = run("review", "attribute", pid, "--by", "ann", "--reason", "publisher PDF, p.9")
    assert code == 0
    assert out.startswith(f"paper {pid} (Paper A): attribution confirmed by ann (decision 1; "
                          "full text: not enriched yet)")
    code, _, err = run("review", "attribute", "Pnope", "--by", "ann", "--reason", "x")
    assert code != 0 and "paper 'Pnope' is not in the database" in err and "Traceback" not in err
    db = open_db(db_path)
    assert [d["decided_by"] for d in db.query("SELECT * FROM attribution_decisions")] == ["ann"]
    db.close()
