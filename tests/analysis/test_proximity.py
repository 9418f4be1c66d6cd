"""Nearest and within against an independent oracle: pyproj.Geod on the same coordinates."""

from __future__ import annotations

import math
import random

import pytest

from tests.analysis.helpers import GEOD, add, offset

#: Test sites from Hainan (18°N) to Heilongjiang (53°N).
SITES = [(109.5, 18.2), (113.3, 23.1), (121.5, 31.2), (116.4, 39.9), (126.6, 45.8), (122.5, 53.0)]


def _scatter(db_session, lon, lat, n=60, max_m=30_000.0, seed=0):
    """``n`` shelters/teams at random geodesic offsets; the oracle's (id, distance, azimuth)."""
    rng = random.Random(seed)
    truth = []
    for i in range(n):
        az, dist = rng.uniform(0, 360), rng.uniform(50.0, max_m)
        plon, plat = offset(lon, lat, az, dist)
        category = "shelters" if i % 2 else "rescue_teams"
        fid = add(db_session, category, plon, plat, name=f"p{i}")
        fwd_az, _, d = GEOD.inv(lon, lat, plon, plat)
        truth.append({"category": category, "id": fid, "distance": d, "bearing": fwd_az % 360})
    return sorted(truth, key=lambda t: t["distance"])


def _ids(features):
    return [(f["properties"]["category"], f["id"]) for f in features]


@pytest.mark.parametrize("lon,lat", SITES)
def test_nearest_matches_geod_order_and_distances(client, db_session, lon, lat):
    truth = _scatter(db_session, lon, lat, seed=int(lat))
    r = client.get(
        "/analysis/nearest",
        params={"lon": lon, "lat": lat, "k": 15, "category": ["shelters", "rescue_teams"]},
    )
    assert r.status_code == 200, r.text
    feats = r.json()["features"]
    assert _ids(feats) == [(t["category"], t["id"]) for t in truth[:15]]
    for f, t in zip(feats, truth, strict=False):
        assert f["properties"]["distance_m"] == pytest.approx(t["distance"], abs=0.1)
        assert f["properties"]["bearing_deg"] == pytest.approx(t["bearing"], abs=1e-3)


@pytest.mark.parametrize("lon,lat", SITES[::2])
def test_within_matches_geod(client, db_session, lon, lat):
    truth = _scatter(db_session, lon, lat, seed=7 + int(lat))
    radius = 12_000.0
    r = client.get("/analysis/within", params={"lon": lon, "lat": lat, "radius_m": radius})
    assert r.status_code == 200, r.text
    body = r.json()
    expected = [t for t in truth if t["distance"] <= radius]
    assert _ids(body["features"]) == [(t["category"], t["id"]) for t in expected]
    assert body["numberMatched"] == len(expected)
    for f, t in zip(body["features"], expected, strict=True):
        assert f["properties"]["distance_m"] == pytest.approx(t["distance"], abs=0.1)


@pytest.mark.parametrize("lon,lat", SITES)
@pytest.mark.parametrize("radius", [1_000.0, 50_000.0])
def test_radius_boundary_one_metre(client, db_session, lon, lat, radius):
    inside = add(db_session, "depots", *offset(lon, lat, 33.0, radius - 1.0), name="in")
    outside = add(db_session, "depots", *offset(lon, lat, 213.0, radius + 1.0), name="out")
    r = client.get(
        "/analysis/within",
        params={"lon": lon, "lat": lat, "radius_m": radius, "category": "depots"},
    )
    ids = [f["id"] for f in r.json()["features"]]
    assert inside in ids and outside not in ids
    r = client.get(
        "/analysis/nearest",
        params={"lon": lon, "lat": lat, "category": "depots", "max_distance_m": radius},
    )
    ids = [f["id"] for f in r.json()["features"]]
    assert inside in ids and outside not in ids


