"""``by=time`` on /analysis/nearest and on the surroundings (POST /analysis/surroundings,
/incidents/{id}/surroundings): ETAs equal the networkx oracle's, order by ETA, unreachable
resources kept with a flagged straight-line fallback (Helsinki extract)."""

from __future__ import annotations

import itertools
import random

import networkx as nx
import numpy as np
import pytest
import shapely
from pyproj import Geod
from sqlalchemy import text

from tests.roads.test_helsinki_routing import _oracle

GEOD = Geod(ellps="WGS84")
POINT = "ST_SetSRID(ST_MakePoint(:x, :y), 4326)"


def _place(session, table, vertices, xy, offset=0.00002):
    """Rows of ``table`` (depots: name + geom) a metre or so east of network nodes; returns
    each row's name → the vertex nearest to it on the spheroid (the oracle's snap: a node a
    metre away may be nearer than the one the row was placed by)."""
    ids = np.array(sorted(xy))
    lon = np.array([xy[i][0] for i in ids])
    lat = np.array([xy[i][1] for i in ids])
    snapped = {}
    for v in vertices:
        x, y = xy[v][0] + offset, xy[v][1]
        session.execute(
            text(f"INSERT INTO {table} (name, geom) VALUES (:n, {POINT})"),
            {"n": f"点{v}", "x": x, "y": y},
        )
        d = GEOD.inv(np.full(len(ids), x), np.full(len(ids), y), lon, lat)[2]
        snapped[f"点{v}"] = int(ids[np.argmin(d)])
    return snapped


def _lengths(session):
    """Geodesic length (m) of the fastest edge between each ordered vertex pair (the oracle's
    choice among parallel edges)."""
    out: dict[tuple[int, int], tuple[float, float]] = {}
    rows = session.execute(
        text("SELECT source, target, speed_kmh, oneway, ST_AsText(geom) FROM road_edges")
    ).all()
    for u, v, speed, oneway, geom in rows:
        m = GEOD.geometry_length(shapely.from_wkt(geom))
        s = m / (speed / 3.6)
        for a, b in ((u, v),) if oneway else ((u, v), (v, u)):
            if (a, b) not in out or out[(a, b)][0] > s:
                out[(a, b)] = (s, m)
    return out


def _setup(session, seed, n_sites=25):
    graph, xy = _oracle(session)
    rng = random.Random(seed)
    nodes = sorted(graph.nodes)
    incident = rng.choice(nodes)
    x0, y0 = xy[incident]
    # sites within 2 km in a straight line, so all are in a 2.5 km surroundings radius
    near = [n for n in nodes if n != incident and GEOD.inv(x0, y0, *xy[n])[2] < 2000]
    snapped = _place(session, "depots", rng.sample(near, n_sites), xy)
    return graph, xy, incident, snapped


def _expected(graph, incident, snapped, direction):
    """Oracle ETA per site name (those reachable) and the paths."""
    search = graph.reverse() if direction == "to" else graph
    cost, paths = nx.single_source_dijkstra(search, incident, weight="w")
    return {n: cost[v] for n, v in snapped.items() if v in cost}, paths


def test_nearest_by_time_equals_nearest_by_time_endpoint_and_oracle(roads_client, roads_session):
    graph, xy, incident, sites = _setup(roads_session, 141)
    cost, _ = _expected(graph, incident, sites, "to")
    x, y = xy[incident]
    params = {"lon": x, "lat": y, "category": "depots", "k": 8}
    a = roads_client.get("/analysis/nearest", params={**params, "by": "time"})
    b = roads_client.get("/analysis/nearest-by-time", params=params)
    assert a.status_code == 200, a.text
    assert a.json() == b.json()
    etas = [f["properties"]["eta_s"] for f in a.json()["features"]]
    assert etas == pytest.approx(sorted(cost.values())[:8], abs=0.1)
    # straight-line ranking is still the default, and differs in kind (no ETA)
    plain = roads_client.get("/analysis/nearest", params=params).json()
    assert "eta_s" not in plain["features"][0]["properties"]
    # direction=from is passed through
    back = roads_client.get(
        "/analysis/nearest", params={**params, "by": "time", "direction": "from"}
    )
    cost_from, _ = _expected(graph, incident, sites, "from")
    got = [f["properties"]["eta_s"] for f in back.json()["features"]]
    assert got == pytest.approx(sorted(cost_from.values())[:8], abs=0.1)


@pytest.mark.parametrize(
    "extra",
    [{"by": "fastest"}, {"by": "time", "direction": "sideways"}, {"by": "time", "avoid": "tolls"},
     {"by": "time", "max_distance_m": "100"}, {"by": "time", "incident": "x"}],
)  # fmt: skip
def test_nearest_by_time_bad_input_is_400(roads_client, extra):
    r = roads_client.get(
        "/analysis/nearest", params={"lon": 24.94, "lat": 60.17, "category": "depots", **extra}
    )
    assert r.status_code in (400, 422), r.text
    assert "Traceback" not in r.text


