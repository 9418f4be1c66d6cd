"""Validation of feature properties and geometries against a category definition."""

from __future__ import annotations

import json
import math
import re
from datetime import date, datetime
from typing import Any

import numpy as np
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from gis_onemap.categories.model import RESERVED_PROPERTIES, Category, Field
from gis_onemap.errors import OneMapError, ValidationFailed

_LIST_SEPARATORS = re.compile(r"[;；、,，]")


class _Problems(list[dict[str, str]]):
    def add(self, prop: str, message: str) -> None:
        self.append({"property": prop, "message": message})


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def coerce_value(f: Field, value: Any, *, lenient: bool = False) -> Any:
    """Convert ``value`` to the field's type; raise ``ValueError`` with a clear message.

    ``lenient`` accepts the text forms found in CSV/Excel cells (``"12"`` for a number,
    ``"a;b"`` for a list).

    >>> from gis_onemap.categories import get_category
    >>> coerce_value(get_category("shelters").field("capacity"), "12", lenient=True)
    12
    >>> coerce_value(get_category("experts").field("specialties"), "fire、geology", lenient=True)
    ['fire', 'geology']
    """
    t = f.type
    if t == "string":
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ValueError("must be a string")
        if not isinstance(value, str):
            if not lenient:
                raise ValueError("must be a string")
            value = format(value, "g") if isinstance(value, float) else str(value)
        return value.strip()
    if t == "integer":
        if isinstance(value, bool):
            raise ValueError("must be an integer")
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, int):
            return value
        if lenient and isinstance(value, str):
            try:
                number = float(value.strip())
            except ValueError:
                raise ValueError(f"must be an integer, got '{value}'") from None
            if number.is_integer():
                return int(number)
        raise ValueError(f"must be an integer, got {json.dumps(value, ensure_ascii=False)}")
    if t == "number":
        if isinstance(value, bool):
            raise ValueError("must be a number")
        if isinstance(value, int | float):
            number = float(value)
        elif lenient and isinstance(value, str):
            try:
                number = float(value.strip())
            except ValueError:
                raise ValueError(f"must be a number, got '{value}'") from None
        else:
            raise ValueError(f"must be a number, got {json.dumps(value, ensure_ascii=False)}")
        if not math.isfinite(number):
            raise ValueError("must be a finite number")
        return number
    if t == "boolean":
        if isinstance(value, bool):
            return value
        if lenient and str(value).strip().lower() in {"true", "1", "yes", "y", "是", "t"}:
            return True
        if lenient and str(value).strip().lower() in {"false", "0", "no", "n", "否", "f"}:
            return False
        raise ValueError("must be true or false")
    if t == "date":
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value.strip()[:10])
            except ValueError:
                pass
        raise ValueError("must be a date (YYYY-MM-DD)")
    if t == "datetime":
        if isinstance(value, datetime):
            return value
        if isinstance(value, str):
            try:
                return datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            except ValueError:
                pass
        raise ValueError("must be a date-time (RFC 3339)")
    if t == "string_list":
        if lenient and isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                try:
                    value = json.loads(text)
                except json.JSONDecodeError:
                    raise ValueError("is not a valid JSON array") from None
            else:
                value = [p.strip() for p in _LIST_SEPARATORS.split(text) if p.strip()]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError("must be a list of strings")
        return [v.strip() for v in value]
    if t == "object_list":
        if lenient and isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError:
                raise ValueError("is not a valid JSON array") from None
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise ValueError("must be a list of objects")
        return value
    raise ValueError(f"unsupported type {t}")  # pragma: no cover - definitions are fixed


def check_constraints(f: Field, value: Any) -> str | None:
    """The first constraint ``value`` breaks, as a message; ``None`` when it is fine."""
    if f.enum:
        values = value if f.type == "string_list" else [value]
        bad = [v for v in values if v not in f.enum]
        if bad:
            return f"'{bad[0]}' is not one of {list(f.enum)}"
    if f.minimum is not None and value < f.minimum:
        return f"must be ≥ {f.minimum:g}"
    if f.maximum is not None and value > f.maximum:
        return f"must be ≤ {f.maximum:g}"
    if f.max_length is not None and len(value) > f.max_length:
        return f"must be at most {f.max_length} characters"
    if f.pattern and not re.fullmatch(f.pattern, value):
        return f"does not match the expected format {f.pattern}"
    if f.type == "string" and f.required and value == "":
        return "must not be empty"
    if f.item_schema is not None:
        return _check_items(f, value)
    return None


def _check_items(f: Field, items: list[dict[str, Any]]) -> str | None:
    schema = f.item_schema or {}
    props = schema.get("properties", {})
    for i, item in enumerate(items):
        for req in schema.get("required", []):
            if item.get(req) is None:
                return f"item {i}: '{req}' is required"
        for key, val in item.items():
            spec = props.get(key)
            if spec is None:
                return f"item {i}: unknown key '{key}'"
            if val is None:
                continue
            kind = spec.get("type")
            if kind == "number":
                if isinstance(val, bool) or not isinstance(val, int | float):
                    return f"item {i}: '{key}' must be a number"
                if "minimum" in spec and val < spec["minimum"]:
                    return f"item {i}: '{key}' must be ≥ {spec['minimum']}"
                if "exclusiveMinimum" in spec and val <= spec["exclusiveMinimum"]:
                    return f"item {i}: '{key}' must be > {spec['exclusiveMinimum']}"
            elif kind == "string":
                if not isinstance(val, str):
                    return f"item {i}: '{key}' must be a string"
                if "enum" in spec and val not in spec["enum"]:
                    return f"item {i}: '{key}' must be one of {spec['enum']}"
                if "pattern" in spec and not re.fullmatch(spec["pattern"], val):
                    return f"item {i}: '{key}' does not match {spec['pattern']}"
    return None


