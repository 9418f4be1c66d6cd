"""JSON responses serialised with orjson, with the media types OGC API clients expect."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.responses import Response

GEOJSON = "application/geo+json"
JSON = "application/json"
SCHEMA_JSON = "application/schema+json"


class GeoJSONResponse(Response):
    media_type = GEOJSON

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


class FastJSONResponse(Response):
    media_type = JSON

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


class SchemaResponse(FastJSONResponse):
    media_type = SCHEMA_JSON
