"""``/collections/{id}/items``: read (OGC API – Features Part 1, 3) and write (Part 4)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response

from gis_onemap.api.bodies import (
    FEATURE_EXAMPLE,
    FEATURE_SCHEMA,
    FEATURE_TYPES,
    PATCH_SCHEMA,
    request_body,
)
from gis_onemap.api.crs import OutputCRSDep
from gis_onemap.api.deps import (
    CategoryDep,
    IfMatchDep,
    JsonBody,
    SessionDep,
    SettingsDep,
    ViewerDep,
    WriteSessionDep,
)
from gis_onemap.api.links import base_url, request_url
from gis_onemap.api.params import ItemsParams
from gis_onemap.api.responses import GEOJSON, GeoJSONResponse
from gis_onemap.auth.deps import EDITOR
from gis_onemap.crs.edge import (
    CRS_CONFORMANCE,
    bbox_to_wgs84,
    content_crs,
    features_to_crs,
    output_crs,
)
from gis_onemap.db.etags import IfMatch
from gis_onemap.db.repository import FeatureRepository, ItemQuery
from gis_onemap.limits import InputLimits
from gis_onemap.query.items import (
    datetime_clause,
    filter_clause,
    parse_bbox,
    parse_sortby,
    property_filters,
)

router = APIRouter(tags=["Features"])
#: Conformance classes of this router: GeoJSON items, CQL2 filters, sorting, writes, CRS.
CONFORMANCE = (
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
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
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/sorting",
    CRS_CONFORMANCE,
)

FeatureId = Annotated[int, Path(ge=1, le=2**63 - 1, description="Feature id")]

#: What a write may answer besides success (documented in the OpenAPI document).
WRITE_RESPONSES: dict[int | str, dict[str, Any]] = {
    409: {
        "description": "Not stored: it lost a race with a concurrent change (details.retry: "
        "send it again) or conflicts with stored data"
    },
    412: {"description": "If-Match names a version other than the stored one; nothing changed"},
    422: {"description": "Invalid feature (every problem listed); nothing changed"},
}


def build_item_query(
    request: Request,
    params: ItemsParams,
    category: Any,
    max_limit: int,
    personal: bool,
    limits: InputLimits | None = None,
) -> ItemQuery:
    """Turn the request's parameters into an :class:`ItemQuery` (raises ``InvalidInput``)."""
    repo_table = FeatureRepository.table_of(category)
    box = bbox_to_wgs84(parse_bbox(params.bbox), params.bbox_crs, authority_axes=True)
    where = property_filters(request.query_params, category, repo_table)
    for clause in (
        datetime_clause(params.datetime, repo_table),
        filter_clause(params.filter, params.filter_lang, category, repo_table, limits),
    ):
        if clause is not None:
            where.append(clause)
    return ItemQuery(
        limit=min(params.limit, max_limit),
        bbox=box,
        where=where,
        sortby=parse_sortby(params.sortby, category, limits),
        cursor=params.cursor,
        include_personal=personal,
    )


def _item_links(request: Request, collection_id: str, fid: Any) -> list[dict[str, str]]:
    root = f"{base_url(request)}/collections/{collection_id}"
    return [
        {"href": f"{root}/items/{fid}", "rel": "self", "type": GEOJSON},
        {"href": root, "rel": "collection", "type": "application/json"},
    ]


def _written(
    request: Request, repo: FeatureRepository, fid: int, viewer: Any, **response: Any
) -> GeoJSONResponse:
    """The feature as stored by the write, with its new ETag.

    Shown as a read would show it to this caller (personal data only to those who may see it). The
    write session commits before this response is sent (``WriteSessionDep``).
    """
    feature, etag = repo.get_versioned(fid, viewer.sees_personal_data)
    feature["links"] = _item_links(request, repo.category.id, fid)
    headers = {**response.pop("headers", {}), "ETag": etag}
    return GeoJSONResponse(feature, headers=headers, **response)


