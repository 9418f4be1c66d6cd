"""GCJ-02 (Amap, Tencent) and BD-09 (Baidu) web-map offsets that PROJ does not know."""

# These transforms are hand-written on purpose: PROJ has no definition for GCJ-02/BD-09, and no
# maintained Python library implements them vectorised *with an iterative inverse*; the usual
# one-step inverse is only good to a few metres, the fixed-point iteration below to < 1 cm.

from __future__ import annotations

from collections.abc import Callable
from typing import Any, overload

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "FloatOrArray",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "in_china",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

#: A float (``numpy.float64`` for scalar input) or an array of the broadcast input shape.
FloatOrArray = float | NDArray[np.float64]
_Pair = tuple[Any, Any]
_ArrayPair = tuple[NDArray[np.float64], NDArray[np.float64]]

# Krasovsky 1940 ellipsoid, as used by the GCJ-02 obfuscation.
_KRASOVSKY_A = 6378245.0
_KRASOVSKY_EE = 0.00669342162296594323

# BD-09 polar perturbation constant.
_X_PI = np.pi * 3000.0 / 180.0

# Rough China bounding box used by every GCJ-02 implementation.
_LON_MIN, _LON_MAX = 72.004, 137.8347
_LAT_MIN, _LAT_MAX = 0.8293, 55.8271

_TOLERANCE_DEG = 1e-9
_MAX_ITERATIONS = 30


def _broadcast(lon: ArrayLike, lat: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Return float64 copies of ``lon`` and ``lat`` broadcast to a common shape."""
    x, y = np.broadcast_arrays(np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64))
    return np.array(x, dtype=np.float64), np.array(y, dtype=np.float64)


def _out(a: NDArray[Any]) -> Any:
    """Unwrap 0-d arrays into numpy scalars so scalar input gives scalar output."""
    return a[()] if a.ndim == 0 else a


def _inside(x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.bool_]:
    return (x >= _LON_MIN) & (x <= _LON_MAX) & (y >= _LAT_MIN) & (y <= _LAT_MAX)


def _raw_offset(
    lon: NDArray[np.float64], lat: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """GCJ-02 offset (degrees) at WGS84 ``lon``/``lat``, ignoring the China bounding box."""
    x = lon - 105.0
    y = lat - 35.0
    common = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    sqrt_abs_x = np.sqrt(np.abs(x))

    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt_abs_x + common
    dlat += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0

    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt_abs_x + common
    dlon += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0

    rad_lat = np.radians(lat)
    magic = 1.0 - _KRASOVSKY_EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_KRASOVSKY_A * (1.0 - _KRASOVSKY_EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (_KRASOVSKY_A / sqrt_magic * np.cos(rad_lat) * np.pi)
    return dlon, dlat


def _fixed_point_inverse(
    forward: Callable[[NDArray[np.float64], NDArray[np.float64]], _ArrayPair],
    target_x: NDArray[np.float64],
    target_y: NDArray[np.float64],
    guess_x: NDArray[np.float64],
    guess_y: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Solve ``forward(x, y) == target`` by fixed-point iteration from a guess.

    Valid because both forwards are the identity plus a slowly varying offset (|Jacobian of the
    offset| << 1), so each step shrinks the error by orders of magnitude.
    """
    x, y = guess_x.copy(), guess_y.copy()
    for _ in range(_MAX_ITERATIONS):
        fx, fy = forward(x, y)
        ex, ey = fx - target_x, fy - target_y
        x -= ex
        y -= ey
        err = np.maximum(np.abs(ex), np.abs(ey))
        err = err[np.isfinite(err)]  # NaN input stays NaN; don't let it force 30 iterations
        if err.size == 0 or float(err.max()) < _TOLERANCE_DEG:
            break
    return x, y


@overload
def in_china(lon: float, lat: float) -> bool: ...
@overload
def in_china(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]: ...
def in_china(lon: ArrayLike, lat: ArrayLike) -> Any:
    """Whether points fall in the rough China bounding box where GCJ-02 applies.

    Parameters
    ----------
    lon, lat : float or array_like
        Longitude and latitude in degrees.

    Returns
    -------
    bool or numpy.ndarray of bool
        True inside lon 72.004-137.8347, lat 0.8293-55.8271 (bounds inclusive); NaN is False.

    Examples
    --------
    >>> bool(in_china(116.404, 39.915)), bool(in_china(139.7, 35.7))
    (True, False)
    >>> in_china([110.36, 2.35], [21.27, 48.86]).tolist()
    [True, False]
    """
    x, y = _broadcast(lon, lat)
    return _out(_inside(x, y))


@overload
def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]: ...
@overload
def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> _ArrayPair: ...
def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> _Pair:
    """Convert WGS84 lon/lat to GCJ-02 (identity outside China).

    Parameters
    ----------
    lon, lat : float or array_like
        WGS84 longitude and latitude in degrees; broadcast together.

    Returns
    -------
    tuple of float or numpy.ndarray
        GCJ-02 ``(lon, lat)`` with the broadcast shape of the input.

    Examples
    --------
    >>> lon, lat = wgs84_to_gcj02(116.404, 39.915)
    >>> print(f"{lon:.8f} {lat:.8f}")
    116.41024450 39.91640428
    >>> wgs84_to_gcj02(139.7, 35.7) == (139.7, 35.7)
    True
    """
    x, y = _broadcast(lon, lat)
    inside = _inside(x, y)
    dlon, dlat = _raw_offset(x[inside], y[inside])
    x[inside] += dlon
    y[inside] += dlat
    return _out(x), _out(y)


