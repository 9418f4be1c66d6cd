"""Validate a whole file column by column: typed values, WGS84 geometries, errors per row."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np
import orjson
import pandas as pd
import shapely

from gis_onemap.categories import Category, Field
from gis_onemap.categories.validation import check_constraints, coerce_value, derive_checked
from gis_onemap.crs import CRSSpec, to_wgs84
from gis_onemap.errors import InvalidInput, ValidationFailed
from gis_onemap.io.headers import HeaderMap, choice_value
from gis_onemap.io.personal import personal_value
from gis_onemap.io.readers import SourceTable

_PERSONAL_HINT = (
    "personal data is never kept in the public 'extra'; put it in a personal column "
    "(e.g. phone, email) or remove it"
)
_DATE = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")


def normalise_date_text(text: str) -> str:
    """Dates as spreadsheets and KML write them, in ISO form (other text is left alone).

    >>> normalise_date_text("2030/12/31"), normalise_date_text("2023年6月1日")
    ('2030-12-31', '2023-06-01')
    """
    m = _DATE.match(text)
    if not m:
        return text
    y, mo, d = m.groups()
    return f"{y}-{int(mo):02d}-{int(d):02d}"


@dataclass
class Prepared:
    """The outcome of validating every row: typed properties, WGS84 geometries, errors."""

    n_rows: int
    geometries: np.ndarray  # shapely geometries in WGS84 (None: missing / rejected)
    typed: dict[str, list[Any]] = field(default_factory=dict)  # property → value per row
    extra: list[dict[str, Any] | None] = field(default_factory=list)  # None = {}
    errors: dict[int, list[str]] = field(default_factory=dict)  # 0-based row → reasons

    def row(self, i: int) -> dict[str, Any]:
        """The typed properties of row ``i`` (no None values), ``extra`` included."""
        out = {k: col[i] for k, col in self.typed.items() if col[i] is not None}
        out["extra"] = self.extra[i] or {}
        return out

    def reject(self, row: int, reason: str) -> None:
        """Record ``reason`` against ``row``."""
        self.errors.setdefault(row, []).append(reason)

    @property
    def valid_rows(self) -> list[int]:
        """The rows without errors, in order."""
        return [i for i in range(self.n_rows) if i not in self.errors]


def is_blank(value: Any) -> bool:
    """An empty cell: None, NaN, blank text.

    >>> [is_blank(v) for v in (None, float("nan"), "  ", 0, "a")]
    [True, True, True, False, False]
    """
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    return isinstance(value, str) and not value.strip()


def _skip(f: Field, raw: Any) -> bool:
    return is_blank(raw) or (raw == [] and f.type.endswith("_list") and not f.required)


def _check_one(category: Category, f: Field, raw: Any) -> tuple[Any, str | None]:
    """(typed value, None) or (None, problem) for one cell, with the category's own rules."""
    value = raw
    if isinstance(value, np.generic):
        value = value.item()
    if f.type == "string" and isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel stores phone numbers and codes as numbers
    if f.type == "string" and isinstance(value, datetime | date):
        value = value.isoformat()
    if f.type == "date" and isinstance(value, str):
        value = normalise_date_text(value)
    try:
        typed = coerce_value(f, value, lenient=True)
        if f.choices and f.type == "string":
            typed = choice_value(category, f.name, typed)
        elif f.choices and f.type == "string_list":
            typed = [choice_value(category, f.name, v) for v in typed]
        return typed, check_constraints(f, typed)
    except (ValueError, TypeError) as exc:
        return None, str(exc)


def _factorize(values: list[Any]) -> tuple[np.ndarray, np.ndarray] | None:
    """(codes, distinct values) of a column; None when cells are lists or objects."""
    arr = np.empty(len(values), dtype=object)
    arr[:] = values
    try:
        codes, uniques = pd.factorize(arr, use_na_sentinel=True)
    except TypeError:
        return None
    return codes, np.asarray(uniques, dtype=object)


def _label(column: str, prop: str) -> str:
    return f"'{prop}'" if column == prop else f"'{column}' ({prop})"


def _typed_column(
    category: Category, f: Field, column: str, values: list[Any], prep: Prepared, failed: set[int]
) -> list[Any]:
    """Coerce and check one column.

    Each distinct cell value is validated once (pandas factorize), which keeps per-row Python light
    on large files; lists and objects (GeoJSON) are checked one by one.
    """
    label = _label(column, f.name)
    fac = _factorize(values)
    if fac is None:
        out: list[Any] = [None] * len(values)
        for i, raw in enumerate(values):
            if _skip(f, raw):
                continue
            typed, problem = _check_one(category, f, raw)
            if problem:
                prep.reject(i, f"{label} {problem}")
                failed.add(i)
            else:
                out[i] = typed
        return out
    codes, uniques = fac
    results = [(None, None) if _skip(f, u) else _check_one(category, f, u) for u in uniques]
    typed_u = np.empty(len(uniques) + 1, dtype=object)  # the last slot serves code -1 (blank)
    for k, (typed, problem) in enumerate(results):
        typed_u[k] = None if problem else typed
    bad = [k for k, (_, problem) in enumerate(results) if problem]
    if bad:
        for i in np.flatnonzero(np.isin(codes, bad)).tolist():
            prep.reject(i, f"{label} {results[codes[i]][1]}")
            failed.add(i)
    per_row: list[Any] = typed_u[codes].tolist()
    return per_row


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def _extra_column(column: str, values: list[Any], prep: Prepared) -> list[dict[str, Any] | None]:
    out: list[dict[str, Any] | None] = []
    for i, raw in enumerate(values):
        value = raw
        if isinstance(raw, str) and raw.strip():
            try:
                value = orjson.loads(raw)
            except orjson.JSONDecodeError:
                value = None
        if is_blank(raw):
            value = {}
        if not isinstance(value, dict):
            prep.reject(i, f"{_label(column, 'extra')} must be a JSON object")
            value = {}
        out.append(value or None)
    return out


