"""JSON responses serialised with orjson, with the media types OGC API clients expect."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.responses import Response

GEOJSON = "application/geo+json"
JSON = "application/json"
SCHEMA_JSON = "application/schema+json"


class GeoJSONResponse(Response):
    """A GeoJSON body serialised with orjson."""

    media_type = GEOJSON

    def render(self, content: Any) -> bytes:
        """The content as JSON bytes (orjson)."""
        return orjson.dumps(content)


class FastJSONResponse(Response):
    """A JSON body serialised with orjson (faster than the standard library)."""

    media_type = JSON

    def render(self, content: Any) -> bytes:
        """The content as JSON bytes (orjson)."""
        return orjson.dumps(content)


class SchemaResponse(FastJSONResponse):
    """A JSON Schema body (queryables, schema), served as ``application/schema+json``."""

    media_type = SCHEMA_JSON
