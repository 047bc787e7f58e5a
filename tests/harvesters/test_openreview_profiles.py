"""OpenReview profiles: the parser on the documented format, and the batched fetcher under faults."""

from __future__ import annotations

import json

import pytest
import requests
import responses

from harvesters.http import HttpClient
from harvesters.openreview.profiles import (
    fetch_profiles,
    get_profiles,
    parse_profiles,
    profile_ids,
)
from matching.text import normalise_dblp_pid
from papertally.errors import HarvestError, ParseError

BASE = "https://api2.openreview.test"
FIXTURE = "openreview/profiles_documented.json"


def client() -> HttpClient:
    return HttpClient(contact_email="t@example.org", sleep=lambda s: None, max_retries=2)


@pytest.fixture
def parsed(fixture_text):
    return parse_profiles(fixture_text(FIXTURE))


def test_profile_fields_from_the_documented_format(parsed):
    taro = parsed.profiles[0]
    assert taro.profile_id == "~Taro_Yamada3"
    assert taro.usernames == ("~Taro_Yamada3", "~Taro_Yamada1")
    assert taro.names == ("山田 太郎", "Taro Yamada")  # the preferred name first
    assert taro.orcid == "0000-0002-1825-0097"
    assert taro.dblp_pid == "123/4567-1"
    assert taro.gscholar.endswith("AbCdEfGhIjkL")


def test_only_confirmed_email_domains_are_kept(parsed):
    # gmail.com is in `emails` but not confirmed: it says nothing about the owner.
    assert parsed.profiles[0].email_domains == ("aist.go.jp", "g.ecc.u-tokyo.ac.jp")


def test_history_years_as_ints_and_strings_domain_lower_case(parsed):
    aist, tokyo, intern = parsed.profiles[0].history
    assert (aist.start, aist.end, aist.country) == (2023, None, "JP")
    assert (tokyo.institution, tokyo.domain, tokyo.start, tokyo.end) == (
        "The University of Tokyo", "u-tokyo.ac.jp", 2019, 2022,
    )
    # No name: the domain stands in; no years: open at both ends.
    assert (intern.institution, intern.start, intern.end) == ("example-lab.com", None, None)


@pytest.mark.parametrize(
    ("year", "expected"),
    [
        (2018, ["example-lab.com"]),
        (2021, ["The University of Tokyo", "example-lab.com"]),
        (2022, ["The University of Tokyo", "example-lab.com"]),
        (2023, ["National Institute of Advanced Industrial Science and Technology", "example-lab.com"]),
    ],
)
def test_positions_in_a_year(parsed, year, expected):
    assert [p.institution for p in parsed.profiles[0].positions_in(year)] == expected


def test_minimal_profile_and_bad_entries(parsed):
    hanako = parsed.profiles[1]
    assert hanako.names == ("Hanako Suzuki",)  # first/last when no fullname
    assert (hanako.history, hanako.email_domains, hanako.orcid) == ((), (), None)
    assert hanako.dblp_pid is None  # an old /pers/ link names no pid
    assert len(parsed.profiles) == 2
    assert parsed.skipped == ("profiles[2]: profile id 'missing' is not a ~ id",)


def test_a_profile_is_reached_by_every_username(parsed):
    by = parsed.by_username()
    assert by["~Taro_Yamada1"] is by["~Taro_Yamada3"] is parsed.profiles[0]


@pytest.mark.parametrize(
    ("value", "pid"),
    [
        ("129/2382", "129/2382"),
        ("https://dblp.uni-trier.de/pid/67/4241", "67/4241"),
        ("https://dblp.org/pid/22/1234-2.html", "22/1234-2"),
        ("https://dblp.org/pers/hd/s/Smith:John", None),
        ("", None),
    ],
)
def test_dblp_pid_from_paper_copilot_and_profile_links(value, pid):
    assert normalise_dblp_pid(value) == pid


@pytest.mark.parametrize(
    "text", ['{"notes": []}', "[1, 2", '"profiles"', '{"profiles": {"id": "~A1"}}']
)
def test_not_a_profiles_answer_is_a_parse_error(text):
    with pytest.raises(ParseError, match="profiles|JSON"):
        parse_profiles(text)


