"""Release zones: distances equal the shipped table, the downwind zone points downwind, the
flammable model's radii follow its formulas, road closures are stored, bad input is a 4xx."""

from __future__ import annotations

import json
import math

import pytest
from shapely.geometry import Point, shape
from sqlalchemy import text

from gis_onemap.hazards.table import TABLE_FILE
from tests.analysis.helpers import GEOD, add, offset
from tests.hazards.helpers import (
    POPULATION_ROW,
    ensure_population_table,
    expected_distances,
    hide_population_table,
    table_row,
)

#: A release point away from the demo city (nothing else nearby in the test database).
LON, LAT = 100.2, 30.1


def _post(client, **body):
    base = {"lon": LON, "lat": LAT, "wind_from_deg": 0, "wind_speed_ms": 3}
    return client.post("/analysis/release-zones", json={**base, **body})


def _zone(fc, kind):
    return next(f for f in fc["features"] if f["properties"]["zone"] == kind)


def _max_distance(feature) -> float:
    ring = shape(feature["geometry"]).exterior.coords
    return max(GEOD.inv(LON, LAT, x, y)[2] for x, y in ring)


@pytest.mark.parametrize(
    ("substance", "un"),
    [("液氯", "1017"), ("7664-41-7", "1005"), ("UN1053", "1053"), ("光气", "1076")],
)
@pytest.mark.parametrize("amount", ["small", "large"])
@pytest.mark.parametrize("time", ["day", "night"])
def test_distances_equal_the_table(client, substance, un, amount, time):
    # chlorine and ammonia large spills are ERG Table 3 rows (the largest container by default,
    # 3 m/s = 10.8 km/h: moderate wind); H2S and phosgene are Table 1 rows
    row = expected_distances(un, amount, wind_ms=3)
    r = _post(client, substance=substance, amount=amount, time=time)
    assert r.status_code == 200, r.text
    fc = r.json()
    assert fc["release"]["substance"]["un"] == [un]
    assert (fc["release"]["container"], fc["release"]["wind_class"]) == (
        row["container"],
        row["wind_class"],
    )
    iso, pad = _zone(fc, "isolation"), _zone(fc, "protective_action")
    assert iso["properties"]["radius_m"] == row["isolation_m"]
    assert pad["properties"]["distance_m"] == row[f"{time}_m"]
    # the drawn shapes have those sizes (geodesic distances from the release point, pyproj)
    assert _max_distance(iso) == pytest.approx(row["isolation_m"], rel=0.01)
    # the far corners of ERG's square lie at √(L² + (L/2)²) from the release point
    assert _max_distance(pad) == pytest.approx(math.hypot(1, 0.5) * row[f"{time}_m"], rel=0.01)


def test_tonnes_pick_the_spill_size(client):
    small = _post(client, substance="氯气", tonnes=0.1).json()["release"]
    large = _post(client, substance="氯气", tonnes=5).json()["release"]
    assert (small["spill"], large["spill"]) == ("small", "large")
    assert large["isolation_m"] == expected_distances("1017", "large")["isolation_m"]


@pytest.mark.parametrize("wind_from", [0, 90, 180, 270])
def test_downwind_zone_points_downwind(client, db_session, wind_from):
    pad = expected_distances("1017", "large", wind_ms=3)["day_m"]
    downwind = (wind_from + 180) % 360
    ids = {
        "down": add(
            db_session, "protected_targets", *offset(LON, LAT, downwind, 0.6 * pad), "down"
        ),
        "up": add(db_session, "protected_targets", *offset(LON, LAT, wind_from, 0.6 * pad), "up"),
        "cross": add(
            db_session, "protected_targets", *offset(LON, LAT, wind_from + 90, 0.6 * pad), "cross"
        ),
    }
    fc = _post(client, substance="chlorine", amount="large", wind_from_deg=wind_from).json()
    assert fc["release"]["downwind_azimuth_deg"] == downwind
    inside = {t["id"] for t in _zone(fc, "protective_action")["properties"]["targets"]}
    assert inside == {ids["down"]}
    # the isolation circle holds none of them: they are 0.6 × the downwind distance away
    assert _zone(fc, "isolation")["properties"]["protected_targets"] == 0
    # and the zone's centroid lies downwind (bearing from the release point, pyproj)
    c = shape(_zone(fc, "protective_action")["geometry"]).centroid
    bearing = GEOD.inv(LON, LAT, c.x, c.y)[0] % 360
    assert min(abs(bearing - downwind), 360 - abs(bearing - downwind)) < 1.0


