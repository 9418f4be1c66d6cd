"""Read an input file into columns of Python values plus geometries, whatever its format."""

from __future__ import annotations

import codecs
import csv
import re
import zipfile
from collections.abc import Iterator
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
from gis_onemap.io.archives import SHAPEFILE_PARTS, check_archive, check_zip_file, extract_members
from gis_onemap.io.formats import FileFormat
from gis_onemap.io.limits import ImportLimits

#: Fields that the KML drivers add to every layer; dropped on import when they carry no data.
KML_STANDARD_FIELDS = (
    "id", "description", "timestamp", "begin", "end", "altitudeMode", "tessellate", "extrude",
    "visibility", "drawOrder", "icon", "snippet",
)  # fmt: skip
#: Bytes read at a time when checking a text file's encoding (memory stays flat).
_SNIFF_BLOCK = 1024 * 1024


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
    offset: int = 0  # 0-based file row of this table's first row (CSV read in chunks)

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


def sniff_encoding(
    data: bytes, final: bool, explicit: str | None, limits: ImportLimits | None = None
) -> str:
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
        enc = (limits or ImportLimits()).check_encoding(explicit)
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
def _decodes_file(path: Path, encoding: str) -> bool:
    """The whole file decodes as ``encoding``, checked block by block (flat memory)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    with path.open("rb") as fh:
        try:
            while block := fh.read(_SNIFF_BLOCK):
                decoder.decode(block, final=False)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def csv_encoding(path: Path, explicit: str | None, limits: ImportLimits) -> str:
    """The encoding of a CSV file (see :func:`sniff_encoding`), checked over the whole file."""
    with path.open("rb") as fh:
        head = fh.read(_SNIFF_BLOCK)
        final = not fh.read(1)
    if not head.strip(b"\xef\xbb\xbf \r\n\t"):
        raise InvalidInput("the file is empty")
    enc = sniff_encoding(head, final, explicit, limits)
    if final or _decodes_file(path, enc):
        return enc
    if explicit is None and enc.startswith("utf") and _decodes_file(path, "gb18030"):
        return "gb18030"
    hint = "gbk or gb18030" if enc.startswith("utf") else "utf-8"
    raise InvalidInput(f"the file is not valid {enc} text (wrong encoding?); try encoding {hint}")


def read_csv_chunks(
    path: Path, encoding: str | None, limits: ImportLimits
) -> tuple[str, Iterator[SourceTable]]:
    """(encoding, the CSV's rows as tables of ``limits.import_chunk_rows`` rows each).

    Cells stay text; the delimiter is sniffed among , ; tab |. Chunks keep memory flat for
    large files (a whole 50 MB CSV as Python strings costs about 1 GB).
    """
    enc = csv_encoding(path, encoding, limits)
    with path.open(encoding=enc, errors="replace", newline="") as fh:
        first = fh.readline(8192)
    try:
        delimiter = csv.Sniffer().sniff(first, delimiters=",;\t|").delimiter
    except csv.Error:
        delimiter = ","

    def chunks() -> Iterator[SourceTable]:
        offset = 0
        try:
            reader = pd.read_csv(
                path, sep=delimiter, dtype=str, keep_default_na=False, na_filter=False,
                encoding=enc, chunksize=limits.import_chunk_rows,
            )  # fmt: skip
            with reader:
                for df in reader:
                    limits.check_rows(offset + len(df))
                    table = _from_frame(df, encoding=enc)
                    table.offset = offset
                    offset += len(df)
                    yield table
        except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
            raise InvalidInput(f"could not read the CSV file: {_safe(exc, path)}") from None
        if offset == 0:
            raise InvalidInput("the file has a header but no data rows")

    return enc, chunks()


def read_csv(path: Path, encoding: str | None, limits: ImportLimits | None = None) -> SourceTable:
    """A whole CSV file as one table (small files; imports use :func:`read_csv_chunks`)."""
    limits = limits or ImportLimits()
    _, chunks = read_csv_chunks(path, encoding, limits)
    parts = list(chunks)
    if len(parts) == 1:
        return parts[0]
    columns = {c: [v for p in parts for v in p.columns[c]] for c in parts[0].columns}
    return SourceTable(columns, sum(p.n_rows for p in parts), encoding=parts[0].encoding)


def read_xlsx(path: Path, sheet: str | None, limits: ImportLimits | None = None) -> SourceTable:
    """The first (or the named) sheet of an Excel workbook; the first row holds the headers."""
    check_zip_file(path, limits or ImportLimits())  # an XLSX is a zip: no bombs
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
    """A GeoJSON FeatureCollection (or a single Feature).

    Read with orjson, not GDAL: GDAL flattens list and object properties (``specialties``,
    ``substances``) into strings.
    """
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
        except Exception:
            geoms[i] = None
            errors[i] = "the geometry is not valid GeoJSON"
    return SourceTable(columns, len(features), geoms, errors, file_crs=crs, encoding="utf-8")


# ---- GDAL formats (Shapefile, GeoPackage, KML, FlatGeobuf) ---------------------------------
def _dbf_encoding(shp: Path, explicit: str | None, limits: ImportLimits) -> str | None:
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
        return sniff_encoding(sample, final, explicit, limits)
    if has_cpg or ldid:
        return None
    if sample.isascii():
        return None
    return sniff_encoding(sample, final, None).replace("-sig", "")


def list_layers(path: Path) -> list[str]:
    """The layer names of a vector file; :class:`InvalidInput` when it cannot be opened."""
    try:
        return [str(n) for n in pyogrio.list_layers(path)[:, 0]]
    except Exception as exc:
        raise InvalidInput(f"could not open the file: {_safe(exc, path)}") from None


def read_ogr(
    path: Path, fmt: FileFormat, layer: str | None, encoding: str | None,
    limits: ImportLimits | None = None,
) -> SourceTable:  # fmt: skip
    """A Shapefile, GeoPackage, KML or FlatGeobuf layer through pyogrio (Arrow)."""
    limits = limits or ImportLimits()
    if path.stat().st_size == 0:
        raise InvalidInput("the file is empty")
    if encoding and fmt.name != "shp":
        limits.check_encoding(encoding)
    enc = _dbf_encoding(path, encoding, limits) if fmt.name == "shp" else None
    layers = list_layers(path)
    if layer is not None and layer not in layers:
        raise InvalidInput(f"no layer '{layer[:60]}' in the file; layers: {layers[:20]}")
    if layer is None and len(layers) > 1 and fmt.name == "gpkg":
        raise InvalidInput(f"the file has several layers {layers[:20]}; choose one with 'layer'")
    if not layers:
        raise InvalidInput("the file has no layers")
    name = layer or layers[0]
    try:
        count = pyogrio.read_info(path, layer=name, encoding=enc).get("features", -1)
    except Exception:
        count = -1
    limits.check_rows(int(count))  # before the rows are read (-1: unknown)
    try:
        meta, table = pyogrio.read_arrow(path, layer=name, encoding=enc)
    except Exception as exc:
        raise InvalidInput(f"could not read the {fmt.name} file: {_safe(exc, path)}") from None
    if table.num_rows == 0:
        raise InvalidInput("the file has no features")
    limits.check_rows(table.num_rows)
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


def unpack_shapefile_zip(
    archive: Path, into: Path, layer: str | None, limits: ImportLimits | None = None
) -> Path:
    """Extract the parts of one zipped Shapefile (``layer`` picks one of several); its ``.shp``.

    Sizes and ratios are checked from the central directory, then again while streaming;
    only the ``.shp/.shx/.dbf/.prj/.cpg`` of the chosen layer are extracted.
    """
    limits = limits or ImportLimits()
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise InvalidInput("the file is not a valid zip archive") from None
    with zf:
        infos = check_archive(zf, limits)
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
        wanted = [
            i for i in infos
            if i.filename.startswith(stem + ".")
            and i.filename[len(stem):].lower() in SHAPEFILE_PARTS
        ]  # fmt: skip
        paths = extract_members(zf, wanted, into, limits)
    return paths[shps[0].filename]


def read_source(
    path: Path, fmt: FileFormat, *, layer: str | None, encoding: str | None, workdir: Path,
    limits: ImportLimits | None = None,
) -> SourceTable:  # fmt: skip
    """Read ``path`` in format ``fmt`` (a ``.zip`` Shapefile is unpacked into ``workdir``)."""
    limits = limits or ImportLimits()
    if not path.exists():
        raise InvalidInput(f"no such file: {path.name}")
    if fmt.name == "csv":
        return read_csv(path, encoding, limits)
    if fmt.name == "xlsx":
        if path.stat().st_size == 0:
            raise InvalidInput("the file is empty")
        table = read_xlsx(path, layer, limits)
        limits.check_rows(table.n_rows)
        return table
    if fmt.name == "geojson":
        table = read_geojson(path)
        limits.check_rows(table.n_rows)
        return table
    if fmt.name == "shp" and path.suffix.lower() == ".zip":
        path = unpack_shapefile_zip(path, workdir, layer, limits)
        layer = None
    elif fmt.name == "shp" and path.suffix.lower() != ".shp":
        raise InvalidInput("a Shapefile must be given as its .shp file or as a .zip of its parts")
    return read_ogr(path, fmt, layer, encoding, limits)
