"""The nightly flow under a real (temporary) Prefect API: retries, failures, concurrency, CLI."""

from __future__ import annotations

import json
import threading
import time

import pytest
from click.testing import CliRunner
from nightlykit import write_config
from openpyxl import load_workbook

pytestmark = pytest.mark.usefixtures("prefect_harness")

SAMPLES = {
    ("paperlists", "CVPR", 2024),
    ("paperlists", "ICRA", 2023),
    ("paperlists", "NeurIPS", 2024),
    ("acl-anthology", "ACL", 2024),
}


@pytest.fixture(scope="session")
def first_run(tmp_path_factory, prefect_harness):
    """One flow run of the offline samples plus a broken ICRA 2024 job (1 retry)."""
    from flows.nightly import run_nightly

    folder = tmp_path_factory.mktemp("nightly")
    config = write_config(folder, retries=1)
    db_path = folder / "papertally.db"
    start = time.monotonic()
    summary, state = run_nightly(
        config_path=str(config), db_path=str(db_path), offline=True, trigger="test"
    )
    return {
        "folder": folder,
        "config": config,
        "db_path": db_path,
        "summary": summary,
        "state": state,
        "seconds": time.monotonic() - start,
    }


def open_db(path):
    from db.schema import open_db as _open

    return _open(path)


def test_failing_source_is_reported_and_the_rest_completes(first_run):
    s = first_run["summary"]
    assert [(f["step"], f["what"]) for f in s["failures"]] == [
        ("harvest", "paperlists ICRA 2024")
    ]
    assert "JSON" in s["failures"][0]["reason"] or "json" in s["failures"][0]["reason"]
    assert {(h["source"], h["venue"], h["year"]) for h in s["harvests"]} == SAMPLES
    assert all(h["new"] == h["seen"] > 0 for h in s["harvests"])
    assert s["matching"] is not None and s["matching"]["confirmed"] > 0
    assert s["review_queue"] == s["matching"]["review_queue"]
    db = open_db(first_run["db_path"])
    # the failing job was tried twice (retries = 1), each try recorded
    tries = db.execute(
        "SELECT status FROM harvest_runs WHERE venue = 'ICRA' AND year = 2024"
    ).fetchall()
    assert [t[0] for t in tries] == ["failed", "failed"]


def read_flow_run(flow_run_id):
    """The flow run and its task runs as the Prefect API has them."""
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    with get_client(sync_client=True) as client:
        flow_run = client.read_flow_run(flow_run_id)
        tasks = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
        )
    return flow_run, {t.name: t.state.type.value for t in tasks}


def test_a_night_with_a_failed_harvest_ends_failed_in_prefect(first_run):
    s, state = first_run["summary"], first_run["state"]
    flow_run, states = read_flow_run(s["flow_run_id"])
    # the API's flow run, not only the state handed back in this process
    assert flow_run.state.type.value == "FAILED"
    written = len(s["exports"])
    assert written > 0
    message = flow_run.state.message
    assert message.startswith("1 of 5 harvests failed: paperlists ICRA 2024 (")
    assert message.endswith(f"); matching ok; {written} exports written")
    assert state.is_failed() and state.message == message
    assert state.result(raise_on_failure=False) == s
    # every step after the failed harvest ran and completed
    assert states["harvest paperlists ICRA 2024"] == "FAILED"
    for source, venue, year in SAMPLES:
        assert states[f"harvest {source} {venue} {year}"] == "COMPLETED"
    others = {
        n.rsplit("-", 1)[0]: v
        for n, v in states.items()
        if not n.startswith("harvest ")
    }
    assert others == {
        "begin": "COMPLETED",
        "match": "COMPLETED",
        "enrich": "COMPLETED",
        "tally and export": "COMPLETED",
        "summary and notify": "COMPLETED",
    }
    # Failed is the end: the flow was not retried (one attempt, one run summary)
    assert flow_run.run_count == 1
    db = open_db(first_run["db_path"])
    assert db.execute("SELECT COUNT(*) FROM run_summaries").fetchone()[0] == 1


