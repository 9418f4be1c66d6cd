"""``/collections/situation-{incident_id}``.

An incident's situation layer (态势标绘) as an OGC API – Features collection with Part 4 writes
(issue 17).

A dedicated router rather than the category collections router: the collection is per
incident (its id carries the incident), its rows are not a category's (no category fields,
an author from the token), and every write publishes a live event. It keeps the OGC shapes —
collection metadata, ``/items`` (paged), ``/items/{id}`` with ``ETag``, ``/queryables``,
``/schema``, ``POST``/``PUT``/``PATCH``/``DELETE`` with ``If-Match`` — so QGIS and the map page
edit the same data. It is included before the collections router (its path would otherwise
be taken by ``/collections/{collection_id}``). The symbols with their zh/en labels:
``GET /situation/symbols``. Reads need a token (viewer), writes an editor; a token limited to
regions reads and writes only the incidents of its regions (403 for the others).

Discovery: ``GET /collections`` lists ``situation-{id}`` for the newest *open* incidents the
caller may read (``live/situation_layers.py``): an incident is closed once its final report
(终报) is filed — incidents have no status of their own — and at most
``situation_collections_max`` are listed, so years of incidents do not swamp a client's list.
Every incident's layer, closed or not, stays reachable at its path. Anonymous callers are shown
none (they may not read a layer).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from gis_onemap.api.bodies import request_body
from gis_onemap.api.deps import (
    IfMatchDep,
    JsonBody,
    SessionDep,
    SettingsDep,
    ViewerDep,
    WriteSessionDep,
)
from gis_onemap.api.links import base_url, link
from gis_onemap.api.responses import GEOJSON, FastJSONResponse, GeoJSONResponse, SchemaResponse
from gis_onemap.auth.deps import EDITOR, require_role
from gis_onemap.auth.principal import Role
from gis_onemap.db.etags import IfMatch
from gis_onemap.limits import InputLimits
from gis_onemap.live.situation import MAX_LABEL, SituationRepository, check_paging
from gis_onemap.live.situation_layers import SituationLayer, readable_layer
from gis_onemap.live.symbols import symbols

router = APIRouter(tags=["Situation"])
VIEWER = Depends(require_role(Role.viewer))
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
ROOT = "/collections/situation-{incident_id:int}"

IncidentId = Annotated[int, Path(ge=1, le=2**63 - 1, description="Incident id")]
AnnotationId = Annotated[int, Path(ge=1, le=2**63 - 1, description="Annotation id")]

ANNOTATION_EXAMPLE = {
    "type": "Feature",
    "geometry": {"type": "LineString", "coordinates": [[110.36, 21.27], [110.37, 21.275]]},
    "properties": {"symbol": "cordon", "label": "东侧警戒线",
                   "observed_at": "2026-12-01T08:30:00+08:00"},
}  # fmt: skip
ANNOTATION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "geometry", "properties"],
    "properties": {
        "type": {"type": "string", "enum": ["Feature"]},
        "geometry": {
            "type": "object",
            "required": ["type", "coordinates"],
            "properties": {
                "type": {"type": "string", "enum": ["Point", "LineString", "Polygon"]},
                "coordinates": {"type": "array", "items": {}},
            },
        },
        "properties": {
            "type": "object",
            "properties": {
                "symbol": {"type": "string", "enum": list(symbols())},
                "label": {"type": "string", "maxLength": MAX_LABEL, "nullable": True},
                "observed_at": {"type": "string", "format": "date-time", "nullable": True},
            },
        },
    },
}
WRITE_RESPONSES: dict[int | str, dict[str, Any]] = {
    403: {"description": "The incident lies outside the regions of this token"},
    404: {"description": "No such incident or annotation"},
    412: {"description": "If-Match names a version other than the stored one; nothing changed"},
    422: {"description": "Invalid annotation (every problem listed); nothing changed"},
}


def _root(incident_id: int) -> str:
    return f"/collections/situation-{incident_id}"


def _item_links(request: Request, incident_id: int, fid: int) -> list[dict[str, Any]]:
    root = _root(incident_id)
    return [
        link(request, f"{root}/items/{fid}", "self", GEOJSON),
        link(request, root, "collection", "application/json"),
    ]


def _properties_schema() -> dict[str, Any]:
    return {
        "symbol": {
            "type": "string",
            "title": "符号 / Symbol",
            "enum": list(symbols()),
            "x-labels": {s.id: {"zh": s.zh, "en": s.en} for s in symbols().values()},
        },
        "label": {"type": "string", "title": "标注 / Label", "maxLength": MAX_LABEL},
        "observed_at": {"type": "string", "format": "date-time", "title": "观测时间 / Observed"},
        "author": {"type": "string", "title": "作者 / Author", "readOnly": True},
        "incident_id": {"type": "integer", "readOnly": True},
        "created_at": {"type": "string", "format": "date-time", "readOnly": True},
        "updated_at": {"type": "string", "format": "date-time", "readOnly": True},
    }


@router.get("/situation/symbols", summary="Situation symbols (zh/en labels, geometry types)")
def situation_symbols() -> FastJSONResponse:
    return FastJSONResponse(
        {
            "symbols": [
                {"id": s.id, "zh": s.zh, "en": s.en, "geometry_types": list(s.geometry_types),
                 "color": s.color}
                for s in symbols().values()
            ]
        }
    )  # fmt: skip


def situation_doc(request: Request, layer: SituationLayer) -> dict[str, Any]:
    """The collection document of one incident's layer.

    ``GET /collections/situation-{id}`` answers it; ``GET /collections`` lists the same document.
    """
    i = layer.incident_id
    root = _root(i)
    return {
        "id": f"situation-{i}",
        "title": f"事件 {i} 态势标绘 / Incident {i} situation",
        "title_zh": f"事件 {i} 态势标绘",
        "title_en": f"Incident {i} situation",
        "description": "Annotations (points, lines, polygons with a symbol) shared live.",
        "itemType": "feature",
        "geometryTypes": ["Point", "LineString", "Polygon"],
        "crs": [CRS84],
        "storageCrs": CRS84,
        "itemCount": layer.count,
        "incident_id": i,
        "incident_closed": layer.closed,
        "extent": {"spatial": {"bbox": [layer.bbox], "crs": CRS84}},
        "links": [
            link(request, root, "self", "application/json"),
            link(request, f"/incidents/{i}", "related", GEOJSON, "The incident"),
            link(request, f"{root}/items", "items", GEOJSON, "Annotations (GeoJSON)"),
            link(request, f"{root}/schema", "describedby", "application/schema+json"),
            link(request, f"{root}/queryables",
                 "http://www.opengis.net/def/rel/ogc/1.0/queryables",
                 "application/schema+json"),
            link(request, f"/live/events?incident={i}", "live",
                 "text/event-stream", "Live events"),
        ],
    }  # fmt: skip


@router.get(ROOT, summary="An incident's situation layer (collection metadata)",
            dependencies=[VIEWER])  # fmt: skip
def situation_collection(
    request: Request, session: SessionDep, viewer: ViewerDep, incident_id: IncidentId
) -> FastJSONResponse:
    return FastJSONResponse(situation_doc(request, readable_layer(session, viewer, incident_id)))


def _schema(request: Request, incident_id: int, title: str) -> SchemaResponse:
    return SchemaResponse(
        {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"{base_url(request)}{_root(incident_id)}/{title}",
            "type": "object",
            "title": f"situation-{incident_id}",
            "properties": _properties_schema(),
            "additionalProperties": False,
        }
    )


@router.get(f"{ROOT}/queryables", summary="Queryables of a situation layer",
            dependencies=[VIEWER])  # fmt: skip
def situation_queryables(request: Request, incident_id: IncidentId) -> SchemaResponse:
    return _schema(request, incident_id, "queryables")


@router.get(f"{ROOT}/schema", summary="Schema of a situation layer", dependencies=[VIEWER])
def situation_schema(request: Request, incident_id: IncidentId) -> SchemaResponse:
    return _schema(request, incident_id, "schema")


@router.get(f"{ROOT}/items", summary="Annotations of an incident (GeoJSON)",
            dependencies=[VIEWER])  # fmt: skip
def situation_items(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    viewer: ViewerDep,
    incident_id: IncidentId,
    limit: Annotated[int, Query(description="Page size")] = 1000,
    offset: Annotated[int, Query(description="Skip this many")] = 0,
) -> GeoJSONResponse:
    check_paging(limit, offset, settings.max_limit)
    readable_layer(session, viewer, incident_id)
    repo = SituationRepository(session, incident_id)
    features, total = repo.features(limit, offset)
    root = f"{base_url(request)}{_root(incident_id)}"
    links = [{"href": f"{root}/items?limit={limit}&offset={offset}", "rel": "self",
              "type": GEOJSON}]  # fmt: skip
    if offset + len(features) < total:
        links.append({"href": f"{root}/items?limit={limit}&offset={offset + limit}",
                      "rel": "next", "type": GEOJSON})  # fmt: skip
    return GeoJSONResponse(
        {
            "type": "FeatureCollection",
            "features": features,
            "numberMatched": total,
            "numberReturned": len(features),
            "timeStamp": datetime.now(UTC).isoformat(timespec="seconds"),
            "links": links,
        }
    )


@router.get(f"{ROOT}/items/{{feature_id}}", summary="One annotation", dependencies=[VIEWER])
def situation_item(
    request: Request,
    session: SessionDep,
    viewer: ViewerDep,
    incident_id: IncidentId,
    feature_id: AnnotationId,
) -> GeoJSONResponse:
    readable_layer(session, viewer, incident_id)
    feature, etag = SituationRepository(session, incident_id).get(feature_id)
    feature["links"] = _item_links(request, incident_id, feature_id)
    return GeoJSONResponse(feature, headers={"ETag": etag})


def _written(request: Request, repo: SituationRepository, fid: int, **kw: Any) -> GeoJSONResponse:
    feature, etag = repo.get(fid)
    feature["links"] = _item_links(request, repo.incident_id, fid)
    return GeoJSONResponse(feature, headers={**kw.pop("headers", {}), "ETag": etag}, **kw)


@router.post(f"{ROOT}/items", status_code=201, summary="Add an annotation",
             dependencies=[EDITOR], responses=WRITE_RESPONSES,
             openapi_extra=request_body(ANNOTATION_SCHEMA, ANNOTATION_EXAMPLE,
                                        ("application/geo+json", "application/json")))  # fmt: skip
def create_annotation(
    request: Request,
    session: WriteSessionDep,
    settings: SettingsDep,
    viewer: ViewerDep,
    incident_id: IncidentId,
    body: JsonBody,
) -> GeoJSONResponse:
    repo = SituationRepository(session, incident_id, InputLimits.from_settings(settings))
    fid = repo.create(viewer, body)
    location = f"{base_url(request)}{_root(incident_id)}/items/{fid}"
    return _written(request, repo, fid, status_code=201, headers={"Location": location})


@router.put(f"{ROOT}/items/{{feature_id}}", summary="Replace an annotation (If-Match)",
            dependencies=[EDITOR], responses=WRITE_RESPONSES,
            openapi_extra=request_body(ANNOTATION_SCHEMA, ANNOTATION_EXAMPLE,
                                       ("application/geo+json", "application/json")))  # fmt: skip
def replace_annotation(
    request: Request,
    session: WriteSessionDep,
    settings: SettingsDep,
    viewer: ViewerDep,
    incident_id: IncidentId,
    feature_id: AnnotationId,
    body: JsonBody,
    if_match: IfMatchDep = None,
) -> GeoJSONResponse:
    repo = SituationRepository(session, incident_id, InputLimits.from_settings(settings))
    repo.replace(viewer, feature_id, body, IfMatch.parse(if_match))
    return _written(request, repo, feature_id)


@router.patch(f"{ROOT}/items/{{feature_id}}", summary="Update an annotation (If-Match)",
              dependencies=[EDITOR], responses=WRITE_RESPONSES,
              openapi_extra=request_body(
                  {"type": "object"}, {"properties": {"label": "警戒线（已扩大）"}},
                  ("application/merge-patch+json", "application/json")))  # fmt: skip
def patch_annotation(
    request: Request,
    session: WriteSessionDep,
    settings: SettingsDep,
    viewer: ViewerDep,
    incident_id: IncidentId,
    feature_id: AnnotationId,
    body: JsonBody,
    if_match: IfMatchDep = None,
) -> GeoJSONResponse:
    repo = SituationRepository(session, incident_id, InputLimits.from_settings(settings))
    repo.patch(viewer, feature_id, body, IfMatch.parse(if_match))
    return _written(request, repo, feature_id)


@router.delete(f"{ROOT}/items/{{feature_id}}", status_code=204,
               summary="Delete an annotation (If-Match)", dependencies=[EDITOR],
               responses=WRITE_RESPONSES)  # fmt: skip
def delete_annotation(
    session: WriteSessionDep,
    viewer: ViewerDep,
    incident_id: IncidentId,
    feature_id: AnnotationId,
    if_match: IfMatchDep = None,
) -> Response:
    SituationRepository(session, incident_id).delete(viewer, feature_id, IfMatch.parse(if_match))
    return Response(status_code=204)
