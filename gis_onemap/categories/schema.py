"""JSON Schemas of a category's features (OGC API – Features Part 5 style) and queryables."""

from __future__ import annotations

from typing import Any

from gis_onemap.categories.model import Category, Field
from gis_onemap.categories.system_fields import (
    NOT_EQUALITY_FILTERS,
    QUERYABLE_SYSTEM_FIELDS,
    STORED_PROPERTIES,
    SYSTEM_BY_NAME,
)

_JSON_TYPES: dict[str, dict[str, Any]] = {
    "string": {"type": "string"},
    "integer": {"type": "integer"},
    "number": {"type": "number"},
    "boolean": {"type": "boolean"},
    "date": {"type": "string", "format": "date"},
    "datetime": {"type": "string", "format": "date-time"},
    "string_list": {"type": "array", "items": {"type": "string"}},
    "object_list": {"type": "array", "items": {"type": "object"}},
}


def field_schema(f: Field) -> dict[str, Any]:
    """JSON Schema of one field: type, enum with labels, range, pattern, read-only if derived.

    >>> from gis_onemap.categories import get_category
    >>> field_schema(get_category("hazard_sources").field("level"))["maximum"]
    4
    """
    schema: dict[str, Any] = {"title": f"{f.zh} / {f.en}", **_JSON_TYPES[f.type]}
    schema["x-title-zh"], schema["x-title-en"] = f.zh, f.en
    if f.description:
        schema["description"] = f.description
    target = schema["items"] if f.type == "string_list" else schema
    if f.type == "string_list":
        schema["items"] = dict(schema["items"])
        target = schema["items"]
    if f.choices:
        target["enum"] = [c.value for c in f.choices]
        target["x-enum-labels"] = {c.value: {"zh": c.zh, "en": c.en} for c in f.choices}
    if f.item_schema is not None:
        schema["items"] = dict(f.item_schema)
    for key, value in (("minimum", f.minimum), ("maximum", f.maximum)):
        if value is not None:
            schema[key] = int(value) if float(value).is_integer() else value
    if f.max_length is not None:
        schema["maxLength"] = f.max_length
    if f.pattern is not None:
        schema["pattern"] = f.pattern
    if f.derived:
        schema["x-derived"] = True
        schema["description"] = (
            schema.get("description", "") + " Computed by the server when its inputs are given."
        ).strip()
    if f.personal:
        schema["x-personal-data"] = True
    return schema


def _geometry_schema(category: Category) -> dict[str, Any]:
    formats = {"Point": "geometry-point", "Polygon": "geometry-polygon"}
    if len(category.geometry_types) == 1:
        fmt = formats[category.geometry_types[0]]
    else:
        fmt = "geometry-any"
    return {
        "x-ogc-role": "primary-geometry",
        "format": fmt,
        "description": "Allowed: " + ", ".join(category.geometry_types),
    }


def feature_schema(
    category: Category, schema_id: str, include_personal: bool = True
) -> dict[str, Any]:
    """Schema of the properties of a category's features (``/collections/{id}/schema``)."""
    fields = category.all_fields if include_personal else category.public_fields
    # system fields around the typed ones: id, geometry first, extra, updated_at last
    props: dict[str, Any] = {
        "id": dict(SYSTEM_BY_NAME["id"].schema),
        "geometry": _geometry_schema(category),
    }
    props.update({f.name: field_schema(f) for f in fields})
    props.update({name: dict(SYSTEM_BY_NAME[name].schema) for name in STORED_PROPERTIES})
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": schema_id,
        "type": "object",
        "title": category.title,
        "description": category.description,
        "properties": props,
        "required": [f.name for f in category.all_fields if f.required],
        "additionalProperties": False,
    }


def queryable_names(category: Category) -> set[str]:
    """Property names usable in filters and sortby (no personal data, no JSON blobs)."""
    names = {f.name for f in category.public_fields if f.type != "object_list"}
    return names | QUERYABLE_SYSTEM_FIELDS


def equality_filter_names(category: Category) -> set[str]:
    """Property names usable as ``?name=value`` filters (queryables but geometry/updated_at)."""
    return queryable_names(category) - NOT_EQUALITY_FILTERS


def queryables_schema(category: Category, schema_id: str) -> dict[str, Any]:
    """Schema of the queryables (``/collections/{id}/queryables``)."""
    full = feature_schema(category, schema_id, include_personal=False)
    names = queryable_names(category)
    return {
        "$schema": full["$schema"],
        "$id": schema_id,
        "type": "object",
        "title": category.title,
        "properties": {k: v for k, v in full["properties"].items() if k in names},
        "additionalProperties": False,
    }
