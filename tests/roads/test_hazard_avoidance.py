"""avoid=hazard_zones and evacuation routes on the Helsinki extract, against networkx.

The oracle's zone is computed here on its own: the edges whose geodesic distance from the
hazard source (an azimuthal-equidistant projection centred on it, where distances from the
centre are geodesic) is below the zone radius.
"""

from __future__ import annotations

import random

import networkx as nx
import pytest
import shapely
from pyproj import Transformer
from shapely.ops import transform
from sqlalchemy import text

from tests.roads.test_helsinki_routing import GEOD, _oracle
from tests.roads.test_roads_http import _pt

RADIUS = 100.0  # level 4 in the roads_settings fixture


def _aeqd(lon, lat):
    return Transformer.from_crs(
        "EPSG:4326", f"+proj=aeqd +lat_0={lat} +lon_0={lon} +datum=WGS84 +units=m", always_xy=True
    ).transform


def _edges_within(session, lon, lat, radius):
    """Edge ids closer than ``radius`` (geodesic m) to (lon, lat), and the closest misses."""
    project = _aeqd(lon, lat)
    rows = session.execute(text("SELECT id, ST_AsText(geom) FROM road_edges")).all()
    centre = shapely.Point(0, 0)
    distances = {int(i): transform(project, shapely.from_wkt(g)).distance(centre) for i, g in rows}
    inside = {i for i, d in distances.items() if d < radius}
    borderline = {i for i, d in distances.items() if abs(d - radius) < 0.5}
    return inside, borderline


def _add_hazard(session, lon, lat, level=4):
    return session.execute(
        text(
            "INSERT INTO hazard_sources (name, level, geom)"
            " VALUES ('液氨储罐', :lv, ST_SetSRID(ST_MakePoint(:x, :y), 4326)) RETURNING id"
        ),
        {"lv": level, "x": lon, "y": lat},
    ).scalar_one()


def _add_incident(session, lon, lat):
    return session.execute(
        text(
            "INSERT INTO incidents (event_category, event_type, geom) VALUES ('accident',"
            " 'hazardous_chemicals', ST_SetSRID(ST_MakePoint(:x, :y), 4326)) RETURNING id"
        ),
        {"x": lon, "y": lat},
    ).scalar_one()