def test_run_summary_is_stored_and_exports_match_the_report(first_run):
    from db import runs as runs_db
    from papertally.config import load_settings
    from papertally.report import build_report

    s = first_run["summary"]
    db = open_db(first_run["db_path"])
    row = runs_db.get_run(db, s["run_id"])
    assert (
        row["status"] == "partial"
        and row["n_failures"] == 1
        and row["trigger"] == "test"
    )
    assert row["summary"] == json.loads(json.dumps(s))
    settings = load_settings(first_run["config"])
    out = first_run["folder"] / "out"
    assert len(s["exports"]) == 4 * len(
        s["tally"]
    )  # xlsx, csv, json, png per fiscal year
    for t in s["tally"]:
        fy = t["fiscal_year"]
        report = build_report(db, settings, fy)
        body = json.loads(
            (out / f"papertally_FY{fy}_ja.json").read_text(encoding="utf-8")
        )
        assert body["export"]["run"]["run_id"] == s["run_id"]
        body.pop("export")
        assert body == json.loads(json.dumps(report))
        ws = load_workbook(out / f"papertally_FY{fy}_ja.xlsx").worksheets[0]
        rows = [[c.value for c in r] for r in ws.iter_rows(min_row=3)]
        assert [r[:5] for r in rows[:-1]] == [
            [
                th["theme_id"],
                th["theme_name"],
                th["target"],
                th["confirmed"],
                th["pending"],
            ]
            for th in report["themes"]
        ]
        assert [th["confirmed"] for th in t["themes"]] == [
            th["confirmed"] for th in report["themes"]
        ]
    assert not list(out.glob(".*.tmp"))


def test_second_run_adds_nothing_and_keeps_staff_decisions(first_run, tmp_path):
    import shutil

    from db.links import decide
    from flows.nightly import run_nightly

    db_path = tmp_path / "copy.db"
    src = open_db(first_run["db_path"])
    src.execute("VACUUM INTO ?", [str(db_path)])
    src.close()
    db = open_db(db_path)
    review = db.execute(
        "SELECT link_id FROM links WHERE status = 'needs_review' ORDER BY link_id"
    ).fetchone()
    confirmed = db.execute(
        "SELECT link_id FROM links WHERE status = 'confirmed' ORDER BY link_id"
    ).fetchone()
    decide(db, review[0], "accept", "yamada", "seen the PDF")
    decide(db, confirmed[0], "reject", "suzuki", "another person of the same name")
    papers_before = db.execute("SELECT COUNT(*) FROM papers").fetchone()[0]
    db.close()
    config = write_config(tmp_path / "cfg", broken_job=False)
    s, state = run_nightly(
        config_path=str(config), db_path=str(db_path), offline=True, trigger="test"
    )
    assert s["failures"] == []
    assert state.is_completed() and state.result() == s
    flow_run, states = read_flow_run(s["flow_run_id"])
    assert flow_run.state.type.value == "COMPLETED" and flow_run.run_count == 1
    assert set(states.values()) == {"COMPLETED"} and len(states) == 4 + 5  # begin, match, enrich, tally, summary
    assert all(h["new"] == 0 and h["unchanged"] == h["seen"] for h in s["harvests"])
    db = open_db(db_path)
    assert db.execute("SELECT COUNT(*) FROM papers").fetchone()[0] == papers_before
    assert (
        db.execute("SELECT status FROM links WHERE link_id = ?", review).fetchone()[0]
        == "confirmed"
    )
    assert (
        db.execute("SELECT status FROM links WHERE link_id = ?", confirmed).fetchone()[
            0
        ]
        == "rejected"
    )
    assert db.execute("SELECT COUNT(*) FROM decisions").fetchone()[0] == 2
    assert s["matching"]["kept_decided"] >= 2
    shutil.rmtree(tmp_path / "cfg" / "out", ignore_errors=True)


def test_concurrency_limit_holds(tmp_path, monkeypatch):
    from flows.nightly import run_nightly
    from papertally import steps

    running, peak, lock = [0], [0], threading.Lock()

    def fake_harvest(config_path, db_path, source, venue, year, offline):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.4)
        with lock:
            running[0] -= 1
        return {"source": source, "venue": venue, "year": year, "counts": {"seen": 0}}

    monkeypatch.setattr(steps, "harvest_step", fake_harvest)
    config = write_config(
        tmp_path, broken_job=True, concurrency=2, formats="[]", chart=""
    )
    s, state = run_nightly(
        config_path=str(config),
        db_path=str(tmp_path / "c.db"),
        offline=True,
        trigger="test",
    )
    assert len(s["harvests"]) == 5 and s["failures"] == [] and state.is_completed()
    assert peak[0] == 2


