"""OpenAPI ``requestBody`` documents for the routes that read their JSON body by hand.

Those routes parse the body themselves (``JsonBody``) so that its size and nesting are bounded
before a model sees it and every problem is answered as one 400/422 listing all of them; FastAPI
then knows nothing of the body, and the OpenAPI document would show none. These helpers put the
schema (from the same pydantic models / category definitions) and an example back, so clients
and fuzzers (schemathesis) see what to send.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

JSON_TYPES = ("application/json",)


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    """``node`` with ``#/$defs/X`` references replaced by their schemas (OpenAPI has no $defs).

    >>> _inline({"a": {"$ref": "#/$defs/P"}}, {"P": {"type": "integer"}})
    {'a': {'type': 'integer'}}
    """
    if isinstance(node, list):
        return [_inline(n, defs) for n in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        return _inline(defs[ref.removeprefix("#/$defs/")], defs)
    return {k: _inline(v, defs) for k, v in node.items() if k != "$defs"}


def model_schema(model: type[BaseModel]) -> dict[str, Any]:
    """A pydantic model's JSON schema with its definitions inlined."""
    schema = model.model_json_schema()
    return _inline(schema, schema.get("$defs", {}))  # type: ignore[no-any-return]


def request_body(
    schema: dict[str, Any],
    example: Any = None,
    media_types: tuple[str, ...] = JSON_TYPES,
    description: str = "",
) -> dict[str, Any]:
    """``openapi_extra`` for a route: a required body of ``schema`` in each media type."""
    content: dict[str, Any] = {}
    for media in media_types:
        content[media] = {"schema": schema}
        if example is not None:
            content[media]["example"] = example
    body: dict[str, Any] = {"required": True, "content": content}
    if description:
        body["description"] = description
    return {"requestBody": body}


#: A GeoJSON Feature as the items routes take it (properties per collection: /collections/{id}/
#: schema). Kept generic: one route serves the 8 collections.
FEATURE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "properties"],
    "properties": {
        "type": {"type": "string", "enum": ["Feature"]},
        "geometry": {
            "type": "object",
            "nullable": True,
            "required": ["type", "coordinates"],
            "properties": {
                "type": {"type": "string", "enum": ["Point", "Polygon", "MultiPolygon"]},
                "coordinates": {"type": "array", "items": {}},
            },
        },
        "properties": {
            "type": "object",
            "description": "The collection's properties: see /collections/{id}/schema",
            "additionalProperties": True,
        },
    },
}

FEATURE_EXAMPLE: dict[str, Any] = {
    "type": "Feature",
    "geometry": {"type": "Point", "coordinates": [110.36, 21.27]},
    "properties": {"name": "人民广场", "shelter_type": "fixed", "effective_area_m2": 12000},
}

#: JSON merge patch of a Feature: any subset; ``null`` removes a property.
PATCH_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "geometry": FEATURE_SCHEMA["properties"]["geometry"],
        "properties": {"type": "object", "additionalProperties": True},
    },
}

FEATURE_TYPES = ("application/geo+json", "application/json")