@overload
def gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]: ...
@overload
def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> _ArrayPair: ...
def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> _Pair:
    """Convert GCJ-02 lon/lat to WGS84 with an iterative inverse (identity outside China).

    Starts from the classic one-step inverse and iterates ``w -= gcj(w) - target`` until the
    correction is below 1e-9 degrees (at most 30 iterations; in practice 3-4).

    Parameters
    ----------
    lon, lat : float or array_like
        GCJ-02 longitude and latitude in degrees; broadcast together.

    Returns
    -------
    tuple of float or numpy.ndarray
        WGS84 ``(lon, lat)`` with the broadcast shape of the input.

    Examples
    --------
    >>> lon, lat = gcj02_to_wgs84(116.41024449916938, 39.91640428150164)
    >>> print(f"{lon:.8f} {lat:.8f}")
    116.40400000 39.91500000
    """
    x, y = _broadcast(lon, lat)
    inside = _inside(x, y)
    gx, gy = x[inside], y[inside]
    dlon, dlat = _raw_offset(gx, gy)

    def forward(
        wx: NDArray[np.float64], wy: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        # The unmasked offset keeps the map smooth for points just inside the bounding box.
        ox, oy = _raw_offset(wx, wy)
        return wx + ox, wy + oy

    x[inside], y[inside] = _fixed_point_inverse(forward, gx, gy, gx - dlon, gy - dlat)
    return _out(x), _out(y)


def _gcj02_to_bd09_arrays(
    x: NDArray[np.float64], y: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    z = np.hypot(x, y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


@overload
def gcj02_to_bd09(lon: float, lat: float) -> tuple[float, float]: ...
@overload
def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> _ArrayPair: ...
def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> _Pair:
    """Convert GCJ-02 lon/lat to Baidu BD-09.

    Parameters
    ----------
    lon, lat : float or array_like
        GCJ-02 longitude and latitude in degrees; broadcast together.

    Returns
    -------
    tuple of float or numpy.ndarray
        BD-09 ``(lon, lat)`` with the broadcast shape of the input.

    Examples
    --------
    >>> lon, lat = gcj02_to_bd09(116.404, 39.915)
    >>> print(f"{lon:.8f} {lat:.8f}")
    116.41036949 39.92133699
    """
    x, y = _broadcast(lon, lat)
    bx, by = _gcj02_to_bd09_arrays(x, y)
    return _out(bx), _out(by)


@overload
def bd09_to_gcj02(lon: float, lat: float) -> tuple[float, float]: ...
@overload
def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> _ArrayPair: ...
def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> _Pair:
    """Convert Baidu BD-09 lon/lat to GCJ-02 (closed-form guess refined iteratively).

    Parameters
    ----------
    lon, lat : float or array_like
        BD-09 longitude and latitude in degrees; broadcast together.

    Returns
    -------
    tuple of float or numpy.ndarray
        GCJ-02 ``(lon, lat)`` with the broadcast shape of the input.

    Examples
    --------
    >>> lon, lat = bd09_to_gcj02(116.41036949371029, 39.92133699351021)
    >>> print(f"{lon:.8f} {lat:.8f}")
    116.40400000 39.91500000
    """
    bx, by = _broadcast(lon, lat)
    x = bx - 0.0065
    y = by - 0.006
    z = np.hypot(x, y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    gx, gy = _fixed_point_inverse(
        _gcj02_to_bd09_arrays, bx, by, z * np.cos(theta), z * np.sin(theta)
    )
    return _out(gx), _out(gy)


@overload
def wgs84_to_bd09(lon: float, lat: float) -> tuple[float, float]: ...
@overload
def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> _ArrayPair: ...
def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> _Pair:
    """Convert WGS84 lon/lat to Baidu BD-09 (via GCJ-02).

    Parameters
    ----------
    lon, lat : float or array_like
        WGS84 longitude and latitude in degrees; broadcast together.

    Returns
    -------
    tuple of float or numpy.ndarray
        BD-09 ``(lon, lat)`` with the broadcast shape of the input.

    Examples
    --------
    >>> lon, lat = wgs84_to_bd09([116.404, 110.36], [39.915, 21.27])
    >>> lon.shape, bool(lon[0] > 116.41), bool(lat[1] > 21.27)
    ((2,), True, True)
    """
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


@overload
def bd09_to_wgs84(lon: float, lat: float) -> tuple[float, float]: ...
@overload
def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> _ArrayPair: ...
def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> _Pair:
    """Convert Baidu BD-09 lon/lat to WGS84 (via GCJ-02, both inverses iterative).

    Parameters
    ----------
    lon, lat : float or array_like
        BD-09 longitude and latitude in degrees; broadcast together.

    Returns
    -------
    tuple of float or numpy.ndarray
        WGS84 ``(lon, lat)`` with the broadcast shape of the input.

    Examples
    --------
    >>> lon, lat = bd09_to_wgs84(*wgs84_to_bd09(126.63, 45.75))
    >>> print(f"{lon:.8f} {lat:.8f}")
    126.63000000 45.75000000
    """
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))