def test_author_ids_without_tilde_are_not_profiles():
    assert profile_ids(["~A_B1", "a@b.org", None, "~A_B1", " ~C_D2 "]) == ["~A_B1", "~C_D2"]


@responses.activate
def test_fetcher_batches_ids_and_reports_missing(fixture_text):
    body = json.loads(fixture_text(FIXTURE))
    responses.get(
        f"{BASE}/profiles",
        json={"profiles": body["profiles"][:1]},
        match=[responses.matchers.query_param_matcher({"ids": "~Taro_Yamada1,~Nobody_Here1"})],
    )
    responses.get(
        f"{BASE}/profiles",
        json={"profiles": body["profiles"][1:2]},
        match=[responses.matchers.query_param_matcher({"ids": "~Hanako_Suzuki1"})],
    )
    found, missing, skipped = get_profiles(
        client(), BASE + "/", ["~Taro_Yamada1", "x@y.org", "~Nobody_Here1", "~Hanako_Suzuki1"],
        batch=2,
    )
    assert len(responses.calls) == 2
    assert found["~Taro_Yamada1"].profile_id == "~Taro_Yamada3"
    assert found["~Hanako_Suzuki1"].names == ("Hanako Suzuki",)
    assert missing == ["~Nobody_Here1"]
    assert skipped == []


@responses.activate
def test_batch_of_one_asks_by_id():
    responses.get(
        f"{BASE}/profiles",
        json={"profiles": [{"id": "~A_B1"}]},
        match=[responses.matchers.query_param_matcher({"id": "~A_B1"})],
    )
    found, missing, _ = get_profiles(client(), BASE, ["~A_B1"], batch=1)
    assert list(found) == ["~A_B1"] and missing == []


@responses.activate
def test_truncated_answer_names_the_url():
    responses.get(f"{BASE}/profiles", body='{"profiles": [{"id": "~A_B1", "con')
    with pytest.raises(HarvestError, match=r"not a profiles list.*profiles\?ids=~A_B1"):
        list(fetch_profiles(client(), BASE, ["~A_B1"]))


@responses.activate
def test_429_storm_ends_in_a_harvest_error_after_the_retries():
    responses.get(f"{BASE}/profiles", status=429, headers={"Retry-After": "1"})
    with pytest.raises(HarvestError, match="HTTP 429 after 3 attempt"):
        list(fetch_profiles(client(), BASE, ["~A_B1"]))
    assert len(responses.calls) == 3


@responses.activate
def test_404_is_a_harvest_error_naming_the_url():
    responses.get(f"{BASE}/profiles", status=404)
    with pytest.raises(HarvestError, match="HTTP 404.*api2.openreview.test/profiles"):
        list(fetch_profiles(client(), BASE, ["~A_B1"]))


@responses.activate
def test_missing_fields_give_an_empty_profile_not_a_crash():
    responses.get(f"{BASE}/profiles", json={"profiles": [{"id": "~A_B1", "content": None}]})
    found, _, _ = get_profiles(client(), BASE, ["~A_B1"])
    profile = found["~A_B1"]
    assert (profile.names, profile.history, profile.email_domains) == ((), (), ())


def test_no_profile_ids_make_no_call():
    with responses.RequestsMock() as mock:  # any call would fail: none is registered
        assert get_profiles(client(), BASE, ["a@b.org", None]) == ({}, [], [])
        assert len(mock.calls) == 0


def test_requests_error_is_not_swallowed():
    # Offline: the client's error reaches the caller, who records "not fetched: offline".
    with responses.RequestsMock() as mock:
        mock.get(f"{BASE}/profiles", body=requests.ConnectionError("Name or service not known"))
        with pytest.raises(HarvestError, match="host not found"):
            get_profiles(client(), BASE, ["~A_B1"])


def test_profile_facts_for_the_matcher(parsed):
    facts = parsed.profiles[0].facts()
    assert facts.profile_id == "~Taro_Yamada3"
    assert [(s.org, s.start, s.end) for s in facts.stints][:2] == [
        ("National Institute of Advanced Industrial Science and Technology", 2023, None),
        ("The University of Tokyo", 2019, 2022),
    ]
    assert (facts.orcid, facts.email_domains[0]) == ("0000-0002-1825-0097", "aist.go.jp")
