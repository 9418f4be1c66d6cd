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


def _network(session: Session, pts: list[tuple[float, float]] | None = None) -> float:
    """A U-shaped road from the cell to the shelter (or the road through ``pts``); its length."""
    pts = pts or [at(0, 0), at(0, 700), at(400, 700), at(400, 0)]
    for k, (x, y) in enumerate(pts, start=1):
        session.execute(text("INSERT INTO road_vertices (id, geom) VALUES "
                             "(:id, ST_SetSRID(ST_MakePoint(:x, :y), 4326))"),
                        {"id": 9_000_000 + k, "x": x, "y": y})  # fmt: skip
    total = 0.0
    for k in range(len(pts) - 1):
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


def _graph_metres(session: Session, a: tuple[float, float], b: tuple[float, float]) -> float:
    """Walking metres from point a to point b over the stored road edges, computed here with
    networkx and pyproj (snap to the nearest vertex at each end), independent of pgRouting."""
    import networkx as nx

    from tests.planning.helpers import GEOD

    g = nx.Graph()
    for s, t, length in session.execute(text("SELECT source, target, length_m FROM road_edges")):
        g.add_edge(s, t, weight=length)
    vertices = session.execute(text("SELECT id, ST_X(geom), ST_Y(geom) FROM road_vertices")).all()

    def snap(p: tuple[float, float]) -> tuple[int, float]:
        return min(((v, GEOD.inv(p[0], p[1], x, y)[2]) for v, x, y in vertices),
                   key=lambda r: r[1])  # fmt: skip

    (va, da), (vb, db) = snap(a), snap(b)
    return da + nx.shortest_path_length(g, va, vb, weight="weight") + db


def test_siting_over_roads_chooses_what_the_walk_reaches(
    client: TestClient, db_session: Session
) -> None:
    """Two candidates, one site to choose, 10 minutes (500 m): as the crow flies A (400 m from
    the big cell, 100 m from the small one) covers both; by road A is 1,800 m round the U from
    the big cell, so B (300 m up the road) covers more. The answer equals an exhaustive search
    over walking distances computed in the test with networkx."""
    # the U of the other tests with a vertex part-way up its first leg, where B stands
    _network(db_session, [at(0, 0), at(0, 300), at(0, 700), at(400, 700), at(400, 0)])
    big, small = at(0, 0), at(400, -100)
    add_cell(db_session, *big, 100)
    add_cell(db_session, *small, 50)
    cands = {"A": at(400, 0), "B": at(0, 300)}
    fc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": k, "properties": {"name": k},
         "geometry": {"type": "Point", "coordinates": list(p)}}
        for k, p in cands.items()]}  # fmt: skip
    body = {"bbox": BBOX, "share": 1.0, "reach": 10, "p": 1, "model": "mclp",
            "candidates": fc, "include_existing": False}  # fmt: skip

    geo = client.post("/analysis/shelters/siting", json=body | {"network": "geodesic"}).json()
    assert [c["name"] for c in geo["chosen"]] == ["A"]
    assert geo["covered_within_reach"]["after"] == 150

    r = client.post("/analysis/shelters/siting", json=body)  # auto: the roads are loaded
    assert r.status_code == 200, r.text
    roads = r.json()
    covered = {
        name: sum(pop for cell, pop in ((big, 100), (small, 50))
                  if _graph_metres(db_session, cell, site) <= 500)
        for name, site in cands.items()
    }  # fmt: skip
    best = max(covered, key=lambda k: covered[k])
    assert (best, covered[best]) == ("B", 100)  # the scenario is what the docstring says
    assert [c["name"] for c in roads["chosen"]] == [best]
    assert roads["covered_within_reach"]["after"] == covered[best]
    assert "road network" in roads["reach"]["basis"]
    assert roads["reach"]["cells_off_network"] == 0

    refused = client.post("/analysis/shelters/siting", json=body | {"model": "pmedian"})
    assert refused.status_code == 400 and "network=geodesic" in refused.text
