"""File formats: names, extensions, GDAL drivers and media types; format detection."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath

from gis_onemap.errors import InvalidInput


@dataclass(frozen=True)
class FileFormat:
    """One supported file format."""

    name: str
    extensions: tuple[str, ...]
    driver: str | None  # GDAL driver for pyogrio; None = read/written by our own code
    media_type: str
    can_import: bool = True
    can_export: bool = True

    @property
    def extension(self) -> str:
        """The extension of exported files (``.gpkg``; ``.zip`` for a Shapefile download)."""
        return self.extensions[0]


FORMATS: dict[str, FileFormat] = {
    f.name: f
    for f in (
        FileFormat("csv", (".csv", ".txt"), None, "text/csv; charset=utf-8"),
        FileFormat(
            "xlsx",
            (".xlsx", ".xlsm"),
            None,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            can_export=False,
        ),
        FileFormat("geojson", (".geojson", ".json"), None, "application/geo+json"),
        FileFormat("shp", (".shp", ".zip"), "ESRI Shapefile", "application/zip"),
        FileFormat("gpkg", (".gpkg",), "GPKG", "application/geopackage+sqlite3"),
        FileFormat("kml", (".kml",), "LIBKML", "application/vnd.google-earth.kml+xml"),
        FileFormat("fgb", (".fgb",), "FlatGeobuf", "application/flatgeobuf"),
    )
}
EXPORT_FORMATS: tuple[str, ...] = tuple(n for n, f in FORMATS.items() if f.can_export)
IMPORT_FORMATS: tuple[str, ...] = tuple(n for n, f in FORMATS.items() if f.can_import)
_ALIASES = {"shapefile": "shp", "geopackage": "gpkg", "flatgeobuf": "fgb", "excel": "xlsx",
            "json": "geojson", "xls": "xlsx"}  # fmt: skip


def get_format(name: str, *, export: bool = False) -> FileFormat:
    """The format called ``name`` (case-insensitive, common aliases accepted).

    >>> get_format("GeoPackage").driver
    'GPKG'
    >>> get_format("pdf")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    gis_onemap.errors.InvalidInput: unknown format 'pdf'; use one of csv, xlsx, geojson, ...
    """
    key = name.strip().lower().lstrip(".")
    key = _ALIASES.get(key, key)
    allowed = EXPORT_FORMATS if export else IMPORT_FORMATS
    fmt = FORMATS.get(key)
    if fmt is None or fmt.name not in allowed:
        what = "export format" if export and fmt is not None else "format"
        raise InvalidInput(f"unknown {what} '{name[:40]}'; use one of {', '.join(allowed)}")
    return fmt


def detect_format(filename: str, explicit: str | None = None) -> FileFormat:
    """The format of an input file: ``explicit`` if given, else from the file's extension.

    >>> detect_format("teams.CSV").name
    'csv'
    >>> detect_format("shelters.zip").name
    'shp'
    >>> detect_format("a.dat")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    gis_onemap.errors.InvalidInput: unknown format of 'a.dat' (extension '.dat'); use one of ...
    """
    if explicit:
        return get_format(explicit)
    suffix = PurePath(filename).suffix.lower()
    for fmt in FORMATS.values():
        if suffix in fmt.extensions:
            return fmt
    raise InvalidInput(
        f"unknown format of '{PurePath(filename).name[:80]}' (extension '{suffix[:20]}'); "
        f"use one of {', '.join(IMPORT_FORMATS)}, or name the format"
    )
