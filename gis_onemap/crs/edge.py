"""The one place where a client's CRS meets the server (issue 12): every way in and out.

Everything inside is WGS84 lon/lat (EPSG:4326 columns). At the edges a client names a CRS:
``crs``/``bbox-crs`` on ``/items`` (OGC API – Features Part 2, with the CRS's own axis order),
``crs`` of an analysis point or buffer geometry, ``--crs`` of an import or export, a file's own
``.prj``. Each is parsed and checked here, with the same messages, whether it came over HTTP
(``api/crs.py`` wraps these as FastAPI dependencies) or from the CLI:

- :func:`input_crs` / :func:`usable_crs`: a CRS coordinates can come *from* (parsed, and PROJ
  can reach WGS84 from it: PROJ also knows Mars);
- :func:`output_crs`: a CRS to answer in (also nameable in a ``Content-Crs`` header);
- :func:`point_to_wgs84`, :func:`geometry_to_wgs84`, :func:`bbox_to_wgs84`: into WGS84,
  range-checked; :func:`features_to_crs`: out of it.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import numpy as np
import shapely
from pyproj.exceptions import ProjError
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

from gis_onemap.crs.transform import (
    CRS84_URI,
    CoordinateRangeError,
    CRSError,
    CRSSpec,
    from_wgs84,
    parse_crs,
    to_wgs84,
    transform_geometry,
    validate_lonlat,
)
from gis_onemap.errors import InvalidInput, OneMapError

#: The Part 2 conformance class implemented by ``crs`` and ``bbox-crs`` on ``/items``.
CRS_CONFORMANCE = "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs"
#: CRSs advertised for collections (any EPSG code PROJ knows is accepted as well).
SUPPORTED_CRS = (
    CRS84_URI,
    "http://www.opengis.net/def/crs/EPSG/0/4326",
    "http://www.opengis.net/def/crs/EPSG/0/4490",
    "http://www.opengis.net/def/crs/EPSG/0/3857",
    *(f"http://www.opengis.net/def/crs/EPSG/0/{code}" for code in range(4491, 4555)),
    "gcj02",
    "bd09",
)


def usable_crs(spec: CRSSpec, what: str) -> CRSSpec:
    """``spec`` if coordinates can go from it to WGS84 (PROJ also knows Mars and the Moon).

    >>> usable_crs(parse_crs("EPSG:4549"), "crs").uri
    'http://www.opengis.net/def/crs/EPSG/0/4549'
    """
    try:
        with np.errstate(all="ignore"):
            to_wgs84(0.0, 0.0, spec)
    except ProjError:
        raise InvalidInput(f"{what}: cannot transform from {spec.uri[:80]} to WGS84") from None
    return spec


def input_crs(text: str | None, what: str = "crs") -> CRSSpec:
    """The CRS named by ``text`` (WGS84 when absent), checked usable; else :class:`InvalidInput`.

    >>> input_crs("gcj02").kind
    'gcj02'
    >>> input_crs("EPSG:999999")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    gis_onemap.errors.InvalidInput: crs: ...
    """
    try:
        spec = parse_crs(text)
    except CRSError as exc:
        raise InvalidInput(f"{what}: {exc}") from None
    return usable_crs(spec, what)


#: Names of geographic CRSs whose coordinates are range-checked as lon/lat before converting.
GEOGRAPHIC_NAMES = frozenset(
    {"wgs84", "crs84", "epsg:4326", "epsg:4490", "cgcs2000", "gcj02", "bd09", "4326", "4490"}
)


def point_to_wgs84(x: float, y: float, crs: str | None = None) -> tuple[float, float]:
    """A point given in ``crs`` (default WGS84 lon/lat) as WGS84 lon/lat, range-checked.

    >>> point_to_wgs84(110.0, 95.0)
    Traceback (most recent call last):
    ...
    gis_onemap.errors.InvalidInput: latitude must be within [-90, 90]
    """
    geographic = crs is None or str(crs).strip().lower() in GEOGRAPHIC_NAMES
    try:
        if geographic:
            validate_lonlat(x, y)
        lon, lat = (x, y) if crs is None else to_wgs84(x, y, crs)
        validate_lonlat(lon, lat)
    except CRSError as exc:
        raise InvalidInput(f"crs: {exc}") from None
    except CoordinateRangeError as exc:
        raise InvalidInput(str(exc)) from None
    return float(lon), float(lat)


def geometry_to_wgs84(
    geom: BaseGeometry, crs: Any, error: type[OneMapError] = InvalidInput
) -> BaseGeometry:
    """A shapely geometry in ``crs`` as WGS84 (``error`` names a bad CRS for the client)."""
    try:
        return transform_geometry(geom, crs)
    except CRSError as exc:
        raise error(f"crs: {exc}") from None


def output_crs(text: str | None) -> CRSSpec:
    """The ``crs`` parameter as a CRS (WGS84 when absent).

    :class:`InvalidInput` if unknown or if it could not be named in a ``Content-Crs`` header
    (checked before any work).

    >>> output_crs("EPSG:4490").uri
    'http://www.opengis.net/def/crs/EPSG/0/4490'
    """
    spec = input_crs(text, "crs")
    content_crs(spec)
    return spec


def north_first(spec: CRSSpec) -> bool:
    """True when the CRS's official first axis is latitude/northing (EPSG:4326, 4490, 4549...).

    OGC API – Features Part 2 uses the CRS's own axis order; CRS84, GCJ-02 and BD-09 are
    longitude first.

    >>> north_first(parse_crs("EPSG:4326")), north_first(parse_crs(None))
    (True, False)
    >>> north_first(parse_crs("EPSG:4549")), north_first(parse_crs("EPSG:3857"))
    (True, False)
    """
    if spec.kind != "pyproj" or spec.pyproj_crs is None or spec.uri == CRS84_URI:
        return False
    axes = spec.pyproj_crs.axis_info
    return bool(axes) and axes[0].direction.lower() in ("north", "south")


def bbox_to_wgs84(
    box: tuple[float, float, float, float] | None,
    bbox_crs: str | None,
    *,
    authority_axes: bool = False,
) -> tuple[float, float, float, float] | None:
    """A bbox given in ``bbox_crs`` as a WGS84 lon/lat box enclosing it (edges densified).

    ``authority_axes``: the numbers follow the CRS's own axis order (the API, per Part 2);
    otherwise x = longitude/easting first (files, the CLI).

    >>> bbox_to_wgs84((21.0, 110.0, 22.0, 111.0), "EPSG:4326", authority_axes=True)
    (110.0, 21.0, 111.0, 22.0)
    """
    if box is None:
        return None
    spec = input_crs(bbox_crs, "bbox-crs")
    minx, miny, maxx, maxy = box
    if authority_axes and north_first(spec):
        minx, miny, maxx, maxy = miny, minx, maxy, maxx
    if spec.is_wgs84:
        out = (minx, miny, maxx, maxy)
    else:
        t = np.linspace(0.0, 1.0, 33)
        xs = np.concatenate([minx + (maxx - minx) * t, np.full(33, maxx),
                             maxx - (maxx - minx) * t, np.full(33, minx)])  # fmt: skip
        ys = np.concatenate([np.full(33, miny), miny + (maxy - miny) * t,
                             np.full(33, maxy), maxy - (maxy - miny) * t])  # fmt: skip
        with np.errstate(all="ignore"):
            lon, lat = to_wgs84(xs, ys, spec)
        if not (np.isfinite(lon).all() and np.isfinite(lat).all()):
            raise InvalidInput("bbox: the box cannot be transformed from bbox-crs to WGS84")
        out = (float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max()))
    from gis_onemap.query.items import check_wgs84_bbox  # query imports categories: lazily

    check_wgs84_bbox(out)
    return out


def _transform(geometry: dict[str, Any], spec: CRSSpec, swap: bool) -> dict[str, Any]:
    geom = shape(geometry)

    def apply(coords: np.ndarray) -> np.ndarray:
        x, y = from_wgs84(coords[:, 0], coords[:, 1], spec)
        return np.column_stack([y, x] if swap else [x, y])

    out: dict[str, Any] = mapping(shapely.transform(geom, apply))
    return out


def features_to_crs(features: list[dict[str, Any]], spec: CRSSpec) -> list[dict[str, Any]]:
    """GeoJSON features (WGS84) with their geometries in ``spec`` and its axis order."""
    if spec.is_wgs84 and spec.uri == CRS84_URI:
        return features
    swap = north_first(spec)
    for f in features:
        if f.get("geometry") is not None:
            f["geometry"] = _transform(f["geometry"], spec, swap)
    return features


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def header_value(text: str, what: str) -> str:
    r"""``text`` made safe for an HTTP header.

    Control characters (CR/LF: header injection) are refused with :class:`InvalidInput`, other
    non-ASCII characters percent-encoded.

    >>> header_value("CGCS2000 / 高斯", "crs")
    'CGCS2000 / %E9%AB%98%E6%96%AF'
    >>> header_value('PROJCRS["x\r\nSet-Cookie: a=b"]', "crs")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    gis_onemap.errors.InvalidInput: crs: control characters (line breaks) are not allowed ...
    """
    if _CONTROL.search(text):
        raise InvalidInput(f"{what}: control characters (line breaks) are not allowed in its name")
    return "".join(c if c.isascii() else quote(c) for c in text)


def content_crs(spec: CRSSpec) -> str:
    """The ``Content-Crs`` header value, e.g. ``<http://www.opengis.net/def/crs/EPSG/0/4490>``."""
    return f"<{header_value(spec.uri, 'crs')}>"
