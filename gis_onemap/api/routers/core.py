"""Landing page, conformance, OpenAPI document and health."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from gis_onemap.api.links import link
from gis_onemap.api.responses import FastJSONResponse
from gis_onemap.db.health import engine_status

router = APIRouter(tags=["Capabilities"])

#: Conformance classes implemented, worded as in the standards.
CONFORMANCE: list[str] = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
    "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/property-property",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/features",
    "http://www.opengis.net/spec/ogcapi-features-5/1.0/conf/schemas",
    "http://www.opengis.net/spec/ogcapi-features-5/1.0/conf/core-roles-features",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/sorting",
]


def add_conformance(*classes: str) -> None:
    """Let another capability (tiles, CRS...) declare the classes it implements."""
    for c in classes:
        if c not in CONFORMANCE:
            CONFORMANCE.append(c)


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
def conformance() -> FastJSONResponse:
    return FastJSONResponse({"conformsTo": CONFORMANCE})


@router.get("/healthz", summary="Health: 200 when the database answers, else 503")
def healthz(request: Request) -> FastJSONResponse:
    status = engine_status(request.app.state.engine)
    code = 200 if status == "ok" else 503
    return FastJSONResponse(
        {"status": "ok" if code == 200 else "degraded", "database": status}, code
    )
