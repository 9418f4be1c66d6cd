"""Tests for CRS parsing and coordinate/geometry transforms."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from pyproj import CRS, Geod, Transformer

from gis_onemap.crs import (
    CRS84_URI,
    WGS84,
    CoordinateRangeError,
    CRSError,
    CRSSpec,
    from_wgs84,
    gcj02_to_wgs84,
    parse_crs,
    to_wgs84,
    transform_geometry,
    validate_lonlat,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

EPSG_URI = "http://www.opengis.net/def/crs/EPSG/0/"


@pytest.fixture(scope="module")
def geod() -> Geod:
    return Geod(ellps="WGS84")


@pytest.fixture(scope="module")
def gk_zone_120e() -> CRSSpec:
    """CGCS2000 3-degree Gauss-Krueger, central meridian 120E, false easting 500 km."""
    return parse_crs("EPSG:4549")


@pytest.fixture(scope="module")
def points_near_120e() -> tuple[np.ndarray, np.ndarray]:
    """Hangzhou, Shanghai, Nanjing, Qingdao, Ningbo, Wenzhou (WGS84 lon, lat)."""
    lon = np.array([120.15, 121.47, 118.78, 120.38, 121.55, 120.70])
    lat = np.array([30.28, 31.23, 32.06, 36.07, 29.87, 28.00])
    return lon, lat


@pytest.fixture(scope="module")
def independent_epsg_transformer() -> Transformer:
    """A pyproj transformer built directly from the EPSG codes, bypassing our cache/parsing."""
    return Transformer.from_crs("EPSG:4490", "EPSG:4549", always_xy=True)


@pytest.fixture(scope="module")
def hand_written_gk_transformer() -> Transformer:
    """The same projection written out by hand as a PROJ pipeline (no EPSG database)."""
    return Transformer.from_pipeline(
        "+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad "
        "+step +proj=tmerc +lat_0=0 +lon_0=120 +k=1 +x_0=500000 +y_0=0 +ellps=GRS80"
    )


@pytest.fixture(scope="module")
def esri_prj_gk_120e() -> str:
    """The .prj text ArcGIS writes for CGCS2000 3-degree GK CM 120E."""
    return (
        'PROJCS["CGCS2000_3_Degree_GK_CM_120E",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",'
        'DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],'
        'PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],'
        'PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],'
        'PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",120.0],'
        'PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]'
    )


@pytest.fixture
def gcj_polygon_z() -> shapely.Polygon:
    """A small 3D polygon around West Lake, Hangzhou, in GCJ-02."""
    return shapely.Polygon(
        [(120.13, 30.24, 5.0), (120.16, 30.24, 6.0), (120.16, 30.27, 7.0), (120.13, 30.24, 5.0)]
    )


# --- parse_crs -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "uri"),
    [
        (None, CRS84_URI),
        ("CRS84", CRS84_URI),
        ("OGC:CRS84", CRS84_URI),
        ("http://www.opengis.net/def/crs/OGC/1.3/CRS84", CRS84_URI),
        ("EPSG:4326", EPSG_URI + "4326"),
        ("4326", EPSG_URI + "4326"),
        (4326, EPSG_URI + "4326"),
        ("epsg:4490", EPSG_URI + "4490"),
        ("http://www.opengis.net/def/crs/EPSG/0/4490", EPSG_URI + "4490"),
        ("urn:ogc:def:crs:EPSG::4549", EPSG_URI + "4549"),
        (" EPSG:3857 ", EPSG_URI + "3857"),
        ("+proj=longlat +datum=WGS84 +no_defs", CRS84_URI),
        ("gcj02", "gcj02"),
        ("GCJ-02", "gcj02"),
        ("GCJ02", "gcj02"),
        ("bd09", "bd09"),
        ("BD-09", "bd09"),
    ],
)
def test_parse_crs_accepts(value, uri):
    assert parse_crs(value).uri == uri


@pytest.mark.parametrize(
    "value",
    ["EPSG:999999", "not a crs", "", "   ", "gcj03", "bd-10", 0, -4326, True, 4326.0, [4326]],
)
def test_parse_crs_rejects_unknown(value):
    with pytest.raises(CRSError, match=r"^unknown coordinate reference system: "):
        parse_crs(value)


def test_parse_crs_rejects_non_horizontal_crs():
    with pytest.raises(CRSError, match="not geographic or projected"):
        parse_crs("EPSG:5773")  # EGM96 height: vertical only


def test_crs_error_is_value_error_and_does_not_echo_huge_input():
    huge = "PROJCS[" + "x" * 5000
    with pytest.raises(ValueError) as info:
        parse_crs(huge)
    assert isinstance(info.value, CRSError)
    assert len(str(info.value)) < 200


def test_parse_crs_kinds_and_wgs84_flag():
    assert parse_crs(None) is WGS84
    assert parse_crs("EPSG:4326").is_wgs84
    assert parse_crs("CRS84").is_wgs84
    assert not parse_crs("EPSG:4490").is_wgs84  # CGCS2000 is its own datum
    gcj = parse_crs("gcj02")
    assert (gcj.kind, gcj.pyproj_crs, gcj.is_wgs84) == ("gcj02", None, False)
    gk = parse_crs(4549)
    assert gk.kind == "pyproj" and isinstance(gk.pyproj_crs, CRS) and gk.pyproj_crs.is_projected


def test_parse_crs_is_cached_and_spec_is_frozen():
    assert parse_crs("EPSG:4549") is parse_crs("EPSG:4549")
    spec = parse_crs("bd09")
    assert parse_crs(spec) is spec
    with pytest.raises(AttributeError):
        spec.uri = "x"  # type: ignore[misc]


def test_parse_crs_reads_esri_prj(esri_prj_gk_120e, points_near_120e):
    lon, lat = points_near_120e
    spec = parse_crs(esri_prj_gk_120e)
    assert spec.uri == EPSG_URI + "4549"
    x_prj, y_prj = from_wgs84(lon, lat, spec)
    x_epsg, y_epsg = from_wgs84(lon, lat, "EPSG:4549")
    np.testing.assert_allclose(x_prj, x_epsg, rtol=0, atol=1e-6)
    np.testing.assert_allclose(y_prj, y_epsg, rtol=0, atol=1e-6)


def test_custom_proj_string_keeps_its_definition_as_uri():
    spec = parse_crs("+proj=tmerc +lon_0=117 +k=1 +x_0=500000 +ellps=GRS80 +units=m")
    assert spec.kind == "pyproj" and "+proj=tmerc" in spec.uri
    x, _ = from_wgs84(117.0, 35.0, spec)
    assert x == pytest.approx(500000.0, abs=1e-6)


# --- to_wgs84 / from_wgs84 --------------------------------------------------------------------


def test_gk_120e_axis_order_is_easting_northing(gk_zone_120e):
    x, y = from_wgs84(120.0, 30.0, gk_zone_120e)
    assert x == pytest.approx(500000.0, abs=1e-6)  # on the central meridian
    assert 3_300_000 < y < 3_330_000  # ~30 degrees of meridian arc


def test_gk_120e_round_trip_within_centimetre(geod, gk_zone_120e, points_near_120e):
    lon, lat = points_near_120e
    x, y = from_wgs84(lon, lat, gk_zone_120e)
    back_lon, back_lat = to_wgs84(x, y, gk_zone_120e)
    _, _, dist = geod.inv(lon, lat, back_lon, back_lat)
    assert np.max(dist) < 0.01


def test_gk_120e_agrees_with_independent_transformers(
    gk_zone_120e, points_near_120e, independent_epsg_transformer, hand_written_gk_transformer
):
    lon, lat = points_near_120e
    x, y = from_wgs84(lon, lat, gk_zone_120e)
    for transformer in (independent_epsg_transformer, hand_written_gk_transformer):
        ex, ey = transformer.transform(lon, lat)
        assert np.hypot(x - ex, y - ey).max() < 0.01


def test_transforms_preserve_shape_and_scalars(gk_zone_120e, points_near_120e):
    lon, lat = (a.reshape(3, 2) for a in points_near_120e)
    x, y = from_wgs84(lon, lat, gk_zone_120e)
    assert x.shape == y.shape == (3, 2)
    sx, _sy = from_wgs84(float(lon[1, 0]), float(lat[1, 0]), gk_zone_120e)
    assert np.ndim(sx) == 0 and sx == pytest.approx(x[1, 0], abs=1e-6)
    ex, ey = to_wgs84([], [], gk_zone_120e)
    assert ex.shape == ey.shape == (0,)


def test_web_map_crs_dispatch_to_webmaps(points_near_120e):
    lon, lat = points_near_120e
    glon, glat = from_wgs84(lon, lat, "GCJ-02")
    np.testing.assert_array_equal(glon, wgs84_to_gcj02(lon, lat)[0])
    np.testing.assert_array_equal(to_wgs84(glon, glat, "gcj02")[1], gcj02_to_wgs84(glon, glat)[1])
    blon, _ = from_wgs84(lon, lat, "bd09")
    np.testing.assert_array_equal(blon, wgs84_to_bd09(lon, lat)[0])


def test_wgs84_and_cgcs2000_are_identity(points_near_120e):
    lon, lat = points_near_120e
    for crs in (None, "EPSG:4326", "EPSG:4490"):
        x, y = from_wgs84(lon, lat, crs)
        np.testing.assert_allclose(x, lon, rtol=0, atol=1e-9)
        np.testing.assert_allclose(y, lat, rtol=0, atol=1e-9)


# --- transform_geometry -----------------------------------------------------------------------


def test_transform_geometry_gcj_to_gk_and_back(geod, gcj_polygon_z):
    projected = transform_geometry(gcj_polygon_z, "gcj02", "EPSG:4549")
    assert projected.geom_type == "Polygon" and projected.has_z
    coords = shapely.get_coordinates(projected, include_z=True)
    assert coords[:, 2].tolist() == [5.0, 6.0, 7.0, 5.0]
    assert (coords[:, 0] > 400_000).all() and (coords[:, 1] > 3_000_000).all()
    back = transform_geometry(projected, 4549, "GCJ-02")
    original = shapely.get_coordinates(gcj_polygon_z)
    returned = shapely.get_coordinates(back)
    _, _, dist = geod.inv(original[:, 0], original[:, 1], returned[:, 0], returned[:, 1])
    assert dist.max() < 0.01


def test_transform_geometry_moves_by_the_gcj_offset(geod, gcj_polygon_z):
    wgs = transform_geometry(gcj_polygon_z, "gcj02", None)
    a = shapely.get_coordinates(gcj_polygon_z)
    b = shapely.get_coordinates(wgs)
    _, _, dist = geod.inv(a[:, 0], a[:, 1], b[:, 0], b[:, 1])
    assert (dist > 100).all() and (dist < 700).all()


@pytest.mark.parametrize(
    "wkt",
    [
        "POINT (116.4 39.9)",
        "MULTIPOINT ((116.4 39.9), (121.47 31.23))",
        "LINESTRING (116.4 39.9, 116.5 40.0)",
        "MULTILINESTRING ((116.4 39.9, 116.5 40.0), (121.4 31.2, 121.5 31.3))",
        "POLYGON ((116 39, 117 39, 117 40, 116 39), (116.5 39.2, 116.8 39.2, 116.8 39.5, 116.5 39.2"
        "))",
        "MULTIPOLYGON (((116 39, 117 39, 117 40, 116 39)), ((121 31, 122 31, 122 32, 121 31)))",
        "GEOMETRYCOLLECTION (POINT (116.4 39.9), LINESTRING (121.4 31.2, 121.5 31.3))",
    ],
)
def test_transform_geometry_any_type_round_trips(geod, wkt):
    geom = shapely.from_wkt(wkt)
    moved = transform_geometry(geom, "EPSG:4326", "bd09")
    assert moved.geom_type == geom.geom_type
    assert not shapely.equals_exact(moved, geom, tolerance=1e-4)
    back = transform_geometry(moved, "bd09", "EPSG:4326")
    a, b = shapely.get_coordinates(geom), shapely.get_coordinates(back)
    _, _, dist = geod.inv(a[:, 0], a[:, 1], b[:, 0], b[:, 1])
    assert dist.max() < 0.5


def test_transform_geometry_same_crs_and_empty():
    point = shapely.Point(116.4, 39.9)
    assert transform_geometry(point, "EPSG:4549", 4549) is point
    assert transform_geometry(shapely.from_wkt("POLYGON EMPTY"), None, "gcj02").is_empty


# --- validate_lonlat --------------------------------------------------------------------------


def test_validate_lonlat_accepts_bounds():
    validate_lonlat([-180.0, 180.0, 0.0], [-90.0, 90.0, 0.0])
    validate_lonlat(116.4, 39.9)


@pytest.mark.parametrize(
    ("lon", "lat", "message"),
    [
        (180.0001, 0.0, "longitude must be within [-180, 180]"),
        (-181.0, 0.0, "longitude must be within [-180, 180]"),
        (np.nan, 0.0, "longitude must be within [-180, 180]"),
        ([0.0, np.inf], [0.0, 0.0], "longitude must be within [-180, 180]"),
        (0.0, 90.5, "latitude must be within [-90, 90]"),
        (0.0, -np.inf, "latitude must be within [-90, 90]"),
        ([1.0, 2.0], [0.0, np.nan], "latitude must be within [-90, 90]"),
    ],
)
def test_validate_lonlat_rejects(lon, lat, message):
    with pytest.raises(CoordinateRangeError) as info:
        validate_lonlat(lon, lat)
    assert str(info.value) == message
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("value", ["mars2000", "IAU_2015:49900", "ESRI:104905"])
def test_parse_crs_rejects_crs_not_on_the_earth(value):
    with pytest.raises(CRSError, match="not on the Earth"):
        parse_crs(value)