@pytest.mark.parametrize("direction", ["to", "from"])
def test_surroundings_by_time_equal_oracle(roads_client, roads_session, direction):
    graph, xy, incident, sites = _setup(roads_session, 142 if direction == "to" else 143)
    lengths = _lengths(roads_session)
    cost, paths = _expected(graph, incident, sites, direction)
    x, y = xy[incident]
    # a depot ~17 km off: within the radius, but no road within the 2 km snapping limit
    roads_session.execute(
        text(f"INSERT INTO depots (name, geom) VALUES ('孤岛库', {POINT})"),
        {"x": x, "y": y + 0.15},
    )
    body = {"lon": x, "lat": y, "radius_m": 20000, "k": 100}
    r = roads_client.post(
        "/analysis/surroundings", params={"by": "time", "direction": direction}, json=body
    )
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["by"] == "time" and out["direction"] == direction
    feats = out["collections"]["depots"]["features"]
    assert len(feats) == len(sites) + 1
    reachable = [f for f in feats if f["properties"]["reachable"]]
    assert len(reachable) == len(cost)
    # the order is by ETA; each ETA equals the oracle's to 0.1 s
    etas = [f["properties"]["eta_s"] for f in reachable]
    assert etas == sorted(etas)
    for f in reachable:
        p = f["properties"]
        v = sites[p["name"]]
        assert p["eta_s"] == pytest.approx(cost[p["name"]], abs=0.1)
        assert 0 < p["snap_distance_m"] < 2
        # route length: the oracle's fastest path, edge by edge (towards the incident on "to")
        path = paths[v]
        hops = zip(path[1:], path[:-1], strict=True)
        if direction == "from":
            hops = itertools.pairwise(path)
        assert p["route_length_m"] == pytest.approx(sum(lengths[h][1] for h in hops), abs=0.5)
    last = feats[-1]["properties"]
    assert last["name"] == "孤岛库" and last["reachable"] is False
    assert last["fallback"] == "straight_line" and last["eta_s"] is None
    assert last["distance_m"] > 15000
    # totals are unchanged by the ranking
    plain = roads_client.post("/analysis/surroundings", json=body).json()
    assert plain["summary"]["counts"] == out["summary"]["counts"]
    straight = [f["properties"]["distance_m"] for f in plain["collections"]["depots"]["features"]]
    assert straight == sorted(f["properties"]["distance_m"] for f in feats)


def test_incident_surroundings_by_time(roads_client, roads_session):
    graph, xy, incident, sites = _setup(roads_session, 144)
    cost, _ = _expected(graph, incident, sites, "to")
    x, y = xy[incident]
    created = roads_client.post(
        "/incidents",
        json={
            "lon": x,
            "lat": y,
            "event_category": "accident",
            "event_type": "hazardous_chemicals",
        },
    )
    assert created.status_code == 201, created.text
    iid = created.json()["id"]
    r = roads_client.get(f"/incidents/{iid}/surroundings", params={"by": "time", "radius_m": 2500})
    assert r.status_code == 200, r.text
    feats = r.json()["collections"]["depots"]["features"]
    got = [f["properties"]["eta_s"] for f in feats if f["properties"]["reachable"]]
    assert got == pytest.approx(sorted(cost.values()), abs=0.1)
    rest = feats[len(got) :]  # those the oracle cannot route to the incident come last, flagged
    assert {f["properties"]["name"] for f in rest} == set(sites) - set(cost)
    assert all(f["properties"]["fallback"] == "straight_line" for f in rest)
    # straight-line order differs from ETA order somewhere among 25 sites in a city
    plain = roads_client.get(f"/incidents/{iid}/surroundings", params={"radius_m": 2500}).json()
    names = [f["properties"]["name"] for f in plain["collections"]["depots"]["features"]]
    assert names != [f["properties"]["name"] for f in feats]
    bad = roads_client.get(f"/incidents/{iid}/surroundings", params={"by": "eta"})
    assert bad.status_code in (400, 422)


def test_surroundings_by_time_respect_closures(roads_client, roads_session):
    """A closure ring around the incident: what lies beyond it can no longer be reached (flagged
    fallback), what lies inside keeps the closed oracle's ETA; avoid="" ignores the closure."""
    graph, xy, incident, sites = _setup(roads_session, 145)
    x, y = xy[incident]
    ring = shapely.Point(x, y).buffer(0.012).difference(shapely.Point(x, y).buffer(0.009))
    roads_session.execute(
        text("INSERT INTO road_closures (reason, geom) VALUES ('测试', ST_GeomFromText(:g, 4326))"),
        {"g": ring.wkt},
    )
    closed = {
        int(r[0])
        for r in roads_session.execute(
            text("SELECT id FROM road_edges WHERE ST_Intersects(geom, ST_GeomFromText(:g, 4326))"),
            {"g": ring.wkt},
        )
    }
    closed_graph, _ = _oracle(roads_session, closed)
    cost, _ = _expected(closed_graph, incident, sites, "to")
    open_cost, _ = _expected(graph, incident, sites, "to")
    assert set(open_cost) - set(cost), "the ring should cut some sites off"
    body = {"lon": x, "lat": y, "radius_m": 2500, "k": 100}
    r = roads_client.post("/analysis/surroundings", params={"by": "time"}, json=body)
    assert r.status_code == 200, r.text
    for f in r.json()["collections"]["depots"]["features"]:
        p = f["properties"]
        if p["name"] in cost:
            assert p["reachable"] and p["eta_s"] == pytest.approx(cost[p["name"]], abs=0.1)
        else:
            assert p["reachable"] is False and p["fallback"] == "straight_line"
    r = roads_client.post("/analysis/surroundings", params={"by": "time", "avoid": ""}, json=body)
    got = {
        f["properties"]["name"]: f["properties"]["eta_s"]
        for f in r.json()["collections"]["depots"]["features"]
    }
    assert {n: got[n] for n in open_cost} == pytest.approx(open_cost, abs=0.1)
