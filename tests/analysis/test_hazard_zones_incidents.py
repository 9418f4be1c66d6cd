"""Hazard zones (radius per level, configurable) and the incident register."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from shapely import Point
from shapely.geometry import shape

from gis_onemap.analysis.hazard_zones import DEFAULT_HAZARD_ZONE_RADII_M
from gis_onemap.api.app import create_app
from gis_onemap.api.deps import get_session
from tests.analysis.helpers import GEOD, add, offset

A = (110.30, 21.20)
B = (110.36, 21.27)


@pytest.fixture
def custom_client(settings, db_session) -> Iterator[TestClient]:
    """A client whose settings override the level-1 radius (ONEMAP_HAZARD_ZONE_RADII_M)."""
    app = create_app(settings.model_copy(update={"hazard_zone_radii_m": {1: 700.0}}))

    def _session():
        yield db_session

    app.dependency_overrides[get_session] = _session
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def test_zones_per_level_with_targets_and_population(client, db_session):
    r1, r3 = DEFAULT_HAZARD_ZONE_RADII_M[1], DEFAULT_HAZARD_ZONE_RADII_M[3]
    s1 = add(db_session, "hazard_sources", *A, level=1)
    s1b = add(db_session, "hazard_sources", *offset(*A, 90, 5 * r1), level=1)
    s3 = add(db_session, "hazard_sources", *B, level=3)
    inside = add(db_session, "protected_targets", *offset(*A, 10, r1 - 1), population=120)
    add(db_session, "protected_targets", *offset(*A, 190, r1 + 1), population=5)
    near_b = add(db_session, "protected_targets", *offset(*B, 300, r3 - 1), population=30)
    add(db_session, "protected_targets", *offset(*B, 300, r3 + 1), population=9)
    r = client.get("/analysis/hazard-zones", params={"bbox": "110.2,21.1,110.6,21.4"})
    assert r.status_code == 200, r.text
    zones = {f["properties"]["level"]: f for f in r.json()["features"]}
    assert set(zones) == {1, 3}
    z1, z3 = zones[1]["properties"], zones[3]["properties"]
    assert sorted(z1["source_ids"]) == sorted([s1, s1b]) and z3["source_ids"] == [s3]
    assert [t["id"] for t in z1["targets"]] == [inside] and z1["population"] == 120
    assert [t["id"] for t in z3["targets"]] == [near_b] and z3["population"] == 30
    # dissolved per level: one (multi)polygon holding both level-1 circles
    geom = shape(zones[1]["geometry"])
    assert geom.geom_type == "MultiPolygon" and len(geom.geoms) == 2
    assert geom.contains(Point(offset(*A, 45, r1 - 1))) and not geom.contains(
        Point(offset(*A, 45, r1 + 1))
    )
    r = client.get("/analysis/hazard-zones", params={"level": "3"})
    assert [f["properties"]["level"] for f in r.json()["features"]] == [3]


def test_radius_table_is_configurable(custom_client, db_session):
    add(db_session, "hazard_sources", *A, level=1)
    r = custom_client.get("/analysis/hazard-zones", params={"level": 1})
    props = r.json()["features"][0]["properties"]
    assert props["radius_m"] == 700.0 and r.json()["radii_m"]["1"] == 700.0
    geom = shape(r.json()["features"][0]["geometry"])
    assert geom.contains(Point(offset(*A, 0, 699.0)))
    assert not geom.contains(Point(offset(*A, 0, 701.0)))


def test_hazard_zone_map_is_offline_html(client, db_session):
    add(db_session, "hazard_sources", *A, level=2)
    r = client.get("/analysis/hazard-zones/map")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert '<script src="http' not in r.text and "L.map(" in r.text


def test_incident_register(editor_client):
    ids = []
    for event in ("fire", "flood"):
        category = "accident" if event == "fire" else "natural_disaster"
        r = editor_client.post(
            "/incidents",
            json={"lon": 110.36, "lat": 21.27, "event_category": category, "event_type": event},
        )
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    listed = editor_client.get("/incidents").json()["features"]
    assert [f["id"] for f in listed][:2] == ids[::-1]
    only = editor_client.get("/incidents", params={"event_type": "flood"}).json()["features"]
    assert [f["id"] for f in only] == [ids[1]]
    one = editor_client.get(f"/incidents/{ids[0]}").json()
    assert one["geometry"]["coordinates"] == pytest.approx([110.36, 21.27])
    assert one["properties"]["event_type"] == "fire" and one["properties"]["received_at"]


def test_incident_in_bd09_is_stored_in_wgs84(editor_client):
    from gis_onemap.crs import wgs84_to_bd09

    blon, blat = wgs84_to_bd09(110.36, 21.27)
    r = editor_client.post(
        "/incidents",
        json={"lon": blon, "lat": blat, "crs": "bd09", "event_category": "social_security",
              "event_type": "mass_incident"},
    )  # fmt: skip
    assert r.status_code == 201, r.text
    lon, lat = r.json()["geometry"]["coordinates"]
    assert GEOD.inv(110.36, 21.27, lon, lat)[2] < 0.5
