"""Validation of feature properties and geometries against a category definition."""

from __future__ import annotations

import json
import math
import re
from datetime import date, datetime
from typing import Any

import numpy as np
import orjson
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from gis_onemap.categories.model import RESERVED_PROPERTIES, Category, Field
from gis_onemap.errors import OneMapError, ValidationFailed
from gis_onemap.limits import InputLimits, json_depth

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
    limits: InputLimits | None = None,
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
    extra_problem = check_extra(extra, limits or InputLimits())
    if extra_problem:
        problems.add("extra", extra_problem)
    if problems:
        raise ValidationFailed(_summary(problems), details=problems)
    out = derive_checked(category, out)
    out["extra"] = extra
    return out


def _same(given: Any, computed: Any) -> bool:
    """Whether a client's value is the computed one (numbers within rounding, lists as sets)."""
    if isinstance(computed, float | int) and isinstance(given, float | int):
        return math.isclose(given, computed, rel_tol=1e-9, abs_tol=1e-6)
    if isinstance(computed, list) and isinstance(given, list):
        return sorted(map(str, given)) == sorted(map(str, computed))
    return bool(given == computed)


def derive_checked(category: Category, typed: dict[str, Any]) -> dict[str, Any]:
    """``typed`` with the category's derived values computed.

    A derived value the client sent must be the computed one (or at most it, or recorded while its
    inputs are missing: see :class:`~gis_onemap.categories.model.Field`), else
    :class:`ValidationFailed` names it.

    >>> from gis_onemap.categories import get_category
    >>> shelters = get_category("shelters")
    >>> base = {"name": "x", "shelter_type": "emergency", "effective_area_m2": 1000}
    >>> derive_checked(shelters, {**base, "capacity": 1000})["capacity"]   # the computed value
    1000
    >>> derive_checked(shelters, {**base, "capacity": 800})["capacity"]    # fewer may be planned
    800
    >>> derive_checked(shelters, {**base, "capacity": 999999})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    gis_onemap.errors.ValidationFailed: ... 'capacity' must be at most 1000, computed from ...
    >>> derive_checked(get_category("hazard_sources"), {"name": "x", "r_value": 80})
    Traceback (most recent call last):
    ...
    gis_onemap.errors.ValidationFailed: ... 'r_value' is computed from 'substances' and ...
    """
    if category.derive is None:
        return typed
    derived = [f for f in category.all_fields if f.derived]
    names = {f.name for f in derived}
    inputs = {k: v for k, v in typed.items() if k not in names}
    first = category.derive(dict(inputs))
    recorded = {
        f.name: typed[f.name]
        for f in derived
        if f.recordable and typed.get(f.name) is not None and first.get(f.name) is None
    }
    # derived again with the recorded values: their own dependants (a recorded level's colour)
    computed = category.derive({**inputs, **recorded})
    problems = _Problems()
    for f in derived:
        given = typed.get(f.name)
        if given is None or f.name in recorded or f.output_only:
            continue
        value = computed.get(f.name)
        sources = " and ".join(f"'{n}'" for n in f.derived_from)
        if value is None:
            problems.add(f.name, f"is computed from {sources}; send those instead of a value")
        elif f.derived_at_most:
            if given > value:
                problems.add(f.name, f"must be at most {value}, computed from {sources}")
            else:
                computed[f.name] = given
        elif not _same(given, value):
            shown = json.dumps(value, ensure_ascii=False)
            problems.add(
                f.name,
                f"is computed from {sources} (here {shown}); leave it out or send that value",
            )
    if problems:
        raise ValidationFailed(_summary(problems), details=problems)
    return computed


def check_extra(extra: dict[str, Any], limits: InputLimits) -> str | None:
    """Why ``extra`` is too deep or too big (``None`` when it fits ``limits``).

    Depth is counted first and without recursion, so that serialising to measure the size is
    safe (a 10 MB ``extra`` was accepted and then served to everyone, issue #10 finding 7).

    >>> check_extra({"a": [1, 2]}, InputLimits()) is None
    True
    >>> check_extra({"a": "x" * 100}, InputLimits(max_extra_bytes=50))
    'is 108 bytes as JSON; at most 50 allowed'
    """
    if json_depth(extra, limits.max_extra_depth) > limits.max_extra_depth:
        return f"is nested more than {limits.max_extra_depth} levels deep"
    try:
        size = len(orjson.dumps(extra))
    except (orjson.JSONEncodeError, TypeError):
        return "must hold only JSON values"
    if size > limits.max_extra_bytes:
        return f"is {size} bytes as JSON; at most {limits.max_extra_bytes} allowed"
    return None


def _summary(problems: list[dict[str, str]]) -> str:
    first = "; ".join(f"'{p['property']}' {p['message']}" for p in problems[:5])
    more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
    return f"invalid properties: {first}{more}"


#: Nesting of ``coordinates`` (arrays above the positions) per GeoJSON geometry type.
_COORD_LEVELS = {
    "Point": 0, "MultiPoint": 1, "LineString": 1, "MultiLineString": 2, "Polygon": 2,
    "MultiPolygon": 3,
}  # fmt: skip


