"""Tests for the GCJ-02 / BD-09 web-map offsets."""

from __future__ import annotations

import numpy as np
import pytest
from pyproj import Geod

from gis_onemap.crs.webmaps import (
    bd09_to_gcj02,
    bd09_to_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    in_china,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

ROUND_TRIP_TOLERANCE_M = 0.5


@pytest.fixture(scope="module")
def geod() -> Geod:
    return Geod(ellps="WGS84")


@pytest.fixture(scope="module")
def china_truth_points() -> dict[str, tuple[float, float]]:
    """WGS84 truth points spread across China (corners, coast, interior)."""
    return {
        "beijing": (116.3975, 39.9087),
        "zhanjiang": (110.36, 21.27),
        "harbin": (126.63, 45.75),
        "urumqi": (87.62, 43.83),
        "sanya": (109.51, 18.25),
        "lhasa": (91.13, 29.65),
        "shanghai": (121.47, 31.23),
        "kashgar": (75.99, 39.47),
        "mohe": (122.53, 52.97),
        "chengdu": (104.07, 30.67),
    }


@pytest.fixture(scope="module")
def truth_arrays(
    china_truth_points: dict[str, tuple[float, float]],
) -> tuple[np.ndarray, np.ndarray]:
    lon, lat = zip(*china_truth_points.values(), strict=True)
    return np.array(lon), np.array(lat)


@pytest.fixture(scope="module")
def outside_points() -> dict[str, tuple[float, float]]:
    """Points outside the GCJ-02 bounding box (Tokyo's lon 139.7 > 137.8347)."""
    return {
        "tokyo": (139.7, 35.7),
        "london": (-0.1276, 51.5072),
        "sydney": (151.21, -33.87),
        "new_york": (-74.006, 40.7128),
        "riau_islands": (104.0, 0.5),  # inside the lon range, south of lat 0.8293
    }


@pytest.fixture(scope="module")
def china_grid() -> tuple[np.ndarray, np.ndarray]:
    """A 0.5-degree grid over mainland China's extent."""
    lon, lat = np.meshgrid(np.arange(73.0, 135.01, 0.5), np.arange(18.0, 53.01, 0.5))
    return lon.ravel(), lat.ravel()


@pytest.fixture(scope="module")
def wandergis_tiananmen() -> dict[str, tuple[float, float]]:
    """Published example outputs of wandergis/coordtransform (test/app.js) for (116.404, 39.915)."""
    return {
        "input": (116.404, 39.915),
        "wgs84_to_gcj02": (116.41024449916938, 39.91640428150164),
        "gcj02_to_bd09": (116.41036949371029, 39.92133699351021),
    }


@pytest.fixture(scope="module")
def beijing_railway_station() -> dict[str, tuple[float, float]]:
    """GCJ-02/BD-09 pair for Beijing railway station published (5 decimals) in the R package
    docs of a coordinate-conversion library (bd2gcj example)."""
    return {"gcj02": (116.42703, 39.90245), "bd09": (116.43351, 39.90851)}


def _metres(geod: Geod, lon1, lat1, lon2, lat2) -> np.ndarray:
    _, _, dist = geod.inv(lon1, lat1, lon2, lat2)
    return np.asarray(dist)


def test_gcj02_inverse_recovers_truth_within_half_metre(geod, china_truth_points):
    for name, (lon, lat) in china_truth_points.items():
        glon, glat = wgs84_to_gcj02(lon, lat)
        wlon, wlat = gcj02_to_wgs84(glon, glat)
        error = float(_metres(geod, lon, lat, wlon, wlat))
        assert error < ROUND_TRIP_TOLERANCE_M, name


def test_bd09_inverse_recovers_truth_within_half_metre(geod, china_truth_points):
    for name, (lon, lat) in china_truth_points.items():
        blon, blat = wgs84_to_bd09(lon, lat)
        assert float(_metres(geod, lon, lat, blon, blat)) > 100.0, name  # it really moved
        wlon, wlat = bd09_to_wgs84(blon, blat)
        error = float(_metres(geod, lon, lat, wlon, wlat))
        assert error < ROUND_TRIP_TOLERANCE_M, name


def test_bd09_gcj02_round_trip(geod, truth_arrays):
    glon, glat = wgs84_to_gcj02(*truth_arrays)
    back_lon, back_lat = bd09_to_gcj02(*gcj02_to_bd09(glon, glat))
    assert _metres(geod, glon, glat, back_lon, back_lat).max() < 0.01


def test_iterative_inverse_beats_one_step_inverse(geod, china_grid):
    lon, lat = china_grid
    glon, glat = wgs84_to_gcj02(lon, lat)
    # The classic one-step inverse: subtract the offset evaluated at the GCJ point.
    flon, flat = wgs84_to_gcj02(glon, glat)
    naive_error = _metres(geod, lon, lat, 2 * glon - flon, 2 * glat - flat)
    wlon, wlat = gcj02_to_wgs84(glon, glat)
    iterative_error = _metres(geod, lon, lat, wlon, wlat)
    assert naive_error.max() > ROUND_TRIP_TOLERANCE_M
    assert iterative_error.max() < 0.01


def test_iterative_inverse_converges_to_tolerance(china_grid):
    lon, lat = china_grid
    glon, glat = wgs84_to_gcj02(lon, lat)
    again_lon, again_lat = wgs84_to_gcj02(*gcj02_to_wgs84(glon, glat))
    assert np.abs(again_lon - glon).max() < 1e-8
    assert np.abs(again_lat - glat).max() < 1e-8


def test_matches_published_wandergis_example(geod, wandergis_tiananmen):
    lon, lat = wandergis_tiananmen["input"]
    np.testing.assert_allclose(
        wgs84_to_gcj02(lon, lat), wandergis_tiananmen["wgs84_to_gcj02"], rtol=0, atol=1e-9
    )
    np.testing.assert_allclose(
        gcj02_to_bd09(lon, lat), wandergis_tiananmen["gcj02_to_bd09"], rtol=0, atol=1e-9
    )
    wlon, wlat = gcj02_to_wgs84(*wandergis_tiananmen["wgs84_to_gcj02"])
    assert float(_metres(geod, lon, lat, wlon, wlat)) < ROUND_TRIP_TOLERANCE_M
    glon, glat = bd09_to_gcj02(*wandergis_tiananmen["gcj02_to_bd09"])
    assert float(_metres(geod, lon, lat, glon, glat)) < ROUND_TRIP_TOLERANCE_M


def test_matches_published_beijing_railway_station_pair(geod, beijing_railway_station):
    # Published to 5 decimals (~1 m), so allow rounding of both coordinates of both points.
    glon, glat = bd09_to_gcj02(*beijing_railway_station["bd09"])
    assert float(_metres(geod, glon, glat, *beijing_railway_station["gcj02"])) < 1.5
    blon, blat = gcj02_to_bd09(*beijing_railway_station["gcj02"])
    assert float(_metres(geod, blon, blat, *beijing_railway_station["bd09"])) < 1.5


def test_gcj02_offset_magnitude_in_china(geod, china_truth_points):
    for name, (lon, lat) in china_truth_points.items():
        offset = float(_metres(geod, lon, lat, *wgs84_to_gcj02(lon, lat)))
        assert 100.0 <= offset <= 700.0, (name, offset)


def test_gcj02_is_identity_outside_china(outside_points):
    for name, (lon, lat) in outside_points.items():
        assert not in_china(lon, lat), name
        assert wgs84_to_gcj02(lon, lat) == (lon, lat), name
        assert gcj02_to_wgs84(lon, lat) == (lon, lat), name


def test_bd09_outside_china_is_only_the_baidu_shift(outside_points):
    lon, lat = outside_points["tokyo"]
    np.testing.assert_allclose(wgs84_to_bd09(lon, lat), gcj02_to_bd09(lon, lat), atol=0)
    back = bd09_to_wgs84(*wgs84_to_bd09(lon, lat))
    np.testing.assert_allclose(back, (lon, lat), rtol=0, atol=1e-8)


def test_in_china_bounding_box_edges():
    lon = np.array([72.004, 137.8347, 72.003, 137.8348, 100.0, 100.0, 100.0, np.nan])
    lat = np.array([30.0, 30.0, 30.0, 30.0, 0.8293, 55.8271, 55.8272, 30.0])
    expected = [True, True, False, False, True, True, False, False]
    assert in_china(lon, lat).tolist() == expected


def test_vectorised_shapes_and_scalars(truth_arrays):
    lon, lat = truth_arrays
    grid_lon, grid_lat = lon.reshape(2, 5), lat.reshape(2, 5)
    for func in (
        wgs84_to_gcj02,
        gcj02_to_wgs84,
        gcj02_to_bd09,
        bd09_to_gcj02,
        wgs84_to_bd09,
        bd09_to_wgs84,
    ):
        out_lon, out_lat = func(grid_lon, grid_lat)
        assert out_lon.shape == (2, 5) and out_lat.shape == (2, 5), func.__name__
        scalar_lon, scalar_lat = func(float(lon[3]), float(lat[3]))
        assert np.ndim(scalar_lon) == 0 and np.ndim(scalar_lat) == 0, func.__name__
        assert scalar_lon == pytest.approx(out_lon[0, 3], abs=1e-12), func.__name__
        assert scalar_lat == pytest.approx(out_lat[0, 3], abs=1e-12), func.__name__


def test_broadcasts_scalar_against_array():
    lon, lat = wgs84_to_gcj02([116.0, 117.0, 118.0], 39.9)
    assert lon.shape == lat.shape == (3,)
    assert len(set(lat.tolist())) == 3  # latitude offset depends on longitude


def test_nan_passes_through_without_warnings():
    with np.errstate(all="raise"):
        lon, lat = gcj02_to_wgs84([np.nan, 116.41], [39.9, np.nan])
        assert np.isnan(lon[0]) and np.isnan(lat[1])
        blon, blat = bd09_to_gcj02([np.nan, 116.41], [39.9, 39.92])
        assert np.isnan(blon[0]) and np.isfinite(blat[1])


def test_inputs_are_not_mutated():
    lon = np.array([116.404, 110.36])
    lat = np.array([39.915, 21.27])
    gcj02_to_wgs84(lon, lat)
    wgs84_to_gcj02(lon, lat)
    assert lon.tolist() == [116.404, 110.36] and lat.tolist() == [39.915, 21.27]
