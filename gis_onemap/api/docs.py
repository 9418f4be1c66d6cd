"""``/api`` (the OpenAPI 3.0 document) and ``/api.html`` (Swagger UI served locally, no CDN)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from gis_onemap.api.openapi30 import OAS30_MEDIA_TYPE, to_openapi30
from gis_onemap.api.responses import FastJSONResponse
from gis_onemap.api.security import with_script_hashes

#: Swagger UI's files as shipped by the fastapi-offline package (PyPI).
SWAGGER_STATIC = Path(fastapi_offline.__file__).parent / "static"


class OpenAPIResponse(FastJSONResponse):
    """The OpenAPI document, served with its OAS 3.0 media type."""

    media_type = OAS30_MEDIA_TYPE


def install_api_docs(app: FastAPI) -> None:
    """Add ``/api`` and ``/api.html``; the document is built once, on first request."""
    cache: dict[str, Any] = {}
    app.mount("/api-static", StaticFiles(directory=SWAGGER_STATIC), name="api-static")

    @app.get("/api", include_in_schema=False)
    def openapi_document() -> OpenAPIResponse:
        if "doc" not in cache:
            cache["doc"] = to_openapi30(app.openapi())
        return OpenAPIResponse(cache["doc"])

    @app.get("/api.html", include_in_schema=False)
    def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        page = get_swagger_ui_html(
            openapi_url=f"{root}/api",
            title="gis_onemap API",
            swagger_js_url=f"{root}/api-static/swagger-ui-bundle.js",
            swagger_css_url=f"{root}/api-static/swagger-ui.css",
            swagger_favicon_url=f"{root}/api-static/favicon.png",
        )
        # its inline start-up script is allowed by hash under the HTML policy
        return with_script_hashes(page, request.app.state.settings)
