"""Serve the OpenAPI document as OpenAPI 3.0 (OGC API – Features' ``oas30`` class).

FastAPI emits OpenAPI 3.1 only; no maintained library down-converts it, so this small
rewrite handles the constructs FastAPI/pydantic produce that 3.0 lacks: ``type: null`` in
``anyOf`` (→ ``nullable``), ``const`` (→ one-value ``enum``), ``examples`` lists (→
``example``), numeric ``exclusiveMinimum``/``Maximum`` (→ boolean form).
"""

from __future__ import annotations

from typing import Any

OAS30_VERSION = "3.0.3"
OAS30_MEDIA_TYPE = "application/vnd.oai.openapi+json;version=3.0"


def _schema_to_30(node: Any) -> Any:
    if isinstance(node, list):
        return [_schema_to_30(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _schema_to_30(v) for k, v in node.items()}
    for key in ("anyOf", "oneOf"):
        options = out.get(key)
        if isinstance(options, list) and {"type": "null"} in options:
            rest = [o for o in options if o != {"type": "null"}]
            out.pop(key)
            if len(rest) == 1:
                merged = dict(rest[0])
                if "$ref" in merged:
                    merged = {"allOf": [merged]}
                out.update(merged)
            else:
                out[key] = rest
            out["nullable"] = True
    if "const" in out:
        out["enum"] = [out.pop("const")]
    if "contentMediaType" in out:  # file uploads: 3.0 spells them format: binary
        out.pop("contentMediaType")
        out["format"] = "binary"
    if isinstance(out.get("examples"), list) and "paths" not in out:
        examples = out.pop("examples")
        if examples:
            out["example"] = examples[0]
    for key, flag in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        value = out.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            out[flag] = value
            out[key] = True
    if "itemSchema" in out and "schema" not in out:  # OAS 3.2 SSE items (FastAPI's SSE routes)
        out.pop("itemSchema")
        out["schema"] = {"type": "string", "description": "text/event-stream messages"}
    if isinstance(out.get("type"), list):
        types = [t for t in out["type"] if t != "null"]
        if len(types) < len(out["type"]):
            out["nullable"] = True
        out["type"] = types[0] if len(types) == 1 else types
    return out


def to_openapi30(doc: dict[str, Any]) -> dict[str, Any]:
    """A copy of a FastAPI OpenAPI 3.1 document rewritten as OpenAPI 3.0.

    >>> to_openapi30({"openapi": "3.1.0", "components": {"schemas": {"A": {
    ...     "anyOf": [{"type": "integer"}, {"type": "null"}]}}}})["components"]["schemas"]["A"]
    {'type': 'integer', 'nullable': True}
    """
    out = dict(doc)
    out["openapi"] = OAS30_VERSION
    out.pop("jsonSchemaDialect", None)
    out.pop("webhooks", None)
    if "components" in out:
        out["components"] = _schema_to_30(out["components"])
    if "paths" in out:
        paths = {}
        for path, ops in out["paths"].items():
            paths[path] = _schema_to_30(ops)
        out["paths"] = paths
    return out
