"""Coordinate reference systems: parsing, PROJ transforms and the GCJ-02/BD-09 web-map offsets."""

from gis_onemap.crs.transform import (
    CRS84_URI,
    WGS84,
    CoordinateRangeError,
    CRSError,
    CRSLike,
    CRSSpec,
    from_wgs84,
    parse_crs,
    to_wgs84,
    transform_geometry,
    validate_lonlat,
)
from gis_onemap.crs.webmaps import (
    FloatOrArray,
    bd09_to_gcj02,
    bd09_to_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    in_china,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

__all__ = [
    "CRS84_URI",
    "WGS84",
    "CRSError",
    "CRSLike",
    "CRSSpec",
    "CoordinateRangeError",
    "FloatOrArray",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "from_wgs84",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "in_china",
    "parse_crs",
    "to_wgs84",
    "transform_geometry",
    "validate_lonlat",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]
