"""Read an input file into columns of Python values plus geometries, whatever its format."""

from __future__ import annotations

import codecs
import csv
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pandas as pd
import pyogrio
import shapely
from shapely.geometry import shape

from gis_onemap.errors import InvalidInput
from gis_onemap.io.formats import FileFormat

#: Fields that the KML drivers add to every layer; dropped on import when they carry no data.
KML_STANDARD_FIELDS = (
    "id", "description", "timestamp", "begin", "end", "altitudeMode", "tessellate", "extrude",
    "visibility", "drawOrder", "icon", "snippet",
)  # fmt: skip
MAX_ZIP_MEMBERS = 1000
MAX_UNZIPPED_BYTES = 4 * 1024**3


@dataclass
class SourceTable:
    """The rows of an input file: columns of plain Python values, geometries, the file's CRS."""

    columns: dict[str, list[Any]]
    n_rows: int
    geometries: np.ndarray | None = None  # shapely geometries (None = missing) for vector files
    geometry_errors: dict[int, str] = field(default_factory=dict)
    file_crs: str | None = None
    layer: str | None = None
    encoding: str | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def tabular(self) -> bool:
        """True for CSV/XLSX, whose coordinates are in columns."""
        return self.geometries is None


def _safe(message: object, path: Path) -> str:
    """A GDAL/pandas message without our temporary paths."""
    text = str(message).replace(str(path.parent) + "/", "").replace(str(path), path.name)
    return re.sub(r"/tmp/\S+/", "", text)[:300]


# ---- text encodings ------------------------------------------------------------------------
def _decodes(data: bytes, encoding: str, final: bool) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        decoder.decode(data, final=final)
    except UnicodeDecodeError:
        return False
    return True


def _check_encoding(name: str) -> str:
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise InvalidInput(
            f"unknown encoding '{name[:40]}'; use e.g. utf-8, gbk or gb18030"
        ) from None


def sniff_encoding(data: bytes, final: bool, explicit: str | None) -> str:
    """The text encoding of ``data``: ``explicit`` if it decodes, else UTF-8 or GB18030.

    ``final`` is False when ``data`` is only the start of the file.

    >>> sniff_encoding("名称".encode("gbk"), True, None)
    'gb18030'
    >>> sniff_encoding("名称".encode("gbk"), True, "utf-8")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    gis_onemap.errors.InvalidInput: the file is not valid utf-8 text (wrong encoding?); ...
    """
    if explicit:
        enc = _check_encoding(explicit)
        if not _decodes(data, enc, final):
            hint = "gbk or gb18030" if enc.startswith("utf") else "utf-8"
            raise InvalidInput(
                f"the file is not valid {enc} text (wrong encoding?); try encoding {hint}"
            )
        return enc
    if _decodes(data, "utf-8", final):
        return "utf-8-sig" if data.startswith(codecs.BOM_UTF8) else "utf-8"
    if _decodes(data, "gb18030", final):
        return "gb18030"
    raise InvalidInput("the file's text is neither UTF-8 nor GBK/GB18030; give its encoding")


