"""Coordinates in GCJ-02, BD-09 and CGCS2000 Gauss-Krüger land on their WGS84 truth; GBK text."""

from __future__ import annotations

import math

import geopandas as gpd
import pytest
from pyproj import Geod, Transformer
from shapely.geometry import Point, shape

from gis_onemap.categories import get_category
from gis_onemap.db.repository import FeatureRepository, ItemQuery
from tests.io.helpers import load, write_csv

GEOD = Geod(ellps="WGS84")
# Published example of wandergis/coordtransform: WGS84 (116.404, 39.915) is GCJ-02
# (116.41024449916938, 39.91640428150164).
TRUTH = (116.404, 39.915)
GCJ02 = (116.41024449916938, 39.91640428150164)


def _bd09_of(lon: float, lat: float) -> tuple[float, float]:
    """The closed-form GCJ-02 → BD-09 formula, written out here independently of the code."""
    x_pi = math.pi * 3000.0 / 180.0
    z = math.hypot(lon, lat) + 0.00002 * math.sin(lat * x_pi)
    theta = math.atan2(lat, lon) + 0.000003 * math.cos(lon * x_pi)
    return z * math.cos(theta) + 0.0065, z * math.sin(theta) + 0.006


BD09 = _bd09_of(*GCJ02)
HANGZHOU = [(120.1551, 30.2741), (119.8, 29.9), (120.9, 31.2)]  # inside CGCS2000 zone CM 120°E


def _points(session, cid="protected_targets") -> dict[str, tuple[float, float]]:
    page = FeatureRepository(session, get_category(cid)).query(ItemQuery(limit=1000))
    return {f["properties"]["name"]: tuple(f["geometry"]["coordinates"]) for f in page.features}


def _metres(a, b) -> float:
    return abs(GEOD.inv(a[0], a[1], b[0], b[1])[2])


@pytest.mark.parametrize(("crs", "xy"), [("gcj02", GCJ02), ("BD-09", BD09)])
def test_web_map_coordinates_land_within_half_a_metre(db_session, tmp_path, crs, xy):
    path = write_csv(
        tmp_path / "t.csv", ["名称", "目标类型", "lng", "lat"], [["天安门", "government", *xy]]
    )
    report = load(db_session, "protected_targets", path, crs=crs)
    assert report.imported == 1
    assert _metres(_points(db_session)["天安门"], TRUTH) < 0.5
    # the raw offset is hundreds of metres: the test would notice a missing conversion
    assert _metres(xy, TRUTH) > 100


def test_gauss_krueger_epsg4549_within_a_centimetre(db_session, tmp_path):
    to_gk = Transformer.from_crs("EPSG:4326", "EPSG:4549", always_xy=True)
    rows = []
    for i, (lon, lat) in enumerate(HANGZHOU):
        x, y = to_gk.transform(lon, lat)
        rows.append([f"目标{i}", "school", f"{x:.4f}", f"{y:.4f}"])
    path = write_csv(tmp_path / "gk.csv", ["name", "target_type", "x", "y"], rows)
    report = load(db_session, "protected_targets", path, crs="EPSG:4549")
    assert report.imported == 3 and report.crs.endswith("/EPSG/0/4549")
    got = _points(db_session)
    for i, truth in enumerate(HANGZHOU):
        assert _metres(got[f"目标{i}"], truth) < 0.01


def test_shapefile_prj_is_honoured_and_gbk_dbf_read(db_session, tmp_path):
    """A GBK Shapefile in EPSG:4549 with a .prj and a .cpg: no options needed."""
    to_gk = Transformer.from_crs("EPSG:4326", "EPSG:4549", always_xy=True)
    names = ["湛江市第一中学", "霞山区人民医院", "赤坎幼儿园"]
    geoms = [Point(*to_gk.transform(lon, lat)) for lon, lat in HANGZHOU]
    frame = gpd.GeoDataFrame(
        {"名称": names, "目标类型": ["school", "hospital", "kindergarten"]},
        geometry=geoms,
        crs="EPSG:4549",
    )
    path = tmp_path / "targets.shp"
    frame.to_file(path, encoding="GBK")
    assert (tmp_path / "targets.cpg").read_text().upper() == "GBK"
    raw = (tmp_path / "targets.dbf").read_bytes()
    assert "湛江市第一中学".encode("gbk") in raw  # really GBK on disk
    report = load(db_session, "protected_targets", path)
    assert report.imported == 3
    got = _points(db_session)
    assert sorted(got) == sorted(names)
    for name, truth in zip(names, HANGZHOU, strict=True):
        assert _metres(got[name], truth) < 0.01


def test_gbk_shapefile_without_cpg_is_detected(db_session, tmp_path):
    frame = gpd.GeoDataFrame(
        {"name": ["人民广场"], "target_type": ["crowded_place"]},
        geometry=[Point(110.36, 21.27)],
        crs="EPSG:4326",
    )
    path = tmp_path / "nocpg.shp"
    frame.to_file(path, encoding="GBK")
    (tmp_path / "nocpg.cpg").unlink()
    report = load(db_session, "protected_targets", path)
    assert report.imported == 1
    assert "人民广场" in _points(db_session)


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8", "utf-8-sig"])
def test_csv_encodings_with_chinese_names(db_session, tmp_path, encoding):
    names = ["湛江市第一中学", "霞山区人民医院（东院）", "鉏镕堃"]  # the last: GB18030 / rare chars
    if encoding == "gbk":
        names = names[:2]
    rows = [
        [n, "学校" if i == 0 else "hospital", 110.3 + i / 100, 21.2] for i, n in enumerate(names)
    ]
    path = write_csv(tmp_path / "t.csv", ["名称", "目标类型", "经度", "纬度"], rows, encoding)
    report = load(db_session, "protected_targets", path)
    assert report.rejected_count == 0 and report.imported == len(names)
    assert set(names) <= set(_points(db_session))


def test_choice_labels_in_chinese_are_accepted(db_session, tmp_path):
    path = write_csv(
        tmp_path / "t.csv", ["名称", "目标类型", "经度", "纬度"], [["某小学", "学校", 110.3, 21.2]]
    )
    load(db_session, "protected_targets", path)
    page = FeatureRepository(db_session, get_category("protected_targets")).query(ItemQuery())
    assert [f["properties"]["target_type"] for f in page.features] == ["school"]


def test_wkt_column_polygon(db_session, tmp_path):
    wkt = "POLYGON ((110.35 21.26, 110.36 21.26, 110.36 21.27, 110.35 21.27, 110.35 21.26))"
    path = write_csv(tmp_path / "s.csv", ["name", "shelter_type", "wkt"], [["广场", "fixed", wkt]])
    load(db_session, "shelters", path)
    page = FeatureRepository(db_session, get_category("shelters")).query(ItemQuery())
    assert shape(page.features[0]["geometry"]).area == pytest.approx(1e-4)
