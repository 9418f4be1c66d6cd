"""Parse coordinate reference systems and transform coordinates and geometries via WGS84."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal, TypeVar, overload

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError as _PyprojCRSError

from gis_onemap.crs import webmaps

__all__ = [
    "CRS84_URI",
    "WGS84",
    "CRSError",
    "CRSLike",
    "CRSSpec",
    "CoordinateRangeError",
    "from_wgs84",
    "parse_crs",
    "to_wgs84",
    "transform_geometry",
    "validate_lonlat",
]

CRS84_URI = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG4326_URI = "http://www.opengis.net/def/crs/EPSG/0/4326"
_EPSG_URI_PREFIX = "http://www.opengis.net/def/crs/EPSG/0/"

_ArrayPair = tuple[NDArray[np.float64], NDArray[np.float64]]

CRSKind = Literal["pyproj", "gcj02", "bd09"]

_WEBMAP_ALIASES: dict[str, CRSKind] = {"gcj02": "gcj02", "bd09": "bd09"}
_MAX_ECHO = 80  # longest user input echoed back in an error message
_MAX_INPUT = 20_000  # WKT from a .prj is a few KB; refuse anything absurd before PROJ sees it


class CRSError(ValueError):
    """A coordinate reference system could not be understood; the message is safe to show."""


class CoordinateRangeError(ValueError):
    """Longitude/latitude out of range or not finite; the message is safe to show."""


@dataclass(frozen=True)
class CRSSpec:
    """A parsed coordinate reference system.

    Attributes
    ----------
    kind : {"pyproj", "gcj02", "bd09"}
        ``"pyproj"`` for anything PROJ knows; the two web-map offsets are handled by
        :mod:`gis_onemap.crs.webmaps`.
    pyproj_crs : pyproj.CRS or None
        The PROJ CRS for ``kind == "pyproj"``, else None.
    uri : str
        OGC URI (``http://www.opengis.net/def/crs/EPSG/0/4490``; the CRS84 URI for WGS84 lon/lat),
        ``"gcj02"``/``"bd09"``, or - for a custom CRS with no EPSG/OGC code - its PROJ/WKT text.
    """

    kind: CRSKind
    pyproj_crs: CRS | None = field(default=None, hash=False, repr=False)
    uri: str = CRS84_URI

    @property
    def is_wgs84(self) -> bool:
        """True for WGS84 geographic lon/lat (OGC CRS84 or EPSG:4326; not CGCS2000)."""
        return self.kind == "pyproj" and self.uri in (CRS84_URI, EPSG4326_URI)


#: WGS84 longitude/latitude, the storage CRS.
WGS84 = CRSSpec(kind="pyproj", pyproj_crs=CRS.from_user_input("OGC:CRS84"), uri=CRS84_URI)

CRSLike = CRSSpec | str | int | None

_EPSG_CODE = re.compile(r"^(?:epsg:{1,2})?(\d{1,6})$", re.IGNORECASE)
_CRS84_NAMES = {"crs84", "ogc:crs84", "wgs84", "urn:ogc:def:crs:ogc:1.3:crs84"}


def _echo(value: object) -> str:
    text = repr(value)
    return text if len(text) <= _MAX_ECHO else text[: _MAX_ECHO - 3] + "..."


def _unknown(value: object) -> CRSError:
    return CRSError(f"unknown coordinate reference system: {_echo(value)}")


def _uri_for(crs: CRS) -> str:
    """OGC URI for an EPSG/OGC-identified CRS; the PROJ/WKT text of a custom one."""
    auth = crs.to_authority()
    if auth is None or auth[0] not in ("EPSG", "OGC"):
        auth = crs.to_authority(auth_name="EPSG")
    if auth is not None:
        name, code = auth
        if name == "OGC" and code.upper() == "CRS84":
            return CRS84_URI
        if name == "EPSG":
            return _EPSG_URI_PREFIX + str(code)
    return str(crs.to_string())


@lru_cache(maxsize=256)
def _parse_text(text: str) -> CRSSpec:
    """Parse a stripped, non-empty CRS string (cached)."""
    folded = text.lower()
    compact = re.sub(r"[\s_\-]", "", folded)
    if compact in _WEBMAP_ALIASES:
        kind = _WEBMAP_ALIASES[compact]
        return CRSSpec(kind=kind, pyproj_crs=None, uri=kind)
    if folded in _CRS84_NAMES or text == CRS84_URI:
        return WGS84
    match = _EPSG_CODE.match(text)
    user_input = f"EPSG:{match.group(1)}" if match else text
    try:
        crs = CRS.from_user_input(user_input)
    except (_PyprojCRSError, ValueError, TypeError) as exc:
        raise _unknown(text) from exc
    if not (crs.is_geographic or crs.is_projected):
        raise CRSError(
            f"unsupported coordinate reference system (not geographic or projected): {_echo(text)}"
        )
    if not _is_earth(crs):
        raise CRSError(f"unsupported coordinate reference system (not on the Earth): {_echo(text)}")
    uri = _uri_for(crs)
    if uri == CRS84_URI:
        return WGS84
    return CRSSpec(kind="pyproj", pyproj_crs=crs, uri=uri)


def _is_earth(crs: CRS) -> bool:
    """Whether ``crs`` is on an Earth ellipsoid (Mars 2000 and the like cannot go to WGS84)."""
    ellipsoid = crs.ellipsoid
    return ellipsoid is not None and 6.3e6 < ellipsoid.semi_major_metre < 6.4e6


def parse_crs(value: CRSLike) -> CRSSpec:
    """Parse a user-supplied coordinate reference system.

    Parameters
    ----------
    value : CRSSpec, str, int or None
        None (WGS84); an EPSG code (``4326``, ``"4326"``, ``"EPSG:4490"``); an OGC URI or URN
        (``http://www.opengis.net/def/crs/EPSG/0/4490``, the CRS84 URI, ``"CRS84"``); the web-map
        systems ``"gcj02"``/``"GCJ-02"`` and ``"bd09"``/``"BD-09"``; or WKT / PROJ text such as the
        contents of a ``.prj`` file.

    Returns
    -------
    CRSSpec

    Raises
    ------
    CRSError
        Unknown, empty or unsupported (e.g. vertical-only) CRS.

    Examples
    --------
    >>> parse_crs(None).uri
    'http://www.opengis.net/def/crs/OGC/1.3/CRS84'
    >>> parse_crs("EPSG:4490").uri
    'http://www.opengis.net/def/crs/EPSG/0/4490'
    >>> parse_crs("GCJ-02").kind
    'gcj02'
    """
    if value is None:
        return WGS84
    if isinstance(value, CRSSpec):
        return value
    if isinstance(value, bool):
        raise _unknown(value)
    if isinstance(value, int):
        if value <= 0:
            raise _unknown(value)
        return _parse_text(f"EPSG:{value}")
    if isinstance(value, str):
        text = value.strip()
        if not text or len(text) > _MAX_INPUT:
            raise _unknown(value)
        return _parse_text(text)
    raise _unknown(value)


@lru_cache(maxsize=128)
def _transformers(spec: CRSSpec) -> tuple[Transformer, Transformer]:
    """(to WGS84, from WGS84) transformers with x=lon/easting, y=lat/northing."""
    to_wgs = Transformer.from_crs(spec.pyproj_crs, WGS84.pyproj_crs, always_xy=True)
    from_wgs = Transformer.from_crs(WGS84.pyproj_crs, spec.pyproj_crs, always_xy=True)
    return to_wgs, from_wgs


def _as_arrays(x: ArrayLike, y: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    a, b = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
    return np.array(a, dtype=np.float64), np.array(b, dtype=np.float64)


def _shaped(values: Any, shape: tuple[int, ...]) -> Any:
    arr = np.asarray(values, dtype=np.float64).reshape(shape)
    return arr[()] if arr.ndim == 0 else arr


def _pyproj_apply(transformer: Transformer, x: ArrayLike, y: ArrayLike) -> tuple[Any, Any]:
    a, b = _as_arrays(x, y)
    if a.size == 0:
        return _shaped(a, a.shape), _shaped(b, b.shape)
    ox, oy = transformer.transform(a.ravel(), b.ravel())
    return _shaped(ox, a.shape), _shaped(oy, a.shape)


@overload
def to_wgs84(x: float, y: float, crs: CRSLike) -> tuple[float, float]: ...
@overload
def to_wgs84(x: ArrayLike, y: ArrayLike, crs: CRSLike) -> _ArrayPair: ...
def to_wgs84(x: ArrayLike, y: ArrayLike, crs: CRSLike) -> tuple[Any, Any]:
    """Transform coordinates in ``crs`` to WGS84 ``(lon, lat)``.

    Parameters
    ----------
    x, y : float or array_like
        Longitude/easting and latitude/northing (always this order, whatever the CRS's
        official axis order); broadcast together.
    crs : CRSSpec, str, int or None
        Source CRS; anything :func:`parse_crs` accepts.

    Returns
    -------
    tuple of float or numpy.ndarray
        WGS84 longitude and latitude in degrees, shaped like the broadcast input.

    Examples
    --------
    >>> lon, lat = to_wgs84(500000.0, 4419000.0, "EPSG:4549")
    >>> print(f"{lon:.4f} {lat:.4f}")
    120.0000 39.9052
    """
    spec = parse_crs(crs)
    if spec.kind == "gcj02":
        return webmaps.gcj02_to_wgs84(x, y)
    if spec.kind == "bd09":
        return webmaps.bd09_to_wgs84(x, y)
    if spec.is_wgs84:
        a, b = _as_arrays(x, y)
        return _shaped(a, a.shape), _shaped(b, b.shape)
    return _pyproj_apply(_transformers(spec)[0], x, y)


@overload
def from_wgs84(lon: float, lat: float, crs: CRSLike) -> tuple[float, float]: ...
@overload
def from_wgs84(lon: ArrayLike, lat: ArrayLike, crs: CRSLike) -> _ArrayPair: ...
def from_wgs84(lon: ArrayLike, lat: ArrayLike, crs: CRSLike) -> tuple[Any, Any]:
    """Transform WGS84 ``(lon, lat)`` to ``crs`` as ``(x, y)`` (x = lon/easting).

    Parameters
    ----------
    lon, lat : float or array_like
        WGS84 longitude and latitude in degrees; broadcast together.
    crs : CRSSpec, str, int or None
        Target CRS; anything :func:`parse_crs` accepts.

    Returns
    -------
    tuple of float or numpy.ndarray
        Coordinates in the target CRS, shaped like the broadcast input.

    Examples
    --------
    >>> x, y = from_wgs84(120.0, 30.0, 4549)
    >>> print(f"{x:.3f}")
    500000.000
    """
    spec = parse_crs(crs)
    if spec.kind == "gcj02":
        return webmaps.wgs84_to_gcj02(lon, lat)
    if spec.kind == "bd09":
        return webmaps.wgs84_to_bd09(lon, lat)
    if spec.is_wgs84:
        a, b = _as_arrays(lon, lat)
        return _shaped(a, a.shape), _shaped(b, b.shape)
    return _pyproj_apply(_transformers(spec)[1], lon, lat)


_G = TypeVar("_G", bound=shapely.Geometry)


def transform_geometry(geom: _G, src: CRSLike, dst: CRSLike = None) -> _G:
    """Transform a shapely 2 geometry from ``src`` to ``dst`` (default WGS84) via WGS84.

    Any geometry type works; Z values are carried through unchanged.

    Parameters
    ----------
    geom : shapely.Geometry
        Geometry with coordinates in ``src`` (x = lon/easting, y = lat/northing).
    src, dst : CRSSpec, str, int or None
        Anything :func:`parse_crs` accepts.

    Returns
    -------
    shapely.Geometry
        A new geometry of the same type in ``dst``.

    Examples
    --------
    >>> from shapely import Point
    >>> p = transform_geometry(Point(500000.0, 3320000.0), "EPSG:4549", "EPSG:4326")
    >>> print(f"{p.x:.4f} {p.y:.4f}")
    120.0000 29.9990
    """
    src_spec, dst_spec = parse_crs(src), parse_crs(dst)
    if src_spec == dst_spec:
        return geom

    def apply(coords: NDArray[np.float64]) -> NDArray[np.float64]:
        out = np.array(coords, dtype=np.float64)
        lon, lat = to_wgs84(coords[:, 0], coords[:, 1], src_spec)
        out[:, 0], out[:, 1] = from_wgs84(lon, lat, dst_spec)
        return out

    include_z = bool(shapely.has_z(geom))
    result: _G = shapely.transform(geom, apply, include_z=include_z)
    return result


def validate_lonlat(lon: ArrayLike, lat: ArrayLike) -> None:
    """Check WGS84 longitude/latitude ranges, rejecting NaN and infinity.

    Parameters
    ----------
    lon, lat : float or array_like
        Longitudes and latitudes in degrees.

    Raises
    ------
    CoordinateRangeError
        ``"longitude must be within [-180, 180]"`` or ``"latitude must be within [-90, 90]"``.

    Examples
    --------
    >>> validate_lonlat([116.4, -180.0], [39.9, 90.0])
    >>> validate_lonlat(200.0, 0.0)
    Traceback (most recent call last):
    ...
    gis_onemap.crs.transform.CoordinateRangeError: longitude must be within [-180, 180]
    """
    for values, limit, name in ((lon, 180.0, "longitude"), (lat, 90.0, "latitude")):
        try:
            arr = np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise CoordinateRangeError(f"{name} must be a number") from exc
        if not bool(np.all(np.isfinite(arr) & (np.abs(arr) <= limit))):
            bound = math.trunc(limit)
            raise CoordinateRangeError(f"{name} must be within [-{bound}, {bound}]")