def geometry_size(geometry: Any, limits: InputLimits) -> tuple[int, int]:
    """``(vertices, parts)`` of a decoded GeoJSON geometry, counted without building it.

    Parts are points, lines and polygon rings (members of a collection too). Counting stops
    early once a limit is passed, so a huge geometry costs little to refuse. Malformed
    structures count as what they look like: shapely reports them afterwards.

    >>> geometry_size({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]},
    ...               InputLimits())
    (4, 1)
    >>> geometry_size({"type": "MultiPoint", "coordinates": [[0, 0], [1, 1]]}, InputLimits())
    (2, 2)
    """
    vertices = parts = 0
    stack = [geometry]
    while stack:
        geom = stack.pop()
        if not isinstance(geom, dict):
            continue
        if geom.get("type") == "GeometryCollection":
            members = geom.get("geometries")
            if isinstance(members, list):
                parts += len(members)
                stack.extend(members)
            if parts > limits.max_geometry_parts:
                break
            continue
        levels = _COORD_LEVELS.get(str(geom.get("type")))
        if levels is None:
            continue
        level: list[Any] = [geom.get("coordinates")]
        if levels == 0:
            vertices += 1
            continue
        for _ in range(levels - 1):
            level = [c for item in level if isinstance(item, list) for c in item]
            if len(level) > limits.max_geometry_vertices:
                break
        lists = [item for item in level if isinstance(item, list)]
        vertices += sum(len(item) for item in lists)
        if levels > 1:  # lines or rings
            parts += len(lists)
        else:  # a LineString is one part, a MultiPoint as many as its points
            parts += sum(len(item) for item in lists) if geom["type"] == "MultiPoint" else 1
        if vertices > limits.max_geometry_vertices or parts > limits.max_geometry_parts:
            break
    return vertices, parts


def check_geometry_size(
    geometry: Any, error: type[OneMapError], limits: InputLimits | None = None
) -> None:
    """Raise ``error`` when a decoded GeoJSON geometry has too many vertices or parts."""
    limits = limits or InputLimits()
    vertices, parts = geometry_size(geometry, limits)
    if vertices > limits.max_geometry_vertices:
        raise error(
            f"the geometry has more than {limits.max_geometry_vertices} vertices; simplify it"
        )
    if parts > limits.max_geometry_parts:
        raise error(f"the geometry has more than {limits.max_geometry_parts} parts; split it")


def checked_geometry(
    geometry: Any,
    error: type[OneMapError] = ValidationFailed,
    crs: Any = None,
    limits: InputLimits | None = None,
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
    check_geometry_size(geometry, error, limits)  # before shapely builds it
    try:
        geom = shape(geometry)
    except Exception:
        raise error(f"'geometry' is not a valid GeoJSON {geometry['type']}") from None
    if geom.is_empty:
        raise error("the geometry is empty")
    geom = shapely.force_2d(geom)
    if not np.isfinite(shapely.get_coordinates(geom)).all():
        raise error("coordinates must be finite numbers")
    if crs is not None:
        from gis_onemap.crs.edge import geometry_to_wgs84  # the one CRS edge

        geom = geometry_to_wgs84(geom, crs, error)
    coords = shapely.get_coordinates(geom)
    if not np.isfinite(coords).all() or (abs(coords[:, 0]) > 180).any():
        raise error("longitude must be within [-180, 180]")
    if (abs(coords[:, 1]) > 90).any():
        raise error("latitude must be within [-90, 90]")
    if not geom.is_valid:
        raise error(f"the geometry is not valid: {shapely.is_valid_reason(geom)}")
    return geom


def validate_geometry(
    category: Category, geometry: Any, limits: InputLimits | None = None
) -> BaseGeometry:
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
    return checked_geometry(geometry, limits=limits)


def stale_derived(category: Category, changed: set[str]) -> set[str]:
    """Derived fields to recompute when the fields ``changed`` are updated (PATCH).

    The exactly computed ones always, the recorded or bounded ones when one of their inputs changes
    (directly or through another derived field).

    >>> from gis_onemap.categories import get_category as _cat
    >>> sorted(stale_derived(_cat("shelters"), {"name"}))
    ['service_radius_m', 'warnings']
    >>> sorted(stale_derived(_cat("shelters"), {"effective_area_m2"}))
    ['capacity', 'service_radius_m', 'warnings']
    >>> sorted(stale_derived(_cat("hazard_sources"), {"substances"}))
    ['alpha', 'level', 'r_value', 'risk_color', 's_value', 'substance_terms']
    """
    derived = [f for f in category.all_fields if f.derived]
    stale = {f.name for f in derived if not (f.recordable or f.derived_at_most)}
    changed = set(changed)
    grown = True
    while grown:
        grown = False
        for f in derived:
            if f.name not in stale and (changed | stale) & set(f.derived_from):
                stale.add(f.name)
                grown = True
    return stale
