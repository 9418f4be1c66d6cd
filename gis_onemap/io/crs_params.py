"""Moved to :mod:`gis_onemap.crs.edge` (the one CRS-at-the-edge module).

Kept as an alias so code written against the old name keeps working.
"""

from gis_onemap.crs.edge import (
    CRS_CONFORMANCE,
    SUPPORTED_CRS,
    bbox_to_wgs84,
    content_crs,
    features_to_crs,
    header_value,
    input_crs,
    north_first,
    output_crs,
)

__all__ = [
    "CRS_CONFORMANCE",
    "SUPPORTED_CRS",
    "bbox_to_wgs84",
    "content_crs",
    "features_to_crs",
    "header_value",
    "input_crs",
    "north_first",
    "output_crs",
]