def test_nearest_is_exact_where_sphere_and_spheroid_disagree(client, db_session):
    """North-south vs east-west at 53°N: the sphere ranks them one way, the spheroid the other."""
    lon, lat = 122.5, 53.0
    # A meridian metre and a parallel metre differ on the ellipsoid; pick distances so the sphere
    # distances (haversine, R = 6371008.8 m) order the two points opposite to the geodesic ones.
    north = offset(lon, lat, 0.0, 10_000.0)
    east = offset(lon, lat, 90.0, 10_020.0)
    a = add(db_session, "shelters", *north, name="north")
    b = add(db_session, "shelters", *east, name="east")
    d_north = GEOD.inv(lon, lat, *north)[2]
    d_east = GEOD.inv(lon, lat, *east)[2]
    assert (_haversine(lon, lat, *north) < _haversine(lon, lat, *east)) != (d_north < d_east)
    expected = [a, b] if d_north < d_east else [b, a]
    params = {"lon": lon, "lat": lat, "category": "shelters"}
    r = client.get("/analysis/nearest", params=params)
    assert [f["id"] for f in r.json()["features"]] == expected
    r = client.get("/analysis/nearest", params={**params, "k": 1})
    assert [f["id"] for f in r.json()["features"]] == expected[:1]


def _haversine(lon1, lat1, lon2, lat2, radius=6_371_008.8):
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * radius * math.asin(math.sqrt(h))


def test_nearest_filters_and_all_categories(client, db_session):
    lon, lat = 110.36, 21.27
    team = add(db_session, "rescue_teams", *offset(lon, lat, 10, 900), tier="professional")
    add(db_session, "rescue_teams", *offset(lon, lat, 10, 100), tier="main")
    big = add(db_session, "shelters", *offset(lon, lat, 90, 700), capacity=5000)
    add(db_session, "shelters", *offset(lon, lat, 90, 50), capacity=10)
    r = client.get("/analysis/nearest", params={"lon": lon, "lat": lat, "tier": "professional"})
    assert [f["id"] for f in r.json()["features"]] == [team]
    r = client.get("/analysis/nearest", params={"lon": lon, "lat": lat, "min_capacity": 1000})
    assert [f["id"] for f in r.json()["features"]] == [big]
    r = client.get("/analysis/nearest", params={"lon": lon, "lat": lat, "k": 3})
    props = [f["properties"] for f in r.json()["features"]]
    assert [p["distance_m"] for p in props] == sorted(p["distance_m"] for p in props)
    assert {p["category"] for p in props} == {"shelters", "rescue_teams"}


def test_crs_gcj02_input_is_converted(client, db_session):
    from gis_onemap.crs import wgs84_to_gcj02

    lon, lat = 110.36, 21.27
    fid = add(db_session, "depots", *offset(lon, lat, 45, 300), name="d")
    glon, glat = wgs84_to_gcj02(lon, lat)
    r = client.get(
        "/analysis/nearest",
        params={"lon": glon, "lat": glat, "crs": "gcj02", "category": "depots"},
    )
    f = r.json()["features"][0]
    assert f["id"] == fid
    assert f["properties"]["distance_m"] == pytest.approx(300.0, abs=1.0)


def test_personal_data_only_for_trusted(client, trusted_client, db_session):
    add(db_session, "experts", 110.0, 21.0, phone="13800000000")
    params = {"lon": 110.0, "lat": 21.0, "category": "experts"}
    assert (
        "phone"
        not in client.get("/analysis/nearest", params=params).json()["features"][0]["properties"]
    )
    trusted = trusted_client.get("/analysis/nearest", params=params).json()
    assert trusted["features"][0]["properties"]["phone"] == "13800000000"


def test_within_limit_keeps_the_true_total(client, db_session):
    truth = _scatter(db_session, 113.3, 23.1, n=30, seed=3)
    radius = 20_000.0
    expected = [t for t in truth if t["distance"] <= radius]
    params = {"lon": 113.3, "lat": 23.1, "radius_m": radius, "limit": 4}
    body = client.get("/analysis/within", params=params).json()
    assert _ids(body["features"]) == [(t["category"], t["id"]) for t in expected[:4]]
    assert body["numberMatched"] == len(expected) and body["numberReturned"] == 4