def validate_properties(
    category: Category,
    props: Any,
    *,
    lenient: bool = False,
) -> dict[str, Any]:
    """Checked, typed properties of a whole feature, derived values filled in.

    Unknown properties are an error (``lenient``: they go into ``extra``). Server-set
    properties (``id``, ``updated_at``) are ignored. Raises :class:`ValidationFailed` listing
    every problem.

    >>> from gis_onemap.categories import get_category
    >>> p = validate_properties(get_category("shelters"),
    ...     {"name": "人民广场", "shelter_type": "emergency", "effective_area_m2": 5000})
    >>> p["capacity"], p["service_radius_m"]
    (5000, 500.0)
    """
    if not isinstance(props, dict):
        raise ValidationFailed("'properties' must be a JSON object")
    problems = _Problems()
    out: dict[str, Any] = {}
    extra = props.get("extra") or {}
    if not isinstance(extra, dict):
        problems.add("extra", "must be a JSON object")
        extra = {}
    extra = dict(extra)
    for key, value in props.items():
        if key in RESERVED_PROPERTIES:
            continue
        f = category.field(key)
        if f is None:
            if lenient:
                if not _blank(value):
                    extra[key] = value
                continue
            problems.add(key, f"unknown property for {category.id}; put other fields in 'extra'")
            continue
        if _blank(value) or (value == [] and f.type.endswith("_list") and not f.required):
            continue
        try:
            typed = coerce_value(f, value, lenient=lenient)
        except ValueError as exc:
            problems.add(key, str(exc))
            continue
        message = check_constraints(f, typed)
        if message:
            problems.add(key, message)
        else:
            out[key] = typed
    for f in category.all_fields:
        if f.required and f.name not in out and not any(p["property"] == f.name for p in problems):
            problems.add(f.name, "is required")
    if problems:
        raise ValidationFailed(_summary(problems), details=problems)
    if category.derive is not None:
        out = category.derive(out)
    out["extra"] = extra
    return out


def _summary(problems: list[dict[str, str]]) -> str:
    first = "; ".join(f"'{p['property']}' {p['message']}" for p in problems[:5])
    more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
    return f"invalid properties: {first}{more}"


def checked_geometry(
    geometry: Any, error: type[OneMapError] = ValidationFailed, crs: Any = None
) -> BaseGeometry:
    """A GeoJSON geometry (in ``crs``, default WGS84) → a valid, non-empty, 2D WGS84 geometry.

    Every problem raises ``error`` with a message for the client.

    >>> checked_geometry({"type": "Point", "coordinates": [110.36, 21.27, 5.0]})
    <POINT (110.36 21.27)>
    >>> checked_geometry({"type": "Polygon", "coordinates": []})
    Traceback (most recent call last):
    ...
    gis_onemap.errors.ValidationFailed: the geometry is empty
    """
    if not isinstance(geometry, dict) or not isinstance(geometry.get("type"), str):
        raise error("'geometry' must be a GeoJSON geometry object")
    try:
        geom = shape(geometry)
    except Exception:  # noqa: BLE001 - shapely raises many kinds for malformed coordinates
        raise error(f"'geometry' is not a valid GeoJSON {geometry['type']}") from None
    if geom.is_empty:
        raise error("the geometry is empty")
    geom = shapely.force_2d(geom)
    if not np.isfinite(shapely.get_coordinates(geom)).all():
        raise error("coordinates must be finite numbers")
    if crs is not None:
        from gis_onemap.crs import CRSError, transform_geometry

        try:
            geom = transform_geometry(geom, crs)
        except CRSError as exc:
            raise error(f"crs: {exc}") from None
    coords = shapely.get_coordinates(geom)
    if not np.isfinite(coords).all() or (abs(coords[:, 0]) > 180).any():
        raise error("longitude must be within [-180, 180]")
    if (abs(coords[:, 1]) > 90).any():
        raise error("latitude must be within [-90, 90]")
    if not geom.is_valid:
        raise error(f"the geometry is not valid: {shapely.is_valid_reason(geom)}")
    return geom


def validate_geometry(category: Category, geometry: Any) -> BaseGeometry:
    """A shapely geometry of a type allowed for ``category``, in lon/lat range, valid.

    >>> from gis_onemap.categories import get_category
    >>> validate_geometry(get_category("depots"), {"type": "Point", "coordinates": [110.3, 21.2]})
    <POINT (110.3 21.2)>
    """
    if geometry is None:
        raise ValidationFailed("the feature has no geometry")
    gtype = geometry.get("type") if isinstance(geometry, dict) else None
    if isinstance(gtype, str) and gtype not in category.geometry_types:
        raise ValidationFailed(
            f"geometry type '{gtype}' is not allowed for {category.id}; "
            f"allowed: {', '.join(category.geometry_types)}"
        )
    return checked_geometry(geometry)