def test_calm_wind_makes_a_circle(client, db_session):
    pad = table_row("1005")["small"]["night_m"]
    up = add(db_session, "protected_targets", *offset(LON, LAT, 0, 0.8 * pad), "upwind")
    fc = _post(client, substance="液氨", amount="small", time="night", wind_speed_ms=0.1).json()
    assert fc["release"]["calm"] is True
    zone = _zone(fc, "protective_action")
    assert [t["id"] for t in zone["properties"]["targets"]] == [up]
    assert _max_distance(zone) == pytest.approx(pad, rel=0.01)


def test_zone_lists_targets_shelters_and_says_population_unknown(client, db_session):
    hide_population_table(db_session)
    t = add(db_session, "protected_targets", *offset(LON, LAT, 90, 20), "school", population=450)
    s = add(db_session, "shelters", *offset(LON, LAT, 270, 20), "park", capacity=1200)
    far = add(db_session, "shelters", *offset(LON, LAT, 270, 5000), "far", capacity=99)
    fc = _post(client, substance="液氯", amount="small").json()
    props = _zone(fc, "isolation")["properties"]
    assert [x["id"] for x in props["targets"]] == [t]
    assert props["target_occupancy"] == 450
    assert [x["id"] for x in props["shelters"]] == [s] and far not in props["shelters"]
    assert props["shelter_capacity_inside"] == 1200
    assert fc["population_layer"] is False
    assert props["population"]["residents"] is None
    assert "unknown" in props["population"]["note"]


def test_population_layer_is_counted_when_present(client, db_session):
    ensure_population_table(db_session)
    lon, lat = offset(LON, LAT, 45, 10)
    db_session.execute(
        text(
            "INSERT INTO population (population, population_day, population_night, name,"
            " region_code, kind, synthetic, extra, geom)"
            f" VALUES (100, 40, 90, {POPULATION_ROW}, ST_SetSRID(ST_MakePoint(:x, :y), 4326)),"
            f" (7, NULL, NULL, {POPULATION_ROW}, ST_SetSRID(ST_MakePoint(:x, :y), 4326))"
        ),
        {"x": lon, "y": lat},
    )
    night = _post(client, substance="液氯", amount="small", time="night").json()
    day = _post(client, substance="液氯", amount="small", time="day").json()
    assert night["population_layer"] is True
    assert _zone(night, "isolation")["properties"]["population"]["residents"] == 90 + 7
    assert _zone(day, "isolation")["properties"]["population"]["residents"] == 40 + 7


def test_flammable_fireball_and_overpressure(client):
    fc = _post(client, substance="液化石油气", tonnes=10).json()
    kg = 10_000.0
    fireball = _zone(fc, "fireball")["properties"]
    assert fireball["radius_m"] == pytest.approx(5.8 * kg ** (1 / 3) / 2, rel=1e-6)  # CCPS
    w_tnt = 0.03 * kg * 46.4 / 4.68  # TNT equivalence, η = 3 %, LPG 46.4 MJ/kg
    blast = _zone(fc, "overpressure_20.7kpa")["properties"]
    assert blast["radius_m"] == pytest.approx(7.9 * w_tnt ** (1 / 3), rel=1e-6)
    assert _max_distance(_zone(fc, "fireball")) == pytest.approx(fireball["radius_m"], rel=0.01)
    # ERG Guide 115: isolate 100 m, large spill 800 m downwind
    assert _zone(fc, "isolation")["properties"]["radius_m"] == 100
    assert _zone(fc, "protective_action")["properties"]["distance_m"] == 800


def test_release_at_a_hazard_source_uses_its_quantity(client, db_session):
    sid = add(
        db_session, "hazard_sources", LON, LAT, "chlorine store",
        substances=[{"name": "液氯", "q": 5}],
    )  # fmt: skip
    fc = client.post(
        "/analysis/release-zones",
        json={"hazard_source_id": sid, "substance": "UN1017", "wind_from_deg": 0,
              "wind_speed_ms": 2},
    ).json()  # fmt: skip
    assert fc["release"]["hazard_source"]["id"] == sid
    assert (fc["release"]["tonnes"], fc["release"]["spill"]) == (5, "large")
    assert fc["release"]["lon"] == pytest.approx(LON) and fc["release"]["lat"] == pytest.approx(LAT)


