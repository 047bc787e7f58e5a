"""The nightly tasks' logic through `.fn` (no Prefect engine): steps, summary, interrupted runs."""

from __future__ import annotations

from pathlib import Path

import pytest
from nightlykit import write_config


@pytest.fixture
def cfg(tmp_path):
    return str(
        write_config(tmp_path, broken_job=True, formats='["json"]', chart="")
    ), str(tmp_path / "s.db")


def run_steps(config, db_path, trigger="test"):
    from flows import nightly as fl
    from papertally.config import load_settings
    from papertally.errors import PapertallyError
    from papertally.steps import failure

    begun = fl.begin.fn(config, db_path, trigger, None)
    harvests, failures = [], []
    for job in load_settings(config).harvest:
        try:
            harvests.append(
                fl.harvest.fn(config, db_path, job.source, job.venue, job.year, True)
            )
        except PapertallyError as exc:
            failures.append(
                failure("harvest", f"{job.source} {job.venue} {job.year}", exc)
            )
    matching = fl.match.fn(config, db_path)
    enrichment = fl.enrich.fn(config, db_path, True)
    tallied = fl.tally_export.fn(config, db_path, begun["run_id"], begun["database"])
    return fl.finish.fn(
        config,
        db_path,
        begun,
        trigger=trigger,
        offline=True,
        flow_run_id=None,
        harvests=harvests,
        matching=matching,
        enrichment=enrichment,
        tallied=tallied,
        failures=failures,
    )


def test_steps_through_fn_build_the_summary(cfg):
    from papertally.steps import render_summary

    config, db_path = cfg
    s = run_steps(config, db_path)
    assert s["run_id"] == 1 and s["trigger"] == "test"
    assert [h["venue"] for h in s["harvests"]] == ["CVPR", "ICRA", "NeurIPS", "ACL"]
    assert [f["what"] for f in s["failures"]] == ["paperlists ICRA 2024"]
    assert s["roster"].endswith("15 added, 0 updated, 0 unchanged, 0 deactivated")
    text = render_summary(s)
    assert (
        "CVPR 2024 paperlists: 56 papers, 56 new, 0 updated, 0 unchanged (offline sample used)"
        in text
    )
    assert "FAILED harvest paperlists ICRA 2024:" in text
    assert f"review queue: {s['review_queue']} link(s) waiting for staff" in text
    # Offline, every candidate is "not fetched" and no call is made: never a failure.
    full = s["enrichment"]["kinds"]["fulltext"]
    assert full["candidates"] > 0 and full["asked"] > 0
    assert full["not_fetched"] == full["asked"] == full["candidates"] - full["no_input"]
    assert full["calls"] == 0
    assert (
        f"enrichment: fulltext {full['candidates']} candidates: {full['asked']} asked "
        f"({full['asked']} not fetched), {full['no_input']} without input, 0 cached; 0 calls"
    ) in text
    fy2026 = next(t for t in s["tally"] if t["fiscal_year"] == 2026)
    assert fy2026["target_total"] == 30
    assert {th["status"] for th in fy2026["themes"]} == {"below"}
    assert all(
        th["target"] == 3 and th["gap"] == 3 - th["confirmed"]
        for th in fy2026["themes"]
    )
    assert len(s["exports"]) == len(s["tally"])  # one json per fiscal year
    # FY2026's editions have no papers in this world: the summary says so, not just 0.
    assert fy2026["venue_years_without_papers"] == [
        "ACL 2026", "CVPR 2026", "ICRA 2026", "NeurIPS 2026"
    ]
    assert (
        "no papers harvested yet for ACL 2026, CVPR 2026, ICRA 2026, NeurIPS 2026" in text
    )

    message = steps_message(s)
    assert message.startswith("1 of 5 harvests failed: paperlists ICRA 2024 (")
    written = len(s["exports"])
    assert message.endswith(
        f"); matching ok; {written} export{'s' if written != 1 else ''} written"
    )

    # a second run: nothing new, every harvest unchanged, no new links
    s2 = run_steps(config, db_path)
    assert all(h["new"] == 0 and h["unchanged"] == h["seen"] for h in s2["harvests"])
    m = s2["matching"]
    assert (m["confirmed"], m["needs_review"], m["rejected"]) == (0, 0, 0)


def steps_message(summary):
    from papertally.steps import failure_message

    return failure_message(summary)


