"""Property filters, bbox, datetime and CQL2 (text and JSON) on /items, against real PostGIS."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from tests.samples import SQUARE, point, sample_feature


@pytest.fixture
def shelters(trusted_client):
    """Four shelters with distinct types, capacities and places; returns {name: id}."""
    rows = [
        ("人民广场", "fixed", 12000, point(110.355, 21.265), ["water", "power"]),
        ("海滨公园", "emergency", 800, point(110.40, 21.20), ["water"]),
        ("体育中心", "central", 600000, SQUARE, ["medical"]),
        ("北桥公园", "emergency", 2000, point(110.30, 21.30), []),
    ]
    ids = {}
    for name, stype, area, geom, facilities in rows:
        f = sample_feature("shelters", geom)
        f["properties"].update(
            name=name, shelter_type=stype, effective_area_m2=area, facilities=facilities or None
        )
        ids[name] = trusted_client.post("/collections/shelters/items", json=f).json()["id"]
    return ids


def _names(client, query: str) -> set[str]:
    r = client.get(f"/collections/shelters/items?{query}")
    assert r.status_code == 200, r.text
    return {f["properties"]["name"] for f in r.json()["features"]}


def test_equality_filters(client, shelters):
    assert _names(client, "shelter_type=emergency") == {"海滨公园", "北桥公园"}
    assert _names(client, "shelter_type=fixed,central") == {"人民广场", "体育中心"}
    assert _names(client, "facilities=water") == {"人民广场", "海滨公园"}
    assert _names(client, "name=人民广场") == {"人民广场"}
    assert _names(client, f"id={shelters['北桥公园']}") == {"北桥公园"}


def test_bbox(client, shelters):
    assert _names(client, "bbox=110.35,21.26,110.36,21.27") == {"人民广场", "体育中心"}
    assert _names(client, "bbox=110.39,21.19,110.41,21.21") == {"海滨公园"}


@pytest.mark.parametrize(
    ("cql", "expected"),
    [
        ("capacity > 1000 AND shelter_type = 'emergency'", {"北桥公园"}),
        ("capacity < 1000", {"海滨公园"}),
        ("name LIKE '%公园'", {"海滨公园", "北桥公园"}),
        ("shelter_type IN ('fixed', 'central')", {"人民广场", "体育中心"}),
        ("capacity BETWEEN 800 AND 6000", {"人民广场", "海滨公园", "北桥公园"}),
        ("NOT (shelter_type = 'emergency')", {"人民广场", "体育中心"}),
        ("facilities IS NULL", {"北桥公园"}),
        ("S_INTERSECTS(geometry, POLYGON((110.39 21.19, 110.41 21.19, 110.41 21.21, "
         "110.39 21.21, 110.39 21.19)))", {"海滨公园"}),
        ("S_INTERSECTS(geometry, BBOX(110.3, 21.25, 110.36, 21.31))",
         {"人民广场", "体育中心", "北桥公园"}),
    ],
)  # fmt: skip
def test_cql2_text(client, shelters, cql, expected):
    assert _names(client, f"filter={cql}&filter-lang=cql2-text") == expected


def test_cql2_json(client, shelters):
    expr = {
        "op": "and",
        "args": [
            {"op": "=", "args": [{"property": "shelter_type"}, "emergency"]},
            {"op": ">=", "args": [{"property": "capacity"}, 2000]},
        ],
    }
    assert _names(client, f"filter={json.dumps(expr)}&filter-lang=cql2-json") == {"北桥公园"}


def test_temporal_on_updated_at(client, shelters):
    past = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    future = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert len(_names(client, f"filter=T_AFTER(updated_at, TIMESTAMP('{past}'))")) == 4
    assert _names(client, f"filter=T_AFTER(updated_at, TIMESTAMP('{future}'))") == set()
    interval = f"INTERVAL('{past}','{future}')"
    assert len(_names(client, f"filter=T_DURING(updated_at, {interval})")) == 4
    assert len(_names(client, f"datetime={past}/..")) == 4
    assert _names(client, f"datetime=../{past}") == set()


def test_filter_values_are_bound_not_spliced(client, shelters, db_session):
    evil = "x'; DROP TABLE shelters; --"
    assert _names(client, f"filter=name = '{evil.replace(chr(39), chr(39) * 2)}'") == set()
    assert _names(client, "shelter_type=emergency")  # the table is still there


def test_sortby(client, shelters):
    r = client.get("/collections/shelters/items?sortby=-capacity")
    caps = [f["properties"]["capacity"] for f in r.json()["features"]]
    assert caps == sorted(caps, reverse=True)


def test_t_contains_never_matches_a_null_date(trusted_client, client):
    """An instant contains an interval only when the interval is that instant; a feature with
    no date contains nothing (T_CONTAINS used to return exactly the NULL rows)."""
    ids = {}
    for name, expiry in (("无有效期", None), ("有有效期", "2026-06-30")):
        f = sample_feature("supplies", point(110.31, 21.21))
        f["properties"].update(name=name, expiry_date=expiry)
        r = trusted_client.post("/collections/supplies/items", json=f)
        assert r.status_code == 201, r.text
        ids[name] = r.json()["id"]
    only_ours = f"id IN ({ids['无有效期']},{ids['有有效期']})"

    def names(expr: str) -> set[str]:
        r = client.get("/collections/supplies/items", params={"filter": f"{only_ours} AND {expr}"})
        assert r.status_code == 200, r.text
        return {f["properties"]["name"] for f in r.json()["features"]}

    assert names("T_CONTAINS(expiry_date, INTERVAL('2026-01-01','2026-12-31'))") == set()
    # the degenerate interval of the very date is contained; the other predicates still work
    assert names("T_CONTAINS(expiry_date, INTERVAL('2026-06-30','2026-06-30'))") == {"有有效期"}
    assert names("T_DURING(expiry_date, INTERVAL('2026-01-01','2026-12-31'))") == {"有有效期"}
