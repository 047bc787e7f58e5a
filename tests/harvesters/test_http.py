"""The shared HTTP client: User-Agent, retries honouring Retry-After, quota stop, counters, cache."""

from __future__ import annotations

import pytest
import requests
import responses

from harvesters.http import HttpClient, QuotaExhausted, make_client, retry_after_seconds
from papertally.errors import HarvestError

URL = "https://example.org/list.json"


@pytest.fixture
def waits():
    return []


@pytest.fixture
def client(tmp_path, waits):
    return HttpClient(
        contact_email="ops@example.org",
        max_retries=3,
        backoff=0.5,
        max_retry_wait=60,
        cache_dir=tmp_path / "cache",
        sleep=waits.append,
    )


@responses.activate
def test_user_agent_names_papertally_and_contact(client):
    responses.get(URL, body="[]")
    client.get(URL, source="paperlists")
    ua = responses.calls[0].request.headers["User-Agent"]
    assert "papertally" in ua and "mailto:ops@example.org" in ua


def test_make_client_takes_contact_and_policy_from_config(settings):
    c = make_client(settings, cache=False)
    assert settings.http.contact_email in c.session.headers["User-Agent"]
    assert (c.timeout, c.max_retries, c.cache) == (
        settings.http.timeout_seconds,
        settings.http.max_retries,
        None,
    )


@responses.activate
def test_429_waits_the_retry_after_then_succeeds(client, waits):
    responses.get(URL, status=429, headers={"Retry-After": "7"})
    responses.get(URL, body="ok")
    assert client.get(URL, source="s").text == "ok"
    assert waits == [7.0]
    assert client.stats.requests == 2 and client.stats.retries == 1


@responses.activate
def test_500_retried_with_exponential_backoff(client, waits):
    for _ in range(3):
        responses.get(URL, status=503)
    responses.get(URL, body="fine")
    assert client.get(URL, source="s").text == "fine"
    assert waits == [0.5, 1.0, 2.0]


@responses.activate
def test_persistent_500_is_an_error_naming_source_what_and_url(client):
    responses.get(URL, status=500)
    with pytest.raises(HarvestError) as err:
        client.get(URL, source="dblp", what="ICRA 2024")
    text = str(err.value)
    assert (
        "ICRA 2024" in text and "dblp" in text and URL in text and "4 attempt" in text
    )
    assert len(responses.calls) == 4


@responses.activate
def test_429_with_long_retry_after_stops_the_source_without_retrying(client, waits):
    responses.get(URL, status=429, headers={"Retry-After": "86400"})
    with pytest.raises(QuotaExhausted, match="budget is spent"):
        client.get(URL, source="openalex", what="CVPR 2024")
    assert len(responses.calls) == 1 and waits == []
    # The source stays stopped: no further request is made.
    with pytest.raises(QuotaExhausted):
        client.get(URL + "?page=2", source="openalex")
    assert len(responses.calls) == 1
    responses.get("https://other.org/", body="x")
    assert client.get("https://other.org/", source="dblp").text == "x"


@responses.activate
def test_429_with_zero_remaining_budget_header_stops(client):
    responses.get(URL, status=429, headers={"x-ratelimit-remaining-usd": "0"})
    with pytest.raises(QuotaExhausted):
        client.get(URL, source="openalex")
    assert len(responses.calls) == 1


@responses.activate
def test_connection_reset_retried(client, waits):
    responses.get(URL, body=requests.ConnectionError("Connection reset by peer"))
    responses.get(URL, body="back")
    assert client.get(URL, source="s").text == "back"
    assert waits == [0.5]


@responses.activate
def test_dns_failure_fails_fast_without_retries(client, waits):
    responses.get(
        URL,
        body=requests.ConnectionError(
            "HTTPSConnectionPool: NameResolutionError: Failed to resolve 'example.org'"
        ),
    )
    with pytest.raises(HarvestError, match="DNS"):
        client.get(URL, source="s")
    assert len(responses.calls) == 1 and waits == []


@responses.activate
def test_timeout_retried_then_reported(client):
    responses.get(URL, body=requests.Timeout("read timed out"))
    with pytest.raises(HarvestError, match="timeout"):
        client.get(URL, source="s", what="CVPR 2024")
    assert len(responses.calls) == 4


@responses.activate
def test_404_not_retried_and_hints_at_config(client):
    responses.get(URL, status=404)
    with pytest.raises(HarvestError, match="base_url"):
        client.get(URL, source="s")
    assert len(responses.calls) == 1


