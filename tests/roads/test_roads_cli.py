"""``onemap roads service-area`` and ``onemap roads closures add|list|remove`` on Helsinki.

These commands commit, so each test removes what it stored (the Helsinki database is shared by
the session's tests)."""

from __future__ import annotations

import json

import networkx as nx
import pytest
import shapely
from sqlalchemy import create_engine, pool, text
from typer.testing import CliRunner

from gis_onemap.cli.main import app
from gis_onemap.settings import get_settings
from tests.roads.test_helsinki_routing import _oracle

runner = CliRunner()


@pytest.fixture
def cli_roads(roads_url, monkeypatch):
    monkeypatch.setenv("ONEMAP_DATABASE_URL", roads_url)
    get_settings.cache_clear()
    eng = create_engine(roads_url, poolclass=pool.NullPool)
    try:
        yield eng
    finally:
        get_settings.cache_clear()
        with eng.begin() as conn:
            conn.execute(text("DELETE FROM road_closures"))
        eng.dispose()


def _run(*args):
    return runner.invoke(app, ["roads", *args])


def _count(eng) -> int:
    with eng.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM road_closures")).scalar_one()


def test_closures_add_list_remove(cli_roads):
    with cli_roads.connect() as conn:
        rows = conn.execute(text("SELECT id, ST_AsText(geom) FROM road_edges")).all()
        x, y = conn.execute(
            text("SELECT ST_X(geom), ST_Y(geom) FROM road_vertices ORDER BY id LIMIT 1 OFFSET 700")
        ).one()
    area = shapely.box(x - 0.002, y - 0.001, x + 0.002, y + 0.001)
    covered = {int(i) for i, g in rows if shapely.from_wkt(g).intersects(area)}
    assert covered
    geometry = json.dumps(shapely.geometry.mapping(area))
    r = _run("closures", "add", "--reason", "积水", "--geometry", geometry)
    assert r.exit_code == 0, r.output
    added = json.loads(r.output)
    assert added["properties"]["closed_edges"] == len(covered)
    assert added["properties"]["created_by"] == "cli"
    listed = json.loads(_run("closures", "list").output)
    assert [f["id"] for f in listed["features"]] == [added["id"]]
    r = _run("closures", "remove", str(added["id"]))
    assert r.exit_code == 0 and _count(cli_roads) == 0
    r = _run("closures", "remove", str(added["id"]))
    assert r.exit_code == 2 and "no road closure" in r.output


def test_bad_closures_exit_2_and_store_nothing(cli_roads):
    line = json.dumps({"type": "LineString", "coordinates": [[24.94, 60.17], [24.95, 60.17]]})
    for args in (
        ("--reason", "x", "--geometry", line),
        ("--reason", "x"),
        ("--reason", "x", "--edge", "987654321"),
        ("--reason", "x", "--edge", "1", "--valid-from", "soon"),
    ):
        r = _run("closures", "add", *args)
        assert r.exit_code == 2, (args, r.output)
    assert _count(cli_roads) == 0


def test_service_area_command_equals_oracle(cli_roads):
    from sqlalchemy.orm import Session

    with Session(cli_roads) as session:
        graph, xy = _oracle(session)
    nodes = sorted(graph.nodes)
    origin = nodes[len(nodes) // 5]
    cost = nx.single_source_dijkstra_path_length(graph, origin, weight="w")
    x, y = xy[origin]
    r = _run("service-area", "--lon", repr(x), "--lat", repr(y), "--minutes", "2")
    assert r.exit_code == 0, r.output
    (band,) = json.loads(r.output)["features"]
    area = shapely.geometry.shape(band["geometry"])
    in_time = {n for n, c in cost.items() if c <= 120}
    assert len(in_time) > 5
    assert all(area.contains(shapely.Point(xy[n])) for n in in_time)
    r = _run("service-area", "--lon", repr(x), "--lat", repr(y), "--minutes", "0")
    assert r.exit_code == 2 and "minutes" in r.output


def test_a_load_leaves_the_road_indexes_in_place(roads_engine):
    """load_network drops the indexes while it writes and builds them again."""
    with roads_engine.connect() as conn:
        names = set(
            conn.execute(
                text(
                    "SELECT indexname FROM pg_indexes"
                    " WHERE tablename IN ('road_edges', 'road_vertices')"
                )
            ).scalars()
        )
    assert {
        "ix_road_edges_geom",
        "ix_road_edges_source",
        "ix_road_edges_target",
        "ix_road_vertices_geom",
    } <= names
