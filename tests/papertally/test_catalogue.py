"""The built-in venue catalogue: every venue, every edition, a source for every value."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from papertally.catalogue import CATALOGUE, load_catalogue, parse_catalogue
from papertally.config import load_settings
from papertally.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]

# Editions 2023-2026 that were held; the gaps are the venues' own rhythm, not missing data.
EDITIONS = {
    "CVPR": {2023, 2024, 2025, 2026},
    "ICCV": {2023, 2025},  # odd years
    "ECCV": {2024, 2026},  # even years
    "NeurIPS": {2023, 2024, 2025, 2026},
    "ICML": {2023, 2024, 2025, 2026},
    "ICLR": {2023, 2024, 2025, 2026},
    "ACL": {2023, 2024, 2025, 2026},
    "EMNLP": {2023, 2024, 2025, 2026},
    "NAACL": {2024, 2025},  # none in 2023 or 2026
    "ICRA": {2023, 2024, 2025, 2026},
    "IROS": {2023, 2024, 2025, 2026},
    "CoRL": {2023, 2024, 2025, 2026},
    "RSS": {2023, 2024, 2025, 2026},
    "HRI": {2024},
}


def test_catalogue_holds_every_venue_and_edition():
    catalogue = load_catalogue()
    assert {k: set(v.editions) for k, v in catalogue.venues.items()} == EDITIONS


def _sources(catalogue):
    for key, venue in catalogue.venues.items():
        for year, edition in venue.editions.items():
            yield f"{key} {year} conference", edition.conference.source
            if edition.acceptance.date:
                yield f"{key} {year} acceptance", edition.acceptance.source
            if edition.accepted.count:
                yield f"{key} {year} accepted", edition.accepted.source


def test_every_value_cites_a_url_or_a_listed_citation():
    catalogue = load_catalogue()
    uncited = [
        (what, source)
        for what, source in _sources(catalogue)
        if source not in catalogue.citations
        and not re.search(r"https?://", source)
        and not source.startswith("config.toml")
    ]
    assert uncited == []


def test_every_edition_has_a_date_and_a_count_or_says_why_not():
    for key, venue in load_catalogue().venues.items():
        for year, edition in venue.editions.items():
            assert edition.conference.start.year == year, (key, year)
            assert edition.accepted.count or edition.accepted.note, (key, year)
            assert edition.acceptance.date or edition.acceptance.note, (key, year)


def test_source_ids_follow_the_pattern_unless_an_edition_names_its_own():
    catalogue = load_catalogue()
    assert catalogue.venue("corl").source_id("pmlr", 2023) == "v229"
    assert catalogue.venue("ICML").source_id("pmlr", 2026) is None
    assert catalogue.venue("ICRA").source_id("dblp", 2026) == "db/conf/icra/icra2026.bht"
    assert catalogue.venue("NeurIPS").source_id("paperlists", 2024) == "nips/nips2024.json"


def test_config_toml_dates_and_counts_agree_with_the_catalogue():
    settings = load_settings(REPO / "config.toml")
    catalogue = load_catalogue()
    for key, venue in settings.venues.items():
        known = catalogue.venue(key)
        for year, edition in venue.editions.items():
            assert edition.conference_date == known.editions[year].conference.start, (key, year)
    # The 2026 counts config guards harvests with are the catalogue's published ones.
    for key in ("CVPR", "ICRA"):
        assert (
            settings.venues[key].editions[2026].expected_papers
            == catalogue.venue(key).editions[2026].accepted.count
        )


def _raw():
    return tomllib.loads(CATALOGUE.read_text(encoding="utf-8"))


def test_a_count_without_its_source_names_the_key():
    raw = _raw()
    raw["CVPR"]["editions"]["2024"]["accepted"] = {"count": 2719}
    with pytest.raises(
        ConfigError, match=r"venues\.toml: key CVPR\.editions\.2024\.accepted: a count needs its source"
    ):
        parse_catalogue(raw, "venues.toml")


def test_an_acceptance_after_the_meeting_is_refused():
    raw = _raw()
    raw["ICRA"]["editions"]["2026"]["acceptance"] = {"date": "2026-07-01", "source": "x"}
    with pytest.raises(ConfigError, match=r"key ICRA\.editions\.2026: acceptance 2026-07-01 is after"):
        parse_catalogue(raw, "venues.toml")


def test_an_edition_without_a_meeting_date_names_the_key():
    raw = _raw()
    del raw["RSS"]["editions"]["2025"]["conference"]
    with pytest.raises(ConfigError, match=r"key RSS\.editions\.2025\.conference: Field required"):
        parse_catalogue(raw, "venues.toml")
