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
