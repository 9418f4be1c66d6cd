"""``/collections/{id}/items``: read (OGC API – Features Part 1, 3) and write (Part 4)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from gis_onemap.api.deps import CategoryDep, JsonBody, SessionDep, SettingsDep, ViewerDep
from gis_onemap.api.links import base_url, request_url
from gis_onemap.api.params import ItemsParams
from gis_onemap.api.responses import GEOJSON, GeoJSONResponse
from gis_onemap.db.repository import FeatureRepository, ItemQuery
from gis_onemap.io.crs_params import bbox_to_wgs84, content_crs, features_to_crs, output_crs
from gis_onemap.query.items import (
    datetime_clause,
    filter_clause,
    parse_bbox,
    parse_sortby,
    property_filters,
)

router = APIRouter(tags=["Features"])

FeatureId = Annotated[int, Path(ge=1, le=2**63 - 1, description="Feature id")]


def build_item_query(
    request: Request, params: ItemsParams, category: Any, max_limit: int, personal: bool
) -> ItemQuery:
    """Turn the request's parameters into an :class:`ItemQuery` (raises ``InvalidInput``)."""
    repo_table = FeatureRepository.table_of(category)
    box = bbox_to_wgs84(parse_bbox(params.bbox), params.bbox_crs, authority_axes=True)
    where = property_filters(request.query_params, category, repo_table)
    for clause in (
        datetime_clause(params.datetime, repo_table),
        filter_clause(params.filter, params.filter_lang, category, repo_table),
    ):
        if clause is not None:
            where.append(clause)
    return ItemQuery(
        limit=min(params.limit, max_limit),
        bbox=box,
        where=where,
        sortby=parse_sortby(params.sortby, category),
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
    request: Request, repo: FeatureRepository, fid: int, **response: Any
) -> GeoJSONResponse:
    """The feature as stored after a write, shown in full to the client that wrote it."""
    feature = repo.get(fid, include_personal=True)
    feature["links"] = _item_links(request, repo.category.id, fid)
    return GeoJSONResponse(feature, **response)


@router.get("/collections/{collection_id}/items", summary="Features (GeoJSON), paged")
def items(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    category: CategoryDep,
    viewer: ViewerDep,
    params: Annotated[ItemsParams, Depends()],
) -> Response:
    q = build_item_query(request, params, category, settings.max_limit, viewer.sees_personal_data)
    crs = output_crs(params.crs)
    if params.f not in (None, "json", "geojson"):  # file downloads: gis_onemap.io
        from gis_onemap.api.routers.io import download_response

        return download_response(request, session, category, viewer, params.f, q, params.crs)
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
    crs: Annotated[str | None, Query(description="Output CRS; default CRS84")] = None,
) -> GeoJSONResponse:
    spec = output_crs(crs)
    feature = FeatureRepository(session, category).get(feature_id, viewer.sees_personal_data)
    features_to_crs([feature], spec)
    feature["links"] = _item_links(request, category.id, feature_id)
    return GeoJSONResponse(feature, headers={"Content-Crs": content_crs(spec)})


@router.post(
    "/collections/{collection_id}/items", status_code=201, summary="Add a feature (GeoJSON)"
)
def create_item(
    request: Request, session: SessionDep, category: CategoryDep, body: JsonBody
) -> GeoJSONResponse:
    repo = FeatureRepository(session, category)
    fid = repo.create(body)
    location = f"{base_url(request)}/collections/{category.id}/items/{fid}"
    return _written(request, repo, fid, status_code=201, headers={"Location": location})


@router.put("/collections/{collection_id}/items/{feature_id}", summary="Replace a feature")
def replace_item(
    request: Request,
    session: SessionDep,
    category: CategoryDep,
    feature_id: FeatureId,
    body: JsonBody,
) -> GeoJSONResponse:
    repo = FeatureRepository(session, category)
    repo.replace(feature_id, body)
    return _written(request, repo, feature_id)


@router.patch(
    "/collections/{collection_id}/items/{feature_id}",
    summary="Update a feature (JSON merge: null removes a property)",
)
def patch_item(
    request: Request,
    session: SessionDep,
    category: CategoryDep,
    feature_id: FeatureId,
    body: JsonBody,
) -> GeoJSONResponse:
    repo = FeatureRepository(session, category)
    repo.patch(feature_id, body)
    return _written(request, repo, feature_id)


@router.delete("/collections/{collection_id}/items/{feature_id}", status_code=204, summary="Delete")
def delete_item(session: SessionDep, category: CategoryDep, feature_id: FeatureId) -> Response:
    FeatureRepository(session, category).delete(feature_id)
    return Response(status_code=204)
