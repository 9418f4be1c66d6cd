"""Four-colour risk map: a hand-computed 2×2 example, one source's level change moves exactly
the cells it reaches, tiles cached by data version, bad input → 4xx."""

from __future__ import annotations

import itertools

import mapbox_vector_tile
import numpy as np
import pytest
from shapely.geometry import Point, shape
from sqlalchemy import text

from gis_onemap.hazards.risk import RiskMapService, RiskMethod
from tests.analysis.helpers import GEOD, add, offset
from tests.hazards.helpers import (
    POPULATION_ROW,
    ensure_population_table,
    hide_population_table,
    utm49_to_lonlat,
)

#: A 2×2 block of 1 km UTM-49N squares: x 300–302 km, y 3 350–3 352 km (near 108.9° E, 30.3° N,
#: far from the demo city and from any population layer a migration may load for it).
X0, Y0, SIZE = 300_000.0, 3_350_000.0, 1000.0


def _centre(col: int, row: int, dx: float = 0.0) -> tuple[float, float]:
    return utm49_to_lonlat(X0 + (col + 0.5) * SIZE + dx, Y0 + (row + 0.5) * SIZE)


def _bbox() -> tuple[float, float, float, float]:
    (a, b), (c, d) = utm49_to_lonlat(X0 + 300, Y0 + 300), utm49_to_lonlat(X0 + 1700, Y0 + 1700)
    return (a, b, c, d)