def test_zones_become_road_closures_for_editors(client, editor_client):
    body = {"lon": LON, "lat": LAT, "substance": "液氯", "amount": "small",
            "wind_from_deg": 0, "wind_speed_ms": 3}  # fmt: skip
    assert client.post("/analysis/release-zones/closures", json=body).status_code == 401
    r = editor_client.post("/analysis/release-zones/closures", json=body)
    assert r.status_code == 201, r.text
    ids = r.json()["road_closure_ids"]
    assert len(ids) == 2
    stored = editor_client.get(f"/roads/closures/{ids[1]}").json()
    zone = shape(_zone(r.json(), "protective_action")["geometry"])
    assert shape(stored["geometry"]).symmetric_difference(zone).area < 1e-4 * zone.area
    assert "release" in stored["properties"]["reason"]
    assert Point(LON, LAT).within(
        shape(editor_client.get(f"/roads/closures/{ids[0]}").json()["geometry"])
    )


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"substance": "chlorne", "amount": "small"}, 400, "close names: chlorine"),
        ({"substance": "液绿", "amount": "small"}, 400, "unknown substance"),
        ({"substance": "甲醇", "amount": "small"}, 400, "no release-distance entry"),
        ({"substance": "液氯", "tonnes": -1}, 400, "tonnes must be a positive number"),
        ({"substance": "液氯", "amount": "small", "wind_speed_ms": -1}, 400, "≥ 0"),
        ({"substance": "液氯", "amount": "medium"}, 400, "amount"),
        ({"substance": "液氯"}, 400, "give amount"),
        ({"substance": "液氯", "amount": "small", "lat": 95}, 400, "latitude"),
        ({"substance": "液氯", "amount": "small", "hazard_source_id": 1}, 400, "either"),
        ({"substance": "", "amount": "small"}, 400, "substance"),
        ({"substance": "液氯", "tonnes": 1e9}, 400, "beyond any single release"),
        ({"substance": "x" * 5000, "amount": "small"}, 400, "substance"),
        ({"substance": "液氯", "amount": "small", "wind_from_deg": 400}, 400, "wind_from_deg"),
        (
            {"substance": "液氯", "amount": "large", "container": "barge"},
            400,
            "unknown container 'barge'",
        ),
        (
            {"substance": "液氨", "amount": "large", "container": "multiple_ton_cylinders"},
            400,
            "no 'multiple_ton_cylinders' for Ammonia",
        ),
        ({"substance": "液氯", "amount": "large", "container": "x" * 500}, 400, "container"),
    ],
)
def test_bad_input_is_a_clear_4xx(client, body, status, words):
    r = _post(client, **body)
    assert r.status_code == status, r.text
    assert words in r.text
    assert "Traceback" not in r.text


def test_unknown_hazard_source_is_404(client):
    r = client.post(
        "/analysis/release-zones",
        json={"hazard_source_id": 987654, "substance": "液氯", "amount": "small",
              "wind_from_deg": 0, "wind_speed_ms": 1},
    )  # fmt: skip
    assert r.status_code == 404


def test_an_empty_population_table_is_unknown_not_zero(client, db_session):
    """The migration creates the table, the loader fills it: until then nobody is counted as
    "unknown", never as 0 residents (the risk-map bench's naive peer found the service had
    counted an empty table as a loaded layer)."""
    ensure_population_table(db_session)
    db_session.execute(text("DELETE FROM population"))  # rolled back with the test
    add(db_session, "protected_targets", *offset(LON, LAT, 90, 20), "homes", population=300)
    fc = _post(client, substance="液氯", amount="small").json()
    assert fc["population_layer"] is False
    props = _zone(fc, "isolation")["properties"]
    assert props["population"]["residents"] is None and "unknown" in props["population"]["note"]
    assert props["target_occupancy"] == 300


@pytest.mark.parametrize(
    "body",
    [
        {"substance": "液绿", "amount": "small"},
        {"substance": "液氯", "tonnes": -1},
        {"substance": "液氯", "amount": "small", "wind_speed_ms": -1},
        {"substance": "液氯", "amount": "small", "hazard_source_id": 987654, "lon": None,
         "lat": None},
    ],
)  # fmt: skip
def test_bad_input_to_closures_stores_nothing(editor_client, db_session, body):
    count = "SELECT count(*) FROM road_closures"
    before = db_session.execute(text(count)).scalar_one()
    full = {"lon": LON, "lat": LAT, "wind_from_deg": 0, "wind_speed_ms": 3, **body}
    r = editor_client.post("/analysis/release-zones/closures", json=full)
    assert 400 <= r.status_code < 500, r.text
    assert "Traceback" not in r.text
    assert db_session.execute(text(count)).scalar_one() == before


