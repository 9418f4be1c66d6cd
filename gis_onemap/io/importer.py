"""Import a file into a collection: read, validate every row, find duplicates, then write."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import shapely
from sqlalchemy.orm import Session

from gis_onemap.categories import Category
from gis_onemap.categories.model import LocatedAt
from gis_onemap.crs import CRSError, CRSSpec, parse_crs
from gis_onemap.crs.edge import input_crs, usable_crs
from gis_onemap.db.bulk import (
    copy_columns,
    existing_ids,
    existing_points,
    max_feature_id,
    update_features,
)
from gis_onemap.db.tables import table_for
from gis_onemap.errors import Conflict, InvalidInput, ValidationFailed
from gis_onemap.io.duplicates import find_duplicates
from gis_onemap.io.formats import detect_format
from gis_onemap.io.headers import HeaderMap, map_headers
from gis_onemap.io.limits import ImportLimits
from gis_onemap.io.readers import SourceTable, read_csv_chunks, read_source
from gis_onemap.io.report import ImportReport
from gis_onemap.io.validate import (
    Prepared,
    prepare_geometries,
    require_geometries,
    validate_properties_columns,
)

OnDuplicate = Literal["skip", "update", "error"]
#: ``progress(stage, done, total)``: stages are ``read``, ``validate``, ``write``.
Progress = Callable[[str, int, int], None]


@dataclass
class ImportOptions:
    """The options of ``onemap load`` and ``POST /collections/{id}/import``."""

    crs: str | None = None
    layer: str | None = None
    encoding: str | None = None
    format: str | None = None
    on_duplicate: OnDuplicate = "skip"
    skip_invalid: bool = False
    dry_run: bool = False
    duplicate_distance_m: float = 10.0
    progress: Progress | None = None
    limits: ImportLimits = field(default_factory=ImportLimits)

    def __post_init__(self) -> None:
        """Refuse an unknown duplicate policy or a duplicate distance out of range."""
        if self.on_duplicate not in ("skip", "update", "error"):
            raise InvalidInput("on_duplicate must be one of skip, update, error")
        if not 0 <= self.duplicate_distance_m <= 10_000:
            raise InvalidInput("the duplicate distance must be within [0, 10000] m")


def _source_crs(options: ImportOptions, file_crs: str | None, report: ImportReport) -> CRSSpec:
    """The CRS of an import: ``--crs``, then the file's own CRS, then WGS84.

    ``--crs`` wins (Amap/Baidu coordinates often sit in files labelled WGS84), then the file's own
    CRS (.prj, GeoPackage), then WGS84.
    """
    given = input_crs(options.crs, "crs") if options.crs else None
    found = None
    if file_crs:
        try:
            found = usable_crs(parse_crs(file_crs), "the file's CRS")
        except (CRSError, InvalidInput):
            if given is None:
                raise InvalidInput(
                    "the file's coordinate reference system (.prj) is not understood; "
                    "give the CRS explicitly"
                ) from None
    if given is not None:
        if found is not None and found != given and found.uri != given.uri:
            report.warnings.append(
                f"the file declares {found.uri} but crs={options.crs} was given and used"
            )
        return given
    return found or parse_crs(None)


def _place_at_references(session: Session, at: LocatedAt, prep: Prepared) -> set[int]:
    """Check the ``at.field`` references in one query; rows at a known feature need no points.

    (supplies: ``depot_id`` → depots, declared by the category's ``located_at``.)
    """
    refs = prep.typed.get(at.field) or [None] * prep.n_rows
    known = existing_ids(session, table_for(at.collection), {d for d in refs if d is not None})
    located = set()
    for i, ref in enumerate(refs):
        if ref is None or i in prep.errors:
            continue
        if ref in known:
            located.add(i)
        else:
            prep.reject(i, f"'{at.field}' {ref}: no such {at.noun}")
    return located


def _referenced_points(session: Session, at: LocatedAt, ids: set[int]) -> dict[int, Any]:
    if not ids:
        return {}
    from geoalchemy2.shape import to_shape
    from sqlalchemy import select

    table = table_for(at.collection)
    rows = session.execute(select(table.c.id, table.c.geom).where(table.c.id.in_(ids)))
    return {r[0]: to_shape(r[1]) for r in rows}


def _duplicates(
    session: Session, category: Category, prep: Prepared, rows: list[int], distance_m: float,
    max_id: int | None = None,
) -> list[Any]:  # fmt: skip
    geoms = prep.geometries[rows]
    present = ~pd.isna(geoms)
    if not present.any():
        return []
    pts = geoms[present]
    if (shapely.get_type_id(pts) != 0).any():
        pts = shapely.point_on_surface(pts)
    xy = shapely.get_coordinates(pts)
    names = [prep.typed["name"][r] for r, p in zip(rows, present, strict=True) if p]
    box = (xy[:, 0].min(), xy[:, 1].min(), xy[:, 0].max(), xy[:, 1].max())
    pad = distance_m / 111_320.0 / max(np.cos(np.radians(max(abs(box[1]), abs(box[3])))), 0.01)
    ids, old_xy, old_names = existing_points(
        session, table_for(category.id), box, pad * 1.1, max_id=max_id
    )
    found = find_duplicates(xy, names, ids, old_xy, old_names, distance_m)
    index = [r for r, p in zip(rows, present, strict=True) if p]
    return [(index[d.row], d) for d in found]


_COPY_KINDS = {"string": "text", "integer": "int", "number": "float", "boolean": "bool",
               "date": "date", "datetime": "date", "string_list": "text[]",
               "object_list": "json"}  # fmt: skip


def _insert(
    session: Session, category: Category, prep: Prepared, rows: list[int], progress: Progress
) -> int:
    """COPY the valid, new rows (column-wise) into the category's table."""
    whole = len(rows) == prep.n_rows

    def pick(col: list[Any]) -> list[Any]:
        return col if whole else [col[i] for i in rows]

    columns, kinds, data = [], [], []
    for f in category.all_fields:
        col = prep.typed.get(f.name)
        if col is None:
            continue
        values = pick(col)
        if any(v is not None for v in values):
            columns.append(f.name)
            kinds.append(_COPY_KINDS[f.type])
            data.append(values)
    geoms = prep.geometries if whole else prep.geometries[rows]
    present = ~pd.isna(geoms)
    hexes = np.full(len(rows), None, dtype=object)
    if present.any():
        hexes[present] = shapely.to_wkb(geoms[present], hex=True)  # SRID from the column
    columns += ["extra", "geom"]
    kinds += ["json", "raw"]
    data += [[e if e is not None else {} for e in pick(prep.extra)], hexes.tolist()]
    total = len(rows)
    return copy_columns(
        session, table_for(category.id), columns, kinds, data,
        progress=lambda done: progress("write", done, total),
    )  # fmt: skip


def _chunks(
    path: Path, fmt_name: str, options: ImportOptions, workdir: Path
) -> tuple[Iterator[SourceTable], bool]:
    """(the file's rows as one or more tables, True when read in chunks: CSV)."""
    from gis_onemap.io.formats import get_format

    fmt = get_format(fmt_name)
    if fmt.name == "csv":
        if not path.exists():
            raise InvalidInput(f"no such file: {path.name}")
        _, chunks = read_csv_chunks(path, options.encoding, options.limits)
        return chunks, True
    source = read_source(
        path, fmt, layer=options.layer, encoding=options.encoding, workdir=workdir,
        limits=options.limits,
    )  # fmt: skip
    return iter([source]), False


@dataclass
class _Run:
    """The state of one import across chunks."""

    category: Category
    options: ImportOptions
    report: ImportReport
    progress: Progress
    crs: CRSSpec | None = None
    headers: HeaderMap | None = None
    max_id: int | None = None  # features above it were written by this import (not duplicates)
    failed: bool = False  # an invalid row or a refused duplicate: nothing more is written
    conflicts: list[tuple[int, Any]] | None = None

    @property
    def writing(self) -> bool:
        return not (self.options.dry_run or self.failed)


def _process(session: Session, run: _Run, source: SourceTable, given: CRSSpec | None) -> None:
    """Validate one table of rows and (unless failed or a dry run) write it."""
    category, options, report = run.category, run.options, run.report
    offset = source.offset
    if run.headers is None:  # the first chunk decides the file-level questions
        report.layer, report.encoding = source.layer, source.encoding
        run.crs = given or _source_crs(options, source.file_crs, report)
        if given is not None:
            _source_crs(options, source.file_crs, report)
        report.crs = run.crs.uri
        headers = map_headers(category, list(source.columns), coordinates=source.tabular)
        at = category.located_at  # rows may take the point of a referenced feature
        located_at = at is not None and at.field in headers.properties.values()
        if source.tabular and not (headers.lon or headers.wkt or located_at):
            raise InvalidInput(
                "no coordinate columns found: expected lon/lat (经度/纬度), x/y or wkt"
            )
        for column in headers.dropped:
            report.warnings.append(
                f"column '{column[:60]}' looks like personal data and {category.id} has no "
                "free personal field for it: it was not imported (never kept in 'extra')"
            )
        run.headers = headers
        run.max_id = max_feature_id(session, table_for(category.id)) or 0
    headers, crs = run.headers, run.crs
    assert crs is not None
    report.rows_read += source.n_rows
    run.progress("read", report.rows_read, report.rows_read)
    prep = Prepared(source.n_rows, np.empty(0, dtype=object))
    validate_properties_columns(category, source, headers, prep)
    prepare_geometries(category, source, headers, crs, prep)
    located: set[int] = set()
    at = category.located_at
    if at is not None:
        located = _place_at_references(session, at, prep)
    require_geometries(category, prep, located)
    run.progress("validate", report.rows_read, report.rows_read)
    for row in sorted(prep.errors):
        report.add_rejected(offset + row, prep.errors[row], source.tabular)
    if prep.errors and not options.skip_invalid:
        run.failed = True
    if run.failed:
        return  # keep reading: the report lists every invalid row of the file
    valid = prep.valid_rows
    if at is not None and located:
        ref_of = prep.typed.get(at.field) or [None] * prep.n_rows
        points = _referenced_points(
            session, at, {ref_of[i] for i in located if i not in prep.errors}
        )
        for i in located:
            if i in prep.errors or not pd.isna(prep.geometries[i]):
                continue
            prep.geometries[i] = points.get(ref_of[i])
    dups = _duplicates(session, category, prep, valid, options.duplicate_distance_m, run.max_id)
    for row, d in dups:
        report.add_duplicate(offset + row, d.existing_id, d.existing_name, d.distance_m)
    if dups and options.on_duplicate == "error":
        run.failed = True
        run.conflicts = (run.conflicts or []) + [(offset + dups[0][0], dups[0][1])]
        return
    dup_rows = {row for row, _ in dups}
    inserts = [i for i in valid if i not in dup_rows]
    updates = [(d.existing_id, i) for i, d in dups] if options.on_duplicate == "update" else []
    report.skipped_duplicates += len(dups) if options.on_duplicate == "skip" else 0
    report.imported += len(inserts)
    report.updated += len(updates)
    if not run.writing:
        return
    if inserts:
        _insert(session, category, prep, inserts, run.progress)
    changes = []
    for fid, i in updates:
        values = prep.row(i)
        values["geom"] = prep.geometries[i]
        changes.append((fid, values))
    update_features(session, table_for(category.id), changes)
    run.progress("write", report.imported, report.imported)
    report.written = report.written or bool(inserts or updates)


def import_file(
    session: Session,
    category: Category,
    path: Path,
    options: ImportOptions,
    *,
    filename: str | None = None,
) -> ImportReport:
    """Import ``path`` into ``category``'s collection, all or nothing.

    Every row is validated before it is written; a CSV is read, validated and written in
    chunks of ``limits.import_chunk_rows`` rows inside one savepoint, so memory stays flat and
    an invalid row anywhere still writes nothing. Raises :class:`InvalidInput` for a
    file-level problem (format, CRS, encoding, empty file, missing required column),
    :class:`ImportTooLarge` past a limit, :class:`ValidationFailed` (report in ``details``)
    when a row is invalid and ``skip_invalid`` is off, and :class:`Conflict` for duplicates
    with ``on_duplicate="error"``; nothing is written then. ``dry_run`` reports without writing.
    """
    name = filename or path.name
    fmt = detect_format(name, options.format)
    given = input_crs(options.crs, "crs") if options.crs else None
    progress = options.progress or (lambda stage, done, total: None)
    report = ImportReport(
        collection=category.id, file=name, format=fmt.name, on_duplicate=options.on_duplicate,
        skip_invalid=options.skip_invalid, dry_run=options.dry_run,
    )  # fmt: skip
    run = _Run(category, options, report, progress)
    with (
        tempfile.TemporaryDirectory(prefix="onemap-import-") as tmp,
        session.begin_nested(),  # every chunk's writes, undone together on any error
    ):
        chunks, _ = _chunks(path, fmt.name, options, Path(tmp))
        for source in chunks:
            _process(session, run, source, given)
        if report.rejected_count and not options.skip_invalid:
            report.imported = report.updated = report.skipped_duplicates = 0
            report.written = False
            raise ValidationFailed(
                f"{report.rejected_count} of {report.rows_read} rows are invalid "
                f"(first: row {report.rejected[0]['row']}: {report.rejected[0]['reasons'][0]}); "
                "nothing was written",
                details=report.as_dict(),
            )
        if run.conflicts:
            first_row, first = run.conflicts[0]
            report.imported = report.updated = 0
            report.written = False
            raise Conflict(
                f"{report.duplicate_count} rows duplicate existing features (first: row "
                f"{first_row + 1} ≈ feature {first.existing_id}); nothing was written",
                details=report.as_dict(),
            )
    return report
