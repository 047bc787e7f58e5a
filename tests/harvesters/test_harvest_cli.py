"""`papertally harvest`: --status shows the last runs per source; progress only on a terminal."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
import responses
from click.testing import CliRunner

sys.path.insert(
    0, str(Path(__file__).parent)
)  # importlib mode: reach the helper module
from livekit import client_for, job, live_settings, serve

from papertally.harvesting import harvest_live
from papertally.cli import cli
from papertally.errors import HarvestError
from papertally.harvesting import Progress

REPO = Path(__file__).resolve().parents[2]


def _run(*args, db):
    return CliRunner().invoke(
        cli, ["--config", str(REPO / "config.toml"), "--db", str(db), *args]
    )


def test_status_before_any_harvest(tmp_path):
    from db.schema import open_db

    open_db(tmp_path / "t.db").close()
    result = _run("harvest", "--status", db=tmp_path / "t.db")
    assert result.exit_code == 0 and "No harvest has run yet" in result.output


@responses.activate
def test_status_lists_runs_per_source_with_counts_requests_and_errors(
    tmp_path, settings
):
    from db.schema import open_db

    db_path = tmp_path / "t.db"
    db = open_db(db_path)
    s = live_settings(settings, tmp_path)
    responses.get("https://proceedings.neurips.cc/paper_files/paper/2023", status=500)
    with pytest.raises(HarvestError):  # the failure is what --status must show
        harvest_live(db, s, job("neurips", "NeurIPS", 2023), client=client_for(s))
    serve("cvf")
    harvest_live(db, s, job("cvf", "CVPR", 2024), client=client_for(s))
    db.close()
    result = _run("harvest", "--status", db=db_path)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[:6] == ["run", "source", "venue", "year", "started", "(UTC)"]
    cvf = next(line for line in lines if line.split()[1] == "cvf")
    assert " ok " in cvf and "complete" in cvf and cvf.split()[6] == "3"  # papers
    assert cvf.split()[0].isdigit()  # the run id, for harvest forget --run
    neurips = next(line for line in lines if line.split()[1] == "neurips")
    assert "failed" in neurips and "HTTP 500" in neurips


def test_offline_harvest_then_status_says_sample(tmp_path):
    db = tmp_path / "t.db"
    assert _run("harvest", "--offline", db=db).exit_code == 0
    result = _run("harvest", "--status", "--runs", "1", db=db)
    assert "sample" in result.output and "paperlists" in result.output


def test_progress_is_quiet_when_not_a_terminal():
    stream = io.StringIO()
    Progress(stream).update("openalex CVPR 2024", 3, 300, 2716, final=True)
    assert stream.getvalue() == ""


def test_progress_reports_source_venue_year_and_counts_when_forced():
    stream = io.StringIO()
    progress = Progress(stream, force=True, interval=0)
    progress.update("openalex CVPR 2024", 3, 300, 2716)
    progress.update("openalex CVPR 2024", 28, 2716, 2716, final=True)
    out = stream.getvalue()
    assert "openalex CVPR 2024: 3 page(s), 300 of ~2716 papers" in out
    assert out.endswith("28 page(s), 2716 of ~2716 papers\n")


def test_named_venue_year_without_a_job_is_harvested_live(tmp_path):
    with responses.RequestsMock() as mock:
        mock.get("https://dblp.org/search/publ/api", status=404)
        result = _run(
            "harvest",
            "--source",
            "dblp",
            "--venue",
            "icra",
            "--year",
            "2024",
            db=tmp_path / "t.db",
        )
    assert result.exit_code != 0
    assert "dblp ICRA 2024: failed" in result.output and "HTTP 404" in result.output


def test_progress_can_be_switched_off_even_on_a_terminal():
    class Tty(io.StringIO):
        def isatty(self):
            return True

    on, off = Tty(), Tty()
    Progress(on).update("cvf CVPR 2024", 1, 2716, final=True)
    Progress(off, force=False).update("cvf CVPR 2024", 1, 2716, final=True)
    assert (
        "cvf CVPR 2024: 1 page(s), 2716 papers" in on.getvalue()
        and off.getvalue() == ""
    )
