"""A source that is down fails its job in seconds and says so (issue 11.8)."""

from __future__ import annotations

import pytest
import requests
import responses

from harvesters.http import QuotaExhausted, Unreachable
from papertally.errors import HarvestError
from papertally.harvesting import harvest_live, worth_retrying

from .livekit import URLS, client_for, job, live_settings

REFUSED = "HTTPSConnectionPool: Max retries exceeded (Caused by NewConnectionError: [Errno 111] Connection refused)"
NO_DNS = "Failed to resolve 'dblp.org' ([Errno -2] Name or service not known)"


@pytest.mark.parametrize("detail", [REFUSED, NO_DNS])
@responses.activate
def test_a_source_that_is_down_fails_at_once_and_says_so(db, settings, tmp_path, detail):
    s = live_settings(settings, tmp_path)
    waits: list[float] = []
    responses.get(URLS["dblp"], body=requests.ConnectionError(detail))
    with pytest.raises(Unreachable) as caught:
        harvest_live(db, s, job("dblp", "ICRA", 2024), client=client_for(s, waits))
    assert "ICRA 2024: source down: " in str(caught.value)
    assert sum(waits) <= 1.0  # one short retry for a refused connection, none for DNS
    assert not worth_retrying(caught.value)  # the nightly does not try it again
    message = db.execute("SELECT message FROM harvest_runs").fetchone()[0]
    assert "source down" in message


def test_only_faults_that_may_heal_are_retried():
    assert worth_retrying(HarvestError("HTTP 503 after 5 attempt(s)", source="dblp"))
    assert worth_retrying(HarvestError("no answer within 30 s (timeout)", source="dblp"))
    assert not worth_retrying(Unreachable("connection refused", source="dblp"))
    assert not worth_retrying(QuotaExhausted("HTTP 429: budget spent", source="openalex"))