def _crossing_case(session, graph, xy, seed=11):
    """A pair whose fastest path runs through a zone around one of its middle nodes, with
    both ends outside the zone and no edge on the zone's rim (so the oracle is unambiguous)."""
    rng = random.Random(seed)
    nodes = sorted(graph.nodes)
    for _ in range(500):
        a, b = rng.sample(nodes, 2)
        try:
            path = nx.dijkstra_path(graph, a, b, weight="w")
        except nx.NetworkXNoPath:
            continue
        if len(path) < 12:
            continue
        m = path[len(path) // 2]
        (mx, my), (ax, ay), (bx, by) = xy[m], xy[a], xy[b]
        if min(GEOD.inv(mx, my, ax, ay)[2], GEOD.inv(mx, my, bx, by)[2]) < RADIUS + 100:
            continue
        inside, borderline = _edges_within(session, mx, my, RADIUS)
        if borderline or not inside:
            continue
        closed, _ = _oracle(session, inside)
        try:
            around = nx.dijkstra_path_length(closed, a, b, weight="w")
        except nx.NetworkXNoPath:
            continue
        before = nx.dijkstra_path_length(graph, a, b, weight="w")
        if around > before + 5:
            return a, b, m, inside, before, around
    raise AssertionError("no suitable case found")


def test_route_goes_around_the_hazard_zone(roads_client, roads_session):
    graph, xy = _oracle(roads_session)
    a, b, m, _inside, before, around = _crossing_case(roads_session, graph, xy)
    hid = _add_hazard(roads_session, *xy[m])
    far = _add_hazard(roads_session, xy[m][0] + 0.2, xy[m][1])  # ~11 km east: not near
    iid = _add_incident(roads_session, *xy[m])
    params = {"from": _pt(xy, a), "to": _pt(xy, b)}

    plain = roads_client.get("/analysis/route", params=params).json()
    assert plain["properties"]["eta_s"] == pytest.approx(before, abs=0.1)

    r = roads_client.get(
        "/analysis/route", params={**params, "avoid": "closures,hazard_zones", "incident": iid}
    )
    assert r.status_code == 200, r.text
    props = r.json()["properties"]
    assert props["eta_s"] == pytest.approx(around, abs=0.1)  # networkx without the zone's edges
    assert props["avoided_hazard_sources"] == [hid] and far not in props["avoided_hazard_sources"]
    line = transform(_aeqd(*xy[m]), shapely.geometry.shape(r.json()["geometry"]))
    assert line.distance(shapely.Point(0, 0)) >= RADIUS - 0.5  # it goes around

    # without an incident the route's origin stands for it: the zone lies within
    # road_hazard_zone_near_m (1 km) of it, so it is avoided all the same
    assert GEOD.inv(*xy[a], *xy[m])[2] < RADIUS + 1000.0
    r = roads_client.get("/analysis/route", params={**params, "avoid": "hazard_zones"})
    assert r.json()["properties"]["avoided_hazard_sources"] == [hid]
    assert r.json()["properties"]["eta_s"] == pytest.approx(around, abs=0.1)


def test_a_zone_holding_the_start_stays_open(roads_client, roads_session):
    graph, xy = _oracle(roads_session)
    _a, b, m, _inside, _before, _around = _crossing_case(roads_session, graph, xy)
    hid = _add_hazard(roads_session, *xy[m])
    iid = _add_incident(roads_session, *xy[m])
    # leaving the zone from where the incident is: the zone is kept open for this route
    expected = nx.dijkstra_path_length(graph, m, b, weight="w")
    r = roads_client.get(
        "/analysis/route",
        params={"from": _pt(xy, m), "to": _pt(xy, b), "avoid": "hazard_zones", "incident": iid},
    )
    assert r.status_code == 200, r.text
    props = r.json()["properties"]
    assert props["open_hazard_sources"] == [hid] and props["avoided_hazard_sources"] == []
    assert props["eta_s"] == pytest.approx(expected, abs=0.1)


def _add_shelter(session, lon, lat, name, capacity):
    return session.execute(
        text(
            "INSERT INTO shelters (name, shelter_type, capacity, geom) VALUES (:n, 'fixed', :c,"
            " ST_SetSRID(ST_MakePoint(:x, :y), 4326)) RETURNING id"
        ),
        {"n": name, "c": capacity, "x": lon, "y": lat},
    ).scalar_one()


def test_evacuation_reaches_the_nearest_shelter_with_room(roads_client, roads_session):
    graph, xy = _oracle(roads_session)
    nodes = sorted(graph.nodes)
    origin = nodes[len(nodes) // 2]
    cost = nx.single_source_dijkstra_path_length(graph, origin, weight="w")
    by_time = sorted((c, n) for n, c in cost.items() if c > 30)
    pick = [by_time[i] for i in (0, 10, 20, 40)]  # increasing travel times
    unknown = _add_shelter(roads_session, *xy[pick[0][1]], "容量未知", None)
    small = _add_shelter(roads_session, *xy[pick[1][1]], "小", 50)
    big = _add_shelter(roads_session, *xy[pick[2][1]], "大", 500)
    huge = _add_shelter(roads_session, *xy[pick[3][1]], "特大", 5000)
    x, y = xy[origin]
    body = {"lon": x, "lat": y, "avoid": ["closures"]}

    def evacuate(people):
        return roads_client.post("/analysis/evacuation-route", json={**body, "people": people})

    for people, shelter, (eta, _node) in (
        (None, small, pick[1]),  # the nearer shelter of unknown capacity is skipped
        (50, small, pick[1]),
        (100, big, pick[2]),  # the nearer shelter is too small
        (4000, huge, pick[3]),
    ):
        r = evacuate(people)
        assert r.status_code == 200, r.text
        props = r.json()["properties"]
        assert props["shelter_id"] == shelter, people
        assert props["eta_s"] == pytest.approx(eta, abs=0.1)
        coords = r.json()["geometry"]["coordinates"]
        assert coords[0] == pytest.approx([x, y], abs=1e-6)
    assert unknown not in (small, big, huge)
    r = evacuate(6000)
    assert r.status_code == 404 and "no shelter with room" in r.json()["description"]
    for bad in ({"people": 0}, {"avoid": ["tolls"]}, {"lon": "x"}, {"extra": 1}):
        assert (
            roads_client.post("/analysis/evacuation-route", json={**body, **bad}).status_code == 400
        )


def test_evacuation_avoids_hazard_zones(roads_client, roads_session):
    graph, xy = _oracle(roads_session)
    a, b, m, _inside, _before, around = _crossing_case(roads_session, graph, xy)
    _add_hazard(roads_session, *xy[m])
    iid = _add_incident(roads_session, *xy[m])
    sid = _add_shelter(roads_session, *xy[b], "避难场所", 1000)
    x, y = xy[a]
    r = roads_client.post(
        "/analysis/evacuation-route",
        json={"lon": x, "lat": y, "incident_id": iid, "people": 10},
    )
    assert r.status_code == 200, r.text
    props = r.json()["properties"]
    assert props["shelter_id"] == sid
    assert props["eta_s"] == pytest.approx(around, abs=0.1)