@responses.activate
def test_conditional_request_uses_etag_and_304_returns_cached_body(client, tmp_path):
    responses.get(
        URL,
        body="v1 body",
        headers={"ETag": '"abc"', "Last-Modified": "Wed, 01 Jan 2025 00:00:00 GMT"},
    )
    first = client.get(URL, source="paperlists", conditional=True)
    assert first.text == "v1 body" and not first.from_cache
    responses.replace(responses.GET, URL, status=304)
    second = client.get(URL, source="paperlists", conditional=True)
    sent = responses.calls[1].request.headers
    assert sent["If-None-Match"] == '"abc"'
    assert sent["If-Modified-Since"] == "Wed, 01 Jan 2025 00:00:00 GMT"
    assert second.text == "v1 body" and second.from_cache
    assert client.stats.not_modified == 1
    assert client.stats.bytes == len(b"v1 body")  # the 304 carried no body
    sidecars = list((tmp_path / "cache" / "paperlists").glob("*.json"))
    assert len(sidecars) == 1 and "fetched_at" in sidecars[0].read_text()


@responses.activate
def test_cached_copy_is_not_used_without_a_304(client):
    responses.get(URL, body="old", headers={"ETag": '"1"'})
    client.get(URL, source="s", conditional=True)
    responses.replace(responses.GET, URL, body="new", headers={"ETag": '"2"'})
    assert client.get(URL, source="s", conditional=True).text == "new"


@responses.activate
def test_child_clients_count_apart_but_share_stops(client):
    responses.get(URL, body="x")
    child = client.child()
    child.get(URL, source="s")
    assert child.stats.requests == 1 and client.stats.requests == 0
    child.stopped["openalex"] = "spent"
    assert client.stopped == {"openalex": "spent"}


def test_retry_after_parses_seconds_and_dates():
    assert retry_after_seconds("120") == 120.0
    assert (
        retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412480.0 - 60)
        == 60.0
    )
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


@responses.activate
def test_spent_budget_stop_holds_for_a_new_client_until_the_reset(tmp_path, waits):
    responses.get(URL, status=429, headers={"Retry-After": "3600"})
    first = HttpClient(
        contact_email="a@b",
        cache_dir=tmp_path / "c",
        max_retry_wait=60,
        sleep=waits.append,
    )
    with pytest.raises(QuotaExhausted, match="stopped until"):
        first.get(URL, source="openalex")
    # Another process (the next task of the nightly flow) makes no request either.
    second = HttpClient(
        contact_email="a@b", cache_dir=tmp_path / "c", sleep=waits.append
    )
    assert second.stopped_reason("openalex")
    with pytest.raises(QuotaExhausted):
        second.get(URL, source="openalex")
    assert len(responses.calls) == 1
    # Once the reset time has passed, the source is tried again.
    sidecar = next((tmp_path / "c" / "_stopped").glob("*.json"))
    sidecar.write_text('{"until": "2000-01-01T00:00:00+00:00"}')
    third = HttpClient(
        contact_email="a@b", cache_dir=tmp_path / "c", sleep=waits.append
    )
    assert third.stopped_reason("openalex") is None


def test_stop_until_defaults_to_next_midnight_utc():
    import datetime as dt

    from harvesters.http import _stop_until

    until = _stop_until(None, None)
    assert (until.hour, until.minute) == (0, 0)
    assert until > dt.datetime.now(dt.UTC)
    assert (_stop_until(None, "120") - dt.datetime.now(dt.UTC)).total_seconds() > 100


@responses.activate
def test_unwritable_cache_folder_does_not_stop_the_harvest(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    c = HttpClient(
        contact_email="a@b", cache_dir=blocker / "cache", sleep=lambda s: None
    )
    responses.get(URL, body="fine")
    assert c.get(URL, source="s", conditional=True).text == "fine"
    assert c.get(URL, source="s", conditional=True).text == "fine"
    assert capsys.readouterr().err.count("not writable") == 1


@responses.activate
def test_connection_refused_is_retried_once_briefly(client, waits):
    refused = requests.ConnectionError(
        "HTTPConnectionPool: Max retries exceeded (Caused by NewConnectionError: "
        "[Errno 111] Connection refused)"
    )
    responses.get(URL, body=refused)
    with pytest.raises(HarvestError, match="connection refused"):
        client.get(URL, source="s")
    assert len(responses.calls) == 2 and waits == [0.5]


@responses.activate
def test_unreachable_network_fails_at_once(client, waits):
    responses.get(
        URL, body=requests.ConnectionError("[Errno 101] Network is unreachable")
    )
    with pytest.raises(HarvestError, match="unreachable"):
        client.get(URL, source="s")
    assert len(responses.calls) == 1 and waits == []
