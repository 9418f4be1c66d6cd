"""``GET /print`` (a print-ready PDF/PNG map) and ``GET /bundle`` (an offline zip, editors)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from starlette.background import BackgroundTask

from gis_onemap.api.deps import SessionDep, SettingsDep
from gis_onemap.api.routers.io import CleanupFileResponse
from gis_onemap.auth.deps import EDITOR
from gis_onemap.bundle.build import BundleRequest, build_bundle
from gis_onemap.printing.service import PrintRequest, print_map

router = APIRouter(tags=["Printed maps and bundles"])

Bbox = Annotated[str | None, Query(description="minlon,minlat,maxlon,maxlat (WGS84)")]
RegionCode = Annotated[str | None, Query(description="A region code, e.g. 440803", max_length=12)]
IncidentId = Annotated[int | None, Query(ge=1, le=2**63 - 1, description="An incident id")]
Radius = Annotated[float | None, Query(description="Radius around the incident (m)")]
Layers = Annotated[
    list[str] | None,
    Query(description="Layers (repeat or comma-separate): category ids, surroundings..."),
]
Filters = Annotated[
    list[str] | None, Query(alias="filter", description="layer:CQL2, e.g. hazard_sources:level=1")
]
Title = Annotated[str | None, Query(max_length=60, description="Title (default from the area)")]
# an int checked by the service (a Literal of ints never matches a query string)
Crs = Annotated[int, Query(description="4490 (CGCS2000) or 4326 (WGS84)")]


@router.get(
    "/print",
    summary="A print-ready map (PDF or PNG, A4/A3) with title, legend, scale bar and north arrow",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}, "image/png": {}}}},
)
def get_print(
    session: SessionDep,
    settings: SettingsDep,
    bbox: Bbox = None,
    region_code: RegionCode = None,
    incident: IncidentId = None,
    radius_m: Radius = None,
    layers: Layers = None,
    filters: Filters = None,
    title: Title = None,
    paper: Annotated[Literal["A4", "A3"], Query()] = "A4",
    orientation: Annotated[Literal["portrait", "landscape"], Query()] = "portrait",
    format: Annotated[Literal["pdf", "png"], Query()] = "pdf",
    crs: Crs = 4490,
    grid: Annotated[bool, Query(description="Draw a coordinate grid")] = False,
) -> Response:
    req = PrintRequest(
        bbox=bbox, region_code=region_code, incident_id=incident, radius_m=radius_m,
        layers=list(layers or []), filters=list(filters or []), title=title, paper=paper,
        orientation=orientation, format=format, crs=crs, grid=grid,
    )  # fmt: skip
    rendered = print_map(session, settings, req)
    return Response(
        rendered.content,
        media_type=rendered.media_type,
        headers={"Content-Disposition": f'attachment; filename="map.{format}"'},
    )


@router.get(
    "/bundle",
    summary="An offline bundle (zip): GeoPackage, offline HTML map, PDF map, PMTiles, XLSX",
    dependencies=[EDITOR],
    response_class=Response,
    responses={200: {"content": {"application/zip": {}}}},
)
def get_bundle(
    session: SessionDep,
    settings: SettingsDep,
    bbox: Bbox = None,
    region_code: RegionCode = None,
    incident: IncidentId = None,
    radius_m: Radius = None,
    layers: Layers = None,
    filters: Filters = None,
    title: Title = None,
    crs: Crs = 4490,
    gbk_csv: Annotated[bool, Query(description="Also GBK CSV files")] = False,
) -> Response:
    req = BundleRequest(
        bbox=bbox, region_code=region_code, incident_id=incident, radius_m=radius_m,
        layers=list(layers or []), filters=list(filters or []), title=title, crs=crs,
        gbk_csv=gbk_csv,
    )  # fmt: skip
    tmp = Path(tempfile.mkdtemp(prefix="onemap-bundle-"))
    try:
        out = build_bundle(session, settings, req, tmp / "bundle.zip").path
        return CleanupFileResponse(
            out, media_type="application/zip", filename="bundle.zip",
            background=BackgroundTask(shutil.rmtree, tmp, ignore_errors=True), cleanup=tmp,
        )  # fmt: skip
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
