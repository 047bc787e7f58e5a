"""Real services, one small venue-year each (marker `live`; skipped unless PAPERTALLY_LIVE=1).

When a network exists, these check that the fixtures built from SOURCE_FORMATS.md still
match what the sources serve; a failure here means a fixture (and maybe a parser) must be
replaced by a recorded page.
"""

from __future__ import annotations

import os

import pytest

from harvesters import cvf, dblp, neurips, openreview
from harvesters.http import make_client

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(
        os.environ.get("PAPERTALLY_LIVE") != "1",
        reason="hits real services; set PAPERTALLY_LIVE=1 on a machine with a network",
    ),
]


@pytest.fixture
def client(settings):
    return make_client(settings, cache=False)


def test_cvf_listing_parses(client, settings):
    base = settings.sources["cvf"].base_url
    page = cvf.fetch_cvf(client, base, "CVPR", 2024)
    assert len(cvf.parse_cvf(page.text, "CVPR", 2024, base).records) > 2000


def test_neurips_listing_parses(client, settings):
    base = settings.sources["neurips"].base_url
    result = neurips.parse_neurips(
        neurips.fetch_neurips(client, base, "NeurIPS", 2023).text, "NeurIPS", 2023, base
    )
    tracks = {r.track for r in result.records}
    assert len(result.records) > 3000 and tracks == {"main", "datasets_benchmarks"}


def test_openreview_first_page_parses(client, settings):
    base = settings.sources["openreview"].base_url
    page = next(
        openreview.fetch_openreview(
            client, base, "NeurIPS.cc/2024/Conference", "NeurIPS 2024", limit=5
        )
    )
    records = openreview.parse_openreview(page.text, "NeurIPS", 2024).records
    assert records and any(a.openreview_id for r in records for a in r.authors)


def test_dblp_toc_parses(client, settings):
    base = settings.sources["dblp"].base_url
    page = next(dblp.fetch_dblp(client, base, "db/conf/icra/icra2024.bht", "ICRA 2024"))
    records = dblp.parse_dblp(page.text, "ICRA", 2024).records
    assert len(records) >= 900 and any(a.dblp_pid for r in records for a in r.authors)
