"""Helpers for the nightly-flow tests: a config in a temporary folder that harvests the
offline samples shipped in examples/, optionally with one broken job."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def write_config(
    folder: Path,
    *,
    broken_job: bool = True,
    retries: int = 1,
    concurrency: int = 2,
    formats: str = '["xlsx", "csv", "json"]',
    chart: str = "png",
    extra: str = "",
    live_jobs: bool = False,
) -> Path:
    """Copy the repository's config.toml into `folder` with absolute example paths, exports
    into folder/out, fast retries, and (broken_job) an ICRA 2024 job whose offline file is
    not JSON, so that exactly one harvest fails. The shipped 2026 jobs (live only, no
    offline_file) are left out unless `live_jobs`: these tests are about the samples."""
    folder.mkdir(parents=True, exist_ok=True)
    text = (REPO / "config.toml").read_text(encoding="utf-8")
    text = text.replace('"examples/', f'"{REPO}/examples/')
    if not live_jobs:
        # [[harvest]] blocks without an offline_file line: the live-only 2026 jobs.
        text = re.sub(
            r"(?ms)^\[\[harvest\]\]\n(?:(?!offline_file)[^\[\n][^\n]*\n)+(?=\n|\Z|\[)", "", text
        )
    text = re.sub(r"(?m)^out_dir = .*$", f'out_dir = "{folder / "out"}"', text)
    text = re.sub(r"(?m)^formats = .*$", f"formats = {formats}", text)
    text = re.sub(r"(?m)^chart = .*$", f'chart = "{chart}"', text)
    text = re.sub(r"(?m)^harvest_retries = .*$", f"harvest_retries = {retries}", text)
    text = re.sub(
        r"(?m)^harvest_concurrency = .*$", f"harvest_concurrency = {concurrency}", text
    )
    text = re.sub(r"(?m)^retry_delay_seconds = .*$", "retry_delay_seconds = 0", text)
    text = re.sub(r"(?m)^cache_dir = .*$", f'cache_dir = "{folder / "cache"}"', text)
    if broken_job:
        broken = folder / "icra2024_broken.json"
        broken.write_text("this is not JSON {", encoding="utf-8")
        text += (
            '\n[[harvest]]\nsource = "paperlists"\nvenue = "ICRA"\nyear = 2024\n'
            f'offline_file = "{broken}"\n'
        )
    text += extra
    path = folder / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path
