"""canonical_url: resolution against the feed, normalization, tracking parameters and fragments removed."""

from __future__ import annotations

import pytest

from pipeline.transforms.normalize import canonical_url
from pipeline.transforms.normalize.urls import is_tracking_param
from tests.unit.normalize.tables import rows


@pytest.mark.parametrize(("url", "base", "expected"), rows("urls.tsv", 3))
def test_url_table(url, base, expected):
    assert canonical_url(url, base) == expected


def test_canonical_url_is_idempotent():
    for url, _base, expected in rows("urls.tsv", 3):
        if expected:
            assert canonical_url(expected) == expected, url


@pytest.mark.parametrize(
    "name", ["utm_source", "UTM_Medium", "fbclid", "gclid", "mc_cid", "mc_eid", "xtor", "at_medium"]
)
def test_tracking_params(name):
    assert is_tracking_param(name)


@pytest.mark.parametrize("name", ["id", "page", "q", "article", "p"])
def test_content_params_are_kept(name):
    assert not is_tracking_param(name)
