"""The `papertally` command: help with an example everywhere, one-line errors, the offline path."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest

from papertally.cli import cli, main

REPO = Path(__file__).resolve().parents[2]


def all_commands(group: click.Group, prefix=()):
    for name, cmd in group.commands.items():
        yield (*prefix, name), cmd
        if isinstance(cmd, click.Group):
            yield from all_commands(cmd, (*prefix, name))


def run(capsys, *args) -> tuple[int, str, str]:
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = exc.code or 0
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("path", [p for p, _ in all_commands(cli)], ids=" ".join)
def test_every_subcommand_has_help_with_an_example(capsys, path):
    code, out, _ = run(capsys, *path, "--help")
    assert code == 0
    assert "Example" in out, f"papertally {' '.join(path)} --help shows no example"


def test_global_help_lists_options_and_example(capsys):
    code, out, _ = run(capsys, "--help")
    assert code == 0 and "--config" in out and "--db" in out and "Example" in out


@pytest.mark.parametrize(
    "args",
    [
        ("--config", "/nonexistent/config.toml", "report", "--fy", "2024"),
        ("harvest", "--source", "nope", "--venue", "CVPR", "--year", "2024", "--from", "x.json"),
        ("harvest", "--source", "paperlists", "--venue", "CVPR", "--year", "2024", "--from", "/nonexistent.json"),
        ("roster", "import", "/nonexistent.csv"),
    ],
)
def test_errors_are_one_clear_line_without_traceback(capsys, tmp_path, args):
    os.environ["PAPERTALLY_DB"] = str(tmp_path / "t.db")
    try:
        code, out, err = run(capsys, "--config", str(REPO / "config.toml"), *args)
    finally:
        del os.environ["PAPERTALLY_DB"]
    assert code != 0
    lines = [l for l in err.splitlines() if l.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err + out


def test_file_harvest_report_roundtrip(capsys, tmp_path, repo_root):
    base = ["--config", str(repo_root / "config.toml"), "--db", str(tmp_path / "t.db")]
    sample = repo_root / "examples" / "sample" / "paperlists_cvpr2024.json"
    code, out, _ = run(capsys, *base, "harvest", "--source", "paperlists", "--venue", "cvpr", "--year", "2024", "--from", str(sample), "--partial")
    assert code == 0 and "paperlists CVPR 2024: ok" in out and " new," in out
    code, out, _ = run(capsys, *base, "harvest", "--source", "paperlists", "--venue", "CVPR", "--year", "2024", "--from", str(sample), "--partial")
    assert code == 0 and "(0 new, 0 updated," in out
    code, out, _ = run(capsys, *base, "roster", "import", str(repo_root / "examples" / "roster.csv"))
    assert code == 0 and "15 members" in out
    code, out, _ = run(capsys, *base, "report", "--fy", "2024", "--format", "json")
    assert code == 0 and json.loads(out)["fiscal_year"] == 2024


def test_console_script_runs_in_a_subprocess(tmp_path, repo_root):
    from db.schema import open_db

    open_db(tmp_path / "t.db").close()
    env = {**os.environ, "PAPERTALLY_DB": str(tmp_path / "t.db"), "PAPERTALLY_CONFIG": str(repo_root / "config.toml")}
    proc = subprocess.run(
        [sys.executable, "-m", "papertally", "report", "--fy", "2024", "--format", "csv"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("fiscal_year,theme_id")


def test_harvest_summary_names_entries_that_are_not_accepted_papers(capsys, tmp_path, repo_root):
    fixture = repo_root / "tests" / "fixtures" / "paperlists" / "nips2023_sample.json"
    code, out, _ = run(
        capsys, "--config", str(repo_root / "config.toml"), "--db", str(tmp_path / "t.db"),
        "harvest", "--source", "paperlists", "--venue", "NeurIPS", "--year", "2023", "--from", str(fixture), "--partial",
    )
    assert code == 0
    assert "not accepted, not papers: status Reject 1" in out


def test_report_warns_when_themes_times_per_theme_is_not_the_total(capsys, tmp_path, repo_root):
    base = ["--config", str(repo_root / "config.toml"), "--db", str(tmp_path / "t.db")]
    code, _, _ = run(capsys, *base, "roster", "import", str(repo_root / "examples" / "roster.csv"))
    assert code == 0
    code, out, err = run(capsys, *base, "report", "--fy", "2026")
    assert code == 0 and "FY2026" in out
    assert err.startswith("warning: FY2026: 4 themes have members in the fiscal year x 3 per theme = 12")
    code, out, err = run(capsys, *base, "report", "--fy", "2026", "--format", "json")
    assert json.loads(out)["warnings"] == [err.removeprefix("warning: ").strip()]


def with_roster(capsys, tmp_path, repo_root) -> list[str]:
    """The global options for a database that holds the example roster."""
    base = ["--config", str(repo_root / "config.toml"), "--db", str(tmp_path / "t.db")]
    code, _, _ = run(capsys, *base, "roster", "import", str(repo_root / "examples" / "roster.csv"))
    assert code == 0
    return base


@pytest.mark.parametrize("fy", ["1999", "2204"])
def test_export_refuses_a_fiscal_year_with_no_counted_venue_year(capsys, tmp_path, repo_root, fy):
    out = tmp_path / "fy.xlsx"
    base = with_roster(capsys, tmp_path, repo_root)
    code, _, err = run(capsys, *base, "export", "--fy", fy, "--out", str(out))
    assert code == 1 and not out.exists()
    assert err.startswith(f"error: FY{fy}: no configured venue-year falls in this fiscal year")
    assert "FY2024" in err and "check --fy" in err


def test_export_never_replaces_a_read_only_file(capsys, tmp_path, repo_root):
    out = tmp_path / "fy2024.json"
    out.write_text("the signed-off export\n", encoding="utf-8")
    out.chmod(0o444)
    base = with_roster(capsys, tmp_path, repo_root)
    code, _, err = run(capsys, *base, "export", "--fy", "2024", "--format", "json", "--out", str(out))
    assert code == 1 and err.startswith(f"error: {out}: the file is read-only, so it is not replaced")
    assert out.read_text(encoding="utf-8") == "the signed-off export\n"
    assert not list(tmp_path.glob(".*.tmp"))


def test_export_creates_missing_folders_and_says_so(capsys, tmp_path, repo_root):
    out = tmp_path / "exports" / "2024" / "fy2024.json"
    base = with_roster(capsys, tmp_path, repo_root)
    code, stdout, _ = run(capsys, *base, "export", "--fy", "2024", "--format", "json", "--out", str(out))
    assert code == 0 and out.is_file()
    assert stdout.startswith(f"created folder {tmp_path / 'exports'} (it did not exist)\nwrote {out}")


def test_roster_import_refuses_a_cut_file_unless_allow_shrink(capsys, tmp_path, repo_root):
    base = with_roster(capsys, tmp_path, repo_root)  # 15 members
    lines = (repo_root / "examples" / "roster.csv").read_text(encoding="utf-8").splitlines()
    cut = tmp_path / "cut.csv"
    cut.write_text("\n".join(lines[:4]) + "\n", encoding="utf-8")
    code, out, err = run(capsys, *base, "roster", "import", str(cut))
    assert code == 1 and out == "" and "would deactivate 12 of the 15 active members" in err
    assert f"papertally roster import {cut} --allow-shrink" in err
    code, out, _ = run(capsys, *base, "roster", "import", str(cut), "--allow-shrink")
    assert code == 0 and out.strip() == (
        f"{cut}: 3 members: 0 added, 0 updated, 3 unchanged, 12 no longer listed (kept, inactive)"
    )


def test_roster_import_says_it_read_a_semicolon_separated_file(capsys, tmp_path, repo_root):
    import csv
    import io

    rows = list(csv.reader(io.StringIO((repo_root / "examples" / "roster.csv").read_text(encoding="utf-8"))))
    out = io.StringIO()
    csv.writer(out, delimiter=";").writerows(rows)
    semi = tmp_path / "semi.csv"
    semi.write_text(out.getvalue(), encoding="utf-8")
    base = ["--config", str(repo_root / "config.toml"), "--db", str(tmp_path / "t.db")]
    code, stdout, _ = run(capsys, *base, "roster", "import", str(semi))
    assert code == 0 and stdout.startswith(
        f"{semi} (read as semicolon-separated, detected from the header): 15 members: 15 added"
    )
