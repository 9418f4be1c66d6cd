"""The roads HTTP API on the Helsinki extract, against networkx (independent oracle)."""

from __future__ import annotations

import random

import networkx as nx
import pytest
import shapely
from sqlalchemy import text

from tests.roads.test_helsinki_routing import _oracle


def _pt(xy, n, dx=0.0):
    x, y = xy[n]
    return f"{x + dx!r},{y!r}"


def _pairs(graph, seed, count, min_s=120.0):
    """Reachable node pairs at least ``min_s`` apart in time (routes worth checking)."""
    rng = random.Random(seed)
    nodes = sorted(graph.nodes)
    out = []
    while len(out) < count:
        a, b = rng.sample(nodes, 2)
        try:
            c = nx.dijkstra_path_length(graph, a, b, weight="w")
        except nx.NetworkXNoPath:
            continue
        if c >= min_s:
            out.append((a, b, c))
    return out


def _closures(session) -> int:
    return session.execute(text("SELECT count(*) FROM road_closures")).scalar_one()


def test_roads_report(roads_client, roads_session):
    r = roads_client.get("/roads")
    assert r.status_code == 200
    body = r.json()
    assert body["loaded"] is True
    edges = roads_session.execute(text("SELECT count(*) FROM road_edges")).scalar_one()
    assert body["report"]["edges"] == edges


def test_roads_report_without_network(client):
    r = client.get("/roads")
    assert r.status_code == 404
    assert "no road network is loaded" in r.json()["description"]


def test_route_eta_equals_oracle(roads_client, roads_session):
    graph, xy = _oracle(roads_session)
    for a, b, expected in _pairs(graph, 5, 5):
        r = roads_client.get("/analysis/route", params={"from": _pt(xy, a), "to": _pt(xy, b)})
        assert r.status_code == 200, r.text
        feature = r.json()
        props = feature["properties"]
        assert props["eta_s"] == pytest.approx(expected, abs=0.1)
        assert feature["geometry"]["type"] == "LineString"
        coords = feature["geometry"]["coordinates"]
        assert coords[0] == pytest.approx(list(xy[a]), abs=1e-6)  # in travel order
        assert coords[-1] == pytest.approx(list(xy[b]), abs=1e-6)
        assert props["from_snap_distance_m"] == pytest.approx(0, abs=0.01)
        assert props["to_snap_distance_m"] == pytest.approx(0, abs=0.01)
        assert props["length_m"] > 0
        # road names in travel order: those of the oracle's path, consecutive repeats merged
        path = nx.dijkstra_path(graph, a, b, weight="w")
        assert isinstance(props["road_names"], list)
        assert len(props["road_names"]) <= len(path)


def test_route_to_a_stored_feature(roads_client, roads_session):
    graph, xy = _oracle(roads_session)
    (a, b, expected) = _pairs(graph, 9, 1)[0]
    sid = roads_session.execute(
        text(
            "INSERT INTO shelters (name, shelter_type, geom) VALUES ('避难所', 'fixed',"
            " ST_SetSRID(ST_MakePoint(:x, :y), 4326)) RETURNING id"
        ),
        {"x": xy[b][0], "y": xy[b][1]},
    ).scalar_one()
    r = roads_client.get("/analysis/route", params={"from": _pt(xy, a), "to": f"shelters/{sid}"})
    assert r.status_code == 200, r.text
    assert r.json()["properties"]["eta_s"] == pytest.approx(expected, abs=0.1)
    missing = roads_client.get("/analysis/route", params={"from": _pt(xy, a), "to": "shelters/0"})
    assert missing.status_code == 404
    unknown = roads_client.get("/analysis/route", params={"from": _pt(xy, a), "to": "ships/1"})
    assert unknown.status_code == 404


