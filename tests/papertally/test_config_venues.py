"""[program] venues and fy_date: venues from the catalogue, overrides, and one-line errors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from papertally.config import SEED_VENUES, load_settings
from papertally.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "config.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_no_venues_at_all_counts_the_seed_four_from_the_catalogue(tmp_path):
    s = load_settings(write(tmp_path, "[program]\nname = 'x'\n"))
    assert tuple(s.venues) == SEED_VENUES == ("CVPR", "NeurIPS", "ACL", "ICRA")
    assert s.venues["ICRA"].editions[2026].conference_date == dt.date(2026, 6, 1)
    assert s.venues["ICRA"].editions[2026].acceptance_date == dt.date(2026, 1, 31)
    assert s.venues["ACL"].tracks == ("long", "short")


def test_listed_venues_come_from_the_catalogue_with_overrides(tmp_path):
    s = load_settings(
        write(
            tmp_path,
            """
[program]
venues = ["corl", "RSS"]
[venues.CoRL]
tracks = ["main"]
[venues.CoRL.editions]
2025 = { expected_papers = 250 }
2027 = { conference_date = 2027-11-01 }
""",
        )
    )
    assert list(s.venues) == ["CoRL", "RSS"]
    corl = s.venues["CoRL"].editions
    assert corl[2025].conference_date == dt.date(2025, 9, 27)  # catalogue
    assert corl[2025].expected_papers == 250  # overridden
    assert corl[2027].conference_date == dt.date(2027, 11, 1)  # added
    assert s.venues["RSS"].name == "Robotics: Science and Systems"


def test_older_config_with_its_own_venues_reads_as_before(tmp_path):
    s = load_settings(
        write(tmp_path, "[venues.CVPR.editions]\n2024 = { conference_date = 2024-06-17 }\n")
    )
    assert list(s.venues) == ["CVPR"] and list(s.venues["CVPR"].editions) == [2024]


def test_venue_missing_from_the_catalogue_is_one_line_naming_the_key(tmp_path):
    p = write(tmp_path, '[program]\nvenues = ["CVPR", "SIGGRAPH"]\n')
    with pytest.raises(ConfigError) as err:
        load_settings(p)
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith(f"{p}: key program.venues: 'SIGGRAPH' is not in the venue catalogue")


def test_venue_defined_but_not_listed_is_named(tmp_path):
    p = write(tmp_path, '[program]\nvenues = ["CVPR"]\n[venues.ICRA]\ntracks = ["main"]\n')
    with pytest.raises(ConfigError, match=r"key venues\.ICRA: defined but not in \[program\] venues"):
        load_settings(p)


def test_edition_without_a_date_names_the_key(tmp_path):
    p = write(tmp_path, '[program]\nvenues = ["CVPR"]\n[venues.CVPR.editions]\n2027 = { expected_papers = 10 }\n')
    with pytest.raises(ConfigError, match=r"key venues\.CVPR\.editions\.2027\.conference_date: Field required"):
        load_settings(p)


def test_source_that_cannot_serve_the_venue_names_the_job(tmp_path):
    p = write(
        tmp_path,
        '[program]\nvenues = ["CVPR"]\n[[harvest]]\nsource = "pmlr"\nvenue = "CVPR"\nyear = 2024\n',
    )
    with pytest.raises(ConfigError, match=r"harvest\[0\]: source 'pmlr' cannot serve CVPR \(its sources in the venue catalogue: cvf, paperlists"):
        load_settings(p)


def test_fy_date_acceptance_moves_an_edition_to_its_notification_year(tmp_path):
    conference = load_settings(write(tmp_path, "[program]\nname = 'x'\n"))
    assert conference.fiscal_year_of(conference.counting_date("ICRA", 2026)) == 2026
    acceptance = load_settings(write(tmp_path, '[program]\nfy_date = "acceptance"\n'))
    # ICRA 2026: notified 31 January 2026 (FY2025), held 1-5 June 2026 (FY2026).
    assert acceptance.fiscal_year_of(acceptance.counting_date("ICRA", 2026)) == 2025
    # CVPR 2026's notification date is not in the catalogue: its conference date counts,
    # and the report names it.
    assert acceptance.counting_date("CVPR", 2026) == dt.date(2026, 6, 3)
    assert "CVPR 2026" in acceptance.acceptance_unknown()
    assert conference.acceptance_unknown() == []


def test_acceptance_after_the_conference_is_refused(tmp_path):
    p = write(
        tmp_path,
        "[venues.X.editions]\n2026 = { conference_date = 2026-06-01, acceptance_date = 2026-07-01 }\n",
    )
    with pytest.raises(ConfigError, match=r"key venues\.X\.editions\.2026: acceptance_date 2026-07-01 is after"):
        load_settings(p)


def test_catalogue_fills_ids_a_source_cannot_derive(tmp_path):
    s = load_settings(
        write(
            tmp_path,
            """
[program]
venues = ["CoRL", "NeurIPS"]
[sources.pmlr]
base_url = "https://proceedings.mlr.press"
venue_ids = { "CoRL 2024" = ["v999"] }
[sources.openreview]
base_url = "https://api2.openreview.net"
""",
        )
    )
    pmlr = s.sources["pmlr"].venue_ids
    assert pmlr["CoRL 2025"] == ("v305",) and pmlr["CoRL 2023"] == ("v229",)
    assert pmlr["CoRL 2024"] == ("v999",)  # the file wins
    openreview = s.sources["openreview"].venue_ids
    assert openreview["CoRL 2026"] == ("robot-learning.org/CoRL/2026/Conference",)
    assert not any(k.startswith("NeurIPS") for k in openreview)  # derivable: left to the source