def validate_properties_columns(
    category: Category, source: SourceTable, headers: HeaderMap, prep: Prepared
) -> None:
    """Fill ``prep.typed`` and ``prep.extra`` with every row's typed properties.

    Derived values are computed for rows without errors.
    """
    n = source.n_rows
    missing = [
        f for f in category.all_fields if f.required and f.name not in headers.properties.values()
    ]
    if missing:
        names = ", ".join(f"'{f.name}' ({f.zh} / {f.en})" for f in missing)
        raise InvalidInput(f"the file has no column for the required properties {names}")
    typed: dict[str, list[Any]] = {}
    failed: dict[str, set[int]] = {}
    extra: list[dict[str, Any] | None] = [None] * n
    for column, prop in headers.properties.items():
        if prop == "extra":
            extra = _extra_column(column, source.columns[column], prep)
            continue
        f = category.field(prop)
        assert f is not None
        failed[prop] = set()
        typed[prop] = _typed_column(category, f, column, source.columns[column], prep, failed[prop])
    for f in category.all_fields:
        if f.required:
            col = typed[f.name]
            for i in range(n):
                if col[i] is None and i not in failed[f.name]:
                    prep.reject(i, f"'{f.name}' is required")
    for i, obj in enumerate(extra):
        kind = personal_value(obj) if obj else None
        if kind:
            prep.reject(i, f"'extra' holds what looks like a {kind}: {_PERSONAL_HINT}")
    for column in headers.unknown:
        cells = source.columns[column]
        for i, value in enumerate(cells):
            if is_blank(value):
                continue
            kind = personal_value(value)
            if kind:
                prep.reject(i, f"'{column}' holds what looks like a {kind}: {_PERSONAL_HINT}")
                continue
            extra[i] = {**(extra[i] or {}), column: _jsonable(value)}
    prep.typed, prep.extra = typed, extra
    if category.derive is not None:
        # the same rule as the API: a derived value in the file must be the computed one
        # (issue #10 finding 10: an import could otherwise type in capacity 999999)
        for i in range(n):
            if i in prep.errors:
                continue
            try:
                derived = derive_checked(
                    category, {k: v for k, v in prep.row(i).items() if k != "extra"}
                )
            except ValidationFailed as exc:
                for problem in exc.details or [{"property": "", "message": exc.message}]:
                    prep.reject(i, f"'{problem['property']}' {problem['message']}")
                continue
            for key, value in derived.items():
                typed.setdefault(key, [None] * n)[i] = value


# ---- geometry ------------------------------------------------------------------------------
_TYPE_IDS = {"Point": 0, "Polygon": 3, "MultiPolygon": 6}