@pytest.mark.parametrize("direction", ["to", "from"])
def test_nearest_by_time_order_equals_oracle(roads_client, roads_session, direction):
    graph, xy = _oracle(roads_session)
    rng = random.Random(31)
    nodes = sorted(graph.nodes)
    sites = rng.sample(nodes, 40)
    for i, v in enumerate(sites):
        roads_session.execute(
            text(
                "INSERT INTO depots (name, geom)"
                " VALUES (:n, ST_SetSRID(ST_MakePoint(:x, :y), 4326))"
            ),
            {"n": f"库{i}", "x": xy[v][0], "y": xy[v][1]},
        )
    incident = rng.choice([n for n in nodes if n not in sites])
    search = graph.reverse() if direction == "to" else graph
    cost = nx.single_source_dijkstra_path_length(search, incident, weight="w")
    expected = sorted(cost[s] for s in sites if s in cost)[:8]
    x, y = xy[incident]
    r = roads_client.get(
        "/analysis/nearest-by-time",
        params={"lon": x, "lat": y, "category": "depots", "k": 8, "direction": direction},
    )
    assert r.status_code == 200, r.text
    feats = r.json()["features"]
    assert [f["properties"]["eta_s"] for f in feats] == pytest.approx(expected, abs=0.1)
    for f in feats:
        p = f["properties"]
        assert p["reachable"] is True and p["route_length_m"] >= p["distance_m"] - 1
        assert {"snap_distance_m", "distance_m"} <= set(p)
    # the same per-category property filters as /analysis/nearest
    name = feats[0]["properties"]["name"]
    r = roads_client.get(
        "/analysis/nearest-by-time",
        params={"lon": x, "lat": y, "category": "depots", "name": name, "direction": direction},
    )
    assert [f["properties"]["name"] for f in r.json()["features"]] == [name]
    # nothing matches: an empty answer in either direction, not an error
    none = roads_client.get(
        "/analysis/nearest-by-time",
        params={"lon": x, "lat": y, "category": "depots", "name": "无此库", "direction": direction},
    )
    assert none.status_code == 200 and none.json()["features"] == []
    bad = roads_client.get(
        "/analysis/nearest-by-time",
        params={"lon": x, "lat": y, "category": "depots", "no_such_property": "1"},
    )
    assert bad.status_code == 400


