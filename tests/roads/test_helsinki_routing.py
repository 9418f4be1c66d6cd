"""Travel times on the real Helsinki extract equal an independent Dijkstra (networkx).

The oracle builds its own graph from the stored edge geometries: lengths from ``pyproj.Geod``
(not the stored ``length_m``), speeds per class, one-way flags; then networkx's Dijkstra.
"""

from __future__ import annotations

import random

import networkx as nx
import pytest
import shapely
from pyproj import Geod
from sqlalchemy import text

from gis_onemap.errors import InvalidInput, NotFound
from gis_onemap.roads.routing import Snap, costs_to, edges_sql, route, snap

GEOD = Geod(ellps="WGS84")


def _oracle(session, closed: set[int] = frozenset()) -> tuple[nx.DiGraph, dict[int, tuple]]:
    rows = session.execute(
        text("SELECT id, source, target, speed_kmh, oneway, ST_AsText(geom) FROM road_edges")
    ).all()
    graph = nx.DiGraph()
    for eid, u, v, speed, oneway, geom in rows:
        if eid in closed:
            continue
        seconds = GEOD.geometry_length(shapely.from_wkt(geom)) / (speed / 3.6)
        for a, b in ((u, v),) if oneway else ((u, v), (v, u)):
            if not graph.has_edge(a, b) or graph[a][b]["w"] > seconds:  # parallel edges: fastest
                graph.add_edge(a, b, w=seconds)
    xy = {
        int(i): (x, y)
        for i, x, y in session.execute(text("SELECT id, ST_X(geom), ST_Y(geom) FROM road_vertices"))
    }
    return graph, xy


def _snap_of(vid: int, xy: dict[int, tuple]) -> Snap:
    return Snap(vid, 0.0, *xy[vid])


def test_200_random_routes_equal_networkx(roads_session):
    graph, xy = _oracle(roads_session)
    rng = random.Random(14)
    nodes = sorted(graph.nodes)
    reached = unreachable = 0
    for _ in range(200):
        a, b = rng.sample(nodes, 2)
        try:
            expected = nx.dijkstra_path_length(graph, a, b, weight="w")
        except nx.NetworkXNoPath:
            with pytest.raises(NotFound):
                route(roads_session, _snap_of(a, xy), _snap_of(b, xy))
            unreachable += 1
            continue
        got = route(roads_session, _snap_of(a, xy), _snap_of(b, xy))
        assert got.seconds == pytest.approx(expected, abs=0.1), (a, b)
        # the drawn line runs from a to b
        assert got.geometry["coordinates"][0] == pytest.approx(list(xy[a]), abs=1e-6)
        assert got.geometry["coordinates"][-1] == pytest.approx(list(xy[b]), abs=1e-6)
        reached += 1
    assert reached >= 150, (reached, unreachable)  # the extract is one big piece, mostly


def test_nearest_by_time_order_equals_oracle(roads_session):
    graph, xy = _oracle(roads_session)
    rng = random.Random(7)
    nodes = sorted(graph.nodes)
    for _ in range(10):
        incident = rng.choice(nodes)
        resources = rng.sample(nodes, 40)
        # oracle: time from each resource TO the incident = Dijkstra from the incident on the
        # reversed graph
        back = nx.single_source_dijkstra_path_length(graph.reverse(), incident, weight="w")
        expected = sorted((back[r], r) for r in resources if r in back)
        got = costs_to(roads_session, incident, resources, within_s=3600.0, around=xy[incident])
        assert set(got) == {r for _, r in expected}
        for _, r in expected:
            assert got[r] == pytest.approx(back[r], abs=0.1)
        order = sorted(got, key=lambda r: (got[r], r))
        assert order[:10] == [r for _, r in expected][:10]


def test_time_bound_cuts_exactly(roads_session):
    """Edges read inside the time box change no cost up to the bound (the reason for the box)."""
    graph, xy = _oracle(roads_session)
    nodes = sorted(graph.nodes)
    incident = nodes[len(nodes) // 2]
    back = nx.single_source_dijkstra_path_length(graph.reverse(), incident, weight="w")
    within = 120.0
    got = costs_to(roads_session, incident, nodes, within_s=within, around=xy[incident])
    assert got == pytest.approx({n: c for n, c in back.items() if c <= within}, abs=0.1)
    assert len(got) > 20


def test_closure_polygon_removes_exactly_the_edges_it_covers(roads_session):
    graph, xy = _oracle(roads_session)
    rows = roads_session.execute(text("SELECT id, ST_AsText(geom) FROM road_edges")).all()
    lines = {int(i): shapely.from_wkt(g) for i, g in rows}
    xs = sorted(x for x, _ in xy.values())
    ys = sorted(y for _, y in xy.values())
    cx, cy = xs[len(xs) // 2], ys[len(ys) // 2]
    area = shapely.box(cx - 0.002, cy - 0.001, cx + 0.002, cy + 0.001)
    covered = {i for i, line in lines.items() if line.intersects(area)}
    assert 5 < len(covered) < len(lines) // 2
    roads_session.execute(
        text("INSERT INTO road_closures (reason, geom) VALUES ('test', ST_GeomFromText(:w, 4326))"),
        {"w": area.wkt},
    )
    open_ids = {int(r[0]) for r in roads_session.execute(text(edges_sql()))}
    assert open_ids == set(lines) - covered
    # routes across the closed area change to what the oracle finds without those edges
    closed_graph, _ = _oracle(roads_session, covered)
    rng = random.Random(3)
    nodes = sorted(n for n in closed_graph.nodes if n in graph)
    changed = 0
    for _ in range(60):
        a, b = rng.sample(nodes, 2)
        try:
            expected = nx.dijkstra_path_length(closed_graph, a, b, weight="w")
        except nx.NetworkXNoPath:
            continue
        got = route(roads_session, _snap_of(a, xy), _snap_of(b, xy))
        assert got.seconds == pytest.approx(expected, abs=0.1)
        assert not set(got.edges) & covered
        before = nx.dijkstra_path_length(graph, a, b, weight="w")
        changed += expected > before + 0.1
    assert changed > 0  # the closure really mattered to some routes


def test_snapping_distance_and_limit(roads_session):
    _vid, x, y = roads_session.execute(
        text("SELECT id, ST_X(geom), ST_Y(geom) FROM road_vertices ORDER BY id LIMIT 1")
    ).one()
    s = snap(roads_session, x + 0.0001, y, max_m=2000)  # ~5.7 m east at 60°N
    expected = GEOD.inv(x + 0.0001, y, s.lon, s.lat)[2]
    assert s.distance_m == pytest.approx(expected, abs=0.01)
    assert s.distance_m < 10
    with pytest.raises(InvalidInput, match="from the nearest road"):
        snap(roads_session, x + 0.5, y + 0.5, max_m=2000)
