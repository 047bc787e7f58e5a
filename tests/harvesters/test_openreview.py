"""OpenReview API v2 parser: accepted notes, profile ids, institution history for the year."""

from __future__ import annotations

import json

import pytest

from harvesters.openreview import parse_openreview, profile_affiliations
from papertally.errors import ParseError

FIXTURE = "openreview/neurips2024_notes_sample.json"


def test_accepted_notes_only_rejected_counted_as_excluded(fixture_text):
    result = parse_openreview(fixture_text(FIXTURE), "NeurIPS", 2024)
    assert [r.source_id for r in result.records] == [
        "nRp0XhTf61",
        "x7pQ2LmN3k",
        "pS4mU8tV2w",
    ]
    assert result.excluded == {
        "venueid NeurIPS.cc/2024/Conference/Rejected_Submission": 1
    }


def test_datasets_and_benchmarks_track_from_venueid(fixture_text):
    records = parse_openreview(fixture_text(FIXTURE), "NeurIPS", 2024).records
    assert [r.track for r in records] == ["main", "datasets_benchmarks", "main"]


def test_profile_ids_kept_and_emails_are_not_ids(fixture_text):
    paper = parse_openreview(fixture_text(FIXTURE), "NeurIPS", 2024).records[1]
    assert [a.openreview_id for a in paper.authors] == [
        "~wang_lin2",
        None,
        "~WenKang_Han1",
    ]
    assert paper.authors[0].name == "wang lin"  # printed as is, never rewritten


def test_affiliations_from_history_covering_the_year(fixture_text):
    paper = parse_openreview(fixture_text(FIXTURE), "NeurIPS", 2024).records[0]
    assert paper.authors[0].affiliations == ("Sapienza University of Rome",)
    assert paper.authors[1].affiliations == ()  # no profile fetched
    # The author id ~Emanuele_Rodolà1 is one of the profile's usernames.
    assert paper.authors[4].affiliations == ("Sapienza University of Rome",)


def test_history_outside_the_year_is_not_an_affiliation():
    profile = {
        "content": {
            "history": [
                {"start": 2015, "end": 2018, "institution": {"name": "Old Place"}},
                {"start": 2025, "institution": {"name": "Future Place"}},
                {"institution": {"name": "Undated Place"}},
            ]
        }
    }
    assert profile_affiliations(profile, 2024) == ("Undated Place",)


def test_bare_array_of_notes_is_accepted(fixture_text):
    notes = json.loads(fixture_text(FIXTURE))["notes"]
    assert len(parse_openreview(json.dumps(notes), "NeurIPS", 2024).records) == 3


@pytest.mark.parametrize("text", ['{"notes": [', '{"error": "x"}', '"a string"'])
def test_not_a_notes_response_is_a_parse_error(text):
    with pytest.raises(ParseError):
        parse_openreview(text, "NeurIPS", 2024)
