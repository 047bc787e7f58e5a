"""config.toml loading: the shipped file is valid, and every kind of mistake is named."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from papertally.config import load_settings
from papertally.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "config.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_shipped_config_holds_the_program_targets_and_fiscal_year_start():
    s = load_settings(REPO / "config.toml")
    assert s.program.fiscal_year_start_month == 4
    assert (s.targets[2026].total, s.targets[2026].per_theme) == (30, 3)
    assert (s.targets[2028].total, s.targets[2028].per_theme) == (60, 3)
    assert s.venues["CVPR"].editions[2024].conference_date == dt.date(2024, 6, 17)
    assert s.venues["ACL"].tracks == ("long", "short")


@pytest.mark.parametrize(
    ("day", "fy"),
    [
        (dt.date(2024, 6, 17), 2024),  # CVPR 2024
        (dt.date(2024, 4, 1), 2024),
        (dt.date(2024, 3, 31), 2023),
        (dt.date(2025, 1, 15), 2024),
        (dt.date(2026, 12, 10), 2026),
    ],
)
def test_fiscal_year_runs_april_to_march(settings, day, fy):
    assert settings.fiscal_year_of(day) == fy


def test_fiscal_year_bounds(settings):
    assert settings.fiscal_year_bounds(2026) == (dt.date(2026, 4, 1), dt.date(2027, 3, 31))


def test_unknown_key_is_named_with_file(tmp_path):
    p = write(tmp_path, "[program]\nfiscal_year_start_mnth = 4\n")
    with pytest.raises(ConfigError) as err:
        load_settings(p)
    assert str(p) in str(err.value)
    assert "program.fiscal_year_start_mnth" in str(err.value)
    assert "unknown key" in str(err.value)


def test_wrong_type_is_named(tmp_path):
    p = write(tmp_path, '[targets.2026]\ntotal = "thirty"\n')
    with pytest.raises(ConfigError, match=r"targets\.2026\.total"):
        load_settings(p)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("[program]\nfiscal_year_start_month = 13\n", "program.fiscal_year_start_month"),
        ("[targets.2026]\nper_theme = -1\n", "targets.2026.per_theme"),
        ("[matching]\nconfirm_threshold = 0.4\nreview_threshold = 0.6\n", "matching"),
        ('[venues.X]\ntracks = ["poster"]\n', "venues.X"),
        ('[sources.s]\nbase_url = "ftp://x"\n', "sources.s"),
    ],
)
def test_impossible_values_are_rejected(tmp_path, text, key):
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        load_settings(write(tmp_path, text))


def test_harvest_job_must_name_a_configured_edition(tmp_path):
    text = (
        '[venues.CVPR]\ntracks = ["main"]\n[venues.CVPR.editions]\n'
        "2024 = { conference_date = 2024-06-17 }\n"
        '[[harvest]]\nsource = "paperlists"\nvenue = "CVPR"\nyear = 2031\n'
    )
    with pytest.raises(ConfigError, match="CVPR 2031"):
        load_settings(write(tmp_path, text))


def test_broken_toml_names_the_file(tmp_path):
    p = write(tmp_path, "[program\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(p)


def test_missing_file_says_how_to_fix(tmp_path):
    with pytest.raises(ConfigError, match="PAPERTALLY_CONFIG"):
        load_settings(tmp_path / "nope.toml")


def test_relative_paths_resolve_against_the_config_folder(tmp_path):
    s = load_settings(write(tmp_path, '[database]\npath = "data/p.db"\n'))
    assert s.resolve(s.database.path) == tmp_path / "data" / "p.db"


@pytest.mark.parametrize(
    ("text", "key", "hint"),
    [
        ('[matching]\nconfirm_threshold = "0.85"\n', "matching.confirm_threshold", "without quotes"),
        ('[targets.2026]\nper_theme = "3"\n', "targets.2026.per_theme", "without quotes"),
        ('[notify]\non_failure = "no"\n', "notify.on_failure", "true or false"),
        ("[notify]\non_failure = 0\n", "notify.on_failure", "true or false"),
        ("[http]\nmax_retries = 2.5\n", "http.max_retries", ""),
        ('[venues.CVPR.editions.2024]\nconference_date = "2024-06-17"\n', "venues.CVPR.editions.2024.conference_date", "without quotes"),
        ("[program]\nfunder_names = [1, 2]\n", "program.funder_names.0", ""),
    ],
)
def test_a_value_of_the_wrong_type_is_refused_not_converted(tmp_path, text, key, hint):
    p = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_settings(p)
    message = str(err.value)
    assert message.startswith(f"{p}: key {key}: ") and hint in message


def test_numbers_lists_and_year_keys_of_plain_toml_still_load(tmp_path):
    s = load_settings(
        write(
            tmp_path,
            "[http]\ntimeout_seconds = 30\n[targets.2026]\ntotal = 30\nper_theme = 3\n"
            '[program]\nfunder_names = ["JST"]\n[export]\nformats = ["csv"]\n',
        )
    )
    assert s.http.timeout_seconds == 30.0 and s.targets[2026].per_theme == 3
    assert s.program.funder_names == ("JST",) and s.export.formats == ("csv",)


@pytest.mark.parametrize("cron", ["0 2 * * * *", "0 0 2 * * * 2026", "0 2 * *"])
def test_cron_needs_exactly_five_fields(tmp_path, cron):
    with pytest.raises(ConfigError, match=r"key schedule: cron .* is not a 5-field cron line"):
        load_settings(write(tmp_path, f'[schedule]\ncron = "{cron}"\n'))


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('[sources.paperlists]\nbase_url = "https://x.org"\nper_page = "100"\n', "sources.paperlists.per_page"),
        ('[sources.openalex]\nbase_url = "https://x.org"\nmin_coverage = "0.5"\n', "sources.openalex.min_coverage"),
        ('[sources.openalex]\nbase_url = "https://x.org"\nrefresh_days = "7"\n', "sources.openalex.refresh_days"),
    ],
)
def test_a_source_option_of_the_wrong_type_is_refused_too(tmp_path, text, key):
    p = write(tmp_path, text)
    with pytest.raises(ConfigError, match=f"key {key}: Input should be a valid"):
        load_settings(p)


def test_source_lists_of_plain_toml_still_load(tmp_path):
    s = load_settings(
        write(
            tmp_path,
            '[sources.openalex]\nbase_url = "https://x.org"\n'
            '[sources.openalex.venue_ids]\n"CVPR 2024" = ["S1", "S2"]\n'
            '[sources.openalex.raw_source_names]\nCVPR = ["Computer Vision and Pattern Recognition"]\n',
        )
    )
    assert s.sources["openalex"].venue_ids == {"CVPR 2024": ("S1", "S2")}
    assert s.sources["openalex"].raw_source_names["CVPR"] == ("Computer Vision and Pattern Recognition",)