def test_closure_over_http_changes_routes_and_delete_restores(roads_client, roads_session):
    graph, xy = _oracle(roads_session)
    rows = roads_session.execute(text("SELECT id, ST_AsText(geom) FROM road_edges")).all()
    lines = {int(i): shapely.from_wkt(g) for i, g in rows}
    xs = sorted(x for x, _ in xy.values())
    ys = sorted(y for _, y in xy.values())
    cx, cy = xs[len(xs) // 2], ys[len(ys) // 2]
    area = shapely.box(cx - 0.003, cy - 0.0015, cx + 0.003, cy + 0.0015)
    covered = {i for i, line in lines.items() if line.intersects(area)}
    assert 5 < len(covered) < len(lines) // 2
    closed_graph, _ = _oracle(roads_session, covered)
    # a pair whose fastest route crosses the area: it must change
    rng = random.Random(4)
    nodes = sorted(n for n in closed_graph.nodes)
    pair = None
    for _ in range(2000):
        a, b = rng.sample(nodes, 2)
        try:
            before = nx.dijkstra_path_length(graph, a, b, weight="w")
            after = nx.dijkstra_path_length(closed_graph, a, b, weight="w")
        except nx.NetworkXNoPath:
            continue
        if after > before + 5:
            pair = (a, b, before, after)
            break
    assert pair is not None
    a, b, before, after = pair
    params = {"from": _pt(xy, a), "to": _pt(xy, b)}
    assert roads_client.get("/analysis/route", params=params).json()["properties"][
        "eta_s"
    ] == pytest.approx(before, abs=0.1)

    body = {"geometry": shapely.geometry.mapping(area), "reason": "道路施工"}
    r = roads_client.post("/roads/closures", json=body)
    assert r.status_code == 201, r.text
    feature = r.json()
    assert feature["properties"]["closed_edges"] == len(covered)
    assert r.headers["location"].endswith(f"/roads/closures/{feature['id']}")
    routed = roads_client.get("/analysis/route", params=params).json()["properties"]
    assert routed["eta_s"] == pytest.approx(after, abs=0.1)
    listed = roads_client.get("/roads/closures").json()["features"]
    assert [f["id"] for f in listed] == [feature["id"]]
    # ignoring closures on purpose (avoid= empty) routes through the area again
    through = roads_client.get("/analysis/route", params={**params, "avoid": ""}).json()
    assert through["properties"]["eta_s"] == pytest.approx(before, abs=0.1)

    assert roads_client.delete(f"/roads/closures/{feature['id']}").status_code == 204
    assert _closures(roads_session) == 0
    restored = roads_client.get("/analysis/route", params=params).json()["properties"]
    assert restored["eta_s"] == pytest.approx(before, abs=0.1)
    assert roads_client.delete(f"/roads/closures/{feature['id']}").status_code == 404


def test_closure_by_edge_ids_and_expired_listing(roads_client, roads_session):
    eid = roads_session.execute(text("SELECT min(id) FROM road_edges")).scalar_one()
    r = roads_client.post("/roads/closures", json={"edge_ids": [eid], "reason": "桥梁检修"})
    assert r.status_code == 201, r.text
    assert r.json()["properties"]["closed_edges"] == 1
    old = roads_client.post(
        "/roads/closures",
        json={
            "edge_ids": [eid],
            "reason": "过期",
            "valid_from": "2020-01-01T00:00:00+08:00",
            "valid_to": "2020-01-02T00:00:00+08:00",
        },
    )
    assert old.status_code == 201, old.text
    assert old.json()["properties"]["active"] is False
    current = {f["id"] for f in roads_client.get("/roads/closures").json()["features"]}
    every = {f["id"] for f in roads_client.get("/roads/closures?all=true").json()["features"]}
    assert current == {r.json()["id"]}
    assert every == {r.json()["id"], old.json()["id"]}
    open_ids = roads_session.execute(text("SELECT count(*) FROM road_edges")).scalar_one()
    from gis_onemap.roads.routing import edges_sql

    routable = {int(x[0]) for x in roads_session.execute(text(edges_sql()))}
    assert eid not in routable and len(routable) == open_ids - 1


def test_service_area_bands_over_http(roads_client, roads_session):
    graph, xy = _oracle(roads_session)
    nodes = sorted(graph.nodes)
    origin = nodes[len(nodes) // 4]
    cost = nx.single_source_dijkstra_path_length(graph.reverse(), origin, weight="w")
    x, y = xy[origin]
    r = roads_client.get(
        "/analysis/service-area",
        params={"lon": x, "lat": y, "minutes": "2,1", "direction": "to"},
    )
    assert r.status_code == 200, r.text
    feats = r.json()["features"]
    assert [f["properties"]["minutes"] for f in feats] == [1, 2]
    assert {f["properties"]["direction"] for f in feats} == {"to"}
    for f in feats:
        t = f["properties"]["minutes"] * 60
        area = shapely.geometry.shape(f["geometry"])
        inside = {n for n in xy if area.contains(shapely.Point(xy[n]))}
        in_time = {n for n, c in cost.items() if c <= t}
        assert in_time <= inside and len(in_time) > 5
        assert all(cost.get(n, float("inf")) <= t + 60 for n in inside)


BAD_QUERIES = [
    ("/analysis/service-area", {"minutes": "0"}),
    ("/analysis/service-area", {"minutes": "241"}),
    ("/analysis/service-area", {"minutes": ",".join(str(m) for m in range(1, 14))}),
    ("/analysis/service-area", {"minutes": "ten"}),
    ("/analysis/service-area", {"minutes": "10", "avoid": "bridges"}),
    ("/analysis/service-area", {"minutes": "10", "direction": "sideways"}),
    ("/analysis/nearest-by-time", {"k": "101"}),
    ("/analysis/nearest-by-time", {"k": "0"}),
    ("/analysis/nearest-by-time", {"avoid": "tolls"}),
    ("/analysis/nearest-by-time", {"category": "ships"}),
]


@pytest.mark.parametrize("path,extra", BAD_QUERIES)
def test_bad_analysis_input_is_4xx(roads_client, roads_session, path, extra):
    x, y = roads_session.execute(
        text("SELECT ST_X(geom), ST_Y(geom) FROM road_vertices ORDER BY id LIMIT 1")
    ).one()
    r = roads_client.get(path, params={"lon": x, "lat": y, **extra})
    assert r.status_code == 400, r.text
    assert r.json()["description"]


def test_bad_route_input_is_4xx(roads_client, roads_session):
    graph, xy = _oracle(roads_session)
    a = sorted(graph.nodes)[0]
    far = f"{xy[a][0] + 0.5!r},{xy[a][1]!r}"
    r = roads_client.get("/analysis/route", params={"from": far, "to": _pt(xy, a)})
    assert r.status_code == 400 and "from the nearest road" in r.json()["description"]
    for bad in ("1", "a,b", "1,2,3"):
        r = roads_client.get("/analysis/route", params={"from": bad, "to": _pt(xy, a)})
        assert r.status_code == 400, bad
    r = roads_client.get("/analysis/route", params={"from": _pt(xy, a), "to": _pt(xy, a),
                                                   "avoid": "x"})  # fmt: skip
    assert r.status_code == 400
    r = roads_client.get("/analysis/route", params={"from": _pt(xy, a), "to": _pt(xy, a),
                                                   "incident": 999999})  # fmt: skip
    assert r.status_code == 404
    # an unreachable destination (another piece of the network, per the oracle)
    reach = nx.single_source_dijkstra_path_length(graph, a, weight="w")
    b = next(n for n in sorted(graph.nodes) if n not in reach)
    r = roads_client.get("/analysis/route", params={"from": _pt(xy, a), "to": _pt(xy, b)})
    assert r.status_code == 404 and "cannot be reached" in r.json()["description"]


def _square(n_vertices=5, cx=24.94, cy=60.17, d=0.001):
    import math

    ring = [
        [
            cx + d * math.cos(2 * math.pi * i / n_vertices),
            cy + d * math.sin(2 * math.pi * i / n_vertices),
        ]
        for i in range(n_vertices)
    ]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


BAD_CLOSURES = [
    ({"geometry": {"type": "LineString", "coordinates": [[24.9, 60.1], [24.91, 60.1]]},
      "reason": "x"}, 422, "Polygon"),
    ({"geometry": _square()}, 422, "reason"),
    ({"geometry": _square(), "reason": "  "}, 422, "reason"),
    ({"reason": "nothing closed"}, 422, "geometry"),
    ({"edge_ids": [987654321], "reason": "x"}, 422, "unknown edge_ids"),
    ({"geometry": _square(10_050), "reason": "x"}, 422, "10000 vertices"),
    ({"geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]},
      "reason": "x"}, 422, "not valid"),
    ({"geometry": _square(), "reason": "x", "valid_from": "2030-01-02T00:00:00Z",
      "valid_to": "2030-01-01T00:00:00Z"}, 422, "after"),
    ({"geometry": _square(), "reason": "x", "valid_from": "yesterday"}, 400, "valid_from"),
    ({"geometry": _square(), "reason": "x", "colour": "red"}, 400, "colour"),
]  # fmt: skip


@pytest.mark.parametrize("body,status,words", BAD_CLOSURES)
def test_bad_closure_is_refused_and_nothing_stored(
    roads_client, roads_session, body, status, words
):
    r = roads_client.post("/roads/closures", json=body)
    assert r.status_code == status, r.text
    assert words in r.json()["description"] or words in str(r.json().get("details"))
    assert _closures(roads_session) == 0


def test_limits_come_from_the_settings(roads_settings, roads_session, roads_url, roads_editor):
    from fastapi.testclient import TestClient

    from gis_onemap.api.app import create_app
    from tests.conftest import bind_to_test_transaction

    settings = roads_settings.model_copy(
        update={"road_max_k": 3, "road_max_bands": 2, "road_max_minutes": 5.0,
                "road_closure_max_vertices": 5, "road_max_snap_m": 1.0}
    )  # fmt: skip
    app = bind_to_test_transaction(create_app(settings), roads_session)
    x, y = roads_session.execute(
        text("SELECT ST_X(geom), ST_Y(geom) FROM road_vertices ORDER BY id LIMIT 1")
    ).one()
    with TestClient(app, raise_server_exceptions=False, headers=roads_editor) as c:
        at = {"lon": x, "lat": y}
        assert c.get("/analysis/nearest-by-time", params={**at, "k": 4}).status_code == 400
        assert c.get("/analysis/nearest-by-time", params={**at, "k": 3}).status_code == 200
        area = "/analysis/service-area"
        assert c.get(area, params={**at, "minutes": "1,2,3"}).status_code == 400
        assert c.get(area, params={**at, "minutes": "6"}).status_code == 400
        assert c.get(area, params={**at, "minutes": "1,5"}).status_code == 200
        r = c.post("/roads/closures", json={"geometry": _square(5), "reason": "x"})
        assert r.status_code == 422 and "at most 5 vertices" in r.json()["description"]
        r = c.get(area, params={"lon": x + 0.0001, "lat": y, "minutes": "1"})  # ≈ 5.6 m off
        assert r.status_code == 400 and "at most 1 m" in r.json()["description"]
    assert _closures(roads_session) == 0


def test_openapi_shows_the_roads_request_bodies_and_tag(client):
    doc = client.get("/api").json()
    for path in ("/roads/closures", "/analysis/evacuation-route"):
        body = doc["paths"][path]["post"]["requestBody"]["content"]["application/json"]
        assert body["schema"], path
        assert "Roads" in doc["paths"][path]["post"]["tags"]
    assert "minutes" in {
        p["name"] for p in doc["paths"]["/analysis/service-area"]["get"]["parameters"]
    }