# ---- CSV and Excel -------------------------------------------------------------------------
def read_csv(path: Path, encoding: str | None) -> SourceTable:
    """A CSV file (delimiter sniffed among , ; tab |); cells stay text."""
    data = path.read_bytes()
    if not data.strip(b"\xef\xbb\xbf \r\n\t"):
        raise InvalidInput("the file is empty")
    enc = sniff_encoding(data, True, encoding)
    text = data.decode(enc)
    del data
    first = text[:8192].splitlines()[0] if text else ""
    try:
        delimiter = csv.Sniffer().sniff(first, delimiters=",;\t|").delimiter
    except csv.Error:
        delimiter = ","
    from io import StringIO

    try:
        df = pd.read_csv(
            StringIO(text), sep=delimiter, dtype=str, keep_default_na=False, na_filter=False
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise InvalidInput(f"could not read the CSV file: {_safe(exc, path)}") from None
    return _from_frame(df, encoding=enc)


def read_xlsx(path: Path, sheet: str | None) -> SourceTable:
    """The first (or the named) sheet of an Excel workbook; the first row holds the headers."""
    try:
        book = pd.ExcelFile(path, engine="openpyxl")
    except (zipfile.BadZipFile, ValueError, KeyError, OSError) as exc:
        raise InvalidInput(f"could not read the Excel file: {_safe(exc, path)}") from None
    with book:
        names = [str(n) for n in book.sheet_names]
        if sheet is not None and sheet not in names:
            raise InvalidInput(f"no sheet '{sheet[:60]}' in the workbook; sheets: {names}")
        df = book.parse(sheet if sheet is not None else 0, dtype=object)
    df.columns = [str(c) for c in df.columns]
    table = _from_frame(df.astype(object).where(df.notna(), None), encoding=None)
    table.layer = sheet or (names[0] if names else None)
    return table


def _from_frame(df: pd.DataFrame, encoding: str | None) -> SourceTable:
    if len(df.columns) == 0:
        raise InvalidInput("the file is empty")
    if len(df) == 0:
        raise InvalidInput("the file has a header but no data rows")
    columns = {str(c).strip(): df[c].tolist() for c in df.columns}
    return SourceTable(columns=columns, n_rows=len(df), encoding=encoding)


# ---- GeoJSON -------------------------------------------------------------------------------
def read_geojson(path: Path) -> SourceTable:
    """A GeoJSON FeatureCollection (or a single Feature). Read with orjson, not GDAL: GDAL
    flattens list and object properties (``specialties``, ``substances``) into strings."""
    data = path.read_bytes()
    if not data.strip():
        raise InvalidInput("the file is empty")
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError:
        raise InvalidInput("the file is not valid JSON (GeoJSON must be UTF-8)") from None
    if isinstance(doc, dict) and doc.get("type") == "Feature":
        doc = {"type": "FeatureCollection", "features": [doc]}
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise InvalidInput("the file is not a GeoJSON FeatureCollection")
    features = doc.get("features")
    if not isinstance(features, list):
        raise InvalidInput("the GeoJSON 'features' member must be a list")
    if not features:
        raise InvalidInput("the file has no features")
    crs = None
    crs_member = doc.get("crs")
    if isinstance(crs_member, dict):  # GeoJSON 2008 named CRS, still written by GDAL and QGIS
        crs = (crs_member.get("properties") or {}).get("name")
    names: dict[str, None] = {}
    for feat in features:
        if isinstance(feat, dict) and isinstance(feat.get("properties"), dict):
            names.update(dict.fromkeys(feat["properties"]))
    columns: dict[str, list[Any]] = {n: [] for n in names}
    geoms = np.empty(len(features), dtype=object)
    errors: dict[int, str] = {}
    for i, feat in enumerate(features):
        props = feat.get("properties") if isinstance(feat, dict) else None
        props = props if isinstance(props, dict) else {}
        for n, col in columns.items():
            col.append(props.get(n))
        geometry = feat.get("geometry") if isinstance(feat, dict) else None
        if geometry is None:
            geoms[i] = None
            continue
        try:
            geoms[i] = shape(geometry)
        except Exception:  # noqa: BLE001 - shapely raises many kinds for malformed geometry
            geoms[i] = None
            errors[i] = "the geometry is not valid GeoJSON"
    return SourceTable(columns, len(features), geoms, errors, file_crs=crs, encoding="utf-8")


# ---- GDAL formats (Shapefile, GeoPackage, KML, FlatGeobuf) ---------------------------------
def _dbf_encoding(shp: Path, explicit: str | None) -> str | None:
    """The DBF's encoding: None lets GDAL use the .cpg / DBF language id; else sniffed bytes."""
    dbf = next((p for p in shp.parent.glob(shp.stem + ".*") if p.suffix.lower() == ".dbf"), None)
    if dbf is None:
        raise InvalidInput(f"'{shp.name}' has no .dbf file beside it (zip all its parts)")
    has_cpg = any(p.suffix.lower() == ".cpg" for p in shp.parent.glob(shp.stem + ".*"))
    with dbf.open("rb") as fh:
        head = fh.read(32)
        ldid = head[29] if len(head) > 29 else 0
        sample = fh.read(8 * 1024 * 1024)
        final = not fh.read(1)
    if explicit:
        return sniff_encoding(sample, final, explicit)
    if has_cpg or ldid:
        return None
    if sample.isascii():
        return None
    return sniff_encoding(sample, final, None).replace("-sig", "")


def list_layers(path: Path) -> list[str]:
    try:
        return [str(n) for n in pyogrio.list_layers(path)[:, 0]]
    except Exception as exc:  # noqa: BLE001 - GDAL raises several error classes
        raise InvalidInput(f"could not open the file: {_safe(exc, path)}") from None


def read_ogr(path: Path, fmt: FileFormat, layer: str | None, encoding: str | None) -> SourceTable:
    """A Shapefile, GeoPackage, KML or FlatGeobuf layer through pyogrio (Arrow)."""
    if path.stat().st_size == 0:
        raise InvalidInput("the file is empty")
    enc = _dbf_encoding(path, encoding) if fmt.name == "shp" else None
    layers = list_layers(path)
    if layer is not None and layer not in layers:
        raise InvalidInput(f"no layer '{layer[:60]}' in the file; layers: {layers[:20]}")
    if layer is None and len(layers) > 1 and fmt.name == "gpkg":
        raise InvalidInput(f"the file has several layers {layers[:20]}; choose one with 'layer'")
    if not layers:
        raise InvalidInput("the file has no layers")
    name = layer or layers[0]
    try:
        meta, table = pyogrio.read_arrow(path, layer=name, encoding=enc)
    except Exception as exc:  # noqa: BLE001 - GDAL raises several error classes
        raise InvalidInput(f"could not read the {fmt.name} file: {_safe(exc, path)}") from None
    if table.num_rows == 0:
        raise InvalidInput("the file has no features")
    geom_name = meta.get("geometry_name") or "wkb_geometry"
    columns: dict[str, list[Any]] = {}
    for col in table.column_names:
        if col == geom_name:
            continue
        values = table.column(col).to_pylist()
        kml_field = fmt.name == "kml" and col in KML_STANDARD_FIELDS
        if kml_field and (col != "description" or all(v in (None, "") for v in values)):
            continue
        columns[col] = values
    geoms = np.empty(table.num_rows, dtype=object)
    if geom_name in table.column_names:
        wkb = np.asarray(table.column(geom_name).to_pylist(), dtype=object)
        geoms[:] = shapely.from_wkb(wkb, on_invalid="ignore")
    return SourceTable(
        columns, table.num_rows, geoms, file_crs=meta.get("crs"), layer=name,
        encoding=enc or meta.get("encoding"),
    )  # fmt: skip


def unpack_shapefile_zip(archive: Path, into: Path, layer: str | None) -> Path:
    """Extract a zipped Shapefile safely; its ``.shp`` (``layer`` picks one of several)."""
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError):
        raise InvalidInput("the file is not a valid zip archive") from None
    with zf:
        infos = [i for i in zf.infolist() if not i.is_dir()]
        if len(infos) > MAX_ZIP_MEMBERS or sum(i.file_size for i in infos) > MAX_UNZIPPED_BYTES:
            raise InvalidInput("the zip archive is too large")
        shps = [i for i in infos if i.filename.lower().endswith(".shp")]
        if not shps:
            raise InvalidInput("the zip archive contains no .shp file")
        if layer is not None:
            shps = [i for i in shps if Path(i.filename).stem == layer]
            if not shps:
                raise InvalidInput(f"the zip archive has no Shapefile '{layer[:60]}'")
        if len(shps) > 1:
            names = [Path(i.filename).stem for i in shps][:20]
            raise InvalidInput(f"the zip archive holds several Shapefiles {names}; choose a layer")
        stem = shps[0].filename[: -len(".shp")]
        target: Path | None = None
        for info in infos:
            if not info.filename.startswith(stem + "."):
                continue
            # Flatten to a bare file name: no path traversal out of ``into``.
            out = into / Path(info.filename).name
            out.write_bytes(zf.read(info))
            if info.filename == shps[0].filename:
                target = out
    assert target is not None
    return target


def read_source(
    path: Path, fmt: FileFormat, *, layer: str | None, encoding: str | None, workdir: Path
) -> SourceTable:
    """Read ``path`` in format ``fmt`` (a ``.zip`` Shapefile is unpacked into ``workdir``)."""
    if not path.exists():
        raise InvalidInput(f"no such file: {path.name}")
    if fmt.name == "csv":
        return read_csv(path, encoding)
    if fmt.name == "xlsx":
        if path.stat().st_size == 0:
            raise InvalidInput("the file is empty")
        return read_xlsx(path, layer)
    if fmt.name == "geojson":
        return read_geojson(path)
    if fmt.name == "shp" and path.suffix.lower() == ".zip":
        path = unpack_shapefile_zip(path, workdir, layer)
        layer = None
    elif fmt.name == "shp" and path.suffix.lower() != ".shp":
        raise InvalidInput("a Shapefile must be given as its .shp file or as a .zip of its parts")
    return read_ogr(path, fmt, layer, encoding)