def test_papertally_run_prints_the_summary_and_exits_1_on_failure(
    first_run, tmp_path, caplog
):
    import logging

    from papertally.cli import cli

    caplog.set_level(logging.INFO)

    config = write_config(
        tmp_path, broken_job=True, retries=0, formats='["json"]', chart=""
    )
    result = CliRunner().invoke(
        cli,
        ["--config", str(config), "--db", str(tmp_path / "r.db"), "run", "--offline"],
    )
    assert isinstance(result.exception, Exception) and "1 step(s) failed" in str(
        result.exception
    )
    assert "harvest (per venue-year and source):" in result.output
    assert "CVPR 2024 paperlists: 56 papers, 56 new" in result.output
    assert "FAILED harvest paperlists ICRA 2024" in result.output
    assert "review queue:" in result.output
    # The flow's log reaches the terminal too: it names the failure, but leaves the summary
    # to the command (logged at debug level), so that it is not shown twice.
    messages = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("night failed: ") for m in messages), messages
    assert not any(m.startswith("run summary") for m in messages)


def test_papertally_run_exits_0_after_a_clean_night(first_run, tmp_path):
    from papertally.cli import cli

    config = write_config(tmp_path, broken_job=False, formats='["json"]', chart="")
    result = CliRunner().invoke(
        cli,
        ["--config", str(config), "--db", str(tmp_path / "r.db"), "run", "--offline"],
    )
    assert result.exit_code == 0, result.output
    assert ": all steps ok" in result.output and "FAILED" not in result.output


def test_run_nightly_raises_what_a_flow_without_a_summary_raised(first_run, tmp_path):
    from flows.nightly import run_nightly
    from papertally.errors import ConfigError

    with pytest.raises(ConfigError, match="config file not found"):
        run_nightly(config_path=str(tmp_path / "missing.toml"), offline=True)


def test_papertally_export_command_writes_each_format(first_run, tmp_path):
    from papertally.cli import cli

    base = [
        "--config",
        str(first_run["config"]),
        "--db",
        str(first_run["db_path"]),
        "export",
        "--fy",
        "2024",
    ]
    runner = CliRunner()
    r = runner.invoke(
        cli,
        [
            *base,
            "--format",
            "csv",
            "--lang",
            "en",
            "--out",
            str(tmp_path / "a.csv"),
            "--chart",
            str(tmp_path / "a.svg"),
        ],
    )
    assert r.exit_code == 0, r.output
    assert (tmp_path / "a.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert "per fiscal year" in r.output and (tmp_path / "a.svg").exists()
    r = runner.invoke(
        cli, [*base, "--format", "xlsx", "--out", str(tmp_path / "a.xlsx")]
    )
    assert (
        r.exit_code == 0 and load_workbook(tmp_path / "a.xlsx").sheetnames[0] == "概要"
    )
    r = runner.invoke(
        cli,
        [
            "--config",
            str(first_run["config"]),
            "--db",
            str(first_run["db_path"]),
            "runs",
        ],
    )
    assert r.exit_code == 0 and "partial" in r.output


def test_a_source_that_is_down_costs_seconds_not_minutes(tmp_path):
    """Issue 11.8: every source refusing connections once cost 548 s (two 60-s retries of
    each job). A refused connection is tried twice within a second, never retried by the
    flow, and the night's summary says the source is down."""
    import re

    from flows.nightly import run_nightly

    config = write_config(tmp_path, broken_job=False, retries=2)
    text = config.read_text(encoding="utf-8")
    text = re.sub(r"(?ms)^\[\[harvest\]\]\n.*?(?=^\[|\Z)", "", text)  # no offline fallback
    text = re.sub(r"(?m)^retry_delay_seconds = .*$", "retry_delay_seconds = 60", text)
    # nothing listens on the discard port of this machine: connection refused
    text = text.replace(
        'base_url = "https://raw.githubusercontent.com/papercopilot/paperlists/main"',
        'base_url = "http://127.0.0.1:9"',
    )
    text += '\n[[harvest]]\nsource = "paperlists"\nvenue = "CVPR"\nyear = 2024\n'
    config.write_text(text, encoding="utf-8")
    start = time.monotonic()
    summary, state = run_nightly(
        config_path=str(config), db_path=str(tmp_path / "p.db"), trigger="test"
    )
    assert time.monotonic() - start < 45  # one retry of the flow would wait 60 s
    [harvest] = summary["harvests"]
    assert (harvest["source"], harvest["venue"], harvest["year"]) == ("paperlists", "CVPR", 2024)
    assert "source down: connection refused" in harvest["message"]
    tries = open_db(tmp_path / "p.db").execute("SELECT COUNT(*) FROM harvest_runs").fetchone()
    assert tries[0] == 1