def test_hand_computed_four_cells(db_session):
    hide_population_table(db_session)  # exposure = the targets' occupancy
    # Reach 300 m for every level and shelters within 300 m: each input stays in its cell.
    method = RiskMethod(radii={1: 300.0, 2: 300.0, 3: 300.0, 4: 300.0}, shelter_reach_m=300.0)
    # SW (0,0): a level-1 unmonitored source; a school of 800 people; no shelter.
    add(db_session, "hazard_sources", *_centre(0, 0), "sw", level=1, monitored=False)
    add(db_session, "protected_targets", *_centre(0, 0, 100), "school", target_type="school",
        population=800)  # fmt: skip
    # SE (1,0): a level-3 monitored source; 600 residents; a shelter for 1000.
    add(db_session, "hazard_sources", *_centre(1, 0), "se", level=3, monitored=True)
    add(db_session, "protected_targets", *_centre(1, 0, 100), "homes", target_type="residential",
        population=600)  # fmt: skip
    add(db_session, "shelters", *_centre(1, 0, -100), "park", capacity=1000)
    # NW (0,1): one level-2 unmonitored source; 6000 residents; shelters for 2000.
    add(db_session, "hazard_sources", *_centre(0, 1), "nw", level=2)
    add(db_session, "protected_targets", *_centre(0, 1, 100), "estate", target_type="residential",
        population=6000)  # fmt: skip
    add(db_session, "shelters", *_centre(0, 1, -100), "square", capacity=2000)
    # NE (1,1): three level-4 unmonitored sources; 6000 residents; shelters for 5000.
    for k in range(3):
        add(db_session, "hazard_sources", *_centre(1, 1, -50 * k), f"ne{k}", level=4)
    add(db_session, "protected_targets", *_centre(1, 1, 100), "town", target_type="residential",
        population=6000)  # fmt: skip
    add(db_session, "shelters", *_centre(1, 1, -200), "stadium", capacity=5000)

    service = RiskMapService(db_session, method, max_cells=100)
    fc = service.compute(service.grid("square", SIZE, _bbox()))
    got = {f["properties"]["cell"]: f["properties"] for f in fc["features"]}
    c0, r0 = int(X0 // SIZE), int(Y0 // SIZE)
    cell = {name: f"s1000:{c0 + dc}:{r0 + dr}" for name, dc, dr in
            (("sw", 0, 0), ("se", 1, 0), ("nw", 0, 1), ("ne", 1, 1))}  # fmt: skip
    assert set(got) == set(cell.values())
    # By hand (risk.py docstring): L = 5 - level (+1 at ≥ 3 sources, −1 if all monitored);
    # C = 1 + #breaks(500, 5000, 20000) reached (+1 vulnerable, +1 shelters < 20 % of people).
    expected = {
        "sw": (4, 4, 16, "red"),  # L 4; C 1+1 (800) +1 school +1 (0 < 160) = 4
        "se": (1, 2, 2, "blue"),  # L 2−1 monitored; C 1+1 (600), 1000 ≥ 120
        "nw": (3, 3, 9, "orange"),  # L 3; C 1+2 (6000), 2000 ≥ 1200
        "ne": (2, 3, 6, "yellow"),  # L 1+1 (3 sources); C 1+2 (6000), 5000 ≥ 1200
    }
    for name, (L, C, score, cls) in expected.items():
        p = got[cell[name]]
        assert (p["likelihood"], p["consequence"], p["score"], p["risk_class"]) == (
            L,
            C,
            score,
            cls,
        )
    assert got[cell["ne"]]["inputs"]["hazard_sources"] == 3
    assert got[cell["se"]]["inputs"]["shelter_capacity_in_reach"] == 1000
    assert got[cell["sw"]]["inputs"]["vulnerable_targets"] == 1
    assert fc["classes"] == {"red": 1, "orange": 1, "yellow": 1, "blue": 1}


def _distance_to_cell(lon: float, lat: float, geometry: dict) -> float:
    """Geodesic metres from a point to a cell (0 inside), along the densified outline (pyproj)."""
    poly = shape(geometry)
    if poly.contains(Point(lon, lat)):
        return 0.0
    ring = np.asarray(poly.exterior.coords)
    pts = []
    for (x1, y1), (x2, y2) in itertools.pairwise(ring):
        pts += [(x1, y1), *GEOD.npts(x1, y1, x2, y2, 20)]
    return min(GEOD.inv(lon, lat, x, y)[2] for x, y in pts)


def test_changing_one_level_changes_exactly_the_cells_it_reaches(client, db_session):
    lon, lat = 104.0, 30.6
    sid = add(db_session, "hazard_sources", lon, lat, "depot", level=4)
    other = offset(lon, lat, 90, 12_000)  # a second source far east, untouched
    add(db_session, "hazard_sources", *other, "far", level=2)
    x0, y0 = offset(lon, lat, 225, 7000)
    x1, y1 = offset(lon, lat, 45, 7000)
    params = {"cell": "hex", "size_m": 500, "bbox": f"{x0},{y0},{x1},{y1}"}
    before = client.get("/analysis/risk-map", params=params).json()
    db_session.execute(text("UPDATE hazard_sources SET level = 1 WHERE id = :id"), {"id": sid})
    after = client.get("/analysis/risk-map", params=params).json()
    assert [f["id"] for f in before["features"]] == [f["id"] for f in after["features"]]
    changed, sure_in, sure_out = set(), set(), set()
    for b, a in zip(before["features"], after["features"], strict=True):
        if b["properties"]["likelihood"] != a["properties"]["likelihood"]:
            changed.add(b["id"])
        d = _distance_to_cell(lon, lat, a["geometry"])
        far = _distance_to_cell(*other, a["geometry"])
        # level 1 reaches 3000 m (default table); cells the far level-2 source (2000 m) or the
        # old level-4 reach (500 m) already covered with L ≥ 4 … are told apart by distance.
        if d < 2990 and far > 2010:
            sure_in.add(b["id"])
        elif d > 3010:
            sure_out.add(b["id"])
    assert sure_in and sure_out
    assert sure_in <= changed
    assert not (changed & sure_out)
    cell = next(f for f in after["features"] if f["id"] in sure_in)["properties"]
    assert cell["inputs"]["best_level"] == 1 and sid in cell["inputs"]["source_ids"]


def test_districts_are_units(client):
    r = client.get("/analysis/risk-map", params={"unit": "district"})
    assert r.status_code == 200, r.text
    fc = r.json()
    assert fc["features"] and all(f["properties"]["name"] for f in fc["features"])
    assert all(len(f["id"]) == 6 for f in fc["features"])


def test_tiles_are_cached_by_data_version(client, db_session):
    lon, lat = 104.0, 30.6
    add(db_session, "hazard_sources", lon, lat, "depot", level=1)
    import morecantile

    t = morecantile.tms.get("WebMercatorQuad").tile(lon, lat, 12)
    url = f"/analysis/risk-map/tiles/{t.z}/{t.x}/{t.y}.mvt?cell=hex&size_m=500"
    first = client.get(url)
    assert first.status_code == 200 and first.headers["x-cache"] == "miss"
    layer = mapbox_vector_tile.decode(first.content)["risk"]
    classes = {f["properties"]["risk_class"] for f in layer["features"]}
    assert "blue" in classes or "yellow" in classes or "orange" in classes or "red" in classes
    assert max(f["properties"]["likelihood"] for f in layer["features"]) == 4
    again = client.get(url)
    assert again.headers["x-cache"] == "hit" and again.content == first.content
    assert client.get(url, headers={"If-None-Match": first.headers["etag"]}).status_code == 304
    add(db_session, "hazard_sources", *offset(lon, lat, 0, 300), "new", level=2)
    fresh = client.get(url)
    assert fresh.headers["x-cache"] == "miss" and fresh.headers["etag"] != first.headers["etag"]


@pytest.mark.parametrize(
    ("params", "status", "words"),
    [
        ({"size_m": 50, "bbox": "104,30,104.1,30.1"}, 400, "size_m must be between 100 and 50000"),
        ({"size_m": 60000, "bbox": "104,30,104.1,30.1"}, 400, "size_m must be between"),
        ({"bbox": "104,30,104,30.1"}, 400, "the area is empty"),
        ({"bbox": "100,20,110,30", "size_m": 100}, 413, "use larger cells"),
        ({"cell": "circle", "bbox": "104,30,104.1,30.1"}, 400, "cell"),
        ({"bbox": "104,30,x,30.1"}, 400, "bbox"),
        ({"bbox": "-180,-90,180,90", "size_m": 50000}, 400, "at most 12°"),
        ({"size_m": "nan", "bbox": "104,30,104.1,30.1"}, 400, "size_m must be between"),
    ],
)
def test_bad_input_is_a_clear_4xx(client, params, status, words):
    r = client.get("/analysis/risk-map", params=params)
    assert r.status_code == status, r.text
    assert words in r.text


def test_no_data_and_no_bbox_is_an_empty_area(client, db_session):
    db_session.execute(text("DELETE FROM hazard_sources"))
    db_session.execute(text("DELETE FROM protected_targets"))
    r = client.get("/analysis/risk-map")
    assert r.status_code == 400 and "empty" in r.text


def test_tile_bad_input(client):
    assert client.get("/analysis/risk-map/tiles/3/9/1.mvt").status_code == 404  # off the grid
    assert client.get("/analysis/risk-map/tiles/12/3000/1500.mvt?size_m=20").status_code == 400


def test_population_layer_drives_exposure_when_present(db_session):
    ensure_population_table(db_session)
    x, y = _centre(0, 0, 150)
    db_session.execute(
        text(
            "INSERT INTO population (population, name, region_code, kind, synthetic, extra, geom)"
            f" VALUES (25000, {POPULATION_ROW}, ST_SetSRID(ST_MakePoint(:x, :y), 4326))"
        ),
        {"x": x, "y": y},
    )
    add(db_session, "hazard_sources", *_centre(0, 0), "sw", level=4)
    # a target's occupancy no longer counts as the exposure once the layer is there
    add(db_session, "protected_targets", *_centre(1, 0), "office", target_type="government",
        population=30000)  # fmt: skip
    method = RiskMethod(radii={1: 300.0, 2: 300.0, 3: 300.0, 4: 300.0}, shelter_reach_m=300.0)
    service = RiskMapService(db_session, method, max_cells=100)
    fc = service.compute(service.grid("square", SIZE, _bbox()))
    assert fc["population_layer"] is True and fc["notes"] == []
    got = {f["properties"]["cell"]: f["properties"] for f in fc["features"]}
    c0, r0 = int(X0 // SIZE), int(Y0 // SIZE)
    sw, se = got[f"s1000:{c0}:{r0}"], got[f"s1000:{c0 + 1}:{r0}"]
    assert sw["inputs"]["residents"] == 25000 and sw["inputs"]["exposed_from"] == "population"
    # L = 1 (level 4), C = 1 + 3 breaks → 4 (capped; no shelter) → score 4, yellow
    assert (sw["likelihood"], sw["consequence"], sw["risk_class"]) == (1, 4, "yellow")
    assert se["inputs"]["residents"] == 0 and se["inputs"]["target_occupancy"] == 30000
    assert se["consequence"] == 1


def test_hexagons_have_their_size_and_tile_the_plane():
    from gis_onemap.hazards.grid import make_grid

    grid = make_grid("hex", 500.0, (104.0, 30.0, 104.1, 30.1), 10_000)
    cells = grid.wgs84()
    # geodesic area of each hexagon (pyproj) = 3√3/2 · edge², to the UTM scale error
    areas = [abs(GEOD.geometry_area_perimeter(c)[0]) for c in cells]
    assert np.allclose(areas, 1.5 * np.sqrt(3) * 500.0**2, rtol=0.003)
    # no overlaps, no gaps: the union's area is the sum of the cells' areas
    import shapely

    union = shapely.union_all(grid.cells)
    assert union.area == pytest.approx(sum(c.area for c in grid.cells), rel=1e-9)
    assert len(set(grid.ids)) == len(grid.ids)


def test_tiles_and_geojson_draw_the_same_cells(client, db_session):
    import morecantile

    lon, lat = 104.0, 30.6
    add(db_session, "hazard_sources", lon, lat, "depot", level=2)
    add(db_session, "protected_targets", *offset(lon, lat, 45, 700), "school",
        target_type="school", population=900)  # fmt: skip
    t = morecantile.tms.get("WebMercatorQuad").tile(lon, lat, 12)
    b = morecantile.tms.get("WebMercatorQuad").bounds(t)
    fc = client.get(
        "/analysis/risk-map",
        params={"cell": "hex", "size_m": 500, "bbox": f"{b.left},{b.bottom},{b.right},{b.top}"},
    ).json()
    tile = client.get(f"/analysis/risk-map/tiles/{t.z}/{t.x}/{t.y}.mvt?cell=hex&size_m=500")
    layer = mapbox_vector_tile.decode(tile.content)["risk"]
    from_tile = {f["properties"]["cell"]: f["properties"] for f in layer["features"]}
    from_json = {f["properties"]["cell"]: f["properties"] for f in fc["features"]}
    assert set(from_tile) == set(from_json)
    for cell, p in from_json.items():
        q = from_tile[cell]
        assert (q["risk_class"], q["score"], q["exposed"]) == (
            p["risk_class"], p["score"], p["inputs"]["exposed"]
        )  # fmt: skip
    assert any(p["score"] > 0 for p in from_json.values())


@pytest.mark.parametrize(
    ("size_m", "ok"),
    [(100, True), (50_000, True), (99.99, False), (50_000.01, False)],
)
def test_cell_size_bounds_are_100_m_and_50_km_inclusive(client, size_m, ok):
    span = "104,30,104.01,30.01" if size_m < 1000 else "104,30,104.5,30.5"
    r = client.get("/analysis/risk-map", params={"cell": "hex", "size_m": size_m, "bbox": span})
    if ok:
        assert r.status_code == 200, r.text
        assert all(f["id"].startswith(f"h{int(size_m)}:") for f in r.json()["features"])
    else:
        assert r.status_code == 400
        # the message names the value sent, not a rounded one that looks allowed
        assert f"got {size_m:.10g})" in r.text and "between 100 and 50000" in r.text


def test_an_empty_population_table_means_targets_occupancy(db_session):
    ensure_population_table(db_session)
    db_session.execute(text("DELETE FROM population"))  # rolled back with the test
    add(db_session, "hazard_sources", *_centre(0, 0), "sw", level=1, monitored=False)
    add(db_session, "protected_targets", *_centre(0, 0, 100), "estate", target_type="residential",
        population=6000)  # fmt: skip
    method = RiskMethod(radii={1: 300.0, 2: 300.0, 3: 300.0, 4: 300.0}, shelter_reach_m=300.0)
    service = RiskMapService(db_session, method, max_cells=100)
    fc = service.compute(service.grid("square", SIZE, _bbox()))
    assert fc["population_layer"] is False and fc["notes"]
    c0, r0 = int(X0 // SIZE), int(Y0 // SIZE)
    sw = next(f for f in fc["features"] if f["id"] == f"s1000:{c0}:{r0}")["properties"]
    assert sw["inputs"]["exposed_from"] == "protected_targets" and sw["inputs"]["exposed"] == 6000
    # L = 4 (level 1, unmonitored); C = 1 + 2 breaks (6000 ≥ 500, 5000) + 1 (no shelter) = 4
    assert (sw["likelihood"], sw["consequence"], sw["risk_class"]) == (4, 4, "red")