@pytest.mark.parametrize(
    ("substance", "un", "container", "time", "wind_ms", "wind_class"),
    [
        ("液氯", "1017", "multiple_ton_cylinders", "night", 6.0, "high"),  # 21.6 km/h
        ("液氯", "1017", "Highway tank truck or trailer", "day", 2.0, "low"),  # 7.2 km/h
        ("液氨", "1005", "农用供液罐", "day", 4.0, "moderate"),  # 14.4 km/h
        ("二氧化硫", "1079", None, "night", 0.1, "low"),  # calm: the low-wind column
    ],
)
def test_table3_large_spills_read_container_and_wind(
    client, substance, un, container, time, wind_ms, wind_class
):
    body = {"substance": substance, "amount": "large", "time": time, "wind_speed_ms": wind_ms}
    if container is not None:
        body["container"] = container
    fc = _post(client, **body).json()
    key = None
    if container is not None:
        labels = json.loads(TABLE_FILE.read_text(encoding="utf-8"))["table3_containers"]
        key = next(k for k, v in labels.items() if container in (k, v["en"], v["zh"]))
    want = expected_distances(un, "large", wind_ms=wind_ms, container=key)
    assert fc["release"]["container"] == want["container"]
    assert fc["release"]["wind_class"] == want["wind_class"] == wind_class
    assert _zone(fc, "isolation")["properties"]["radius_m"] == want["isolation_m"]
    assert _zone(fc, "protective_action")["properties"]["distance_m"] == want[f"{time}_m"]
    assert "Table 3" in fc["release"]["source"]


def test_a_container_is_ignored_where_table3_does_not_apply(client):
    small = _post(client, substance="液氯", amount="small", container="rail_tank_car").json()
    assert small["release"]["container"] is None and small["release"]["notes"]
    assert (
        _zone(small, "isolation")["properties"]["radius_m"]
        == table_row("1017")["small"]["isolation_m"]
    )
    phosgene = _post(client, substance="光气", amount="large", container="rail_tank_car").json()
    assert phosgene["release"]["container"] is None
    assert (
        _zone(phosgene, "isolation")["properties"]["radius_m"]
        == table_row("1076")["large"]["isolation_m"]
    )


#: Figures transcribed by hand (Dec 2026) from ERG 2016 as Esri ships it:
#: Esri/solutions-geoprocessing-toolbox @ fee3ab08d6adb64d6df6d0b6fe11814cd821c409,
#: capability/toolboxes/tooldata/ERG2016LookupTable.dbf (metres; fields SM_ISO/SM_DY/SM_NTE,
#: LG_ISO/LG_DY/LG_NTE for Table 1; RAIL_ISO, RAILDYLOW … MTONNTEMOD … for Table 3).
#: (un, spill, container, wind class, isolation, day, night)
ERG2016_FIGURES = [
    ("1017", "small", None, None, 60, 300, 1100),  # Chlorine
    ("1005", "small", None, None, 30, 100, 200),  # Ammonia, anhydrous
    ("1052", "small", None, None, 30, 100, 400),  # Hydrogen fluoride, anhydrous
    ("1076", "large", None, None, 500, 3000, 9000),  # Phosgene (not CG, weaponized)
    ("1051", "large", None, None, 300, 1100, 2400),  # Hydrogen cyanide, anhydrous, stabilized
    ("1053", "large", None, None, 400, 2100, 5400),  # Hydrogen sulfide
    ("1017", "large", "rail_tank_car", "low", 1000, 9900, 11000),  # Table 3
    ("1017", "large", "multiple_ton_cylinders", "high", 300, 1000, 1300),
    ("1079", "large", "multiple_ton_cylinders", "moderate", 500, 2400, 4000),
    ("1050", "large", "highway_tank_truck_or_trailer", "low", 200, 1500, 3800),
    ("1005", "large", "agricultural_nurse_tank", "moderate", 60, 300, 300),
]
WIND_MS = {"low": 1.0, "moderate": 4.0, "high": 7.0}


@pytest.mark.parametrize(("un", "spill", "container", "wind", "iso", "day", "night"),
                         ERG2016_FIGURES)  # fmt: skip
def test_confirmed_figures_equal_the_cited_erg2016_transcription(
    client, un, spill, container, wind, iso, day, night
):
    """The independent check: the cited source's figures, written here, against the API."""
    assert table_row(un)["confirmed"] is True and table_row(un)["edition"] == "ERG2016"
    for time, want in (("day", day), ("night", night)):
        body = {"substance": f"UN{un}", "amount": spill, "time": time,
                "wind_speed_ms": WIND_MS[wind or "moderate"]}  # fmt: skip
        if container:
            body["container"] = container
        fc = _post(client, **body).json()
        assert _zone(fc, "isolation")["properties"]["radius_m"] == iso
        assert _zone(fc, "protective_action")["properties"]["distance_m"] == want
        assert fc["release"]["wind_class"] == wind
