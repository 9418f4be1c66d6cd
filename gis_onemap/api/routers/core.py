"""Landing page, conformance, OpenAPI document and health."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from gis_onemap.api.links import link
from gis_onemap.api.responses import FastJSONResponse
from gis_onemap.db.health import engine_status

router = APIRouter(tags=["Capabilities"])

#: Conformance classes of this router (``create_app`` assembles every router's, in order).
CONFORMANCE = (
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
)


@router.get("/", summary="Landing page")
def landing(request: Request) -> FastJSONResponse:
    j, oas = "application/json", "application/vnd.oai.openapi+json;version=3.0"
    body: dict[str, Any] = {
        "title": "gis_onemap 应急一张图",
        "description": "The 8 categories of emergency resources on one map (OGC API – Features).",
        "links": [
            link(request, "/", "self", j, "This document"),
            link(request, "/api", "service-desc", oas, "The API definition (OpenAPI 3)"),
            link(request, "/api.html", "service-doc", "text/html", "The API documentation"),
            link(request, "/conformance", "conformance", j, "Conformance classes"),
            link(request, "/collections", "data", j, "The 8 resource collections"),
            link(request, "/healthz", "status", j, "Health"),
            link(request, "/map", "alternate", "text/html", "The one map"),
        ],
    }
    return FastJSONResponse(body)


@router.get("/conformance", summary="Conformance classes")
def conformance(request: Request) -> FastJSONResponse:
    return FastJSONResponse({"conformsTo": list(request.app.state.conformance)})


@router.get("/healthz", summary="Health: 200 when the database answers, else 503")
def healthz(request: Request) -> FastJSONResponse:
    status = engine_status(request.app.state.engine)
    code = 200 if status == "ok" else 503
    return FastJSONResponse(
        {"status": "ok" if code == 200 else "degraded", "database": status}, code
    )
