"""Geodesic buffers, areas and bearings on the WGS84 ellipsoid (PROJ aeqd, GeographicLib)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache

import shapely
from pyproj import CRS, Geod, Transformer
from shapely.geometry.base import BaseGeometry

#: The WGS84 ellipsoid (GeographicLib geodesics via pyproj).
GEOD = Geod(ellps="WGS84")

#: Largest gap (metres) allowed between a buffer's polygon edge and the true geodesic circle.
#: The polygon is inscribed in the circle, so points d - 1 m away are always inside it.
EDGE_TOLERANCE_M = 0.05

_MIN_QUAD_SEGS = 16
_MAX_QUAD_SEGS = 4096


@lru_cache(maxsize=256)
def _aeqd(lon: float, lat: float) -> tuple[Transformer, Transformer]:
    crs = CRS.from_proj4(f"+proj=aeqd +lat_0={lat!r} +lon_0={lon!r} +datum=WGS84 +units=m")
    fwd = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    inv = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    return fwd, inv


def quad_segments(distance_m: float, tolerance_m: float = EDGE_TOLERANCE_M) -> int:
    """Segments per quarter circle so that an inscribed polygon is within ``tolerance_m``.

    A chord of a circle of radius ``d`` spanning angle ``θ`` lies ``d (1 - cos(θ/2))`` inside it.

    >>> quad_segments(1000.0)
    79
    >>> quad_segments(500_000.0) > quad_segments(5_000.0)
    True
    """
    half_angle = math.acos(max(-1.0, 1.0 - tolerance_m / distance_m))
    n = math.ceil((math.pi / 2) / (2 * half_angle))
    return max(_MIN_QUAD_SEGS, min(_MAX_QUAD_SEGS, n))


def geodesic_buffer(geom: BaseGeometry, distance_m: float) -> BaseGeometry:
    """Buffer a lon/lat geometry by ``distance_m`` geodesic metres on WGS84.

    The geometry is projected to an azimuthal-equidistant projection centred on it (distances
    from the centre are exact geodesic distances on the ellipsoid), buffered there with enough
    segments (:func:`quad_segments`), and projected back. For a point the result is the
    geodesic circle to within :data:`EDGE_TOLERANCE_M`, at any latitude and any radius.

    Parameters
    ----------
    geom : shapely geometry
        Source in WGS84 lon/lat (a point, line or polygon of modest extent).
    distance_m : float
        Buffer distance in metres (> 0).

    Returns
    -------
    shapely.Polygon or shapely.MultiPolygon
        The buffer in WGS84 lon/lat.

    Examples
    --------
    >>> from shapely import Point
    >>> ring = geodesic_buffer(Point(110.36, 21.27), 1000.0)
    >>> lon, lat = ring.exterior.coords[0]
    >>> round(GEOD.inv(110.36, 21.27, lon, lat)[2], 3)
    1000.0
    """
    if distance_m <= 0:
        raise ValueError("distance_m must be positive")
    c = geom.centroid if not geom.is_empty else geom
    fwd, inv = _aeqd(round(c.x, 9), round(c.y, 9))
    planar = shapely.transform(geom, lambda xy: _apply(fwd, xy))
    buffered = planar.buffer(distance_m, quad_segs=quad_segments(distance_m))
    return shapely.transform(buffered, lambda xy: _apply(inv, xy))


def _apply(transformer: Transformer, xy):  # type: ignore[no-untyped-def]
    x, y = transformer.transform(xy[:, 0], xy[:, 1])
    out = xy.copy()
    out[:, 0], out[:, 1] = x, y
    return out


def geodesic_area_m2(geom: BaseGeometry) -> float:
    """Area in square metres of a lon/lat polygon on the WGS84 ellipsoid (GeographicLib).

    >>> from shapely import box
    >>> round(geodesic_area_m2(box(110.0, 21.0, 110.01, 21.01)))
    1151092
    """
    area, _ = GEOD.geometry_area_perimeter(geom)
    return abs(float(area))


def buffer_rings(
    geom: BaseGeometry, distances_m: Sequence[float]
) -> list[tuple[float, BaseGeometry, BaseGeometry]]:
    """Nested geodesic buffers and the rings between them, innermost first.

    Returns ``(distance_m, disc, ring)`` per distance: ``disc`` is the whole buffer, ``ring`` the
    part beyond the previous distance (the first ring is its disc).

    >>> from shapely import Point
    >>> [d for d, _, _ in buffer_rings(Point(110.0, 21.0), [500.0, 100.0])]
    [100.0, 500.0]
    """
    out = []
    previous: BaseGeometry | None = None
    for d in sorted(set(distances_m)):
        disc = geodesic_buffer(geom, d)
        ring = disc if previous is None else disc.difference(previous)
        out.append((float(d), disc, ring))
        previous = disc
    return out


def bearing_deg(lon1: float, lat1: float, lon2: float, lat2: float) -> float | None:
    """Geodesic azimuth (degrees clockwise from north, 0–360) from point 1 to point 2.

    ``None`` when the points coincide (no direction).

    >>> round(bearing_deg(110.0, 21.0, 110.0, 22.0), 6)
    0.0
    >>> round(bearing_deg(110.0, 21.0, 109.0, 21.0))
    270
    """
    az, _, dist = GEOD.inv(lon1, lat1, lon2, lat2)
    if dist == 0:
        return None
    return float(az % 360.0)