def _numbers(values: list[Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(floats, blank mask, bad-text mask) of a coordinate column, vectorised."""
    series = pd.Series(values, dtype=object)
    nums = np.array(pd.to_numeric(series, errors="coerce"), dtype=np.float64)
    blank = np.array(series.isna(), dtype=bool)
    nan = np.isnan(nums) & ~blank
    if nan.any():
        idx = np.flatnonzero(nan)
        text = series.iloc[idx].astype(str).str.strip()
        blank[idx] = (text == "").to_numpy()
        retry = pd.to_numeric(text.str.replace("，", ".", regex=False), errors="coerce")
        nums[idx] = retry.to_numpy(dtype=np.float64)
    return nums, blank, np.isnan(nums) & ~blank


def _source_geometries(source: SourceTable, headers: HeaderMap, prep: Prepared) -> np.ndarray:
    """Geometries in the source CRS: from the file, or from lon/lat (x/y) or WKT columns."""
    n = source.n_rows
    if not source.tabular:
        assert source.geometries is not None
        for i, message in source.geometry_errors.items():
            prep.reject(i, message)
        return source.geometries
    geoms = np.full(n, None, dtype=object)
    if headers.wkt:
        raw = source.columns[headers.wkt]
        texts = np.array([None if is_blank(v) else str(v) for v in raw], dtype=object)
        parsed = shapely.from_wkt(texts, on_invalid="ignore")
        for k in np.flatnonzero((texts != None) & pd.isna(parsed)).tolist():  # noqa: E711
            prep.reject(k, f"'{headers.wkt}' is not valid WKT")
        geoms = parsed
    if headers.lon and headers.lat:
        x, xblank, xbad = _numbers(source.columns[headers.lon])
        y, yblank, ybad = _numbers(source.columns[headers.lat])
        for col, bad in ((headers.lon, xbad), (headers.lat, ybad)):
            for k in np.flatnonzero(bad).tolist():
                prep.reject(k, f"'{col}' is not a number: '{source.columns[col][k]}'")
        ok = ~(np.isnan(x) | np.isnan(y))
        points = shapely.points(x[ok], y[ok])
        geoms = np.array(geoms, dtype=object)
        geoms[ok] = points
        for k in np.flatnonzero(xblank != yblank).tolist():
            prep.reject(k, "only one of the two coordinates is given")
    elif headers.lon or headers.lat:
        raise InvalidInput("the file has only one coordinate column; give both lon and lat (x, y)")
    return geoms


def _to_wgs84_array(geoms: np.ndarray, crs: CRSSpec) -> np.ndarray:
    present = ~pd.isna(geoms)
    out = np.array(geoms, dtype=object)
    if not present.any():
        return out
    if crs.is_wgs84:
        if shapely.has_z(geoms[present]).any():
            out[present] = shapely.force_2d(geoms[present])
        return out

    def apply(coords: np.ndarray) -> np.ndarray:
        lon, lat = to_wgs84(coords[:, 0], coords[:, 1], crs)
        return np.column_stack([lon, lat])

    with np.errstate(all="ignore"):
        out[present] = shapely.transform(geoms[present], apply, include_z=False)
    return out


def prepare_geometries(
    category: Category, source: SourceTable, headers: HeaderMap, crs: CRSSpec, prep: Prepared
) -> None:
    """Fill ``prep.geometries`` with checked WGS84 geometries.

    Same rules as :func:`gis_onemap.categories.validation.validate_geometry`, vectorised.
    """
    geoms = _to_wgs84_array(_source_geometries(source, headers, prep), crs)
    present = ~pd.isna(geoms)
    type_ids = np.full(len(geoms), -1)
    type_ids[present] = shapely.get_type_id(geoms[present])
    # single-part multipoints (ArcGIS writes them) are points
    for i in np.flatnonzero(type_ids == 4).tolist():
        if shapely.get_num_geometries(geoms[i]) == 1:
            geoms[i], type_ids[i] = shapely.get_geometry(geoms[i], 0), 0
    allowed_ids = [_TYPE_IDS[t] for t in category.geometry_types]
    bounds = np.full((len(geoms), 4), np.nan)
    if present.any():
        bounds[present] = shapely.bounds(geoms[present])
    with np.errstate(invalid="ignore"):
        finite = np.isfinite(bounds).all(axis=1)
        lon_ok = (np.abs(bounds[:, [0, 2]]) <= 180).all(axis=1)
        lat_ok = (np.abs(bounds[:, [1, 3]]) <= 90).all(axis=1)
    wrong_type = present & ~np.isin(type_ids, allowed_ids)
    empty = present & ~wrong_type & np.isnan(bounds).all(axis=1)
    flagged = wrong_type | (present & ~(finite & lon_ok & lat_ok))
    hint = "" if not crs.is_wgs84 else " (projected coordinates? give their CRS, e.g. EPSG:4549)"
    source_name = "WGS84" if crs.is_wgs84 else crs.uri
    allowed = ", ".join(category.geometry_types)
    for i in np.flatnonzero(flagged).tolist():
        if wrong_type[i]:
            kind = geoms[i].geom_type
            prep.reject(i, f"geometry type '{kind}' is not allowed for {category.id}; "
                           f"allowed: {allowed}")  # fmt: skip
        elif empty[i]:
            prep.reject(i, "the geometry is empty")
        elif not finite[i]:
            prep.reject(i, f"coordinates are not finite or cannot be transformed from "
                           f"{source_name} (outside its area of use?)")  # fmt: skip
        elif not lon_ok[i]:
            prep.reject(i, "longitude must be within [-180, 180]" + hint)
        else:
            prep.reject(i, "latitude must be within [-90, 90]" + hint)
    check = present & ~flagged & (type_ids != 0)  # a finite point is always valid
    idx = np.flatnonzero(check)
    if len(idx):
        valid = shapely.is_valid(geoms[idx])
        for i in idx[~valid].tolist():
            prep.reject(i, f"the geometry is not valid: {shapely.is_valid_reason(geoms[i])}")
    prep.geometries = geoms


def require_geometries(category: Category, prep: Prepared, located: set[int]) -> None:
    """Reject rows with no geometry (``located``: rows placed otherwise, e.g. at their depot)."""
    missing = pd.isna(prep.geometries)
    for i in np.flatnonzero(missing):
        if int(i) not in located and int(i) not in prep.errors:
            prep.reject(int(i), "missing coordinates (no geometry)")