@router.get("/collections/{collection_id}/items", summary="Features (GeoJSON), paged")
def items(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    category: CategoryDep,
    viewer: ViewerDep,
    params: Annotated[ItemsParams, Depends()],
) -> Response:
    limits = InputLimits.from_settings(settings)
    q = build_item_query(
        request, params, category, settings.max_limit, viewer.sees_personal_data, limits
    )
    crs = output_crs(params.crs)
    if params.f not in (None, "json", "geojson"):  # file downloads: gis_onemap.io
        from gis_onemap.api.routers.io import download_response
        from gis_onemap.usecases.context import Caller

        caller = Caller(settings, viewer.sees_personal_data)
        return download_response(request, session, category, caller, params.f, q, params.crs)
    page = FeatureRepository(session, category).query(q)
    features_to_crs(page.features, crs)
    links = [
        {"href": request_url(request), "rel": "self", "type": GEOJSON},
        {
            "href": f"{base_url(request)}/collections/{category.id}",
            "rel": "collection",
            "type": "application/json",
        },
    ]
    if page.next_cursor:
        next_url = request_url(request, cursor=page.next_cursor)
        links.append({"href": next_url, "rel": "next", "type": GEOJSON})
    return GeoJSONResponse(
        {
            "type": "FeatureCollection",
            "features": page.features,
            "numberMatched": page.number_matched,
            "numberReturned": len(page.features),
            "timeStamp": datetime.now(UTC).isoformat(timespec="seconds"),
            "links": links,
        },
        headers={"Content-Crs": content_crs(crs)},
    )


@router.get("/collections/{collection_id}/items/{feature_id}", summary="One feature")
def item(
    request: Request,
    session: SessionDep,
    category: CategoryDep,
    viewer: ViewerDep,
    feature_id: FeatureId,
    spec: OutputCRSDep,
) -> GeoJSONResponse:
    repo = FeatureRepository(session, category)
    feature, etag = repo.get_versioned(feature_id, viewer.sees_personal_data)
    features_to_crs([feature], spec)
    feature["links"] = _item_links(request, category.id, feature_id)
    return GeoJSONResponse(feature, headers={"Content-Crs": content_crs(spec), "ETag": etag})


@router.post(
    "/collections/{collection_id}/items",
    status_code=201,
    summary="Add a feature (GeoJSON)",
    responses=WRITE_RESPONSES,
    dependencies=[EDITOR],
    openapi_extra=request_body(FEATURE_SCHEMA, FEATURE_EXAMPLE, FEATURE_TYPES),
)
def create_item(
    request: Request,
    session: WriteSessionDep,
    settings: SettingsDep,
    category: CategoryDep,
    viewer: ViewerDep,
    body: JsonBody,
) -> GeoJSONResponse:
    repo = FeatureRepository(session, category, InputLimits.from_settings(settings))
    fid = repo.create(body)
    location = f"{base_url(request)}/collections/{category.id}/items/{fid}"
    return _written(request, repo, fid, viewer, status_code=201, headers={"Location": location})


@router.put(
    "/collections/{collection_id}/items/{feature_id}",
    summary="Replace a feature (If-Match: its ETag, else 412)",
    responses=WRITE_RESPONSES,
    dependencies=[EDITOR],
    openapi_extra=request_body(FEATURE_SCHEMA, FEATURE_EXAMPLE, FEATURE_TYPES),
)
def replace_item(
    request: Request,
    session: WriteSessionDep,
    settings: SettingsDep,
    category: CategoryDep,
    viewer: ViewerDep,
    feature_id: FeatureId,
    body: JsonBody,
    if_match: IfMatchDep = None,
) -> GeoJSONResponse:
    repo = FeatureRepository(session, category, InputLimits.from_settings(settings))
    repo.replace(feature_id, body, IfMatch.parse(if_match))
    return _written(request, repo, feature_id, viewer)


@router.patch(
    "/collections/{collection_id}/items/{feature_id}",
    summary="Update a feature (JSON merge: null removes a property; If-Match: its ETag)",
    responses=WRITE_RESPONSES,
    dependencies=[EDITOR],
    openapi_extra=request_body(
        PATCH_SCHEMA,
        {"properties": {"address": "赤坎区人民大道北1号", "extra": {"manager": None}}},
        ("application/merge-patch+json", "application/json"),
    ),
)
def patch_item(
    request: Request,
    session: WriteSessionDep,
    settings: SettingsDep,
    category: CategoryDep,
    viewer: ViewerDep,
    feature_id: FeatureId,
    body: JsonBody,
    if_match: IfMatchDep = None,
) -> GeoJSONResponse:
    repo = FeatureRepository(session, category, InputLimits.from_settings(settings))
    repo.patch(feature_id, body, IfMatch.parse(if_match))
    return _written(request, repo, feature_id, viewer)


@router.delete(
    "/collections/{collection_id}/items/{feature_id}",
    status_code=204,
    summary="Delete a feature (If-Match: its ETag)",
    responses=WRITE_RESPONSES,
    dependencies=[EDITOR],
)
def delete_item(
    session: WriteSessionDep,
    category: CategoryDep,
    feature_id: FeatureId,
    if_match: IfMatchDep = None,
) -> Response:
    FeatureRepository(session, category).delete(feature_id, IfMatch.parse(if_match))
    return Response(status_code=204)
