"""Coverage over the road network: a shelter 400 m away as the crow flies but 1,800 m by road
is out of a 10-minute walk by road and in it geodesically; within a 40-minute walk by road."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.planning.helpers import ORIGIN, add_cell, add_shelter, at, distance

URL = "/analysis/shelters/coverage"
BBOX = [ORIGIN[0] - 0.05, ORIGIN[1] - 0.05, ORIGIN[0] + 0.05, ORIGIN[1] + 0.05]


def _network(session: Session) -> float:
    """A U-shaped road from the cell to the shelter; returns its length (m)."""
    pts = [at(0, 0), at(0, 700), at(400, 700), at(400, 0)]
    for k, (x, y) in enumerate(pts, start=1):
        session.execute(text("INSERT INTO road_vertices (id, geom) VALUES "
                             "(:id, ST_SetSRID(ST_MakePoint(:x, :y), 4326))"),
                        {"id": 9_000_000 + k, "x": x, "y": y})  # fmt: skip
    total = 0.0
    for k in range(3):
        (x0, y0), (x1, y1) = pts[k], pts[k + 1]
        length = distance(pts[k], pts[k + 1])
        total += length
        session.execute(text(
            "INSERT INTO road_edges (source, target, road_class, length_m, speed_kmh, cost_s,"
            " reverse_cost_s, geom) VALUES (:s, :t, 'branch', :len, 30, :c, :c,"
            " ST_MakeLine(ST_SetSRID(ST_MakePoint(:x0, :y0), 4326),"
            " ST_SetSRID(ST_MakePoint(:x1, :y1), 4326)))"),
            {"s": 9_000_001 + k, "t": 9_000_002 + k, "len": length, "c": length / 8.3,
             "x0": x0, "y0": y0, "x1": x1, "y1": y1})  # fmt: skip
    return total


def test_walk_over_roads(client: TestClient, db_session: Session) -> None:
    add_cell(db_session, *at(0, 0), 100)
    add_shelter(db_session, *at(400, 0), 500)
    body = {"bbox": BBOX, "share": 1.0, "reach": 10}
    geo = client.post(URL, json=body | {"network": "geodesic"}).json()
    assert geo["totals"]["covered"] == 100 and "geodesic" in geo["reach"]["basis"]
    refused = client.post(URL, json=body | {"network": "roads"})
    assert refused.status_code == 400 and "no road network" in refused.text
    length = _network(db_session)
    near = client.post(URL, json=body).json()  # auto: roads, now that they are loaded
    assert "road network" in near["reach"]["basis"]
    assert near["totals"]["covered"] == 0
    far = client.post(URL, json=body | {"reach": 40}).json()
    assert far["totals"]["covered"] == 100
    # people-minutes: 100 people × (road length + two snaps of ~0 m) ÷ 50 m/min
    assert far["totals"]["people_minutes"] == pytest.approx(100 * length / 50, rel=0.01)
    assert far["reach"]["cells_off_network"] == 0


def test_evacuation_moves_carry_their_walking_route(client: TestClient, db_session: Session):
    """With roads, each move of an evacuation carries its route: the U-shaped road, as long as
    the road itself (the walk the LP priced), from the cell's end to the shelter's."""
    from shapely.geometry import shape

    add_cell(db_session, *at(0, 0), 100)
    add_shelter(db_session, *at(400, 0), 500)
    length = _network(db_session)
    zone = {"type": "Polygon", "coordinates": [[
        list(at(-50, -50)), list(at(50, -50)), list(at(50, 50)), list(at(-50, 50)),
        list(at(-50, -50))]]}  # fmt: skip
    r = client.post("/analysis/shelters/evacuate", json={"zone": zone, "share": 1.0, "reach": 40})
    assert r.status_code == 200, r.text
    (cell,) = [f for f in r.json()["cells"]["features"] if f["properties"]["assigned_to"]]
    (move,) = cell["properties"]["assigned_to"]
    assert move["route_m"] == pytest.approx(length, abs=0.05)  # rounded to 0.1 m
    line = shape(move["route"])
    ends = {tuple(round(v, 6) for v in line.coords[0]), tuple(round(v, 6) for v in line.coords[-1])}
    assert ends == {tuple(round(v, 6) for v in at(0, 0)), tuple(round(v, 6) for v in at(400, 0))}
    assert "walking routes for 1 of 1" in r.json()["routes"]