def _summary(harvests=3, exports=2, failures=()):
    return {
        "harvests": [{"venue": f"V{i}"} for i in range(harvests)],
        "exports": [f"out/{i}.json" for i in range(exports)],
        "failures": [
            {"step": step, "what": what, "reason": reason}
            for step, what, reason in failures
        ],
    }


def test_failure_message_names_each_failure_and_how_the_other_steps_ended():
    assert steps_message(_summary()) == ""
    two = _summary(
        harvests=3,
        failures=[
            (
                "harvest",
                "openalex CVPR 2024",
                "HTTP 503 from\n  https://api.openalex.org",
            ),
            ("harvest", "paperlists ICRA 2024", "not JSON"),
        ],
    )
    assert steps_message(two) == (
        "2 of 5 harvests failed: openalex CVPR 2024 (HTTP 503 from https://api.openalex.org), "
        "paperlists ICRA 2024 (not JSON); matching ok; 2 exports written"
    )
    later = _summary(
        harvests=1,
        exports=0,
        failures=[
            ("roster", "roster.csv", "not re-imported, stored roster kept: bad header"),
            ("match", "matching", "database is locked"),
            ("tally", "tally and export", "no fiscal year"),
        ],
    )
    assert steps_message(later) == (
        "roster roster.csv failed (not re-imported, stored roster kept: bad header); "
        "1 harvest ok; matching failed (database is locked); "
        "tally and export failed (no fiscal year)"
    )
    export = _summary(
        harvests=0,
        exports=3,
        failures=[("export", "out/FY2024.png", "x" * 500), ("notify", "webhook", "")],
    )
    assert steps_message(export) == (
        f"0 harvests ok; matching ok; 1 of 4 exports failed: out/FY2024.png ({'x' * 197}...); "
        "notify webhook failed"
    )


def test_bad_roster_is_a_failure_and_the_stored_roster_is_kept(cfg, tmp_path):
    from papertally import steps

    config, db_path = cfg
    steps.begin_step(config, db_path, "test", None)  # imports the example roster
    bad = tmp_path / "bad_roster.csv"
    bad.write_text("theme_id,oops\nT01,x\n", encoding="utf-8")
    path = Path(config)
    path.write_text(
        path.read_text(encoding="utf-8").replace('file = "', f'file = "{bad}" #', 1),
        encoding="utf-8",
    )
    begun = steps.begin_step(config, db_path, "test", None)
    assert [f["step"] for f in begun["failures"]] == ["roster"]
    assert "stored roster kept" in begun["failures"][0]["reason"]
    with steps.store(config, db_path) as (_, db):
        assert (
            db.execute("SELECT COUNT(*) FROM members WHERE active = 1").fetchone()[0]
            == 15
        )


def test_harvest_fn_raises_for_a_broken_source(cfg):
    from flows import nightly as fl
    from papertally.errors import PapertallyError

    config, db_path = cfg
    fl.begin.fn(config, db_path, "test", None)  # the first step creates the database
    with pytest.raises(PapertallyError, match="not valid JSON"):
        fl.harvest.fn(config, db_path, "paperlists", "ICRA", 2024, True)
    with pytest.raises(
        PapertallyError, match="no \\[\\[harvest\\]\\] job paperlists CVPR 1999"
    ):
        fl.harvest.fn(config, db_path, "paperlists", "CVPR", 1999, True)


def test_runs_left_running_by_a_dead_process_are_marked_interrupted(db):
    from db import papers as papers_db
    from db import runs as runs_db

    dead = runs_db.start_run(db, "schedule")
    hv = papers_db.start_run(db, "paperlists", "CVPR", 2024, "x.json")
    live = runs_db.start_run(db, "cli")
    db["run_summaries"].update(live, {"pid": 4242})
    db["run_summaries"].update(dead, {"pid": 4343})
    marked = runs_db.mark_interrupted(db, alive=lambda pid: pid == 4242)
    assert marked == [dead]
    assert runs_db.get_run(db, dead)["status"] == "interrupted"
    assert runs_db.get_run(db, live)["status"] == "running"
    assert (
        db.execute("SELECT status FROM harvest_runs WHERE run_id = ?", [hv]).fetchone()[
            0
        ]
        == "interrupted"
    )


