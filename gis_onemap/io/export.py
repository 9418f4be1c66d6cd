"""Export a collection to a file, streamed in chunks from a server-side cursor (flat memory)."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyogrio
import shapely
from sqlalchemy import ColumnElement, Select, Text, cast, func, select
from sqlalchemy.orm import Session

from gis_onemap.categories import Category, Field
from gis_onemap.categories.system_fields import STORED_PROPERTIES
from gis_onemap.crs import CRSSpec, from_wgs84
from gis_onemap.db.bulk import stream_chunks
from gis_onemap.db.repository import FeatureRepository
from gis_onemap.db.tables import table_for
from gis_onemap.errors import InvalidInput
from gis_onemap.io.formats import get_format
from gis_onemap.io.headers import shapefile_name

#: Rows fetched from the server-side cursor and written per batch.
CHUNK_SIZE = 50_000
_ARROW_TYPES = {"string": pa.string(), "integer": pa.int64(), "number": pa.float64(),
                "boolean": pa.bool_(), "date": pa.date32()}  # fmt: skip
_POINT_TYPES = ("ST_Point",)
_AREA_TYPES = ("ST_Polygon", "ST_MultiPolygon")
Progress = Callable[[int], None]
#: A spreadsheet reads a cell starting with one of these as a formula (CSV injection, OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula, prefixed with ``'`` (OWASP).

    Numbers and other text unchanged. Only for CSV (and XLSX) exports: GeoJSON and GeoPackage keep
    the data as it is.

    >>> neutralise_cell("=1+2"), neutralise_cell("-3"), neutralise_cell("@SUM(A1)")
    ("'=1+2", "'-3", "'@SUM(A1)")
    >>> neutralise_cell(-3), neutralise_cell(2.5), neutralise_cell("消防站")
    (-3, 2.5, '消防站')
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


@dataclass
class ExportSpec:
    """What to export: filters (bbox in WGS84, SQL clauses), CRS, personal data, encoding."""

    crs: CRSSpec
    bbox: tuple[float, float, float, float] | None = None
    where: list[ColumnElement[bool]] = field(default_factory=list)
    include_personal: bool = False
    encoding: str | None = None  # CSV and Shapefile text encoding
    limit: int | None = None
    chunk_size: int = CHUNK_SIZE


@dataclass
class ExportResult:
    """Files written and the number of features in them."""

    files: list[Path]
    count: int


def _fields(category: Category, include_personal: bool) -> tuple[Field, ...]:
    return category.all_fields if include_personal else category.public_fields


def _select(
    category: Category, spec: ExportSpec, columns: Sequence[Any], geom_types: Sequence[str] | None
) -> Select[Any]:
    """``SELECT columns`` of the features matching ``spec``, by id (the cursor's order)."""
    t = table_for(category.id)
    stmt = select(*columns)
    if spec.bbox is not None:
        stmt = stmt.where(t.c.geom.intersects(func.ST_MakeEnvelope(*spec.bbox, 4326)))
    for clause in spec.where:
        stmt = stmt.where(clause)
    if geom_types:
        stmt = stmt.where(func.ST_GeometryType(t.c.geom).in_(geom_types))
    stmt = stmt.order_by(t.c.id)
    return stmt.limit(spec.limit) if spec.limit is not None else stmt


def _row_columns(category: Category, spec: ExportSpec) -> list[Any]:
    """id, the fields, extra, updated_at (text) and the geometry as WKB.

    Lists and JSON come as JSON text made by PostgreSQL (parsing and re-dumping them in Python would
    double the cost).
    """
    t = table_for(category.id)
    columns: list[Any] = [t.c.id]
    for f in _fields(category, spec.include_personal):
        if f.type == "string_list":
            columns.append(cast(func.array_to_json(t.c[f.name]), Text))
        elif f.type == "object_list":
            columns.append(cast(t.c[f.name], Text))
        else:
            columns.append(t.c[f.name])
    return [*columns, cast(t.c.extra, Text), cast(t.c.updated_at, Text), func.ST_AsBinary(t.c.geom)]


def _project(wkbs: Sequence[bytes], crs: CRSSpec) -> np.ndarray:
    """WGS84 WKB → geometries in ``crs``."""
    geoms: np.ndarray = shapely.from_wkb(np.asarray(wkbs, dtype=object))
    if crs.is_wgs84:
        return geoms

    def apply(coords: np.ndarray) -> np.ndarray:
        x, y = from_wgs84(coords[:, 0], coords[:, 1], crs)
        return np.column_stack([x, y])

    projected: np.ndarray = shapely.transform(geoms, apply)
    return projected


def _arrow_schema(category: Category, spec: ExportSpec, names: Sequence[str]) -> pa.Schema:
    types = [pa.int64()]
    for f in _fields(category, spec.include_personal):
        types.append(_ARROW_TYPES.get(f.type, pa.string()))
    types += [pa.string(), pa.string(), pa.binary()]
    return pa.schema(list(zip(names, types, strict=True)))


def _batches(
    session: Session, category: Category, spec: ExportSpec, schema: pa.Schema,
    geom_types: Sequence[str] | None, multi: bool, progress: Progress, counter: list[int],
) -> Iterator[pa.RecordBatch]:  # fmt: skip
    fields = _fields(category, spec.include_personal)
    kinds = ["id"] + [f.type for f in fields] + ["json", "text", "geom"]
    stmt = _select(category, spec, _row_columns(category, spec), geom_types)
    for rows in stream_chunks(session, stmt, spec.chunk_size):
        cols = list(zip(*rows, strict=True))
        arrays = []
        for kind, values, fld in zip(kinds, cols, schema, strict=True):
            if kind == "geom" and (multi or not spec.crs.is_wgs84):
                geoms = _project(values, spec.crs)
                if multi:
                    geoms = np.where(
                        shapely.get_type_id(geoms) == 3, shapely.multipolygons(geoms), geoms
                    )
                values = shapely.to_wkb(geoms)
            arrays.append(pa.array(values, type=fld.type))
        counter[0] += len(rows)
        progress(counter[0])
        yield pa.RecordBatch.from_arrays(arrays, schema=schema)


def _gdal_export(
    session: Session, category: Category, fmt_name: str, out: Path, spec: ExportSpec,
    progress: Progress,
) -> ExportResult:  # fmt: skip
    fmt = get_format(fmt_name, export=True)
    names = ["id"] + [f.name for f in _fields(category, spec.include_personal)]
    names += [*STORED_PROPERTIES, "geometry"]
    if fmt.name == "shp":
        names = [shapefile_name(n) for n in names]
    schema = _arrow_schema(category, spec, names)
    crs_wkt = spec.crs.pyproj_crs.to_wkt() if spec.crs.pyproj_crs is not None else None
    passes: list[tuple[Path, Sequence[str] | None, str]] = [(out, None, "Unknown")]
    if len(category.geometry_types) == 1:
        passes = [(out, None, category.geometry_types[0])]
    elif fmt.name == "shp":  # a Shapefile holds one geometry type: points and areas apart
        passes = [
            (out.with_name(out.stem + "_points.shp"), _POINT_TYPES, "Point"),
            (out.with_name(out.stem + "_areas.shp"), _AREA_TYPES, "MultiPolygon"),
        ]
    counter = [0]
    files = []
    options: dict[str, Any] = {}
    if fmt.name == "fgb":
        options["SPATIAL_INDEX"] = "YES"
    for path, types, gtype in passes:
        start = counter[0]
        batches = _batches(
            session, category, spec, schema, types, gtype == "MultiPolygon", progress, counter
        )
        reader = pa.RecordBatchReader.from_batches(schema, batches)
        pyogrio.write_arrow(
            reader, path, layer=out.stem if fmt.name != "shp" else path.stem,
            driver=fmt.driver, geometry_name="geometry", geometry_type=gtype, crs=crs_wkt,
            encoding=(spec.encoding or "UTF-8") if fmt.name == "shp" else None, **options,
        )  # fmt: skip
        if len(passes) > 1 and counter[0] == start:
            for part in path.parent.glob(path.stem + ".*"):
                part.unlink()
        else:
            files.append(path)
    if fmt.name == "shp" and len(files) == 1 and files[0] != out:
        for part in files[0].parent.glob(files[0].stem + ".*"):
            part.rename(out.with_suffix(part.suffix))
        files = [out]
    return ExportResult(files, counter[0])


def _geojson_export(
    session: Session, category: Category, out: Path, spec: ExportSpec, progress: Progress
) -> ExportResult:
    """GeoJSON text written feature by feature, as the API serves it (lists stay lists)."""
    repo = FeatureRepository(session, category)
    t = table_for(category.id)
    feature = cast(repo.feature_expr(spec.include_personal), Text)
    stmt = _select(category, spec, [feature, func.ST_AsBinary(t.c.geom)], None)
    n = 0
    with out.open("wb") as fh:
        fh.write(b'{"type":"FeatureCollection",')
        if not spec.crs.is_wgs84:
            name = spec.crs.uri
            fh.write(b'"crs":' + orjson.dumps({"type": "name", "properties": {"name": name}}))
            fh.write(b",")
        fh.write(b'"features":[\n')
        for rows in stream_chunks(session, stmt, spec.chunk_size):
            texts = [r[0] for r in rows]
            if not spec.crs.is_wgs84:
                geoms = _project([r[1] for r in rows], spec.crs)
                parts = shapely.to_geojson(geoms)
                texts = [
                    orjson.dumps(orjson.loads(f) | {"geometry": orjson.loads(g)}).decode()
                    for f, g in zip(texts, parts, strict=True)
                ]
            fh.write(("," if n else "").encode() + ",\n".join(texts).encode())
            n += len(rows)
            progress(n)
        fh.write(b"\n]}\n")
    return ExportResult([out], n)


def _csv_export(
    session: Session, category: Category, out: Path, spec: ExportSpec, progress: Progress
) -> ExportResult:
    """CSV: lon/lat (x/y in a projected CRS) for points, WKT for areas; lists as JSON arrays."""
    fields = _fields(category, spec.include_personal)
    points_only = category.geometry_types == ("Point",)
    xy = ["lon", "lat"] if spec.crs.is_wgs84 or spec.crs.kind != "pyproj" else ["x", "y"]
    if spec.crs.pyproj_crs is not None and spec.crs.pyproj_crs.is_geographic:
        xy = ["lon", "lat"]
    header = ["id"] + [f.name for f in fields] + list(STORED_PROPERTIES) + xy
    header += [] if points_only else ["wkt"]
    kinds = [f.type for f in fields]
    encoding = spec.encoding or "utf-8-sig"  # the BOM lets Excel read UTF-8
    n = 0
    with out.open("w", newline="", encoding=encoding) as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        stmt = _select(category, spec, _row_columns(category, spec), None)
        for rows in stream_chunks(session, stmt, spec.chunk_size):
            geoms = _project([r[-1] for r in rows], spec.crs)
            is_point = shapely.get_type_id(geoms) == 0
            coords = np.full((len(rows), 2), np.nan)
            coords[is_point] = shapely.get_coordinates(geoms[is_point])
            wkts = None if points_only else shapely.to_wkt(geoms, rounding_precision=-1)
            for k, r in enumerate(rows):
                cells: list[Any] = [r[0]]
                cells += ["" if v is None else neutralise_cell(v) for v in r[1 : 1 + len(kinds)]]
                cells += ["" if r[-3] == "{}" else r[-3], r[-2]]
                if is_point[k]:
                    cells += [repr(float(coords[k, 0])), repr(float(coords[k, 1]))]
                else:
                    cells += ["", ""]
                if wkts is not None:
                    cells.append("" if is_point[k] else wkts[k])
                writer.writerow(cells)
            n += len(rows)
            progress(n)
    return ExportResult([out], n)


def export_collection(
    session: Session,
    category: Category,
    fmt_name: str,
    out: Path,
    spec: ExportSpec,
    progress: Progress | None = None,
) -> ExportResult:
    """Write the features of ``category`` matching ``spec`` to ``out`` in format ``fmt_name``.

    A Shapefile of a category with both points and areas becomes ``<stem>_points.shp`` and
    ``<stem>_areas.shp``. Raises :class:`InvalidInput` for an unknown format or a CRS the
    format cannot hold (KML is always WGS84).
    """
    fmt = get_format(fmt_name, export=True)
    if fmt.name == "kml" and not spec.crs.is_wgs84:
        raise InvalidInput("KML is always WGS84 longitude/latitude; drop crs for KML")
    report = progress or (lambda done: None)
    if fmt.name == "geojson":
        return _geojson_export(session, category, out, spec, report)
    if fmt.name == "csv":
        return _csv_export(session, category, out, spec, report)
    # GCJ-02/BD-09 have no WKT: such a file has no CRS label (no .prj), only shifted coordinates.
    return _gdal_export(session, category, fmt.name, out, spec, report)
