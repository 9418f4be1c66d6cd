"""Import → export → import round trip for every format: same features, attributes, coordinates."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import shape
from sqlalchemy import delete

from gis_onemap.categories import get_category
from gis_onemap.crs import parse_crs
from gis_onemap.db.repository import FeatureRepository
from gis_onemap.db.tables import table_for
from gis_onemap.io.export import ExportSpec, export_collection
from tests.io.helpers import count, load
from tests.samples import SQUARE, point, sample_feature

FORMATS = ["geojson", "gpkg", "shp", "csv", "kml", "fgb"]


def _features(cid: str) -> list[dict[str, Any]]:
    """Three features with awkward values: many decimals, Chinese text, lists, a polygon."""
    a = sample_feature(cid, point(110.123456789, 21.987654321))
    b = sample_feature(cid, point(110.4, 21.2))
    b["properties"]["name"] = '第二个，含逗号 "引号"'
    c = sample_feature(cid, copy.deepcopy(SQUARE) if cid == "shelters" else point(109.9, 20.9))
    c["properties"]["name"] = "第三个"
    return [a, b, c]


def _by_name(session, cid: str, ids: list[int]) -> dict[str, dict[str, Any]]:
    repo = FeatureRepository(session, get_category(cid))
    out = {}
    for fid in ids:
        f = repo.get(fid, include_personal=True)
        out[f["properties"]["name"]] = f
    return out


def _ids(session, cid: str) -> list[int]:
    t = table_for(cid)
    return [r[0] for r in session.execute(t.select().with_only_columns(t.c.id)).all()]


def _assert_same(before: dict[str, Any], after: dict[str, Any]) -> None:
    assert sorted(before) == sorted(after)
    for name, old in before.items():
        new = after[name]
        old_p = {k: v for k, v in old["properties"].items() if k != "updated_at"}
        new_p = {k: v for k, v in new["properties"].items() if k != "updated_at"}
        assert new_p == old_p, name
        # ring orientation is a format convention (Shapefile rings run clockwise)
        g_old = shapely.normalize(shape(old["geometry"]))
        g_new = shapely.normalize(shape(new["geometry"]))
        assert g_old.geom_type == g_new.geom_type or {g_old.geom_type, g_new.geom_type} == {
            "Polygon", "MultiPolygon"
        }  # fmt: skip
        a, b = shapely.get_coordinates(g_old), shapely.get_coordinates(g_new)
        assert a.shape == b.shape
        assert np.abs(a - b).max() <= 1e-7, name


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("cid", ["shelters", "hazard_sources", "supplies"])
def test_round_trip(db_session, tmp_path: Path, fmt: str, cid: str):
    t = table_for(cid)
    db_session.execute(delete(t))
    repo = FeatureRepository(db_session, get_category(cid))
    ids = repo.insert_many(_features(cid))
    before = _by_name(db_session, cid, ids)

    out = tmp_path / f"{cid}.{'shp' if fmt == 'shp' else fmt}"
    spec = ExportSpec(crs=parse_crs(None), where=[t.c.id.in_(ids)], include_personal=True)
    result = export_collection(db_session, get_category(cid), fmt, out, spec)
    assert result.count == 3
    db_session.execute(delete(t))
    for path in result.files:
        report = load(db_session, cid, path)
        assert report.rejected_count == 0
    assert count(db_session, cid) == 3
    _assert_same(before, _by_name(db_session, cid, _ids(db_session, cid)))


def test_xlsx_import_matches_csv(db_session, tmp_path: Path):
    """Excel: typed cells (numbers, dates), Chinese headers, list cells separated by '、'."""
    rows = pd.DataFrame(
        {
            "名称": ["甲避难场所", "乙避难场所"],
            "避难场所类型": ["fixed", "emergency"],
            "有效避难面积(㎡)": [12000, 950.5],
            "配套设施": ["water、power", '["medical"]'],
            "行政区划代码": [440802, None],
            "经度": [110.123456789, 110.2],
            "纬度": [21.123456789, 21.3],
        }
    )
    path = tmp_path / "shelters.xlsx"
    rows.to_excel(path, index=False)
    db_session.execute(delete(table_for("shelters")))
    report = load(db_session, "shelters", path)
    assert (report.imported, report.rejected_count) == (2, 0)
    got = _by_name(db_session, "shelters", _ids(db_session, "shelters"))
    first = got["甲避难场所"]["properties"]
    assert first["facilities"] == ["water", "power"]
    assert first["region_code"] == "440802"
    assert first["capacity"] == 6000  # 12000 m² ÷ 2 m²/person (GB 50413 fixed shelter)
    assert got["乙避难场所"]["properties"]["facilities"] == ["medical"]
    lon, lat = got["甲避难场所"]["geometry"]["coordinates"]
    assert abs(lon - 110.123456789) <= 1e-7 and abs(lat - 21.123456789) <= 1e-7