def test_step_connections_take_the_write_lock_at_begin(tmp_path):
    """Parallel harvest tasks each open a connection. A transaction that reads, then
    writes after another connection committed, would fail at once with 'database is
    locked' under a deferred BEGIN (SQLITE_BUSY_SNAPSHOT, no busy wait): the steps'
    connections must take the write lock at BEGIN, so another writer (here another
    process that does not wait) is refused while the transaction is open."""
    import subprocess
    import sys

    from papertally import steps

    config = write_config(tmp_path, broken_job=False)
    path = tmp_path / "c.db"
    probe = (
        "import sqlite3, sys; c = sqlite3.connect(sys.argv[1], timeout=0); "
        "c.execute(\"INSERT INTO run_summaries (started_at, host, pid) VALUES ('probe', 'h', 1)\"); "
        "c.commit()"
    )

    def other_process_can_write() -> bool:
        r = subprocess.run(
            [sys.executable, "-c", probe, str(path)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert r.returncode == 0 or "database is locked" in r.stderr, r.stderr
        return r.returncode == 0

    with steps.store(str(config), str(path), create=True) as (_, db):
        assert other_process_can_write()
        with db.atomic():
            db.execute("SELECT COUNT(*) FROM run_summaries").fetchone()
            assert not other_process_can_write()  # the write lock is ours from BEGIN
            db["run_summaries"].insert({"started_at": "step", "host": "h", "pid": 2})
        assert other_process_can_write()
        rows = [
            r[0]
            for r in db.execute("SELECT started_at FROM run_summaries ORDER BY run_id")
        ]
    assert rows == ["probe", "step", "probe"]


def test_schedule_config_is_checked(tmp_path):
    from papertally.config import load_settings
    from papertally.errors import ConfigError

    p = tmp_path / "c.toml"
    p.write_text('[schedule]\ncron = "0 2 * *"\n', encoding="utf-8")
    with pytest.raises(
        ConfigError, match="schedule: cron '0 2 \\* \\*' is not a 5-field cron line"
    ):
        load_settings(p)
    p.write_text('[schedule]\ntimezone = "Asia/Tokio"\n', encoding="utf-8")
    with pytest.raises(
        ConfigError, match="timezone 'Asia/Tokio' is not an IANA time zone"
    ):
        load_settings(p)
    p.write_text("", encoding="utf-8")
    s = load_settings(p)
    assert (s.schedule.cron, s.schedule.timezone) == ("0 2 * * *", "Asia/Tokyo")
    assert s.program.target_reading == "per_fiscal_year"


def test_console_shows_papertally_errors_without_traceback():
    import io
    import logging

    from prefect.logging.handlers import PrefectConsoleHandler

    from flows import quiet_console_tracebacks
    from papertally.errors import ParseError

    stream = io.StringIO()
    handler = PrefectConsoleHandler(stream=stream)
    logger = logging.getLogger("papertally.test.console")
    logger.addHandler(handler)
    try:
        quiet_console_tracebacks()
        for exc in (
            ParseError("x.json: not valid JSON at line 1"),
            ValueError("a bug"),
        ):
            try:
                raise exc
            except Exception:
                logger.exception("task failed")
        quiet_console_tracebacks()  # twice is harmless
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert text.count("Traceback") == 1  # only the unexpected error keeps its traceback
    assert "ValueError: a bug" in text


def test_run_with_a_failure_and_new_review_items_notifies_the_webhook(tmp_path):
    import json
    import re

    import responses

    hook = "https://hooks.example.org/services/T1/B1/XYZ"
    config = write_config(tmp_path, broken_job=True, formats="[]", chart="")
    config.write_text(
        re.sub(
            r"(?m)^webhook_url = .*$",
            f'webhook_url = "{hook}"',
            config.read_text(encoding="utf-8"),
        ),
        encoding="utf-8",
    )
    with responses.RequestsMock() as mock:
        mock.post(hook, json={"ok": True})
        s = run_steps(str(config), str(tmp_path / "n.db"))
        (call,) = mock.calls
    assert s["notifications"] == ["webhook hooks.example.org: sent"]
    text = json.loads(call.request.body)["text"]
    assert "FAILED harvest paperlists ICRA 2024" in text
    assert (
        f"review queue: {s['review_queue']} link(s) waiting ({s['matching']['needs_review']} new"
        in text
    )
    from db import runs as runs_db
    from db.schema import open_db

    stored = runs_db.get_run(open_db(tmp_path / "n.db"), s["run_id"])
    assert stored["summary"]["notifications"] == s["notifications"]


def test_a_chart_that_cannot_be_drawn_is_a_warning_not_a_failed_night(tmp_path, monkeypatch):
    from papertally import exports, steps

    config = str(write_config(tmp_path, broken_job=False, formats='["json"]', chart="png"))
    db_path = str(tmp_path / "w.db")
    steps.begin_step(config, db_path, "test", None)
    monkeypatch.setattr(exports, "cjk_font", lambda settings=None: None)  # no Japanese font
    out = steps.tally_export_step(config, db_path)
    assert out["failures"] == []
    charts = [w for w in out["warnings"] if w["step"] == "chart"]
    assert charts and all(w["what"].endswith(".png") for w in charts)
    assert all(p.endswith(".json") and Path(p).is_file() for p in out["exports"])
    begun = {"run_id": 1, "started_at": "x", "interrupted_runs": [], "roster": "", "failures": []}
    summary = steps.finish_step(
        config, db_path, begun, trigger="test", offline=True, flow_run_id=None,
        harvests=[], matching=None, tallied=out, failures=[],
    )
    text = steps.render_summary(summary)
    assert summary["failures"] == [] and "all steps ok, " in text
    assert "warning: chart " in text and "matplotlib-fontja" in text


def test_themes_times_per_theme_against_the_total_is_a_warning_of_the_run(tmp_path):
    from papertally import steps

    # The example roster has 4 themes; [targets.2026] says 30 in total, 3 per theme.
    config = str(write_config(tmp_path, broken_job=False, formats='["json"]', chart=""))
    db_path = str(tmp_path / "t.db")
    steps.begin_step(config, db_path, "test", None)
    out = steps.tally_export_step(config, db_path)
    assert out["failures"] == []
    (warning,) = [w for w in out["warnings"] if w["step"] == "targets"]
    assert warning["what"] == "FY2026"
    assert "4 themes have members in the fiscal year x 3 per theme = 12" in warning["reason"]
    assert "total target is 30" in warning["reason"]


def test_a_cut_off_roster_fails_the_roster_step_and_the_stored_roster_is_kept(cfg, tmp_path):
    from nightlykit import REPO

    from papertally import steps

    config, db_path = cfg
    steps.begin_step(config, db_path, "test", None)  # imports the example roster (15)
    lines = (REPO / "examples" / "roster.csv").read_text(encoding="utf-8").splitlines()
    cut = tmp_path / "cut_roster.csv"
    cut.write_text("\n".join(lines[:4]) + "\n", encoding="utf-8")  # header + 3 members
    path = Path(config)
    path.write_text(
        path.read_text(encoding="utf-8").replace('file = "', f'file = "{cut}" #', 1),
        encoding="utf-8",
    )
    begun = steps.begin_step(config, db_path, "test", None)
    (failure,) = begun["failures"]
    assert failure["step"] == "roster" and failure["what"] == str(cut)
    assert "stored roster kept" in failure["reason"]
    assert "would deactivate 12 of the 15 active members" in failure["reason"]
    assert "--allow-shrink" in failure["reason"]
    with steps.store(config, db_path) as (_, db):
        assert db.execute("SELECT COUNT(*) FROM members WHERE active = 1").fetchone()[0] == 15


def test_shipped_2026_jobs_in_offline_mode_are_offline_not_failures(tmp_path):
    from papertally.steps import render_summary

    config = str(write_config(tmp_path, broken_job=False, formats='["json"]', chart="", live_jobs=True))
    s = run_steps(config, str(tmp_path / "s.db"))
    offline = [(h["source"], h["venue"], h["year"]) for h in s["harvests"] if h["status"] == "offline"]
    assert offline == [
        ("cvf", "CVPR", 2026), ("dblp", "ICRA", 2026),
        ("acl-anthology", "ACL", 2026), ("openreview", "NeurIPS", 2026),
    ]
    assert s["failures"] == []
    assert "offline mode and no offline sample for this venue-year; stored papers kept" in render_summary(s)


def test_no_network_at_all_is_an_offline_night_with_the_samples_and_no_failure(tmp_path):
    """`papertally run` (live) on a machine with no network: every source fails to connect."""
    import re

    import requests
    import responses

    from flows import nightly as fl
    from papertally.config import load_settings
    from papertally.steps import render_summary

    config = str(write_config(tmp_path, broken_job=False, formats='["json"]', chart="",
                              live_jobs=True, retries=0))
    db_path = str(tmp_path / "s.db")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        for method in (responses.GET, responses.POST, responses.HEAD):
            rsps.add(method, re.compile(r"https?://.*"),
                     body=requests.exceptions.ConnectionError("Name or service not known"))
        begun = fl.begin.fn(config, db_path, "test", None)
        harvests = [
            fl.harvest.fn(config, db_path, j.source, j.venue, j.year, False)
            for j in load_settings(config).harvest
        ]
        s = fl.finish.fn(
            config, db_path, begun, trigger="test", offline=False, flow_run_id=None,
            harvests=harvests, matching=fl.match.fn(config, db_path),
            tallied=fl.tally_export.fn(config, db_path, begun["run_id"]), failures=[],
        )
    assert s["failures"] == []
    assert s["offline_night"] == (
        "offline: no live source could be reached (8 venue-year(s)); stored data kept, "
        "offline samples used for 4"
    )
    assert sum(1 for h in s["harvests"] if h["status"] == "ok") == 4  # the samples
    assert "offline: no live source could be reached" in render_summary(s)


def _second_run_losing_the_database(config, db_path, lose):
    """A run whose database file is lost by `lose()` right after the begin step; each
    step's error becomes a failure entry, as the flow does."""
    from flows import nightly as fl
    from papertally.config import load_settings
    from papertally.errors import PapertallyError
    from papertally.steps import failure

    begun = fl.begin.fn(config, db_path, "test", None)
    lose()
    failures, tallied = [], None
    for job in load_settings(config).harvest:
        try:
            fl.harvest.fn(config, db_path, job.source, job.venue, job.year, True)
        except PapertallyError as exc:
            failures.append(failure("harvest", job.source, exc))
    try:
        fl.match.fn(config, db_path)
    except PapertallyError as exc:
        failures.append(failure("match", "matching", exc))
    try:
        tallied = fl.tally_export.fn(config, db_path, begun["run_id"], begun["database"])
    except PapertallyError as exc:
        failures.append(failure("tally", "tally and export", exc))
    summary = fl.finish.fn(
        config, db_path, begun, trigger="test", offline=True, flow_run_id=None,
        harvests=[], matching=None, tallied=tallied, failures=failures,
    )
    return summary


def _remove(db_path):
    def lose():
        for suffix in ("", "-wal", "-shm"):
            Path(db_path + suffix).unlink(missing_ok=True)

    return lose


def _replace_with_an_empty_one(db_path):
    def lose():
        import os

        from db.schema import open_db

        empty = Path(db_path).with_name("empty.db")
        open_db(empty).close()
        os.replace(empty, db_path)

    return lose


@pytest.mark.parametrize("how", [_remove, _replace_with_an_empty_one], ids=["removed", "replaced"])
def test_a_database_lost_during_a_run_never_overwrites_the_good_export(cfg, how):
    config, db_path = cfg
    first = run_steps(config, db_path)
    exports = {Path(p): Path(p).read_bytes() for p in first["exports"]}
    assert exports and any(b'"confirmed"' in data or b"confirmed" in data for data in exports.values())

    summary = _second_run_losing_the_database(config, db_path, how(db_path))

    assert {p: p.read_bytes() for p in exports} == exports  # last night's files untouched
    tally = [f for f in summary["failures"] if f["step"] == "tally"]
    assert len(tally) == 1 and db_path in tally[0]["reason"]
    assert ("removed during this run" in tally[0]["reason"]) or (
        "replaced by another one" in tally[0]["reason"]
    )
    assert summary["exports"] == []
    lost = [f for f in summary["failures"] if f["step"] == "summary"]
    assert len(lost) == 1 and "run summary not stored" in lost[0]["reason"]
    if how is _remove:
        assert not Path(db_path).exists()  # no later step made a new empty file


@pytest.mark.parametrize(
    ("fault", "retried"),
    [("NoDatabase", False), ("DatabaseReadOnly", False), ("DiskFull", False),
     ("DatabaseReplaced", False), ("DatabaseBusy", True)],
)
def test_a_harvest_failing_on_its_database_is_retried_only_when_locked(tmp_path, fault, retried):
    from prefect.states import Failed

    from db import connection
    from flows import nightly as fl

    cls = getattr(connection, fault)
    exc = cls(tmp_path / "s.db") if cls is connection.NoDatabase else cls(tmp_path / "s.db", "x")
    assert fl._worth_retrying(None, None, Failed(data=exc)) is retried
