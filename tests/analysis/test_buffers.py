"""Buffer rings: geodesic areas (pyproj.Geod) and the d ± 1 m boundary, at 18–53°N and any size."""

from __future__ import annotations

import numpy as np
import pytest
from shapely import Point, Polygon
from shapely.geometry import shape

from tests.analysis.helpers import GEOD, add, offset

SITES = [(109.5, 18.2), (116.4, 39.9), (122.5, 53.0)]
DISTANCES = [500.0, 5_000.0, 100_000.0, 500_000.0]


def geodesic_disc_area(lon, lat, radius, n=20_000):
    """Truth: area of a geodesic circle, from n points computed with Geod.fwd (test-side)."""
    az = np.linspace(0.0, 360.0, n, endpoint=False)
    lons, lats, _ = GEOD.fwd(np.full(n, lon), np.full(n, lat), az, np.full(n, radius))
    area, _ = GEOD.polygon_area_perimeter(lons, lats)
    return abs(area)


@pytest.mark.parametrize("lon,lat", SITES)
def test_ring_areas_and_boundaries(client, lon, lat):
    body = {"geometry": {"type": "Point", "coordinates": [lon, lat]}, "distances_m": DISTANCES}
    r = client.post("/analysis/buffer", json=body)
    assert r.status_code == 200, r.text
    rings = r.json()["features"]
    assert [f["properties"]["distance_m"] for f in rings] == DISTANCES
    previous = 0.0
    for f, d in zip(rings, DISTANCES, strict=True):
        truth = geodesic_disc_area(lon, lat, d) - (
            geodesic_disc_area(lon, lat, previous) if previous else 0.0
        )
        assert f["properties"]["area_m2"] == pytest.approx(truth, rel=0.005)
        # the area of the returned geometry itself, measured by the oracle
        own, _ = GEOD.geometry_area_perimeter(shape(f["geometry"]))
        assert abs(own) == pytest.approx(truth, rel=0.005)
        ring = shape(f["geometry"])
        for az in (0.0, 37.0, 90.0, 181.0, 271.5):
            assert ring.contains(Point(offset(lon, lat, az, d - 1.0))), (d, az)
            assert not ring.contains(Point(offset(lon, lat, az, d + 1.0))), (d, az)
            if previous:
                assert not ring.contains(Point(offset(lon, lat, az, previous - 1.0)))
        previous = d


def test_polygon_source_and_intersect_innermost_ring(client, db_session):
    lon, lat = 110.36, 21.27
    square = Polygon([offset(lon, lat, az, 200.0) for az in (45, 135, 225, 315)])
    near = add(db_session, "protected_targets", *offset(lon, lat, 0, 141.0 + 300.0), population=50)
    far = add(db_session, "protected_targets", *offset(lon, lat, 0, 141.0 + 1500.0), population=7)
    add(db_session, "protected_targets", *offset(lon, lat, 0, 141.0 + 5000.0), population=9)
    body = {
        "geometry": square.__geo_interface__,
        "distances_m": [1000, 2000],
        "intersect": ["protected_targets"],
    }
    r = client.post("/analysis/buffer", json=body)
    assert r.status_code == 200, r.text
    out = r.json()
    where = {f["id"]: f["properties"]["ring_distance_m"] for f in out["inside"]["features"]}
    assert where == {near: 1000.0, far: 2000.0}
    props = [f["properties"] for f in out["features"]]
    assert [p["inside"] for p in props] == [{"protected_targets": 1}, {"protected_targets": 1}]
    assert [p["population"] for p in props] == [50, 7]


def test_buffer_features_by_ids_not_dissolved(client, db_session):
    a = add(db_session, "hazard_sources", 110.30, 21.20)
    b = add(db_session, "hazard_sources", 110.50, 21.40)
    body = {
        "source": {"collection": "hazard_sources", "ids": [a, b]},
        "distances_m": [300],
        "dissolve": False,
    }
    r = client.post("/analysis/buffer", json=body)
    assert r.status_code == 200, r.text
    feats = r.json()["features"]
    assert sorted(f["properties"]["source_id"] for f in feats) == [a, b]
    truth = geodesic_disc_area(110.30, 21.20, 300.0)
    assert feats[0]["properties"]["area_m2"] == pytest.approx(truth, rel=0.005)
    body["dissolve"] = True
    dissolved = client.post("/analysis/buffer", json=body).json()["features"]
    assert len(dissolved) == 1
    assert dissolved[0]["properties"]["area_m2"] == pytest.approx(2 * truth, rel=0.005)


def test_buffer_source_by_cql2_filter(client, db_session):
    add(db_session, "shelters", 110.30, 21.20, capacity=10)
    big = add(db_session, "shelters", 110.31, 21.21, capacity=9000)
    body = {
        "source": {"collection": "shelters", "filter": "capacity > 8000"},
        "distances_m": [100],
        "intersect": ["shelters"],
    }
    r = client.post("/analysis/buffer", json=body)
    assert r.status_code == 200, r.text
    assert [f["id"] for f in r.json()["inside"]["features"]] == [big]
