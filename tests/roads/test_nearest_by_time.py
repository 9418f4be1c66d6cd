"""Nearest by travel time over stored features equals the oracle's order (Helsinki extract)."""

from __future__ import annotations

import random

import networkx as nx
import pytest
from sqlalchemy import text

from gis_onemap.analysis.inputs import Origin, category_filters
from gis_onemap.categories import get_category
from gis_onemap.roads.service import RoadService
from tests.roads.test_helsinki_routing import _oracle


def _place_depots(session, vertices, xy, offset=0.00002):
    """Depots a couple of metres off network nodes (so snapping is exercised)."""
    for i, v in enumerate(vertices):
        x, y = xy[v]
        session.execute(
            text(
                "INSERT INTO depots (name, geom)"
                " VALUES (:n, ST_SetSRID(ST_MakePoint(:x, :y), 4326))"
            ),
            {"n": f"库{i}", "x": x + offset, "y": y},
        )


@pytest.mark.parametrize("to_origin", [True, False])
def test_k_nearest_by_time_equals_oracle(roads_session, to_origin):
    graph, xy = _oracle(roads_session)
    rng = random.Random(21 if to_origin else 22)
    nodes = sorted(graph.nodes)
    sites = rng.sample(nodes, 60)
    _place_depots(roads_session, sites, xy)
    incident = rng.choice([n for n in nodes if n not in sites])
    search = graph.reverse() if to_origin else graph
    cost = nx.single_source_dijkstra_path_length(search, incident, weight="w")
    expected = sorted((cost[s], s) for s in sites if s in cost)[:10]
    cats = (get_category("depots"),)
    got = RoadService(roads_session).nearest_by_time(
        Origin(*xy[incident]), cats, category_filters({}, cats), 10, to_origin=to_origin
    )
    feats = got["features"]
    assert len(feats) == 10 and all(f["properties"]["reachable"] for f in feats)
    etas = [f["properties"]["eta_s"] for f in feats]
    assert etas == pytest.approx([c for c, _ in expected], abs=0.1)
    assert etas == sorted(etas)
    for f in feats:
        assert 0 < f["properties"]["snap_distance_m"] < 2  # 0.00002° of longitude at 60°N ≈ 1.1 m
        assert f["properties"]["route_length_m"] >= f["properties"]["distance_m"] - 2


def test_unreachable_resources_fall_back_to_straight_line(roads_session):
    graph, xy = _oracle(roads_session)
    nodes = sorted(graph.nodes)
    incident = nodes[0]
    far = (xy[incident][0] + 0.3, xy[incident][1])  # ~17 km east: no road within 2 km
    roads_session.execute(
        text(
            "INSERT INTO depots (name, geom)"
            " VALUES ('孤岛库', ST_SetSRID(ST_MakePoint(:x, :y), 4326))"
        ),
        {"x": far[0], "y": far[1]},
    )
    cats = (get_category("depots"),)
    got = RoadService(roads_session).nearest_by_time(
        Origin(*xy[incident]), cats, category_filters({}, cats), 3
    )
    (only,) = got["features"]
    assert only["properties"]["reachable"] is False
    assert only["properties"]["fallback"] == "straight_line"
    assert only["properties"]["eta_s"] is None
