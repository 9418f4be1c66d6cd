"""Keyset paging: following ``next`` links returns every feature exactly once."""

from __future__ import annotations

import itertools
from urllib.parse import urlsplit

import pytest
from sqlalchemy import text

N_BIG = 100_000


def _fill(db_session, n: int) -> None:
    db_session.execute(
        text(
            """
            INSERT INTO protected_targets (name, target_type, population, geom)
            SELECT 'T' || g,
                   (ARRAY['school','hospital','residential'])[1 + g % 3],
                   CASE WHEN g % 7 = 0 THEN NULL ELSE g % 500 END,
                   ST_SetSRID(ST_MakePoint(110 + (g % 1000) / 1000.0,
                                           21 + (g / 1000) / 1000.0), 4326)
            FROM generate_series(1, :n) AS g
            """
        ),
        {"n": n},
    )
    db_session.flush()


def _follow(client, url: str) -> tuple[list[int], list[dict], int]:
    ids: list[int] = []
    pages = []
    matched = None
    while url:
        r = client.get(url)
        assert r.status_code == 200, r.text
        body = r.json()
        matched = body["numberMatched"]
        assert body["numberReturned"] == len(body["features"])
        ids += [f["id"] for f in body["features"]]
        pages.append(body)
        nxt = [link["href"] for link in body["links"] if link["rel"] == "next"]
        if nxt:
            parts = urlsplit(nxt[0])
            url = f"{parts.path}?{parts.query}"
        else:
            url = ""
    return ids, pages, matched


@pytest.mark.slow
def test_paging_100k_returns_every_feature_exactly_once(client, db_session):
    _fill(db_session, N_BIG)
    ids, pages, matched = _follow(client, "/collections/protected_targets/items?limit=10000")
    assert matched == N_BIG
    assert len(ids) == N_BIG
    assert len(set(ids)) == N_BIG
    assert ids == sorted(ids)  # default order is by id
    assert len(pages) == 10
    assert not any(link["rel"] == "next" for link in pages[-1]["links"])


def test_paging_with_sortby_on_nullable_non_unique_column(client, db_session):
    _fill(db_session, 3_000)
    ids, pages, matched = _follow(
        client, "/collections/protected_targets/items?limit=250&sortby=-population,name"
    )
    assert len(ids) == matched == 3_000
    assert len(set(ids)) == 3_000
    feats = [f for p in pages for f in p["features"]]
    pops = [f["properties"].get("population") for f in feats]
    non_null = [p for p in pops if p is not None]
    assert non_null == sorted(non_null, reverse=True)
    # NULLs come last
    first_null = pops.index(None)
    assert all(p is None for p in pops[first_null:])
    # ties on population are ordered by name
    for a, b in itertools.pairwise(feats):
        pa, pb = a["properties"].get("population"), b["properties"].get("population")
        if pa == pb:
            assert a["properties"]["name"] <= b["properties"]["name"]


def test_paging_combined_with_filters(client, db_session):
    _fill(db_session, 2_000)
    url = "/collections/protected_targets/items?limit=100&target_type=hospital&bbox=110,21,110.5,22"
    ids, _, matched = _follow(client, url)
    expected = (
        db_session.execute(
            text(
                "SELECT id FROM protected_targets WHERE target_type = 'hospital' "
                "AND ST_Intersects(geom, ST_MakeEnvelope(110, 21, 110.5, 22, 4326)) ORDER BY id"
            )
        )
        .scalars()
        .all()
    )
    assert ids == list(expected)
    assert matched == len(expected) > 0
