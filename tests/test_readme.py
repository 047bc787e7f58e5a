"""The README opens with the two commands, and CI runs the README's test command verbatim."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def readme_commands() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```sh\n(.+?)\n```", text)


def test_readme_opens_with_setup_and_test_commands():
    main_job, tests = readme_commands()[:2]
    assert main_job.startswith("python3.11 -m venv") and main_job.endswith("papertally run")
    assert tests.startswith("python3.11 -m venv") and "pytest" in tests


def test_ci_runs_the_readme_test_command():
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert readme_commands()[1] in ci.splitlines()
