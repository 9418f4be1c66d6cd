"""Every bad analysis input → a clear 4xx JSON error; nothing is written."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from gis_onemap.db.tables import INCIDENTS

POINT = {"lon": 110.36, "lat": 21.27}
BOWTIE = {
    "type": "Polygon",
    "coordinates": [
        [[110.35, 21.26], [110.36, 21.27], [110.36, 21.26], [110.35, 21.27], [110.35, 21.26]]
    ],
}


@pytest.mark.parametrize(
    "path,params,expect",
    [
        ("/analysis/nearest", {"lon": 110, "lat": 91}, "latitude"),
        ("/analysis/nearest", {"lon": 181, "lat": 21}, "longitude"),
        ("/analysis/nearest", {"lon": "abc", "lat": 21}, "lon"),
        ("/analysis/nearest", {**POINT, "k": 0}, "k must be"),
        ("/analysis/nearest", {**POINT, "k": 1001}, "k must be"),
        ("/analysis/nearest", {**POINT, "category": "volcanoes"}, "unknown category"),
        ("/analysis/nearest", {**POINT, "crs": "EPSG:999999"}, "crs"),
        ("/analysis/nearest", {**POINT, "colour": "red"}, "unknown filter property 'colour'"),
        ("/analysis/nearest", {**POINT, "tier": "pirates"}, "tier"),
        ("/analysis/nearest", {**POINT, "min_capacity": "lots"}, "min_capacity"),
        ("/analysis/nearest", {**POINT, "max_distance_m": 0}, "max_distance_m"),
        ("/analysis/within", {**POINT, "radius_m": 0}, "radius_m"),
        ("/analysis/within", {**POINT, "radius_m": -5}, "radius_m"),
        ("/analysis/within", {**POINT, "radius_m": 500_001}, "radius_m"),
        ("/analysis/within", {**POINT, "radius_m": "nan"}, "radius_m"),
        ("/analysis/within", POINT, "radius_m"),
        ("/analysis/within", {"lon": 110, "lat": -95, "radius_m": 10}, "latitude"),
        ("/analysis/hazard-zones", {"level": 5}, "level"),
        ("/analysis/hazard-zones", {"bbox": "1,2,3"}, "bbox"),
        ("/analysis/hazard-zones", {"region_code": "12"}, "region_code"),
        ("/analysis/surroundings/map", {**POINT, "radius_m": 600_000}, "radius_m"),
        ("/incidents/999999999/surroundings", {}, "no incident"),
        ("/incidents/1/surroundings", {"radius_m": 0}, "radius_m"),
    ],
)
def test_bad_query_parameters(client, path, params, expect):
    r = client.get(path, params=params)
    assert 400 <= r.status_code < 500, r.text
    body = r.json()
    assert expect in body["description"], body
    assert "psycopg" not in r.text and "SELECT" not in r.text


@pytest.mark.parametrize(
    "body,expect",
    [
        ({**POINT, "radius_m": 0}, "radius_m"),
        ({**POINT, "radius_m": 500_001}, "radius_m"),
        ({**POINT, "k": 0}, "k"),
        ({**POINT, "k": 1001}, "k"),
        ({**POINT, "event_type": "alien_invasion"}, "unknown event_type"),
        ({**POINT, "event_category": "accident", "event_type": "flood"}, "not a accident event"),
        ({"lon": 110, "lat": 100}, "latitude"),
        ({**POINT, "crs": "nonsense"}, "crs"),
        ({**POINT, "surprise": 1}, "surprise"),
        ([1, 2], "JSON object"),
    ],
)
def test_bad_surroundings_bodies(client, body, expect):
    r = client.post("/analysis/surroundings", json=body)
    assert r.status_code == 400, r.text
    assert expect in r.json()["description"]


@pytest.mark.parametrize(
    "body,expect",
    [
        ({"geometry": {"type": "Point", "coordinates": []}, "distances_m": [10]}, "empty"),
        ({"geometry": {"type": "Polygon", "coordinates": []}, "distances_m": [10]}, "empty"),
        ({"geometry": BOWTIE, "distances_m": [10]}, "not valid"),
        ({"geometry": {"type": "Blob"}, "distances_m": [10]}, "geometry"),
        (
            {"geometry": {"type": "Point", "coordinates": [200, 0]}, "distances_m": [10]},
            "longitude",
        ),
        (
            {"geometry": {"type": "Point", "coordinates": [110, 21]}, "distances_m": []},
            "distances_m",
        ),
        (
            {"geometry": {"type": "Point", "coordinates": [110, 21]}, "distances_m": [0]},
            "distances_m",
        ),
        (
            {"geometry": {"type": "Point", "coordinates": [110, 21]}, "distances_m": [600_000]},
            "distances_m",
        ),
        (
            {
                "geometry": {"type": "Point", "coordinates": [110, 21]},
                "distances_m": list(range(1, 22)),
            },
            "distances_m",
        ),
        (
            {
                "geometry": {"type": "Point", "coordinates": [110, 21]},
                "distances_m": [10],
                "intersect": ["x"],
            },
            "unknown category",
        ),
        (
            {
                "geometry": {"type": "Point", "coordinates": [110, 21]},
                "distances_m": [10],
                "crs": "EPSG:0",
            },
            "crs",
        ),
        ({"distances_m": [10]}, "either 'geometry' or 'source'"),
        ({"source": {"collection": "nope", "ids": [1]}, "distances_m": [10]}, "unknown category"),
        ({"source": {"collection": "shelters"}, "distances_m": [10]}, "'ids' or 'filter'"),
        (
            {"source": {"collection": "shelters", "filter": "colour = 'red'"}, "distances_m": [10]},
            "",
        ),
        (
            {"source": {"collection": "shelters", "ids": [987654321]}, "distances_m": [10]},
            "no feature",
        ),
    ],
)
def test_bad_buffer_bodies(client, body, expect):
    r = client.post("/analysis/buffer", json=body)
    assert 400 <= r.status_code < 500, r.text
    assert expect in r.json()["description"]


@pytest.mark.parametrize(
    "body,expect",
    [
        (
            {**POINT, "event_category": "accident", "event_type": "fire", "severity": "V"},
            "severity",
        ),
        (
            {**POINT, "event_category": "accident", "event_type": "earthquake"},
            "not a accident event",
        ),
        ({**POINT, "event_category": "weather", "event_type": "fire"}, "event_category"),
        ({"lon": 110, "lat": 91, "event_category": "accident", "event_type": "fire"}, "latitude"),
        ({**POINT, "event_category": "accident"}, "event_type"),
        (
            {
                **POINT,
                "event_category": "accident",
                "event_type": "fire",
                "reported_at": "2999-01-01T00:00:00Z",
            },
            "future",
        ),
        (
            {
                **POINT,
                "event_category": "accident",
                "event_type": "fire",
                "reported_at": "yesterday",
            },
            "reported_at",
        ),
    ],
)
def test_bad_incidents_write_nothing(editor_client, db_session, body, expect):
    before = db_session.execute(select(func.count()).select_from(INCIDENTS)).scalar_one()
    r = editor_client.post("/incidents", json=body)
    # malformed → 400; well-formed but impossible facts (a future report) → 422 (issue 13)
    assert r.status_code == (422 if expect == "future" else 400), r.text
    assert expect in r.json()["description"]
    assert db_session.execute(select(func.count()).select_from(INCIDENTS)).scalar_one() == before


def test_malformed_json_and_unknown_incident(editor_client):
    r = editor_client.post(
        "/incidents", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert r.status_code == 400
    assert editor_client.get("/incidents/424242").status_code == 404
    assert editor_client.get("/incidents/0").status_code == 400
