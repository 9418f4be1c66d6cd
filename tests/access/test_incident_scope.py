"""Incidents carry the region scope of the 8 categories (migration 0019): a region code from
their point, set by a trigger, and row-level-security policies on it."""

from __future__ import annotations

import httpx
from sqlalchemy import Engine, text

from tests.helpers.tokens import auth


def _inside(engine: Engine, code: str) -> tuple[float, float]:
    """A point inside district ``code`` (from the shipped boundaries)."""
    with engine.connect() as conn:
        x, y = conn.execute(
            text("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM regions "
                 "WHERE code = :c) s"), {"c": code}).one()  # fmt: skip
    return float(x), float(y)


def _incident(engine: Engine, lon: float, lat: float, description: str) -> int:
    """A committed incident, inserted as the superuser (no scope)."""
    sql = text(
        "INSERT INTO incidents (event_category, event_type, description, geom) VALUES "
        "('accident', 'hazardous_chemicals', :d, ST_SetSRID(ST_MakePoint(:x, :y), 4326))"
        " RETURNING id"
    )
    with engine.begin() as conn:
        return int(conn.execute(sql, {"d": description, "x": lon, "y": lat}).scalar_one())


def test_incidents_take_their_region_and_scoped_tokens_keep_to_it(
    scoped_server, server, access_engine, make_token
):
    a = _incident(access_engine, *_inside(access_engine, "440803"), "霞山事件")
    b = _incident(access_engine, *_inside(access_engine, "440881"), "廉江事件")
    with access_engine.connect() as conn:
        regions = dict(conn.execute(
            text("SELECT id, region_code FROM incidents WHERE id IN (:a, :b)"), {"a": a, "b": b}
        ).all())  # fmt: skip
    assert regions == {a: "440803", b: "440881"}  # the smallest region, not the city 440800

    viewer = auth(make_token("viewer", ["440803"]))
    with httpx.Client(base_url=scoped_server, headers=viewer) as c:
        ids = {f["id"] for f in c.get("/incidents", params={"limit": 1000}).json()["features"]}
        assert a in ids and b not in ids
        assert c.get(f"/incidents/{a}").status_code == 200
        assert c.get(f"/incidents/{b}").status_code == 404
    city = auth(make_token("viewer", ["4408"]))
    with httpx.Client(base_url=scoped_server, headers=city) as c:
        ids = {f["id"] for f in c.get("/incidents", params={"limit": 1000}).json()["features"]}
        assert {a, b} <= ids

    editor = auth(make_token("editor", ["440803"]))
    with httpx.Client(base_url=server, headers=editor) as c:
        r = c.patch(f"/incidents/{b}", json={"description": "改"})
        assert r.status_code in (403, 404), r.text
        lon, lat = _inside(access_engine, "440881")
        body = {"lon": lon, "lat": lat, "event_category": "accident",
                "event_type": "hazardous_chemicals", "description": "越界"}  # fmt: skip
        r = c.post("/incidents", json=body)
        assert r.status_code == 403, r.text
        lon, lat = _inside(access_engine, "440803")
        inside = body | {"lon": lon, "lat": lat, "description": "界内"}
        assert c.post("/incidents", json=inside).status_code == 201
    with access_engine.connect() as conn:
        assert (
            conn.execute(
                text("SELECT description FROM incidents WHERE id = :b"), {"b": b}
            ).scalar_one()
            == "廉江事件"
        )
        assert (
            conn.execute(
                text("SELECT count(*) FROM incidents WHERE description = '越界'")
            ).scalar_one()
            == 0
        )
