"""Service areas on the real Helsinki extract against networkx's Dijkstra (independent costs)."""

from __future__ import annotations

import networkx as nx
import pytest
import shapely

from gis_onemap.errors import InvalidInput
from gis_onemap.roads.areas import service_area
from tests.roads.test_helsinki_routing import _oracle, _snap_of


@pytest.mark.parametrize("towards", [False, True])
def test_nodes_inside_each_band_are_reachable_in_time(roads_session, towards):
    graph, xy = _oracle(roads_session)
    nodes = sorted(graph.nodes)
    origin = nodes[len(nodes) // 3]
    search = graph.reverse() if towards else graph
    cost = nx.single_source_dijkstra_path_length(search, origin, weight="w")
    fc = service_area(roads_session, _snap_of(origin, xy), [1, 2, 3], towards=towards)
    assert [f["properties"]["minutes"] for f in fc["features"]] == [1, 2, 3]
    previous = None
    for feature in fc["features"]:
        t = feature["properties"]["minutes"] * 60
        area = shapely.geometry.shape(feature["geometry"])
        inside = {n for n in xy if area.contains(shapely.Point(xy[n]))}
        in_time = {n for n, c in cost.items() if c <= t}
        # every node reachable within the band lies inside it ...
        assert in_time <= inside, sorted(in_time - inside)[:5]
        # ... and no node inside needs more than the band's time + 60 s
        late = {n: cost.get(n, float("inf")) for n in inside if cost.get(n, float("inf")) > t + 60}
        assert not late, list(late.items())[:5]
        assert len(in_time) > 5
        if previous is not None:
            assert area.buffer(1e-9).contains(previous)  # cumulative bands
        previous = area


def test_bad_minutes_are_refused(roads_session):
    graph, xy = _oracle(roads_session)
    origin = _snap_of(sorted(graph.nodes)[0], xy)
    for bad in ([0], [-5], [241], []):
        with pytest.raises(InvalidInput):
            service_area(roads_session, origin, bad)


@pytest.mark.parametrize("towards", [False, True])
def test_large_bands_drawn_on_a_grid_hold_every_node_reached_in_time(
    roads_session, monkeypatch, towards
):
    """The grid drawing used for large areas (forced here on Helsinki): every node reachable
    within a band lies inside it, few late nodes do, and bands are nested."""
    from gis_onemap.roads import areas

    monkeypatch.setattr(areas, "MAX_VECTOR_PARTS", 10)
    graph, xy = _oracle(roads_session)
    nodes = sorted(graph.nodes)
    origin = nodes[len(nodes) // 3]
    search = graph.reverse() if towards else graph
    cost = nx.single_source_dijkstra_path_length(search, origin, weight="w")
    fc = service_area(roads_session, _snap_of(origin, xy), [1, 3], towards=towards)
    previous = None
    for feature in fc["features"]:
        assert feature["properties"]["resolution_m"] == 10.0  # a small area: the finest cell
        t = feature["properties"]["minutes"] * 60
        area = shapely.geometry.shape(feature["geometry"])
        inside = {n for n in xy if area.contains(shapely.Point(xy[n]))}
        in_time = {n for n, c in cost.items() if c <= t}
        assert in_time <= inside, sorted(in_time - inside)[:5]
        late = {n for n in inside if cost.get(n, float("inf")) > t + 60}
        assert len(late) <= 0.1 * len(inside), (len(late), len(inside))
        if previous is not None:
            assert area.buffer(1e-9).contains(previous)
        previous = area


@pytest.mark.parametrize("grid", [False, True])
def test_closed_edges_are_left_out_of_the_bands(roads_session, monkeypatch, grid):
    """A closure (edge ids) changes the bands as the oracle without those edges says: the
    in-memory network masks what the database says is closed, on both drawings."""
    from sqlalchemy import text

    from gis_onemap.roads import areas

    if grid:
        monkeypatch.setattr(areas, "MAX_VECTOR_PARTS", 10)
    graph, xy = _oracle(roads_session)
    nodes = sorted(graph.nodes)
    origin = nodes[len(nodes) // 3]
    # a closed ring ~250-330 m around the origin: the streets inside become an island
    x, y = xy[origin]
    ring = shapely.Point(x, y).buffer(0.006).difference(shapely.Point(x, y).buffer(0.0045))
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
    open_cost = nx.single_source_dijkstra_path_length(graph, origin, weight="w")
    closed_graph, _ = _oracle(roads_session, closed)
    cost = nx.single_source_dijkstra_path_length(closed_graph, origin, weight="w")
    (feature,) = service_area(roads_session, _snap_of(origin, xy), [2])["features"]
    area = shapely.geometry.shape(feature["geometry"])
    inside = {n for n in xy if area.contains(shapely.Point(xy[n]))}
    in_time = {n for n, c in cost.items() if c <= 120}
    cut_off = {n for n, c in open_cost.items() if c <= 120 and n not in cost}
    assert cut_off, "the closure should matter near the origin"
    assert in_time <= inside
    beyond = {n for n in cut_off if not shapely.Point(xy[n]).within(ring.convex_hull)}
    assert beyond, "the closure should cut off streets beyond the ring"
    assert not beyond & inside, sorted(beyond & inside)[:5]  # nothing beyond the closed ring
    if grid:  # within about a cell of a reached road: a few late nodes, as for every grid band
        assert len(cut_off & inside) <= 0.1 * len(inside)
    else:
        assert not cut_off & inside, sorted(cut_off & inside)[:5]
